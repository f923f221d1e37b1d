package netlab

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPingAcrossBridgeNotAcrossSegments(t *testing.T) {
	Require(t, "ping")
	t.Parallel()
	lab := New(t)
	a := lab.Host("a", "198.51.100.10/24")
	b := lab.Host("b", "198.51.100.11/24")
	seg := lab.Segment("other")
	c := seg.Host("c", "198.51.100.12/24")

	if got, want := b.Addr(), netip.MustParseAddr("198.51.100.11"); got != want {
		t.Errorf("b.Addr() = %v, want %v", got, want)
	}
	if out, err := a.Run(t, 20*time.Second, "ping", "-c", "1", "-W", "5", b.Addr().String()); err != nil {
		t.Fatalf("a cannot ping b on the same segment: %v\n%s", err, out)
	}
	// Same subnet, other bridge: no L2 path, so no answer.
	if out, err := a.Run(t, 20*time.Second, "ping", "-c", "1", "-W", "1", c.Addr().String()); err == nil {
		t.Fatalf("a reached c on a separate segment:\n%s", out)
	}
}

func TestRouterForwardsBetweenSegments(t *testing.T) {
	Require(t, "ping")
	t.Parallel()
	lab := New(t)
	seg := lab.Segment("lan2")
	r := lab.Router("r", seg, "198.51.100.1/24", "203.0.113.1/24")
	srv := lab.Host("srv", "198.51.100.2/24")
	cli := seg.Host("cli", "203.0.113.2/24")

	if out, err := r.Run(t, 10*time.Second, "cat", "/proc/sys/net/ipv4/ip_forward"); err != nil || strings.TrimSpace(out) != "1" {
		t.Fatalf("router ip_forward = %q (%v), want 1", out, err)
	}
	cli.Route("default", "203.0.113.1")
	srv.Route("203.0.113.0/24", "198.51.100.1")
	out, err := cli.Run(t, 20*time.Second, "ping", "-c", "1", "-W", "5", srv.Addr().String())
	if err != nil {
		t.Fatalf("cli on lan2 cannot reach srv on main through the router: %v\n%s", err, out)
	}
	// One hop: the reply's TTL was decremented once on the way back.
	if !strings.Contains(out, "ttl=63") {
		t.Errorf("reply did not cross one router (want ttl=63):\n%s", out)
	}
}

// TestDoBroadcastCrossesBridge sends what a DHCP client sends, a datagram
// from 0.0.0.0:68 to 255.255.255.255:67, from an unaddressed host, and
// expects sockets opened by Do in two other namespaces to receive it.
func TestDoBroadcastCrossesBridge(t *testing.T) {
	t.Parallel()
	lab := New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	peer := lab.Host("peer", "198.51.100.3/24")
	cli := lab.Host("cli")

	listen := func(h *Host) net.PacketConn {
		t.Helper()
		var conn net.PacketConn
		err := h.Do(func() (err error) {
			ifs, err := net.Interfaces()
			if err != nil {
				return err
			}
			var names []string
			for _, ifi := range ifs {
				names = append(names, ifi.Name)
			}
			if got := strings.Join(names, ","); got != "lo,eth0" {
				t.Errorf("interfaces seen inside %s = %s, want lo,eth0", h.Name, got)
			}
			conn, err = net.ListenPacket("udp4", "0.0.0.0:67")
			return err
		})
		if err != nil {
			t.Fatalf("listen on %s: %v", h.Name, err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	srvConn, peerConn := listen(srv), listen(peer)

	msg := []byte("DISCOVER from nowhere")
	err := cli.Do(func() error {
		lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptString(int(fd), syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, "eth0")
			}); err != nil {
				return err
			}
			return serr
		}}
		conn, err := lc.ListenPacket(t.Context(), "udp4", "0.0.0.0:68")
		if err != nil {
			return err
		}
		defer conn.Close()
		_, err = conn.WriteTo(msg, &net.UDPAddr{IP: net.IPv4bcast, Port: 67})
		return err
	})
	if err != nil {
		t.Fatalf("broadcast from cli: %v", err)
	}

	for name, conn := range map[string]net.PacketConn{"srv": srvConn, "peer": peerConn} {
		buf := make([]byte, 1500)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			t.Errorf("%s: no broadcast received: %v", name, err)
			continue
		}
		if !bytes.Equal(buf[:n], msg) {
			t.Errorf("%s received %q, want %q", name, buf[:n], msg)
		}
		if got := from.String(); got != "0.0.0.0:68" {
			t.Errorf("%s: datagram from %s, want 0.0.0.0:68", name, got)
		}
	}
}

func TestMACMatchesInterface(t *testing.T) {
	t.Parallel()
	lab := New(t)
	h := lab.Host("h", "198.51.100.5/24")
	out, err := h.Run(t, 10*time.Second, "cat", "/sys/class/net/eth0/address")
	if err != nil {
		t.Fatalf("read address: %v\n%s", err, out)
	}
	if got, want := h.MAC().String(), strings.TrimSpace(out); got != want || got == "" {
		t.Errorf("MAC() = %q, interface has %q", got, want)
	}
}

