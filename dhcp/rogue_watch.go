package dhcp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	rawpacket "github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/bootyard/bootyard/inventory"
)

// ProbeVendorClass is option 60 of the probe DISCOVER, so that a capture or
// another server's log shows what the packet is.
const ProbeVendorClass = "bootyard-rogue-probe"

// ListenRogue opens the packet socket WatchRogues reads: IPv4 frames on
// iface, with the link-layer header removed (needs CAP_NET_RAW, which the
// systemd unit grants). A kernel filter passes only UDP from port 67 to
// port 68 and the socket skips frames we send: without them every request
// and reply of a busy server would be copied to this socket and read, one
// system call each, only to be thrown away.
func ListenRogue(iface string) (*rawpacket.Conn, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("dhcp: rogue watch: %w", err)
	}
	filter, err := bpf.Assemble(rogueFilter)
	if err != nil {
		return nil, fmt.Errorf("dhcp: rogue watch: filter: %w", err)
	}
	c, err := rawpacket.Listen(ifi, rawpacket.Datagram, 0x0800, &rawpacket.Config{Filter: filter})
	if err != nil {
		return nil, fmt.Errorf("dhcp: rogue watch on %s: %w", iface, err)
	}
	if rc, err := c.SyscallConn(); err == nil {
		// Linux 4.20 and later; on older kernels our own replies are read
		// and dropped by otherServerReply (its server is ours).
		rc.Control(func(fd uintptr) {
			unix.SetsockoptInt(int(fd), unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
		})
	}
	return c, nil
}

// rogueFilter passes an IPv4 packet (no link header: a Datagram socket)
// that is the first fragment of UDP from port 67 to port 68.
var rogueFilter = []bpf.Instruction{
	bpf.LoadAbsolute{Off: 9, Size: 1}, // protocol
	bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 17, SkipTrue: 7},
	bpf.LoadAbsolute{Off: 6, Size: 2}, // flags and fragment offset
	bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 5},
	bpf.LoadMemShift{Off: 0},          // X = header length
	bpf.LoadIndirect{Off: 0, Size: 2}, // source port
	bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: ServerPort, SkipTrue: 2},
	bpf.LoadIndirect{Off: 2, Size: 2}, // destination port
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: ClientPort, SkipTrue: 1},
	bpf.RetConstant{Val: 0},
	bpf.RetConstant{Val: 65535},
}

// WatchRogues reports DHCP server packets on the serving interface that are
// not ours (a reply from port 67 to port 68 whose server identifier is
// another address), and, every dhcp.rogue_probe, broadcasts a probe
// DISCOVER with the broadcast flag set so that every server on the segment
// answers where we can see it. It runs until ctx is cancelled (or its
// socket keeps failing) and closes conn then; it always returns nil.
func (s *Server) WatchRogues(ctx context.Context, conn *rawpacket.Conn) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	go s.probeRogues(ctx, conn)
	buf := make([]byte, 65536)
	failed := 0
	for {
		n, addr, err := conn.ReadFrom(buf)
		if err != nil {
			// Watching is a help, not a part serving clients: a socket that
			// fails stops the watch with a warning, never the server.
			if failed++; ctx.Err() == nil && (errors.Is(err, net.ErrClosed) || failed >= maxReadErrors) {
				s.log.Warn("dhcp: stopped watching for other DHCP servers", "iface", s.cfg.Iface, "err", err)
			}
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) || failed >= maxReadErrors {
				return nil
			}
			continue
		}
		failed = 0
		var mac net.HardwareAddr
		if a, ok := addr.(*rawpacket.Addr); ok {
			mac = a.HardwareAddr
		}
		if server, detail, ok := otherServerReply(buf[:n], s.cfg.ServerIP); ok {
			s.rogue.report(server, mac, "server_packet", detail, time.Now())
		}
	}
}

// otherServerReply decides whether an IPv4 packet is a DHCP reply from a
// server other than ours, and which: its server identifier, else its source
// address.
func otherServerReply(b []byte, ours netip.Addr) (server netip.Addr, detail string, ok bool) {
	if len(b) < 20 || b[0]>>4 != 4 || b[9] != 17 {
		return netip.Addr{}, "", false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl+8 {
		return netip.Addr{}, "", false
	}
	udp := b[ihl:]
	if binary.BigEndian.Uint16(udp[0:2]) != ServerPort || binary.BigEndian.Uint16(udp[2:4]) != ClientPort {
		return netip.Addr{}, "", false
	}
	m, err := dhcpv4.FromBytes(udp[8:])
	if err != nil || m.OpCode != dhcpv4.OpcodeBootReply {
		return netip.Addr{}, "", false
	}
	server = netip.AddrFrom4([4]byte(b[12:16]))
	if sid := m.ServerIdentifier(); sid != nil {
		if a, ok := netip.AddrFromSlice(sid.To4()); ok {
			server = a
		}
	}
	if server == ours || !server.IsValid() || server.IsUnspecified() {
		return netip.Addr{}, "", false
	}
	return server, fmt.Sprintf("%s to %s", messageName(m), m.ClientHWAddr), true
}

// probeRogues sends a probe DISCOVER every dhcp.rogue_probe (read from the
// current snapshot each round, so a reload turns it on or off) while the
// server is authoritative.
func (s *Server) probeRogues(ctx context.Context, conn *rawpacket.Conn) {
	ifi, err := net.InterfaceByName(s.cfg.Iface)
	if err != nil {
		return
	}
	probeMAC := net.HardwareAddr{0x02, 0x62, 0x79, 0, 0, 0} // "by", locally administered
	if len(ifi.HardwareAddr) == 6 {
		copy(probeMAC[3:], ifi.HardwareAddr[3:])
	}
	const idle = 5 * time.Second
	for {
		wait := idle
		snap := s.cfg.Snapshot()
		if snap != nil && snap.DHCP.Mode == inventory.ModeAuthoritative && snap.DHCP.RogueProbe > 0 {
			wait = snap.DHCP.RogueProbe
			if err := sendProbe(conn, probeMAC); err != nil {
				s.log.Debug("dhcp: rogue probe not sent", "iface", s.cfg.Iface, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// sendProbe broadcasts a DISCOVER from mac with the broadcast flag set, as
// an IPv4/UDP packet from 0.0.0.0:68 to 255.255.255.255:67.
func sendProbe(conn *rawpacket.Conn, mac net.HardwareAddr) error {
	m, err := dhcpv4.NewDiscovery(mac,
		dhcpv4.WithBroadcast(true),
		dhcpv4.WithOption(dhcpv4.OptClassIdentifier(ProbeVendorClass)))
	if err != nil {
		return err
	}
	payload := m.ToBytes()
	pkt := make([]byte, 28+len(payload))
	pkt[0] = 0x45
	binary.BigEndian.PutUint16(pkt[2:4], uint16(len(pkt)))
	pkt[8] = 64 // TTL
	pkt[9] = 17 // UDP
	copy(pkt[16:20], []byte{255, 255, 255, 255})
	binary.BigEndian.PutUint16(pkt[10:12], ipChecksum(pkt[:20]))
	binary.BigEndian.PutUint16(pkt[20:22], ClientPort)
	binary.BigEndian.PutUint16(pkt[22:24], ServerPort)
	binary.BigEndian.PutUint16(pkt[24:26], uint16(8+len(payload)))
	// UDP checksum 0: none (allowed over IPv4, RFC 768).
	copy(pkt[28:], payload)
	_, err = conn.WriteTo(pkt, &rawpacket.Addr{HardwareAddr: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}})
	return err
}

func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
