package dhcp_test

// Lab tests: bootyard's DHCP server on its real ports inside network
// namespaces (internal/netlab), answering real clients (dhclient, udhcpc,
// dnsmasq next to it, dhcrelay in front of it). They skip without root or a
// tool, and fail instead when BOOTYARD_E2E=1.

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/internal/netlab"
	"github.com/bootyard/bootyard/inventory"
)

func TestMain(m *testing.M) {
	// The durability test re-runs this binary as a server process it can
	// kill -9 (see helper_lab_test.go).
	if len(os.Args) > 2 && os.Args[1] == helperFlag {
		os.Exit(runHelperServer(os.Args[2]))
	}
	os.Exit(m.Run())
}

// labNet is the main segment's addressing.
var (
	labServer = netip.MustParseAddr("198.51.100.2")
	labRouter = netip.MustParseAddr("198.51.100.1")
	labSubnet = netip.MustParsePrefix("198.51.100.0/24")
	labPool   = inventory.Range{Start: netip.MustParseAddr("198.51.100.100"), End: netip.MustParseAddr("198.51.100.149")}
	labDNS    = netip.MustParseAddr("198.51.100.53")
)

// labSnap is the inventory used by the lab tests: an authoritative server with
// a pool, a BIOS boot file, and the given hosts.
func labSnap(mod func(*inventory.Snapshot), hosts ...*inventory.Host) *inventory.Snapshot {
	pool := labPool
	base := inventory.Snapshot{
		Interface: "eth0",
		DHCP: inventory.DHCP{
			Mode:      inventory.ModeAuthoritative,
			ServerIP:  labServer,
			Subnet:    labSubnet,
			Router:    labRouter,
			DNS:       []netip.Addr{labDNS},
			LeaseTime: time.Hour,
			Pool:      &pool,
		},
		Boot: map[firmware.Class]string{"bios": "pxelinux.0", "uefi-x64": "grubx64.efi", "ipxe": "boot.ipxe"},
	}
	if mod != nil {
		mod(&base)
	}
	for i, h := range hosts {
		h.Line = i + 1
	}
	return inventory.New(base, nil, hosts)
}

// labServerRun is an in-process server serving sockets opened inside a
// namespace.
type labServerRun struct {
	store *leases.Store
	snap  atomic.Pointer[inventory.Snapshot]
	logs  *lockedBuffer
}

// lockedBuffer collects log output from concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// nsProber runs the ARP probe with its socket opened inside the server's
// namespace (the test process itself lives in the root namespace, whose
// interfaces a lab test must never touch).
type nsProber struct {
	h *netlab.Host
	p dhcp.ARPProber
}

func (p *nsProber) Probe(ctx context.Context, ip netip.Addr) (owner net.HardwareAddr, used bool, err error) {
	derr := p.h.Do(func() error {
		owner, used, err = p.p.Probe(ctx, ip)
		return nil
	})
	if derr != nil {
		return nil, false, derr
	}
	return owner, used, err
}

// serveIn runs a server in h's namespace on the given ports (67, and 4011 for
// proxy mode) until the test ends.
func serveIn(t *testing.T, h *netlab.Host, snap *inventory.Snapshot, leasePath string, ports ...int) *labServerRun {
	t.Helper()
	if len(ports) == 0 {
		ports = []int{67}
	}
	store, err := leases.Open(leasePath, leases.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &labServerRun{store: store, logs: &lockedBuffer{}}
	r.snap.Store(snap)
	// Unicast replies leave on a packet socket of the server's namespace,
	// as cmd opens it in production.
	var link *dhcp.LinkConn
	if err := h.Do(func() (err error) { link, err = dhcp.ListenLink("eth0"); return }); err != nil {
		t.Fatalf("link socket in %s: %v", h.Name, err)
	}
	srv, err := dhcp.NewServer(dhcp.Config{
		Link:     link,
		Snapshot: r.snap.Load,
		Leases:   store,
		Logger:   slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Iface:    "eth0",
		ServerIP: snap.DHCP.ServerIP,
		Prober:   &nsProber{h: h, p: dhcp.ARPProber{Iface: "eth0"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, port := range ports {
		var conn *net.UDPConn
		if err := h.Do(func() (err error) { conn, err = dhcp.Listen("eth0", port); return }); err != nil {
			cancel()
			t.Fatalf("listen on port %d in %s: %v", port, h.Name, err)
		}
		wg.Go(func() {
			if err := srv.Serve(ctx, conn); err != nil {
				t.Errorf("Serve port %d: %v", port, err)
			}
		})
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		link.Close()
		store.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", r.logs)
		}
	})
	return r
}

// scriptEnv is a client script's recorded environment for one event.
type scriptEnv map[string]string

// clientScript writes a shell script for dhclient (-sf) or udhcpc (-s) that
// appends its environment to a log (one block per call) and configures the
// address, so that renewals can be sent by unicast from it. It only ever
// touches the namespace's eth0 and the temp dir.
func clientScript(t *testing.T, dir string) (script, log string) {
	t.Helper()
	script = filepath.Join(dir, "script.sh")
	log = filepath.Join(dir, "events.log")
	body := `#!/bin/sh
# Written by bootyard's lab tests. dhclient passes $reason, udhcpc passes $1.
ev="${reason:-$1}"
{
	echo "event=$ev"
	env | sort
	echo "--"
} >> ` + log + `
case "$ev" in
PREINIT) ip link set dev "$interface" up ;;
BOUND|RENEW|REBIND|REBOOT)
	ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
bound|renew)
	ip addr replace "$ip/$mask" dev "$interface" 2>/dev/null || ip addr replace "$ip/24" dev "$interface" ;;
deconfig) ip addr flush dev "$interface"; ip link set dev "$interface" up ;;
esac
exit 0
`
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, log
}

// events parses the script log.
func events(t *testing.T, log string) []scriptEnv {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []scriptEnv
	cur := scriptEnv{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "--" {
			out = append(out, cur)
			cur = scriptEnv{}
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			cur[k] = v
		}
	}
	return out
}

// waitEvent waits until the script has logged an event of one of the names
// (after the first skip events) and returns it.
func waitEvent(t *testing.T, log string, skip int, names ...string) (scriptEnv, int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		evs := events(t, log)
		for i := skip; i < len(evs); i++ {
			for _, n := range names {
				if evs[i]["event"] == n {
					return evs[i], i + 1
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("client script never reported %v; events: %v", names, events(t, log))
	return nil, 0
}

func wantEnv(t *testing.T, ev scriptEnv, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("client got %s=%q, want %q (event %s)", k, ev[k], v, ev["event"])
		}
	}
}

func inPool(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil || !labPool.Contains(a) {
		t.Fatalf("client address %q is not in the pool %v-%v", s, labPool.Start, labPool.End)
	}
	return a
}

// wantAddress checks the address a client bound: its reservation when it
// has one (want), otherwise an address from the pool.
func wantAddress(t *testing.T, client, got, want string) {
	t.Helper()
	if want == "" {
		inPool(t, got)
		return
	}
	if got != want {
		t.Fatalf("%s bound %s, want the reservation %s", client, got, want)
	}
}

func host(name string, mac net.HardwareAddr, ip string) *inventory.Host {
	h := &inventory.Host{Name: name, MAC: mac}
	if ip != "" {
		h.IP = netip.MustParseAddr(ip)
	}
	return h
}

// waitLog waits until the server log contains substr: the server logs a
// reply just after sending it, so a client can report it first.
func (r *labServerRun) waitLog(t *testing.T, substr string) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.logs.String(), substr) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
