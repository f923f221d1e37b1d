package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A Host is one network namespace of a lab: a machine with an interface on a
// segment (or, for Lab.Switch, the switch itself).
type Host struct {
	// Name is the name the test gave the host.
	Name string
	// NS is the network namespace's name, as `ip netns` lists it.
	NS string
	// Iface is the host's interface on its segment: eth0 (br0 for the switch).
	Iface string

	lab   *Lab
	mu    sync.Mutex
	addrs []netip.Prefix
}

// Addr returns the first address the host was given, or the zero Addr for a
// host meant to get its address by DHCP.
func (h *Host) Addr() netip.Addr {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.addrs) == 0 {
		return netip.Addr{}
	}
	return h.addrs[0].Addr()
}

// MAC returns the hardware address of the host's Iface, the key a DHCP
// reservation for this host needs. It fails the test when it cannot be read.
func (h *Host) MAC() net.HardwareAddr {
	h.lab.t.Helper()
	var mac net.HardwareAddr
	err := h.Do(func() error {
		ifi, err := net.InterfaceByName(h.Iface)
		if err != nil {
			return err
		}
		mac = ifi.HardwareAddr
		return nil
	})
	if err != nil {
		h.lab.t.Fatalf("netlab: MAC of %s: %v", h.Name, err)
	}
	return mac
}

// IfaceAddrs returns the IPv4 and IPv6 addresses Iface has right now,
// including any a DHCP client in the host configured (Addr only knows the
// ones the test gave). It fails the test when they cannot be read.
func (h *Host) IfaceAddrs() []netip.Prefix {
	h.lab.t.Helper()
	var got []netip.Prefix
	err := h.Do(func() error {
		ifi, err := net.InterfaceByName(h.Iface)
		if err != nil {
			return err
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				got = append(got, p)
			}
		}
		return nil
	})
	if err != nil {
		h.lab.t.Fatalf("netlab: addresses of %s: %v", h.Name, err)
	}
	return got
}

// AddAddr gives the host's Iface another address (CIDR notation); the first
// one given is what Addr returns. It fails the test on error.
func (h *Host) AddAddr(cidr string) {
	h.lab.t.Helper()
	if err := h.addAddr(h.Iface, cidr); err != nil {
		h.lab.t.Fatalf("netlab: %s: %v", h.Name, err)
	}
}

// addAddr adds cidr to iface, with the subnet broadcast address set so that
// sockets sending to it (a DHCP relay's or a test's) have a route.
func (h *Host) addAddr(iface, cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return fmt.Errorf("address %q: want CIDR like 198.51.100.2/24: %w", cidr, err)
	}
	args := []string{"-n", h.NS, "addr", "add", p.String(), "dev", iface}
	if p.Addr().Is4() && p.Bits() < 31 {
		args = append(args, "brd", "+")
	}
	if err := ip(args...); err != nil {
		return err
	}
	h.mu.Lock()
	h.addrs = append(h.addrs, p)
	h.mu.Unlock()
	return nil
}

// Route adds a route to dst (CIDR or "default") via the gateway address via.
// It fails the test on error.
func (h *Host) Route(dst, via string) {
	h.lab.t.Helper()
	if err := ip("-n", h.NS, "route", "add", dst, "via", via); err != nil {
		h.lab.t.Fatalf("netlab: route on %s: %v", h.Name, err)
	}
}

// Command returns a command that runs inside the host's namespace (through
// `ip netns exec`, which execs it: the pid is the command's own). It runs in
// its own process group, killed as a whole when ctx is done, and dies with
// the test process.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error {
		// The group id is the pid (Setpgid): children go too.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	// A daemon the command forked may hold its output pipe open; do not
	// let that keep Wait blocked forever.
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// Run runs a command inside the host's namespace, bounded by timeout, and
// returns its combined output. The error tells a timeout apart from a
// failure exit.
func (h *Host) Run(t testing.TB, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := h.Command(ctx, name, args...).CombinedOutput()
	line := strings.Join(append([]string{name}, args...), " ")
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("%s on %s: timed out after %v", line, h.Name, timeout)
	}
	if err != nil {
		return string(out), fmt.Errorf("%s on %s: %w", line, h.Name, err)
	}
	return string(out), nil
}

// Do runs fn on an OS thread switched into the host's namespace. Sockets fn
// opens stay in that namespace for their whole life, so a test can open a
// socket on UDP port 67 here and serve it from any goroutine. Goroutines fn
// starts run outside the namespace. fn must not keep the thread (it runs on a
// goroutine of its own that ends when fn returns).
func (h *Host) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		// Lock before looking at the namespace: the runtime must not move
		// this goroutine, nor start other goroutines on this thread, until
		// the thread is back where it came from.
		runtime.LockOSThread()
		back, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: own namespace: %w", err)
			return
		}
		defer back.Close()
		target, err := os.Open("/run/netns/" + h.NS)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: namespace of %s: %w", h.Name, err)
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: enter %s: %w", h.NS, err)
			return
		}
		ferr := callSafely(fn)
		if err := unix.Setns(int(back.Fd()), unix.CLONE_NEWNET); err != nil {
			// Stay locked: a goroutine that exits locked takes its
			// thread with it, so no other goroutine ever runs in the
			// wrong namespace.
			errc <- errors.Join(ferr, fmt.Errorf("netlab: leave %s: %w", h.NS, err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// callSafely runs fn and turns a panic into an error, so a bug in test code
// run by Do fails that test instead of leaving a thread in a namespace.
func callSafely(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("netlab: panic in Do: %v\n%s", r, debug.Stack())
		}
	}()
	return fn()
}