func TestAddrsGivenAndLive(t *testing.T) {
	t.Parallel()
	lab := New(t)
	h := lab.Host("h", "198.51.100.5/24")
	h.AddAddr("203.0.113.5/24")
	// As a DHCP client's script would: behind netlab's back.
	if out, err := h.Run(t, 10*time.Second, "ip", "addr", "add", "198.51.100.77/24", "dev", "eth0"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got, want := h.Addr(), netip.MustParseAddr("198.51.100.5"); got != want {
		t.Errorf("Addr() = %v, want the first given, %v", got, want)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("198.51.100.5/24"),
		netip.MustParsePrefix("203.0.113.5/24"),
		netip.MustParsePrefix("198.51.100.77/24"),
	}
	if diff := cmp.Diff(want, h.IfaceAddrs(), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("IfaceAddrs() (-want +got):\n%s", diff)
	}
	if got := lab.Host("dhcp").Addr(); got.IsValid() {
		t.Errorf("Addr() of a host given no address = %v, want the zero Addr", got)
	}
}

func TestStartWaitForStop(t *testing.T) {
	t.Parallel()
	lab := New(t)
	h := lab.Host("h", "198.51.100.9/24")

	p := h.Start(t, "sh", "-c", "ip -o addr show dev eth0; echo ready; exec sleep 600")
	if err := p.WaitFor(10*time.Second, "ready"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Output(), "198.51.100.9/24") {
		t.Errorf("process does not run in the host's namespace; output:\n%s", p.Output())
	}
	if !alive(p.Pid()) {
		t.Fatalf("pid %d not alive after ready", p.Pid())
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if alive(p.Pid()) {
		t.Errorf("pid %d alive after Stop", p.Pid())
	}

	// A process that ignores SIGTERM is killed anyway.
	stubborn := h.Start(t, "sh", "-c", `trap "" TERM; echo ready; while :; do sleep 1; done`)
	if err := stubborn.WaitFor(10*time.Second, "ready"); err != nil {
		t.Fatal(err)
	}
	if err := stubborn.Stop(); err != nil {
		t.Fatalf("Stop of a SIGTERM-ignoring process: %v", err)
	}
	if alive(stubborn.Pid()) {
		t.Errorf("pid %d alive after Stop", stubborn.Pid())
	}

	// WaitFor gives up as soon as the process has exited.
	quitter := h.Start(t, "sh", "-c", "echo bye; exit 3")
	err := quitter.WaitFor(time.Minute, "never printed")
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "bye") {
		t.Errorf("WaitFor on an exited process = %v, want an exit error with its output", err)
	}
	var exitErr *exec.ExitError
	if err := quitter.Wait(10 * time.Second); !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Errorf("Wait = %v, want exit status 3", err)
	}
}

func TestCleanupLeavesNothing(t *testing.T) {
	Require(t, "setsid")
	t.Parallel()
	pidFile := t.TempDir() + "/daemon.pid"
	var namespaces []string
	var procPid int
	t.Run("lab", func(t *testing.T) {
		lab := New(t)
		h := lab.Host("h", "198.51.100.20/24")
		seg := lab.Segment("s")
		r := lab.Router("r", seg, "198.51.100.1/24", "203.0.113.1/24")
		lab.Tap("vm")
		namespaces = []string{lab.Switch().NS, h.NS, r.NS}
		procPid = h.Start(t, "sleep", "600").Pid()
		// A daemon that left the process group: only the namespace
		// teardown can find it.
		out, err := h.Run(t, 10*time.Second, "sh", "-c",
			"setsid sh -c 'echo $$ > "+pidFile+"; exec sleep 600' </dev/null >/dev/null 2>&1 &")
		if err != nil {
			t.Fatalf("start daemon: %v\n%s", err, out)
		}
		waitUntil(t, func() bool {
			b, err := os.ReadFile(pidFile)
			return err == nil && strings.HasSuffix(string(b), "\n")
		})
	})

	list, err := ipOut("netns", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range namespaces {
		if strings.Contains(list, ns) {
			t.Errorf("namespace %s still exists after the test:\n%s", ns, list)
		}
	}
	for _, ns := range namespaces {
		if _, err := os.Stat(filepath.Join(etcNetns, ns)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("private /etc of %s still there after the test (stat: %v)", ns, err)
		}
	}
	if alive(procPid) {
		t.Errorf("started process %d still alive after the test", procPid)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	daemon, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if alive(daemon) {
		t.Errorf("daemon %d that escaped the process group still alive after the test", daemon)
	}
}

func TestNewSweepsStaleLabs(t *testing.T) {
	Require(t)
	// A pid that surely belongs to no process: one that just exited.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := "by" + strconv.Itoa(dead.Process.Pid) + "-dead00-switch"
	live := "by" + strconv.Itoa(os.Getpid()) + "-beef00-keep"
	// Only the /etc folder left: the namespace itself was already gone.
	staleEtc := filepath.Join(etcNetns, "by"+strconv.Itoa(dead.Process.Pid)+"-dead00-h")
	if err := os.MkdirAll(staleEtc, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(staleEtc) })
	for _, ns := range []string{stale, live} {
		if err := ip("netns", "add", ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = removeNS(ns) })
	}
	// A leftover server still running in the stale lab.
	leftover := exec.Command("ip", "netns", "exec", stale, "sh", "-c", "echo up; exec sleep 600")
	stdout, err := leftover.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := leftover.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		// Read "up" first: Wait closes the pipe.
		b := make([]byte, 3)
		_, _ = io.ReadFull(stdout, b)
		exited <- leftover.Wait()
	}()
	waitUntil(t, func() bool {
		out, _ := ipOut("netns", "pids", stale)
		return strings.TrimSpace(out) != ""
	})

	New(t)

	if _, err := os.Stat("/run/netns/" + stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale namespace %s not swept (stat: %v)", stale, err)
	}
	if _, err := os.Stat(staleEtc); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale /etc folder %s not swept (stat: %v)", staleEtc, err)
	}
	if _, err := os.Stat("/run/netns/" + live); err != nil {
		t.Errorf("namespace %s of a live process was swept: %v", live, err)
	}
	select {
	case err := <-exited:
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Errorf("process in the stale namespace ended with %v, want killed by SIGKILL", err)
		}
	case <-time.After(30 * time.Second):
		_ = leftover.Process.Kill()
		t.Errorf("process in the stale namespace was not killed")
	}
}

