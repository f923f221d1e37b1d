package dhcp

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Prober finds out whether an address is already used on the segment.
type Prober interface {
	// Probe reports whether something answers for ip, and its hardware
	// address when it does.
	Probe(ctx context.Context, ip netip.Addr) (owner net.HardwareAddr, used bool, err error)
}

// ARPProber probes with an ARP request whose sender address is 0.0.0.0 (an
// "ARP probe", RFC 5227 2.1.1): it asks who has the address without claiming
// it, so no neighbour's ARP cache is changed if nobody does. A device with a
// static address in our pool answers it; ICMP echo (what dnsmasq sends) misses
// hosts whose firewall drops ping, ARP does not.
type ARPProber struct {
	Iface string
	// Wait is how long to wait for an answer; 0 means 300 ms.
	Wait time.Duration
}

// Probe sends one ARP probe for ip on p.Iface and waits for an answer.
func (p *ARPProber) Probe(ctx context.Context, ip netip.Addr) (net.HardwareAddr, bool, error) {
	if !ip.Is4() {
		return nil, false, fmt.Errorf("arp probe: %v is not IPv4", ip)
	}
	wait := p.Wait
	if wait <= 0 {
		wait = 300 * time.Millisecond
	}
	ifi, err := net.InterfaceByName(p.Iface)
	if err != nil {
		return nil, false, fmt.Errorf("arp probe: %w", err)
	}
	if len(ifi.HardwareAddr) != 6 {
		return nil, false, fmt.Errorf("arp probe: %s has no Ethernet address", p.Iface)
	}
	proto := htons(unix.ETH_P_ARP)
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(proto))
	if err != nil {
		return nil, false, fmt.Errorf("arp probe: packet socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi.Index}); err != nil {
		return nil, false, fmt.Errorf("arp probe: bind %s: %w", p.Iface, err)
	}
	// RFC 826 request: htype 1 (Ethernet), ptype IPv4, hlen 6, plen 4, op 1;
	// sender hardware = ours, sender protocol = 0.0.0.0 (RFC 5227 probe),
	// target hardware = zero, target protocol = ip.
	req := make([]byte, 28)
	binary.BigEndian.PutUint16(req[0:], 1)
	binary.BigEndian.PutUint16(req[2:], unix.ETH_P_IP)
	req[4], req[5] = 6, 4
	binary.BigEndian.PutUint16(req[6:], 1)
	copy(req[8:14], ifi.HardwareAddr)
	target := ip.As4()
	copy(req[24:28], target[:])
	bcast := &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi.Index, Halen: 6, Addr: [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	if err := unix.Sendto(fd, req, 0, bcast); err != nil {
		return nil, false, fmt.Errorf("arp probe: send on %s: %w", p.Iface, err)
	}
	deadline := time.Now().Add(wait)
	buf := make([]byte, 128)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, false, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		// Poll in short slices so a cancelled context ends the wait.
		ms := int(min(left, 50*time.Millisecond) / time.Millisecond)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, max(ms, 1))
		if err == unix.EINTR || n == 0 {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("arp probe: poll: %w", err)
		}
		m, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
		if err != nil {
			continue
		}
		if owner, ok := arpAnswer(buf[:m], target, ifi.HardwareAddr); ok {
			return owner, true, nil
		}
	}
}

// arpAnswer reports whether pkt shows someone else using target: a reply
// from target, or another host's probe or announcement for it (RFC 5227 2.1.1
// counts both as a conflict).
func arpAnswer(pkt []byte, target [4]byte, self net.HardwareAddr) (net.HardwareAddr, bool) {
	if len(pkt) < 28 || binary.BigEndian.Uint16(pkt[2:]) != unix.ETH_P_IP || pkt[4] != 6 || pkt[5] != 4 {
		return nil, false
	}
	sha := net.HardwareAddr(append([]byte(nil), pkt[8:14]...))
	if string(sha) == string(self) {
		return nil, false
	}
	op := binary.BigEndian.Uint16(pkt[6:])
	spa := [4]byte(pkt[14:18])
	tpa := [4]byte(pkt[24:28])
	switch {
	case op == 2 && spa == target:
		return sha, true
	case op == 1 && (spa == target || (spa == [4]byte{} && tpa == target)):
		return sha, true
	}
	return nil, false
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// probeTTL is how long a probe result is trusted. A client's DISCOVER
// retransmits and its REQUEST follow within seconds; a longer cache would
// hide a device that came up meanwhile.
const probeTTL = 30 * time.Second

// probeCache remembers recent probe results so retransmits do not wait again.
type probeCache struct {
	mu sync.Mutex
	m  map[netip.Addr]probeResult
}

type probeResult struct {
	owner net.HardwareAddr
	used  bool
	at    time.Time
}

func newProbeCache() *probeCache { return &probeCache{m: make(map[netip.Addr]probeResult)} }

func (c *probeCache) probe(ctx context.Context, p Prober, ip netip.Addr, now time.Time) (net.HardwareAddr, bool, error) {
	c.mu.Lock()
	if r, ok := c.m[ip]; ok && now.Sub(r.at) < probeTTL {
		c.mu.Unlock()
		return r.owner, r.used, nil
	}
	c.mu.Unlock()
	owner, used, err := p.Probe(ctx, ip)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	if len(c.m) >= 4096 {
		for k, r := range c.m {
			if now.Sub(r.at) >= probeTTL {
				delete(c.m, k)
			}
		}
	}
	if len(c.m) < 4096 {
		c.m[ip] = probeResult{owner: owner, used: used, at: now}
	}
	c.mu.Unlock()
	return owner, used, nil
}
