package dhcp

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// IPv6 router discovery (RFC 4861 4.1, 4.2, 6.1), only as much as ends a
// network-boot firmware's wait for a router: iPXE starts IPv6
// autoconfiguration next to DHCPv4 and, on a segment without an IPv6
// router, waits for its router solicitations to time out (about 13 s per
// iPXE stage) before it boots. An advertisement that offers nothing — no
// prefix, router lifetime 0 (not a default router), neither the managed
// nor the other-configuration flag (no DHCPv6) — ends that wait at once:
// iPXE finishes IPv6 configuration with a link-local address only.

const (
	etherTypeIPv6        = 0x86dd
	icmpv6Proto          = 58
	icmpv6RouterSolicit  = 133
	icmpv6RouterAdvert   = 134
	ndpOptSourceLinkAddr = 1
	ndpHopLimit          = 255 // RFC 4861: neighbour discovery never crosses a router
)

// allNodes is ff02::1, where an advertisement to a solicitation from the
// unspecified address goes (RFC 4861 6.2.6).
var allNodes = netip.MustParseAddr("ff02::1")

// routerSolicit is what an advertisement needs from a solicitation.
type routerSolicit struct {
	mac net.HardwareAddr // Ethernet source: the machine asking
	src netip.Addr       // IPv6 source: its link-local address, or ::
}

// parseRouterSolicit reads an Ethernet frame and reports whether it is a
// valid router solicitation (RFC 4861 6.1.1: hop limit 255, ICMPv6 code 0,
// at least 8 bytes; a solicitation from :: carries no link-layer option).
// Extension headers are not followed: firmware sends none.
func parseRouterSolicit(b []byte) (routerSolicit, bool) {
	if len(b) < 14+40+8 || binary.BigEndian.Uint16(b[12:14]) != etherTypeIPv6 {
		return routerSolicit{}, false
	}
	ip := b[14:]
	if ip[0]>>4 != 6 || ip[6] != icmpv6Proto || ip[7] != ndpHopLimit {
		return routerSolicit{}, false
	}
	plen := int(binary.BigEndian.Uint16(ip[4:6]))
	if plen < 8 || len(ip) < 40+plen {
		return routerSolicit{}, false
	}
	icmp := ip[40 : 40+plen]
	if icmp[0] != icmpv6RouterSolicit || icmp[1] != 0 {
		return routerSolicit{}, false
	}
	src := netip.AddrFrom16([16]byte(ip[8:24]))
	dst := netip.AddrFrom16([16]byte(ip[24:40]))
	if ^icmpv6Sum(src, dst, icmp) != 0 {
		return routerSolicit{}, false
	}
	mac := net.HardwareAddr(append([]byte(nil), b[6:12]...))
	if mac[0]&1 != 0 || (!src.IsUnspecified() && !src.IsLinkLocalUnicast()) {
		return routerSolicit{}, false
	}
	return routerSolicit{mac: mac, src: src}, true
}

// routerAdvert is the Ethernet frame answering rs from our link-local
// address ll and MAC: an advertisement with every field zero (hop limit
// unspecified, no flags, router lifetime 0, no reachable or retransmit
// time), our source link-layer address and no prefix. It goes to the
// soliciting MAC only, even when its IPv6 destination is ff02::1.
func routerAdvert(rs routerSolicit, ourMAC net.HardwareAddr, ll netip.Addr) []byte {
	dst := rs.src
	if !dst.IsValid() || dst.IsUnspecified() {
		dst = allNodes
	}
	icmp := make([]byte, 16+8)
	icmp[0] = icmpv6RouterAdvert
	// icmp[4:16]: cur hop limit 0, flags 0, router lifetime 0, reachable
	// time 0, retrans timer 0: "unspecified" and "not a default router".
	icmp[16], icmp[17] = ndpOptSourceLinkAddr, 1 // one 8-byte unit
	copy(icmp[18:24], ourMAC)
	binary.BigEndian.PutUint16(icmp[2:4], ^icmpv6Sum(ll, dst, icmp))

	f := make([]byte, 14+40+len(icmp))
	copy(f[0:6], rs.mac)
	copy(f[6:12], ourMAC)
	binary.BigEndian.PutUint16(f[12:14], etherTypeIPv6)
	ip := f[14:]
	ip[0] = 6 << 4
	binary.BigEndian.PutUint16(ip[4:6], uint16(len(icmp)))
	ip[6], ip[7] = icmpv6Proto, ndpHopLimit
	s16, d16 := ll.As16(), dst.As16()
	copy(ip[8:24], s16[:])
	copy(ip[24:40], d16[:])
	copy(ip[40:], icmp)
	return f
}

// icmpv6Sum is the one's complement sum of the IPv6 pseudo-header (RFC
// 8200 8.1) and msg; a message whose checksum field is filled in sums to
// 0xffff.
func icmpv6Sum(src, dst netip.Addr, msg []byte) uint16 {
	s16, d16 := src.As16(), dst.As16()
	var ln [8]byte
	binary.BigEndian.PutUint32(ln[0:4], uint32(len(msg)))
	ln[7] = icmpv6Proto
	sum := onesSum(0, s16[:])
	sum = onesSum(sum, d16[:])
	sum = onesSum(sum, ln[:])
	return onesSum(sum, msg)
}

// linkLocalOf is the address an interface without one would take from its
// MAC (modified EUI-64, RFC 4291 appendix A), used as the advertisement's
// source when the interface has no IPv6 link-local address of its own.
func linkLocalOf(mac net.HardwareAddr) netip.Addr {
	var a [16]byte
	a[0], a[1] = 0xfe, 0x80
	if len(mac) == 6 {
		a[8], a[9], a[10] = mac[0]^0x02, mac[1], mac[2]
		a[11], a[12] = 0xff, 0xfe
		a[13], a[14], a[15] = mac[3], mac[4], mac[5]
	}
	return netip.AddrFrom16(a)
}
