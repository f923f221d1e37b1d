package dhcp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/internal/netlab"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
)

// helperFlag as the first argument makes the test binary a DHCP server
// process (TestMain), so a test can kill -9 it: an in-process server cannot
// be killed without killing the test.
const helperFlag = "-bootyard-dhcp-helper"

// helperConfig is what the helper server reads from the file named after
// helperFlag.
type helperConfig struct {
	LeaseFile string
	Hosts     map[string]string // MAC -> reserved IP
}

// runHelperServer serves labSnap on eth0:67 of the namespace it was started
// in until SIGTERM (or SIGKILL, which is the point).
func runHelperServer(cfgPath string) int {
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var cfg helperConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var hosts []*inventory.Host
	for m, ip := range cfg.Hosts {
		mac, err := net.ParseMAC(m)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		hosts = append(hosts, host("h"+strconv.Itoa(len(hosts)), mac, ip))
	}
	snap := labSnap(nil, hosts...)
	store, err := leases.Open(cfg.LeaseFile, leases.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer store.Close()
	srv, err := dhcp.NewServer(dhcp.Config{
		Snapshot: func() *inventory.Snapshot { return snap },
		Leases:   store,
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Iface:    "eth0",
		ServerIP: snap.DHCP.ServerIP,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	conn, err := dhcp.Listen("eth0", 67)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fmt.Printf("serving, %d leases loaded\n", len(store.List()))
	if err := srv.Serve(ctx, conn); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// leaseWithNclient4 runs a full DORA for mac with the library's client from
// inside h's namespace and returns the address acknowledged.
func leaseWithNclient4(t *testing.T, h *netlab.Host, mac net.HardwareAddr) netip.Addr {
	t.Helper()
	var got netip.Addr
	err := h.Do(func() error {
		c, err := nclient4.New("eth0", nclient4.WithHWAddr(mac), nclient4.WithTimeout(2*time.Second), nclient4.WithRetry(5))
		if err != nil {
			return err
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		l, err := c.Request(ctx)
		if err != nil {
			return fmt.Errorf("DORA for %v: %w", mac, err)
		}
		if l.ACK.MessageType() != dhcpv4.MessageTypeAck {
			return fmt.Errorf("DORA for %v ended with %v", mac, l.ACK.MessageType())
		}
		got, _ = netip.AddrFromSlice(l.ACK.YourIPAddr.To4())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestLabLeasesSurviveKill9: twenty clients take pool addresses, then udhcpc
// takes the next one; the server process is killed with SIGKILL and
// restarted on the same lease file: udhcpc, starting from nothing, gets its
// same (non-first) address back, and a new client gets none of the 21 taken.
func TestLabLeasesSurviveKill9(t *testing.T) {
	netlab.Require(t, "udhcpc")
	lab := netlab.New(t)
	srvH := lab.Host("srv", "198.51.100.2/24")
	others := lab.Host("others")
	cli := lab.Host("cli")
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "helper.json")
	cfg, _ := json.Marshal(helperConfig{LeaseFile: filepath.Join(dir, "leases")})
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := srvH.Start(t, exe, helperFlag, cfgPath)
	if err := p.WaitFor(20*time.Second, "serving"); err != nil {
		t.Fatal(err)
	}

	taken := map[netip.Addr]bool{}
	for i := range 20 {
		ip := leaseWithNclient4(t, others, net.HardwareAddr{0x02, 0xd0, 0, 0, 0, byte(i)})
		if taken[ip] {
			t.Fatalf("%v handed out twice", ip)
		}
		taken[ip] = true
	}
	script, log := clientScript(t, t.TempDir())
	udhcpc := func() string {
		t.Helper()
		out, err := cli.Run(t, 60*time.Second, "udhcpc", "-q", "-n", "-f", "-i", "eth0", "-s", script, "-t", "10", "-T", "1", "-A", "1")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		evs := events(t, log)
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i]["event"] == "bound" {
				return evs[i]["ip"]
			}
		}
		t.Fatalf("udhcpc reported no lease:\n%s", out)
		return ""
	}
	first := inPool(t, udhcpc())
	if taken[first] || first == labPool.Start {
		t.Fatalf("udhcpc got %v: want a fresh address after the 20 taken", first)
	}

	if err := syscall.Kill(p.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(10 * time.Second); err == nil {
		t.Fatal("server exited cleanly; SIGKILL was expected to kill it")
	}
	p2 := srvH.Start(t, exe, helperFlag, cfgPath)
	if err := p2.WaitFor(20*time.Second, "serving, 21 leases loaded"); err != nil {
		t.Fatal(err)
	}
	// The client starts over: no address, no memory of its lease.
	if out, err := cli.Run(t, 5*time.Second, "ip", "addr", "flush", "dev", "eth0"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if again := udhcpc(); again != first.String() {
		t.Fatalf("after kill -9 and restart udhcpc got %s, before it had %v", again, first)
	}
	taken[first] = true
	if ip := leaseWithNclient4(t, others, net.HardwareAddr{0x02, 0xd0, 0, 0, 1, 0}); taken[ip] {
		t.Fatalf("after restart a new client got %v, which is leased to someone else", ip)
	}
}
