package dhcp_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	rawpacket "github.com/mdlayher/packet"

	"github.com/bootyard/bootyard/internal/netlab"
	"github.com/bootyard/bootyard/inventory"
)

// wireReply is one DHCP reply as seen on the client's wire.
type wireReply struct {
	ethDst net.HardwareAddr
	ipDst  netip.Addr
	msg    *dhcpv4.DHCPv4
}

// rawClient speaks DHCP from a namespace with no address through a packet
// socket, so that the test sees every reply frame as it arrived: its
// Ethernet and IP destination, whichever they are.
type rawClient struct {
	conn *rawpacket.Conn
	mac  net.HardwareAddr
}

func newRawClient(t *testing.T, h *netlab.Host) *rawClient {
	t.Helper()
	var c rawClient
	err := h.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		c.mac = ifi.HardwareAddr
		c.conn, err = rawpacket.Listen(ifi, rawpacket.Raw, 0x0800, nil)
		return err
	})
	if err != nil {
		t.Fatalf("packet socket in %s: %v", h.Name, err)
	}
	t.Cleanup(func() { c.conn.Close() })
	return &c
}

// exchange broadcasts m from 0.0.0.0:68 and returns the first reply to its
// xid, within a bounded wait.
func (c *rawClient) exchange(m *dhcpv4.DHCPv4) (wireReply, error) {
	payload := m.ToBytes()
	frame := make([]byte, 14+20+8+len(payload))
	copy(frame[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(frame[6:12], c.mac)
	binary.BigEndian.PutUint16(frame[12:14], 0x0800)
	ip := frame[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:4], uint16(20+8+len(payload)))
	copy(ip[16:20], []byte{255, 255, 255, 255})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(ip[10:12], ^uint16(sum))
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:2], 68)
	binary.BigEndian.PutUint16(udp[2:4], 67)
	binary.BigEndian.PutUint16(udp[4:6], uint16(8+len(payload))) // checksum 0: none
	copy(udp[8:], payload)
	bcast := &rawpacket.Addr{HardwareAddr: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}

	buf := make([]byte, 2048)
	for try := 0; try < 4; try++ {
		if _, err := c.conn.WriteTo(frame, bcast); err != nil {
			return wireReply{}, err
		}
		deadline := time.Now().Add(3 * time.Second)
		if err := c.conn.SetReadDeadline(deadline); err != nil {
			return wireReply{}, err
		}
		for {
			n, _, err := c.conn.ReadFrom(buf)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					break // retransmit
				}
				return wireReply{}, err
			}
			r, ok := parseReplyFrame(buf[:n], m.TransactionID)
			if ok {
				return r, nil
			}
		}
	}
	return wireReply{}, fmt.Errorf("no reply to %s xid %s", m.MessageType(), m.TransactionID)
}

// parseReplyFrame reads an Ethernet frame carrying a UDP datagram from port
// 67 to port 68 with a BOOTREPLY of the given xid.
func parseReplyFrame(b []byte, xid dhcpv4.TransactionID) (wireReply, bool) {
	if len(b) < 14+20+8 || binary.BigEndian.Uint16(b[12:14]) != 0x0800 {
		return wireReply{}, false
	}
	ip := b[14:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ip[9] != 17 || len(ip) < ihl+8 {
		return wireReply{}, false
	}
	udp := ip[ihl:]
	if binary.BigEndian.Uint16(udp[0:2]) != 67 || binary.BigEndian.Uint16(udp[2:4]) != 68 {
		return wireReply{}, false
	}
	m, err := dhcpv4.FromBytes(udp[8:])
	if err != nil || m.OpCode != dhcpv4.OpcodeBootReply || m.TransactionID != xid {
		return wireReply{}, false
	}
	return wireReply{
		ethDst: net.HardwareAddr(append([]byte(nil), b[0:6]...)),
		ipDst:  netip.AddrFrom4([4]byte(ip[16:20])),
		msg:    m,
	}, true
}

// TestLabUnicastReplies: a client without an address that leaves the
// broadcast flag clear gets its OFFER and ACK as frames to its own MAC and
// yiaddr (RFC 2131 4.1, what ISC dhcpd and Kea do); with the flag set, or
// with dhcp.broadcast_replies, both are broadcast.
func TestLabUnicastReplies(t *testing.T) {
	lab := netlab.New(t)
	srvH := lab.Host("srv", labServer.String()+"/24")
	cliH := lab.Host("cli")
	run := serveIn(t, srvH, labSnap(nil), filepath.Join(t.TempDir(), "leases"))
	cli := newRawClient(t, cliH)
	bcastMAC := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

	tests := []struct {
		name      string
		flag      bool
		setting   bool
		unicast   bool
		clientMAC net.HardwareAddr
	}{
		{"broadcast flag clear: unicast", false, false, true, cli.mac},
		{"broadcast flag set: broadcast", true, false, false, cli.mac},
		{"dhcp.broadcast_replies: broadcast", false, true, false, cli.mac},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run.snap.Store(labSnap(func(s *inventory.Snapshot) { s.DHCP.BroadcastReplies = tc.setting }))
			wantDst := func(yi net.IP) (net.HardwareAddr, netip.Addr) {
				if tc.unicast {
					a, _ := netip.AddrFromSlice(yi.To4())
					return tc.clientMAC, a
				}
				return bcastMAC, netip.MustParseAddr("255.255.255.255")
			}
			disc, err := dhcpv4.NewDiscovery(tc.clientMAC, dhcpv4.WithBroadcast(tc.flag))
			if err != nil {
				t.Fatal(err)
			}
			offer, err := cli.exchange(disc)
			if err != nil {
				t.Fatal(err)
			}
			if offer.msg.MessageType() != dhcpv4.MessageTypeOffer {
				t.Fatalf("got %s, want OFFER", offer.msg.MessageType())
			}
			mac, ip := wantDst(offer.msg.YourIPAddr)
			if offer.ethDst.String() != mac.String() || offer.ipDst != ip {
				t.Errorf("OFFER of %s went to %s / %s, want %s / %s", offer.msg.YourIPAddr, offer.ethDst, offer.ipDst, mac, ip)
			}
			req, err := dhcpv4.NewRequestFromOffer(offer.msg, dhcpv4.WithBroadcast(tc.flag))
			if err != nil {
				t.Fatal(err)
			}
			ack, err := cli.exchange(req)
			if err != nil {
				t.Fatal(err)
			}
			if ack.msg.MessageType() != dhcpv4.MessageTypeAck {
				t.Fatalf("got %s, want ACK", ack.msg.MessageType())
			}
			mac, ip = wantDst(ack.msg.YourIPAddr)
			if ack.ethDst.String() != mac.String() || ack.ipDst != ip {
				t.Errorf("ACK of %s went to %s / %s, want %s / %s", ack.msg.YourIPAddr, ack.ethDst, ack.ipDst, mac, ip)
			}
		})
	}
}
