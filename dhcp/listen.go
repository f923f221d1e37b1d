package dhcp

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// Listen opens the UDP socket a DHCP server reads: 0.0.0.0:port, bound to
// iface with SO_BINDTODEVICE when iface is not "", with SO_BROADCAST so that
// replies can go to 255.255.255.255.
//
// Why this shape:
//   - Binding to the interface's own address would never receive the
//     broadcasts that clients without an address send; 0.0.0.0 plus the
//     device binding receives them, and only those of that interface.
//   - Neither SO_REUSEPORT nor SO_REUSEADDR is set. On Linux either one lets
//     a second UDP socket bind the same port (the insomniacslk server4 helper
//     sets both, and a second instance then silently steals packets); without
//     them a second bootyard, or dnsmasq, on the same port and interface makes
//     bind fail with EADDRINUSE, which we report. Sockets bound to different
//     interfaces still coexist: Linux allows one per device.
//   - Replies leave through iface because the socket is bound to it, so no
//     IP_PKTINFO is needed on a one-interface server.
func Listen(iface string, port int) (*net.UDPConn, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("dhcp: listen: bad port %d", port)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("dhcp: socket: %w", err)
	}
	closeFD := true
	defer func() {
		if closeFD {
			unix.Close(fd)
		}
	}()
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
		return nil, fmt.Errorf("dhcp: SO_BROADCAST: %w", err)
	}
	// A deeper receive queue than the default (~700 requests) absorbs a
	// burst (a rack powering on) while the server is descheduled; 1 MiB is
	// still under two seconds of backlog at a few thousand requests per
	// second, so nothing is answered after the client gave up on it.
	// Best effort: the kernel caps it at net.core.rmem_max.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	// Each datagram then carries the count of those the queue had no room
	// for: Serve reports them (reason busy). Best effort too.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1)
	where := "all interfaces"
	if iface != "" {
		where = iface
		if err := unix.BindToDevice(fd, iface); err != nil {
			if errors.Is(err, unix.ENODEV) {
				return nil, fmt.Errorf("dhcp: interface %q does not exist: %w", iface, err)
			}
			return nil, fmt.Errorf("dhcp: bind to interface %q: %w", iface, err)
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: port}); err != nil {
		if errors.Is(err, unix.EADDRINUSE) {
			return nil, fmt.Errorf("dhcp: UDP port %d on %s is in use: another DHCP server is already listening on port %d on %s? (%w)", port, where, port, where, err)
		}
		if errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("dhcp: bind UDP port %d: %w (ports below 1024 need root or CAP_NET_BIND_SERVICE)", port, err)
		}
		return nil, fmt.Errorf("dhcp: bind UDP port %d on %s: %w", port, where, err)
	}
	f := os.NewFile(uintptr(fd), fmt.Sprintf("dhcp:%s:%d", iface, port))
	closeFD = false
	pc, err := net.FilePacketConn(f)
	f.Close() // FilePacketConn dups the descriptor
	if err != nil {
		return nil, fmt.Errorf("dhcp: %w", err)
	}
	return pc.(*net.UDPConn), nil
}
