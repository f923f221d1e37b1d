package dhcp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// memConn is an in-memory net.PacketConn: the test pushes datagrams in and
// reads what the server wrote, with its destination.
type memConn struct {
	in     chan sent
	out    chan sent
	closed chan struct{}
	once   sync.Once
	local  *net.UDPAddr
}

type sent struct {
	b    []byte
	addr netip.AddrPort
}

func newMemConn(port int) *memConn {
	return &memConn{
		in:     make(chan sent, 16384),
		out:    make(chan sent, 16384),
		closed: make(chan struct{}),
		local:  &net.UDPAddr{IP: net.IPv4zero, Port: port},
	}
}

func (c *memConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case p := <-c.in:
		return copy(b, p.b), net.UDPAddrFromAddrPort(p.addr), nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	}
}

func (c *memConn) WriteTo(b []byte, a net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	c.out <- sent{b: append([]byte(nil), b...), addr: a.(*net.UDPAddr).AddrPort()}
	return len(b), nil
}

func (c *memConn) Close() error                     { c.once.Do(func() { close(c.closed) }); return nil }
func (c *memConn) LocalAddr() net.Addr              { return c.local }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

func (c *memConn) send(t testing.TB, m *dhcpv4.DHCPv4) {
	t.Helper()
	c.in <- sent{b: m.ToBytes(), addr: netip.MustParseAddrPort("0.0.0.0:68")}
}

// next waits for the reply for xid and returns it, its destination, and the
// replies for other xids sent before it.
func (c *memConn) next(t testing.TB, xid dhcpv4.TransactionID) (before []*dhcpv4.DHCPv4, m *dhcpv4.DHCPv4, dest netip.AddrPort) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case p := <-c.out:
			m, err := dhcpv4.FromBytes(p.b)
			if err != nil {
				t.Fatalf("server sent an unparsable reply: %v", err)
			}
			if m.TransactionID == xid {
				return before, m, p.addr
			}
			before = append(before, m)
		case <-deadline:
			t.Fatalf("no reply for xid %v", xid)
		}
	}
}

// reply waits for the next reply for xid, skipping others.
func (c *memConn) reply(t testing.TB, xid dhcpv4.TransactionID) (*dhcpv4.DHCPv4, netip.AddrPort) {
	t.Helper()
	_, m, dest := c.next(t, xid)
	return m, dest
}

// until returns the replies sent before the one for xid.
func (c *memConn) until(t testing.TB, xid dhcpv4.TransactionID) []*dhcpv4.DHCPv4 {
	t.Helper()
	before, _, _ := c.next(t, xid)
	return before
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var (
	serverIP  = netip.MustParseAddr("198.51.100.2")
	knownMAC  = net.HardwareAddr{0x52, 0x54, 0, 0xaa, 0, 1}
	knownIP   = netip.MustParseAddr("198.51.100.20")
	testPool  = &inventory.Range{Start: netip.MustParseAddr("198.51.100.100"), End: netip.MustParseAddr("198.51.100.199")}
	testSubnt = netip.MustParsePrefix("198.51.100.0/24")
)

func testSnapshot(lim inventory.DHCPLimits, probe bool) *inventory.Snapshot {
	base := inventory.Snapshot{
		Interface: "eth0",
		DHCP: inventory.DHCP{
			Mode:          inventory.ModeAuthoritative,
			ServerIP:      serverIP,
			Subnet:        testSubnt,
			Router:        netip.MustParseAddr("198.51.100.1"),
			LeaseTime:     time.Hour,
			Pool:          testPool,
			Limits:        lim,
			ConflictProbe: probe,
		},
		Boot: map[firmware.Class]string{"bios": "pxelinux.0", "uefi-x64": "grubx64.efi", "ipxe": "boot.ipxe"},
	}
	return inventory.New(base, nil, []*inventory.Host{{Name: "known", MAC: knownMAC, IP: knownIP, Line: 1}})
}

type harness struct {
	srv   *dhcp.Server
	conn  *memConn
	store *leases.Store
	logs  *syncBuffer
	done  chan error
}

func startServer(t *testing.T, snap *inventory.Snapshot, mod func(*dhcp.Config), before ...func(*dhcp.Server)) *harness {
	t.Helper()
	store, err := leases.Open("", leases.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg := dhcp.Config{
		Snapshot: func() *inventory.Snapshot { return snap },
		Leases:   store,
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Iface:    "",
		ServerIP: snap.DHCP.ServerIP,
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := dhcp.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range before {
		f(srv)
	}
	h := &harness{srv: srv, conn: newMemConn(67), store: store, logs: logs, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- srv.Serve(ctx, h.conn) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("Serve returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
		store.Close()
	})
	return h
}

func discover(t testing.TB, mac net.HardwareAddr) *dhcpv4.DHCPv4 {
	t.Helper()
	m, err := dhcpv4.NewDiscovery(mac, dhcpv4.WithOption(dhcpv4.OptClassIdentifier("PXEClient:Arch:00000:UNDI:002001")))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
