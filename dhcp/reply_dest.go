package dhcp

import "net/netip"

// Ports of DHCP (RFC 2131 4.1) and the PXE boot server (PXE 2.1 2.2.6).
const (
	ServerPort     = 67
	ClientPort     = 68
	BootServerPort = 4011
)

// limitedBroadcast is 255.255.255.255, the only broadcast a client without
// an address can receive.
var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// replyDest is where a reply goes, RFC 2131 4.1 in order:
//
//   - a request that came to the PXE boot server port 4011 is answered to
//     its source address and port (PXE 2.1 2.2.6: the client is already
//     configured and listens there);
//   - giaddr set: unicast to the relay on port 67, whatever the message
//     (the relay decides how to reach the client);
//   - a DHCPNAK without a relay is always broadcast: the client's address
//     is the thing being refused;
//   - ciaddr set (RENEWING, INFORM): unicast to ciaddr port 68;
//   - otherwise broadcast to 255.255.255.255:68. RFC 2131 prefers unicast
//     to chaddr/yiaddr when the broadcast bit is clear: linkUnicast
//     (reply_unicast.go) makes that change afterwards.
//
// broadcast reports the last two broadcast cases (the server must send on
// the arrival interface with SO_BROADCAST).
func replyDest(port int, peer netip.AddrPort, giaddr, ciaddr netip.Addr, nak bool) (dest netip.AddrPort, broadcast bool) {
	switch {
	case port == BootServerPort && peer.IsValid() && !peer.Addr().IsUnspecified():
		return peer, false
	case isSet(giaddr):
		return netip.AddrPortFrom(giaddr, ServerPort), false
	case nak:
		return netip.AddrPortFrom(limitedBroadcast, ClientPort), true
	case isSet(ciaddr):
		return netip.AddrPortFrom(ciaddr, ClientPort), false
	default:
		return netip.AddrPortFrom(limitedBroadcast, ClientPort), true
	}
}

// isSet reports whether a header address field holds an address (0.0.0.0
// means "none" in BOOTP).
func isSet(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified()
}

// netipUnspecified68 is where a client without an address sends from.
var netipUnspecified68 = netip.AddrPortFrom(netip.IPv4Unspecified(), ClientPort)
