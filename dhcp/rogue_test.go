package dhcp

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"golang.org/x/net/bpf"
)

// ipv4UDP wraps payload in IPv4/UDP headers as the packet socket hands them
// over (link-layer header removed).
func ipv4UDP(src string, sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 28+len(payload))
	b[0], b[9] = 0x45, 17
	copy(b[12:16], net.ParseIP(src).To4())
	copy(b[16:20], []byte{255, 255, 255, 255})
	binary.BigEndian.PutUint16(b[20:], sport)
	binary.BigEndian.PutUint16(b[22:], dport)
	copy(b[28:], payload)
	return b
}

// TestOtherServerReply: a DHCP reply from another server is reported with
// its server identifier; our own replies, client packets, other UDP and
// garbage are not.
func TestOtherServerReply(t *testing.T) {
	ours := netip.MustParseAddr("198.51.100.2")
	offer := func(sid string) []byte {
		m, _ := dhcpv4.New(dhcpv4.WithReply(&dhcpv4.DHCPv4{OpCode: dhcpv4.OpcodeBootRequest, ClientHWAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}}),
			dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer))
		if sid != "" {
			m.UpdateOption(dhcpv4.OptServerIdentifier(net.ParseIP(sid)))
		}
		return m.ToBytes()
	}
	discover, _ := dhcpv4.NewDiscovery(net.HardwareAddr{2, 0, 0, 0, 0, 1})
	for _, tc := range []struct {
		name string
		pkt  []byte
		want string // "" means not reported
	}{
		{"another server's offer", ipv4UDP("198.51.100.5", 67, 68, offer("198.51.100.5")), "198.51.100.5"},
		{"relayed from elsewhere: server id decides", ipv4UDP("198.51.100.1", 67, 68, offer("203.0.113.7")), "203.0.113.7"},
		{"no server id: the source", ipv4UDP("198.51.100.6", 67, 68, offer("")), "198.51.100.6"},
		{"our own offer", ipv4UDP("198.51.100.2", 67, 68, offer("198.51.100.2")), ""},
		{"a client's discover", ipv4UDP("0.0.0.0", 68, 67, discover.ToBytes()), ""},
		{"other udp", ipv4UDP("198.51.100.5", 53, 68, offer("198.51.100.5")), ""},
		{"a request op on the server port", ipv4UDP("198.51.100.5", 67, 68, discover.ToBytes()), ""},
		{"truncated", ipv4UDP("198.51.100.5", 67, 68, offer("198.51.100.5"))[:40], ""},
		{"short", []byte{0x45, 0}, ""},
	} {
		got, _, ok := otherServerReply(tc.pkt, ours)
		if (tc.want == "") == ok || (ok && got.String() != tc.want) {
			t.Errorf("%s: got %v, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}

// FuzzOtherServerReply: whatever the packet socket hands over, the check
// never panics.
func FuzzOtherServerReply(f *testing.F) {
	f.Add(ipv4UDP("198.51.100.5", 67, 68, make([]byte, 240)))
	f.Add([]byte{0x4f, 0, 0, 0, 0, 0, 0, 0, 0, 17})
	f.Fuzz(func(t *testing.T, b []byte) {
		otherServerReply(b, netip.MustParseAddr("198.51.100.2"))
	})
}

// TestRogueFilter runs the rogue watch's kernel filter on IPv4 packets: only
// UDP from 67 to 68 (any header length, not a later fragment) gets through.
func TestRogueFilter(t *testing.T) {
	vm, err := bpf.NewVM(rogueFilter)
	if err != nil {
		t.Fatal(err)
	}
	pkt := func(ihl int, proto byte, frag uint16, src, dst uint16) []byte {
		b := make([]byte, ihl*4+8+240)
		b[0] = 0x40 | byte(ihl)
		binary.BigEndian.PutUint16(b[6:], frag)
		b[9] = proto
		binary.BigEndian.PutUint16(b[ihl*4:], src)
		binary.BigEndian.PutUint16(b[ihl*4+2:], dst)
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		pass bool
	}{
		{"reply to a client", pkt(5, 17, 0, 67, 68), true},
		{"reply with IP options", pkt(7, 17, 0, 67, 68), true},
		{"first fragment (more fragments set)", pkt(5, 17, 0x2000, 67, 68), true},
		{"request", pkt(5, 17, 0, 68, 67), false},
		{"reply to a relay", pkt(5, 17, 0, 67, 67), false},
		{"TCP", pkt(5, 6, 0, 67, 68), false},
		{"later fragment", pkt(5, 17, 0x0010, 67, 68), false},
		{"other UDP", pkt(5, 17, 0, 53, 68), false},
	} {
		n, err := vm.Run(tc.b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (n > 0) != tc.pass {
			t.Errorf("%s: filter kept %d bytes, want pass=%v", tc.name, n, tc.pass)
		}
	}
}
