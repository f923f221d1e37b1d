package dhcp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"
	"golang.org/x/sys/unix"
)

// linkUnicast turns a broadcast reply into the unicast RFC 2131 4.1 asks
// for: when the server would broadcast an OFFER or ACK to a client without
// an address (no giaddr, no ciaddr) and the client left the broadcast flag
// clear, the reply goes to yiaddr port 68 at the client's Ethernet address.
// The client has no IP address yet, so no ARP can find it: the frame is
// written by hand on a packet socket (LinkConn). ok is false when the
// reply stays as replyDest decided (a NAK, a flag set, no yiaddr, not
// Ethernet, or dhcp.broadcast_replies).
func linkUnicast(dest netip.AddrPort, broadcast, nak bool, req *dhcpv4.DHCPv4, yiaddr netip.Addr, forceBroadcast bool) (netip.AddrPort, net.HardwareAddr, bool) {
	if !broadcast || nak || forceBroadcast || req == nil || req.IsBroadcast() ||
		!isSet(yiaddr) || !yiaddr.Is4() || yiaddr == limitedBroadcast ||
		req.HWType != iana.HWTypeEthernet || len(req.ClientHWAddr) != 6 {
		return dest, nil, false
	}
	mac := net.HardwareAddr(append([]byte(nil), req.ClientHWAddr...))
	if mac[0]&1 != 0 || mac.String() == "00:00:00:00:00:00" {
		return dest, nil, false // a group or empty address is no client to unicast to
	}
	return netip.AddrPortFrom(yiaddr, ClientPort), mac, true
}

// udp4Packet is an IPv4 header and a UDP header before payload, both with
// their checksums: what the kernel adds to a datagram, written here because
// the frame leaves on a packet socket.
func udp4Packet(src, dst netip.AddrPort, payload []byte) ([]byte, error) {
	if !src.Addr().Is4() || !dst.Addr().Is4() {
		return nil, errors.New("dhcp: unicast reply needs IPv4 addresses")
	}
	total := 20 + 8 + len(payload)
	if total > 0xffff {
		return nil, fmt.Errorf("dhcp: reply of %d bytes is too large", len(payload))
	}
	b := make([]byte, total)
	b[0] = 0x45 // version 4, header 5 words
	binary.BigEndian.PutUint16(b[2:4], uint16(total))
	b[8] = 64 // TTL
	b[9] = unix.IPPROTO_UDP
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	copy(b[12:16], s4[:])
	copy(b[16:20], d4[:])
	binary.BigEndian.PutUint16(b[10:12], ^onesSum(0, b[:20]))
	u := b[20:]
	binary.BigEndian.PutUint16(u[0:2], src.Port())
	binary.BigEndian.PutUint16(u[2:4], dst.Port())
	binary.BigEndian.PutUint16(u[4:6], uint16(8+len(payload)))
	copy(u[8:], payload)
	// UDP checksum over the pseudo-header (addresses, protocol, length).
	sum := onesSum(0, b[12:20])
	sum = onesSum(sum, []byte{0, unix.IPPROTO_UDP, u[4], u[5]})
	c := ^onesSum(sum, u)
	if c == 0 {
		c = 0xffff // 0 means "no checksum" in UDP over IPv4
	}
	binary.BigEndian.PutUint16(u[6:8], c)
	return b, nil
}

// onesSum adds b to sum as 16-bit words in one's complement (RFC 1071),
// folded; a trailing odd byte is padded with zero.
func onesSum(sum uint16, b []byte) uint16 {
	s := uint32(sum)
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// LinkConn sends IPv4 frames to a given Ethernet address on one interface:
// an AF_PACKET datagram socket (the kernel writes the Ethernet header) that
// is never bound to a protocol, so it receives nothing. It needs
// CAP_NET_RAW, which the systemd unit grants. Safe for concurrent use.
type LinkConn struct {
	mu     sync.RWMutex // guards fd against Close during a send
	fd     int
	ifi    int
	closed bool
}

// ListenLink opens the socket unicast replies leave through on iface.
func ListenLink(iface string) (*LinkConn, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("dhcp: unicast replies: %w", err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("dhcp: unicast replies on %s: packet socket: %w", iface, err)
	}
	return &LinkConn{fd: fd, ifi: ifi.Index}, nil
}

// send writes one IPv4 packet to mac.
func (c *LinkConn) send(pkt []byte, mac net.HardwareAddr) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return net.ErrClosed
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: c.ifi, Halen: uint8(len(mac))}
	copy(sa.Addr[:], mac)
	return unix.Sendto(c.fd, pkt, unix.MSG_DONTWAIT, sa)
}

// Close closes the socket.
func (c *LinkConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return unix.Close(c.fd)
}

// send writes d.Reply to where the decision says and returns where it went:
// Dest over the UDP socket, or, for a link-layer unicast, a frame to
// LinkDest on Config.Link (falling back to the broadcast when there is no
// such socket, as every client also accepts).
func (s *Server) send(x *exchange, d Decision) (netip.AddrPort, error) {
	bp := replyBufs.Get().(*[]byte)
	b := appendMessage((*bp)[:0], d.Reply)
	defer func() { *bp = b[:0]; replyBufs.Put(bp) }()
	dest := d.Dest
	if d.LinkDest != nil {
		if s.cfg.Link != nil {
			pkt, err := udp4Packet(netip.AddrPortFrom(s.cfg.ServerIP, ServerPort), dest, b)
			if err == nil {
				err = s.cfg.Link.send(pkt, d.LinkDest)
			}
			return dest, err
		}
		dest = netip.AddrPortFrom(limitedBroadcast, ClientPort)
	}
	var err error
	if uc, ok := x.conn.(*net.UDPConn); ok {
		_, err = uc.WriteToUDPAddrPort(b, dest) // no *UDPAddr to allocate
	} else {
		_, err = x.conn.WriteTo(b, net.UDPAddrFromAddrPort(dest))
	}
	return dest, err
}
