package tftpd

import (
	"net"
	"net/netip"
	"syscall"
)

// newPktinfo turns on IP_PKTINFO on conn, so that a socket bound to
// 0.0.0.0 learns the address each request came to and the transfer answers
// from it (a client drops packets from another address).
func newPktinfo(conn *net.UDPConn) (bool, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return false, err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_PKTINFO, 1)
	}); err != nil {
		return false, err
	}
	return serr == nil, serr
}

// pktinfoDst reads the destination address from an IP_PKTINFO control
// message; the zero Addr when there is none.
func pktinfoDst(oob []byte) netip.Addr {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return netip.Addr{}
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.IPPROTO_IP && m.Header.Type == syscall.IP_PKTINFO && len(m.Data) >= 12 {
			// struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }
			return netip.AddrFrom4([4]byte(m.Data[8:12]))
		}
	}
	return netip.Addr{}
}
