package dhcp_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

func TestServeOffersReservedAddressAndStopsOnCancel(t *testing.T) {
	h := startServer(t, testSnapshot(inventory.DHCPLimits{}, false), nil)
	d := discover(t, knownMAC)
	h.conn.send(t, d)
	offer, dest := h.conn.reply(t, d.TransactionID)
	if offer.MessageType() != dhcpv4.MessageTypeOffer || !offer.YourIPAddr.Equal(knownIP.AsSlice()) {
		t.Fatalf("got %v yiaddr %v, want OFFER of %v", offer.MessageType(), offer.YourIPAddr, knownIP)
	}
	if dest != netip.MustParseAddrPort("255.255.255.255:68") {
		t.Fatalf("reply went to %v, want the limited broadcast to port 68", dest)
	}
	// The log line is written just after the send.
	waitFor(t, func() bool { return strings.Contains(h.logs.String(), "mac="+knownMAC.String()) })
}

func TestServeSurvivesPanicAndMalformedPackets(t *testing.T) {
	bad := net.HardwareAddr{0x02, 0xde, 0xad, 0, 0, 1}
	h := startServer(t, testSnapshot(inventory.DHCPLimits{}, false), nil, func(srv *dhcp.Server) {
		srv.SetDecide(func(r dhcp.Request, s *inventory.Snapshot, lv dhcp.LeaseView) dhcp.Decision {
			if r.Msg.ClientHWAddr.String() == bad.String() {
				panic("decide exploded")
			}
			return dhcp.Decide(r, s, lv)
		})
	})
	h.conn.send(t, discover(t, bad))
	h.conn.in <- sent{b: []byte("this is not DHCP"), addr: netip.MustParseAddrPort("198.51.100.9:68")}
	garbage := discover(t, knownMAC).ToBytes()
	h.conn.in <- sent{b: garbage[:250], addr: netip.MustParseAddrPort("198.51.100.9:68")}
	d := discover(t, knownMAC)
	h.conn.send(t, d)
	if offer, _ := h.conn.reply(t, d.TransactionID); offer.MessageType() != dhcpv4.MessageTypeOffer {
		t.Fatalf("after a panic the server answered %v", offer.MessageType())
	}
	waitFor(t, func() bool { return strings.Contains(h.logs.String(), "decide exploded") })
	if !strings.Contains(h.logs.String(), "level=ERROR") || !strings.Contains(h.logs.String(), "packet=") {
		t.Fatalf("panic not logged at error with the packet:\n%s", h.logs)
	}
}

// TestServeDropsOverlongHardwareAddress: a DISCOVER from a known MAC whose
// hlen byte says 17 is dropped with a warning, as the decision does;
// the library alone would clamp hlen to 16 and parse it.
func TestServeDropsOverlongHardwareAddress(t *testing.T) {
	// One worker: packets are handled in order, so an answer to the first
	// would come before the answer to the second.
	h := startServer(t, testSnapshot(inventory.DHCPLimits{}, false), func(c *dhcp.Config) { c.Workers = 1 })
	long := discover(t, knownMAC)
	b := long.ToBytes()
	b[2] = 17
	h.conn.in <- sent{b: b, addr: netip.MustParseAddrPort("0.0.0.0:68")}
	d := discover(t, knownMAC)
	h.conn.send(t, d)
	// The next reply is for d: nothing was sent for the overlong packet.
	if before := h.conn.until(t, d.TransactionID); len(before) != 0 {
		t.Fatalf("the overlong packet was answered: %v", before[0].Summary())
	}
	waitFor(t, func() bool { return strings.Contains(h.logs.String(), "reason="+string(dhcp.ReasonHWAddrLength)) })
}

func TestServeDORAAndRelease(t *testing.T) {
	h := startServer(t, testSnapshot(inventory.DHCPLimits{}, false), nil)
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 7}
	d := discover(t, mac)
	h.conn.send(t, d)
	offer, _ := h.conn.reply(t, d.TransactionID)
	ip, _ := netip.AddrFromSlice(offer.YourIPAddr.To4())
	if !testPool.Contains(ip) {
		t.Fatalf("offered %v, want a pool address", ip)
	}
	req, err := dhcpv4.NewRequestFromOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	h.conn.send(t, req)
	ack, _ := h.conn.reply(t, req.TransactionID)
	if ack.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("REQUEST got %v", ack.MessageType())
	}
	if l, ok := h.store.ByMAC(mac, time.Now()); !ok || l.IP != ip || l.State != leases.Bound {
		t.Fatalf("lease after ACK = %+v, %v; want bound %v", l, ok, ip)
	}
}

