package netlab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// nsPrefix starts every namespace netlab creates; sweepStale relies on the
// pid that follows it.
const nsPrefix = "by"

// etcNetns is where `ip netns exec` looks for per-namespace /etc files.
const etcNetns = "/etc/netns"

// cmdTimeout bounds every ip invocation the lab makes itself.
const cmdTimeout = 10 * time.Second

// validName keeps names short and safe inside namespace and interface names.
var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,19}$`)

// A Lab is one test's LAN: a switch namespace with the bridge br0 (the main
// segment), any further segments, and the host namespaces plugged into them.
// Everything is removed when the test that made it ends.
type Lab struct {
	t      testing.TB
	prefix string // "by<pid>-<id>-"
	sw     *Host

	mu      sync.Mutex
	ports   int                // veth ports made so far: names v1, v2, ... in the switch
	bridges int                // extra segments made so far: br1, br2, ...
	names   map[string]bool    // host, segment and tap names in use
	hosts   []*Host            // in creation order, for teardown
	procs   map[*Proc]struct{} // running processes, stopped before teardown
}

// A Segment is an extra L2 segment: its own bridge in the switch namespace,
// not connected to br0 except through a Router.
type Segment struct {
	// Name is the name the test gave the segment.
	Name string
	// Bridge is the bridge device in the switch namespace.
	Bridge string
	lab    *Lab
}

// New builds an empty lab for t: the switch namespace and its bridge br0, up
// and forwarding at once (no STP, no forward delay, no multicast snooping, so
// the first DHCPDISCOVER is not lost to a listening port). It skips or fails t
// like Require when the machine cannot build one. Labs left behind by dead
// test processes are removed first.
func New(t testing.TB) *Lab {
	t.Helper()
	Require(t)
	sweepStale(t)

	id := make([]byte, 3)
	if _, err := rand.Read(id); err != nil {
		t.Fatalf("netlab: lab id: %v", err)
	}
	l := &Lab{
		t:      t,
		prefix: fmt.Sprintf("%s%d-%s-", nsPrefix, os.Getpid(), hex.EncodeToString(id)),
		names:  map[string]bool{},
		procs:  map[*Proc]struct{}{},
	}
	l.sw = &Host{Name: "switch", NS: l.prefix + "switch", Iface: "br0", lab: l}
	t.Cleanup(l.teardown)

	// Listed before it exists: teardown removes whatever part was made.
	l.hosts = append(l.hosts, l.sw)
	if err := l.newNS(l.sw.NS); err != nil {
		t.Fatalf("netlab: %v", err)
	}
	if err := l.addBridge("br0"); err != nil {
		t.Fatalf("netlab: %v", err)
	}
	return l
}

// Switch returns the switch namespace as a Host: run qemu (with Tap devices)
// and tcpdump (on br0) there. Its Iface is br0, which has no address.
func (l *Lab) Switch() *Host { return l.sw }

// Host adds a namespace on the main segment with eth0 holding cidrs (none: a
// DHCP client to be) and lo up.
func (l *Lab) Host(name string, cidrs ...string) *Host {
	l.t.Helper()
	return l.host(name, "br0", cidrs)
}

// Segment adds a second L2 segment, a separate bridge in the switch namespace.
func (l *Lab) Segment(name string) *Segment {
	l.t.Helper()
	l.claim("segment", name)
	l.mu.Lock()
	l.bridges++
	br := fmt.Sprintf("br%d", l.bridges)
	l.mu.Unlock()
	if err := l.addBridge(br); err != nil {
		l.t.Fatalf("netlab: segment %s: %v", name, err)
	}
	return &Segment{Name: name, Bridge: br, lab: l}
}

// Host adds a namespace on segment s with eth0 holding cidrs (none: a DHCP
// client to be).
func (s *Segment) Host(name string, cidrs ...string) *Host {
	s.lab.t.Helper()
	return s.lab.host(name, s.Bridge, cidrs)
}

// Router adds a namespace with eth0 on the main segment (mainCIDR) and eth1
// on seg (segCIDR), forwarding IPv4 between them: the place to run a DHCP
// relay, or to reach a server on main from clients on seg.
func (l *Lab) Router(name string, seg *Segment, mainCIDR, segCIDR string) *Host {
	l.t.Helper()
	h := l.host(name, "br0", []string{mainCIDR})
	if err := l.plug(h, "eth1", seg.Bridge, []string{segCIDR}); err != nil {
		l.t.Fatalf("netlab: router %s: %v", name, err)
	}
	if err := h.Do(func() error { return writeSysctl("net/ipv4/ip_forward", "1") }); err != nil {
		l.t.Fatalf("netlab: router %s: %v", name, err)
	}
	return h
}

// Tap adds a tap device named "tap"+name to br0 and returns its name, for
// qemu's -netdev tap,ifname=NAME,script=no,downscript=no run in Switch().
// The port stays without carrier until qemu opens the device.
func (l *Lab) Tap(name string) string {
	l.t.Helper()
	l.claim("tap", name)
	dev := "tap" + name
	if len(dev) > 15 {
		l.t.Fatalf("netlab: tap name %q: device name %q is longer than 15 bytes", name, dev)
	}
	ns := l.sw.NS
	for _, args := range [][]string{
		{"-n", ns, "tuntap", "add", dev, "mode", "tap"},
		{"-n", ns, "link", "set", dev, "master", "br0", "up"},
	} {
		if err := ip(args...); err != nil {
			l.t.Fatalf("netlab: tap %s: %v", name, err)
		}
	}
	return dev
}

// host creates the namespace for a host and plugs its eth0 into bridge.
func (l *Lab) host(name, bridge string, cidrs []string) *Host {
	l.t.Helper()
	l.claim("host", name)
	h := &Host{Name: name, NS: l.prefix + name, Iface: "eth0", lab: l}
	l.mu.Lock()
	l.hosts = append(l.hosts, h) // before it exists: teardown copes with either
	l.mu.Unlock()
	if err := l.newNS(h.NS); err != nil {
		l.t.Fatalf("netlab: host %s: %v", name, err)
	}
	if err := l.plug(h, "eth0", bridge, cidrs); err != nil {
		l.t.Fatalf("netlab: host %s: %v", name, err)
	}
	return h
}

// claim reserves a name of a kind (host, segment, tap) in the lab, failing
// the test on a bad or repeated one. Hosts and namespaces share one space, so
// "switch" is taken from the start.
func (l *Lab) claim(kind, name string) {
	l.t.Helper()
	if !validName.MatchString(name) {
		l.t.Fatalf("netlab: %s name %q: want 1-20 of [a-z0-9-], starting with a letter or digit", kind, name)
	}
	key := kind + ":" + name
	if kind == "host" && name == "switch" {
		l.t.Fatalf("netlab: host name %q is the switch namespace's", name)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.names[key] {
		l.t.Fatalf("netlab: %s name %q used twice in one lab", kind, name)
	}
	l.names[key] = true
}

// newNS creates a namespace and sets the sysctls every lab namespace shares:
// IPv6 off, so captures hold only the IPv4 we test (no router solicitations,
// MLD reports or DAD), and reverse-path filtering off, which new namespaces
// otherwise inherit from the host and which drops relayed and 0.0.0.0-sourced
// DHCP traffic in some topologies.
func (l *Lab) newNS(ns string) error {
	if err := ip("netns", "add", ns); err != nil {
		return err
	}
	if err := privateEtc(ns); err != nil {
		return err
	}
	h := &Host{NS: ns}
	if err := ip("-n", ns, "link", "set", "lo", "up"); err != nil {
		return err
	}
	return h.Do(func() error {
		for _, kv := range [][2]string{
			{"net/ipv6/conf/all/disable_ipv6", "1"},
			{"net/ipv6/conf/default/disable_ipv6", "1"},
		} {
			// A kernel without IPv6 has no such files: nothing to turn off.
			if err := writeSysctl(kv[0], kv[1]); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		for _, key := range []string{"net/ipv4/conf/all/rp_filter", "net/ipv4/conf/default/rp_filter"} {
			if err := writeSysctl(key, "0"); err != nil {
				return err
			}
		}
		return nil
	})
}

// privateEtc gives a namespace its own /etc/resolv.conf. `ip netns exec`
// bind-mounts the files of /etc/netns/NAME over /etc, so a DHCP client's
// hook script run in a lab host (dhclient-script, udhcpc's default.script)
// rewrites this copy instead of the machine's resolver configuration.
func privateEtc(ns string) error {
	dir := filepath.Join(etcNetns, ns)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("private /etc for %s: %w", ns, err)
	}
	conf := "# resolv.conf of netlab namespace " + ns + " (the machine's own is untouched)\n"
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(conf), 0o644); err != nil {
		return fmt.Errorf("private /etc for %s: %w", ns, err)
	}
	return nil
}

// addBridge creates a bridge in the switch namespace that forwards at once.
func (l *Lab) addBridge(br string) error {
	ns := l.sw.NS
	if err := ip("-n", ns, "link", "add", br, "type", "bridge",
		"forward_delay", "0", "stp_state", "0", "mcast_snooping", "0"); err != nil {
		return err
	}
	return ip("-n", ns, "link", "set", br, "up")
}

// plug connects host h to bridge with a veth pair whose host end is born in
// h's namespace as iface, gives it cidrs and waits until it forwards.
func (l *Lab) plug(h *Host, iface, bridge string, cidrs []string) error {
	l.mu.Lock()
	l.ports++
	port := fmt.Sprintf("v%d", l.ports)
	l.mu.Unlock()
	sw := l.sw.NS
	steps := [][]string{
		{"-n", sw, "link", "add", port, "type", "veth", "peer", "name", iface, "netns", h.NS},
		{"-n", sw, "link", "set", port, "master", bridge, "up"},
		{"-n", h.NS, "link", "set", iface, "up"},
	}
	for _, args := range steps {
		if err := ip(args...); err != nil {
			return err
		}
	}
	for _, cidr := range cidrs {
		if err := h.addAddr(iface, cidr); err != nil {
			return err
		}
	}
	return waitForwarding(sw, port)
}

// waitForwarding waits, bounded, until a bridge port is up and forwarding.
// With forward delay 0 this is immediate in practice; the check turns a
// kernel surprise into a clear error instead of a lost first packet.
func waitForwarding(ns, port string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := ipOut("-n", ns, "-d", "-o", "link", "show", "dev", port)
		if err == nil && strings.Contains(out, "LOWER_UP") && strings.Contains(out, "state forwarding") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bridge port %s in %s not forwarding after 5s: %s %v", port, ns, out, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ip runs the ip command with a bounded time.
func ip(args ...string) error {
	_, err := ipOut(args...)
	return err
}

// ipOut runs the ip command with a bounded time and returns its output.
func ipOut(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// writeSysctl sets a sysctl of the calling thread's network namespace: the
// kernel resolves /proc/sys/net through the opening thread, which is why this
// runs inside Host.Do.
func writeSysctl(key, value string) error {
	if err := os.WriteFile("/proc/sys/"+key, []byte(value), 0); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", key, value, err)
	}
	return nil
}
