package dhcp

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"
)

// TestLinkUnicast: which broadcast replies become a frame to the client's
// MAC and yiaddr (RFC 2131 4.1), and which stay broadcast.
func TestLinkUnicast(t *testing.T) {
	mac := net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	yi := netip.MustParseAddr("198.51.100.20")
	bc := netip.MustParseAddrPort("255.255.255.255:68")
	req := func(mod func(m *dhcpv4.DHCPv4)) *dhcpv4.DHCPv4 {
		m, err := dhcpv4.NewDiscovery(mac, dhcpv4.WithBroadcast(false))
		if err != nil {
			t.Fatal(err)
		}
		if mod != nil {
			mod(m)
		}
		return m
	}
	tests := []struct {
		name      string
		dest      netip.AddrPort
		broadcast bool
		nak       bool
		req       *dhcpv4.DHCPv4
		yiaddr    netip.Addr
		force     bool
		want      string
		wantMAC   string
	}{
		{"flag clear: unicast to yiaddr at chaddr", bc, true, false, req(nil), yi, false, "198.51.100.20:68", mac.String()},
		{"flag set: broadcast", bc, true, false, req(func(m *dhcpv4.DHCPv4) { m.SetBroadcast() }), yi, false, bc.String(), ""},
		{"dhcp.broadcast_replies: broadcast", bc, true, false, req(nil), yi, true, bc.String(), ""},
		{"NAK: broadcast", bc, true, true, req(nil), yi, false, bc.String(), ""},
		{"no yiaddr (proxy offer): broadcast", bc, true, false, req(nil), netip.IPv4Unspecified(), false, bc.String(), ""},
		{"already unicast (relay, ciaddr): unchanged", netip.MustParseAddrPort("203.0.113.1:67"), false, false, req(nil), yi, false, "203.0.113.1:67", ""},
		{"not Ethernet: broadcast", bc, true, false, req(func(m *dhcpv4.DHCPv4) { m.HWType = iana.HWTypeIEEE802 }), yi, false, bc.String(), ""},
		{"multicast chaddr: broadcast", bc, true, false, req(func(m *dhcpv4.DHCPv4) { m.ClientHWAddr = net.HardwareAddr{1, 0, 0x5e, 0, 0, 1} }), yi, false, bc.String(), ""},
		{"zero chaddr: broadcast", bc, true, false, req(func(m *dhcpv4.DHCPv4) { m.ClientHWAddr = make(net.HardwareAddr, 6) }), yi, false, bc.String(), ""},
		{"no request: unchanged", bc, true, false, nil, yi, false, bc.String(), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest, hw, ok := linkUnicast(tc.dest, tc.broadcast, tc.nak, tc.req, tc.yiaddr, tc.force)
			got := ""
			if hw != nil {
				got = hw.String()
			}
			if dest.String() != tc.want || got != tc.wantMAC || ok != (hw != nil) {
				t.Errorf("linkUnicast = %v, %q, %v; want %s, %q", dest, got, ok, tc.want, tc.wantMAC)
			}
		})
	}
}

// TestUDP4Packet: the headers a packet socket reply carries verify as the
// receiving kernel checks them (every one's complement sum folds to 0xffff).
func TestUDP4Packet(t *testing.T) {
	for _, n := range []int{0, 1, 300, 301} {
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(i*7 + 3)
		}
		src := netip.MustParseAddrPort("198.51.100.2:67")
		dst := netip.MustParseAddrPort("198.51.100.20:68")
		b, err := udp4Packet(src, dst, payload)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 28+n || binary.BigEndian.Uint16(b[2:4]) != uint16(28+n) || b[9] != 17 {
			t.Fatalf("bad IPv4 header % x", b[:20])
		}
		if s := onesSum(0, b[:20]); s != 0xffff {
			t.Errorf("IPv4 header checksum does not verify: %#x", s)
		}
		pseudo := append(append([]byte{}, b[12:20]...), 0, 17, b[24], b[25])
		if s := onesSum(onesSum(0, pseudo), b[20:]); s != 0xffff {
			t.Errorf("%d bytes: UDP checksum does not verify: %#x", n, s)
		}
		if string(b[28:]) != string(payload) || binary.BigEndian.Uint16(b[20:22]) != 67 || binary.BigEndian.Uint16(b[22:24]) != 68 {
			t.Errorf("%d bytes: bad UDP header or payload", n)
		}
	}
	if _, err := udp4Packet(netip.MustParseAddrPort("[2001:db8::1]:67"), netip.MustParseAddrPort("198.51.100.20:68"), nil); err == nil {
		t.Error("IPv6 source accepted")
	}
}