func TestPerClientRateDropsStorm(t *testing.T) {
	lim := inventory.DHCPLimits{PerClientRate: 0.001, PerClientBurst: 3}
	// One worker keeps replies in request order, so the marker's reply comes last.
	h := startServer(t, testSnapshot(lim, false), func(c *dhcp.Config) { c.Workers = 1 })
	for range 200 {
		h.conn.send(t, discover(t, knownMAC))
	}
	marker := discover(t, net.HardwareAddr{0x02, 0, 0, 0, 0, 9})
	h.conn.send(t, marker)
	got := h.conn.until(t, marker.TransactionID)
	if len(got) != 3 {
		t.Fatalf("%d replies to a storm of 200 DISCOVERs from one MAC, want the burst of 3", len(got))
	}
}

// TestNewClientFloodKeepsPoolAndKnownHosts sends 10,000 DISCOVERs from random
// MACs: the pool loses at most what the new-client bucket allows, and a host
// of the inventory is answered in the middle of the flood.
func TestNewClientFloodKeepsPoolAndKnownHosts(t *testing.T) {
	lim := inventory.DHCPLimits{NewClientRate: 2, NewClientBurst: 10}
	h := startServer(t, testSnapshot(lim, false), func(c *dhcp.Config) { c.MaxTrackedClients = 1000 })
	start := time.Now()
	var known *dhcpv4.DHCPv4
	for i := range 10000 {
		if i == 5000 {
			known = discover(t, knownMAC)
			h.conn.send(t, known)
		}
		mac := net.HardwareAddr{0x02, 0xf1, 0x00, byte(i >> 16), byte(i >> 8), byte(i)}
		h.conn.send(t, discover(t, mac))
	}
	offer, _ := h.conn.reply(t, known.TransactionID)
	if !offer.YourIPAddr.Equal(knownIP.AsSlice()) {
		t.Fatalf("known host offered %v during the flood, want %v", offer.YourIPAddr, knownIP)
	}
	marker := discover(t, knownMAC)
	h.conn.send(t, marker)
	h.conn.reply(t, marker.TransactionID)
	elapsed := time.Since(start).Seconds()
	taken := 0
	for _, l := range h.store.List() {
		if testPool.Contains(l.IP) {
			taken++
		}
	}
	allowed := lim.NewClientBurst + int(lim.NewClientRate*elapsed) + 1
	if taken == 0 || taken > allowed {
		t.Fatalf("flood took %d pool addresses in %.1fs; the new-client bucket allows 1..%d", taken, elapsed, allowed)
	}
}

// fakeProber says every address in used answers ARP from owner.
type fakeProber struct {
	owner net.HardwareAddr
	used  map[netip.Addr]bool
	mu    sync.Mutex
	asked []netip.Addr
}

func (p *fakeProber) Probe(_ context.Context, ip netip.Addr) (net.HardwareAddr, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, ip)
	return p.owner, p.used[ip], nil
}

func TestConflictProbeSkipsUsedAddress(t *testing.T) {
	first := testPool.Start
	p := &fakeProber{owner: net.HardwareAddr{0x02, 0xee, 0, 0, 0, 1}, used: map[netip.Addr]bool{first: true}}
	h := startServer(t, testSnapshot(inventory.DHCPLimits{}, true), func(c *dhcp.Config) { c.Prober = p })
	d := discover(t, net.HardwareAddr{0x02, 0, 0, 0, 0, 5})
	h.conn.send(t, d)
	offer, _ := h.conn.reply(t, d.TransactionID)
	if offer.YourIPAddr.Equal(first.AsSlice()) {
		t.Fatalf("offered %v although it answers ARP", first)
	}
	l, ok := h.store.ByIP(first, time.Now())
	if !ok || l.State != leases.Declined {
		t.Fatalf("in-use address not quarantined: %+v %v", l, ok)
	}
	// The retransmitted DISCOVER is a re-offer of the same address: no new probe.
	n := len(p.asked)
	d2 := discover(t, d.ClientHWAddr)
	h.conn.send(t, d2)
	again, _ := h.conn.reply(t, d2.TransactionID)
	if !again.YourIPAddr.Equal(offer.YourIPAddr) {
		t.Fatalf("retransmit offered %v, first offer was %v", again.YourIPAddr, offer.YourIPAddr)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.asked) != n {
		t.Fatalf("re-offer probed again: %v", p.asked)
	}
}

func TestIgnoredBoardLoggedOncePerInterval(t *testing.T) {
	snap := testSnapshot(inventory.DHCPLimits{}, false)
	noPool := *snap
	noPool.DHCP.Pool = nil
	snap = inventory.New(noPool, nil, snap.Hosts())
	// One worker: the known host's reply comes after the stranger's five
	// requests have been handled.
	h := startServer(t, snap, func(c *dhcp.Config) { c.Workers = 1 })
	stranger := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x42}
	for range 5 {
		h.conn.send(t, discover(t, stranger))
	}
	d := discover(t, knownMAC)
	h.conn.send(t, d)
	h.conn.reply(t, d.TransactionID)
	if n := strings.Count(h.logs.String(), "mac="+stranger.String()); n != 1 {
		t.Fatalf("unanswered board logged %d times in a burst, want once:\n%s", n, h.logs)
	}
}

