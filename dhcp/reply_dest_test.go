package dhcp

import (
	"net/netip"
	"testing"
)

// TestReplyDest is RFC 2131 4.1 (and PXE 2.2.6 for port 4011) as a table.
func TestReplyDest(t *testing.T) {
	a := netip.MustParseAddr
	zero := netip.IPv4Unspecified()
	pxePeer := netip.MustParseAddrPort("198.51.100.50:68")
	tests := []struct {
		name   string
		port   int
		peer   netip.AddrPort
		giaddr netip.Addr
		ciaddr netip.Addr
		nak    bool
		want   string
		bc     bool
	}{
		{"fresh client: broadcast", 67, netip.MustParseAddrPort("0.0.0.0:68"), zero, zero, false, "255.255.255.255:68", true},
		{"relayed: unicast to the relay port 67", 67, netip.MustParseAddrPort("203.0.113.1:67"), a("203.0.113.1"), zero, false, "203.0.113.1:67", false},
		{"relayed with ciaddr: still the relay", 67, netip.MustParseAddrPort("203.0.113.1:67"), a("203.0.113.1"), a("203.0.113.40"), false, "203.0.113.1:67", false},
		{"relayed NAK: the relay", 67, netip.MustParseAddrPort("203.0.113.1:67"), a("203.0.113.1"), zero, true, "203.0.113.1:67", false},
		{"renewing: unicast to ciaddr", 67, netip.MustParseAddrPort("198.51.100.40:68"), zero, a("198.51.100.40"), false, "198.51.100.40:68", false},
		{"NAK to a renewing client: broadcast", 67, netip.MustParseAddrPort("198.51.100.40:68"), zero, a("198.51.100.40"), true, "255.255.255.255:68", true},
		{"NAK without ciaddr: broadcast", 67, netip.MustParseAddrPort("0.0.0.0:68"), zero, zero, true, "255.255.255.255:68", true},
		{"port 4011: back to the source", 4011, pxePeer, zero, zero, false, "198.51.100.50:68", false},
		{"port 4011 odd source port", 4011, netip.MustParseAddrPort("198.51.100.50:1025"), zero, a("198.51.100.50"), false, "198.51.100.50:1025", false},
		{"port 4011 without a usable source: RFC rules", 4011, netip.MustParseAddrPort("0.0.0.0:68"), zero, zero, false, "255.255.255.255:68", true},
		{"invalid addresses count as unset", 67, netip.AddrPort{}, netip.Addr{}, netip.Addr{}, false, "255.255.255.255:68", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest, bc := replyDest(tc.port, tc.peer, tc.giaddr, tc.ciaddr, tc.nak)
			if dest.String() != tc.want || bc != tc.bc {
				t.Errorf("replyDest = %v, broadcast %v; want %s, %v", dest, bc, tc.want, tc.bc)
			}
		})
	}
}