func TestMissingNamesWhatIsMissing(t *testing.T) {
	msg := missing([]string{"no-such-tool-bootyard"})
	if !strings.Contains(msg, "missing: ") || !strings.Contains(msg, "no-such-tool-bootyard") {
		t.Errorf("missing() = %q, want it to name no-such-tool-bootyard as missing", msg)
	}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("ip"); err == nil {
			if msg := missing([]string{"sh"}); msg != "" {
				t.Errorf("missing(sh) as root with ip = %q, want empty", msg)
			}
		}
	}
}

// waitUntil polls cond, bounded, for conditions no event announces.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCaptureSeesUnicastBetweenHosts(t *testing.T) {
	Require(t, "ping", "tcpdump")
	t.Parallel()
	lab := New(t)
	a := lab.Host("a", "198.51.100.30/24")
	b := lab.Host("b", "198.51.100.31/24")
	capture := lab.Capture(t, "icmp")
	if out, err := a.Run(t, 20*time.Second, "ping", "-c", "1", "-W", "5", b.Addr().String()); err != nil {
		t.Fatalf("ping: %v\n%s", err, out)
	}
	// The reply is unicast from b to a: seen only thanks to promiscuous br0.
	if err := capture.WaitFor(10*time.Second, "198.51.100.31 > 198.51.100.30: ICMP echo reply"); err != nil {
		t.Error(err)
	}
	if !strings.Contains(capture.Output(), b.MAC().String()) {
		t.Errorf("capture lacks b's MAC %s (-e):\n%s", b.MAC(), capture.Output())
	}
}

func TestTapIsABridgePort(t *testing.T) {
	t.Parallel()
	lab := New(t)
	tap := lab.Tap("vm0")
	out, err := ipOut("-n", lab.Switch().NS, "-d", "-o", "link", "show", "dev", tap)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"master br0", "tun type tap", "bridge_slave"} {
		if !strings.Contains(out, want) {
			t.Errorf("tap %s lacks %q:\n%s", tap, want, out)
		}
	}
}

// TestHostsHaveTheirOwnResolvConf guards the machine: a DHCP client's hook
// script run in a lab host rewrites /etc/resolv.conf, and must not rewrite
// the machine's.
func TestHostsHaveTheirOwnResolvConf(t *testing.T) {
	Require(t)
	before, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if now, err := os.ReadFile("/etc/resolv.conf"); err == nil && !bytes.Equal(now, before) {
			t.Errorf("the machine's /etc/resolv.conf was changed by a lab host; restoring it")
			os.WriteFile("/etc/resolv.conf", before, 0o644)
		}
	})
	lab := New(t)
	h := lab.Host("h")
	out, err := h.Run(t, 10*time.Second, "sh", "-c", "echo nameserver 198.51.100.53 > /etc/resolv.conf && cat /etc/resolv.conf")
	if err != nil {
		t.Fatalf("write resolv.conf in the host: %v\n%s", err, out)
	}
	if !strings.Contains(out, "198.51.100.53") {
		t.Errorf("host does not see what it wrote:\n%s", out)
	}
}