func TestNewServerNeedsSnapshotAndStore(t *testing.T) {
	if _, err := dhcp.NewServer(dhcp.Config{}); err == nil {
		t.Fatal("dhcp.NewServer without a snapshot source succeeded")
	}
	if _, err := dhcp.NewServer(dhcp.Config{Snapshot: func() *inventory.Snapshot { return nil }}); err == nil {
		t.Fatal("dhcp.NewServer without a lease store succeeded")
	}
}

func TestServeReturnsErrorWhenSocketClosedUnderIt(t *testing.T) {
	store, _ := leases.Open("", leases.Options{})
	srv, err := dhcp.NewServer(dhcp.Config{Snapshot: func() *inventory.Snapshot { return nil }, Leases: store})
	if err != nil {
		t.Fatal(err)
	}
	c := newMemConn(67)
	c.Close()
	if err := srv.Serve(context.Background(), c); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Serve on a closed socket = %v, want net.ErrClosed", err)
	}
}

// FuzzServePacket sends arbitrary datagrams through the whole server path
// (admit, parse, Decide, commit, send). Whatever arrives, the server must not
// panic (handleSafe would log it) and must go on answering.
func FuzzServePacket(f *testing.F) {
	d, _ := dhcpv4.NewDiscovery(knownMAC, dhcpv4.WithOption(dhcpv4.OptClassIdentifier("PXEClient:Arch:00007:UNDI:003000")))
	f.Add(d.ToBytes())
	r, _ := dhcpv4.NewRequestFromOffer(d)
	f.Add(r.ToBytes())
	f.Add([]byte("not dhcp"))
	f.Add(make([]byte, 300))
	snap := testSnapshot(inventory.DHCPLimits{}, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		h := startServer(t, snap, func(c *dhcp.Config) { c.Workers = 1 })
		h.conn.in <- sent{b: b, addr: netip.MustParseAddrPort("198.51.100.9:68")}
		marker := discover(t, knownMAC)
		h.conn.send(t, marker)
		h.conn.until(t, marker.TransactionID)
		if strings.Contains(h.logs.String(), "panic") {
			t.Fatalf("packet %x made the server panic:\n%s", b, h.logs)
		}
	})
}

// TestServeRealSocketLifecycle runs Serve on a real loopback socket: a
// malformed datagram is survived and cancelling the context makes Serve
// return nil with the socket closed.
func TestServeRealSocketLifecycle(t *testing.T) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	store, _ := leases.Open("", leases.Options{})
	defer store.Close()
	snap := testSnapshot(inventory.DHCPLimits{}, false)
	srv, err := dhcp.NewServer(dhcp.Config{Snapshot: func() *inventory.Snapshot { return snap }, Leases: store})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn) }()
	c, err := net.Dial("udp4", conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("garbage")); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, _, err := conn.ReadFrom(make([]byte, 10)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("socket still open after Serve returned: %v", err)
	}
}

// failingConn returns an error other than ErrClosed on every read.
type failingConn struct{ *memConn }

func (failingConn) ReadFrom([]byte) (int, net.Addr, error) {
	return 0, nil, errors.New("connection refused")
}

func TestServeGivesUpOnAFailingSocket(t *testing.T) {
	store, _ := leases.Open("", leases.Options{})
	defer store.Close()
	srv, err := dhcp.NewServer(dhcp.Config{Snapshot: func() *inventory.Snapshot { return nil }, Leases: store, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Serve(context.Background(), failingConn{newMemConn(67)})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Serve on a socket that always fails = %v, want its error", err)
	}
}

// replyRecorder is a dhcp.Observer that keeps the replies it is told of.
type replyRecorder struct {
	mu      sync.Mutex
	replies []string
}

func (r *replyRecorder) DHCPPacket(string, string, string)                           {}
func (r *replyRecorder) RogueServer(string, netip.Addr, net.HardwareAddr, time.Time) {}
func (r *replyRecorder) DHCPExchange(dhcp.Exchange)                                  {}
func (r *replyRecorder) DHCPReply(replyType, class string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replies = append(r.replies, replyType+" "+class)
}

// TestServeObservesReplyWithItsClass: the metrics hear of each reply with
// the firmware class the decision served (here a BIOS PXE ROM, by option 60).
func TestServeObservesReplyWithItsClass(t *testing.T) {
	rec := &replyRecorder{}
	h := startServer(t, testSnapshot(inventory.DHCPLimits{}, false), func(c *dhcp.Config) { c.Observer = rec })
	d := discover(t, knownMAC)
	h.conn.send(t, d)
	h.conn.reply(t, d.TransactionID)
	waitFor(t, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.replies) > 0
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.replies[0] != "OFFER "+string(firmware.BIOS) {
		t.Errorf("observed %q, want the OFFER to a %s client", rec.replies, firmware.BIOS)
	}
}
