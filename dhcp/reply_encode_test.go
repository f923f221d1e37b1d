package dhcp

import (
	"bytes"
	"math/rand/v2"
	"net"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// TestAppendMessageMatchesToBytes: our encoder writes the library's bytes,
// for crafted edge cases and for random messages.
func TestAppendMessageMatchesToBytes(t *testing.T) {
	base := func() *dhcpv4.DHCPv4 {
		m, err := dhcpv4.New(dhcpv4.WithHwAddr(net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56}),
			dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	cases := map[string]func(m *dhcpv4.DHCPv4){
		"plain": func(m *dhcpv4.DHCPv4) {},
		"addresses": func(m *dhcpv4.DHCPv4) {
			m.YourIPAddr = net.IPv4(198, 51, 100, 7)
			m.GatewayIPAddr = net.ParseIP("198.18.0.1").To4()
		},
		"nil siaddr": func(m *dhcpv4.DHCPv4) { m.ServerIPAddr = nil },
		"names": func(m *dhcpv4.DHCPv4) {
			m.ServerHostName = string(bytes.Repeat([]byte("s"), 70))
			m.BootFileName = string(bytes.Repeat([]byte("f"), 127))
		},
		"long hwaddr":  func(m *dhcpv4.DHCPv4) { m.ClientHWAddr = bytes.Repeat([]byte{0xab}, 20) },
		"no hwaddr":    func(m *dhcpv4.DHCPv4) { m.ClientHWAddr = nil },
		"empty option": func(m *dhcpv4.DHCPv4) { m.Options[dhcpv4.OptionRapidCommit.Code()] = nil },
		"agent last": func(m *dhcpv4.DHCPv4) {
			m.Options[82] = []byte{1, 2, 0, 1}
			m.Options[200] = []byte{9}
			m.Options[1] = []byte{255, 255, 255, 0}
		},
		"pad and end in the map": func(m *dhcpv4.DHCPv4) { m.Options[0] = []byte{1}; m.Options[255] = []byte{2} },
		"split option":           func(m *dhcpv4.DHCPv4) { m.Options[43] = bytes.Repeat([]byte{7}, 600) },
		"exactly 255":            func(m *dhcpv4.DHCPv4) { m.Options[43] = bytes.Repeat([]byte{7}, 255) },
		"no options": func(m *dhcpv4.DHCPv4) {
			m.Options = dhcpv4.Options{}
			m.Flags, m.NumSeconds, m.HopCount = 0x8000, 0x1234, 3
		},
	}
	for name, edit := range cases {
		m := base()
		edit(m)
		if got, want := appendMessage(nil, m), m.ToBytes(); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got  %x\n want %x", name, got, want)
		}
	}

	// An address with no IPv4 form (ToBytes panics on it) is 0.0.0.0.
	m := base()
	m.ClientIPAddr = net.ParseIP("2001:db8::1")
	if got := appendMessage(nil, m); !bytes.Equal(got[12:16], []byte{0, 0, 0, 0}) {
		t.Errorf("ciaddr 2001:db8::1 written as %v, want 0.0.0.0", got[12:16])
	}

	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		m := base()
		m.OpCode = dhcpv4.OpcodeType(r.IntN(3))
		m.ClientHWAddr = make(net.HardwareAddr, r.IntN(18))
		for j := range m.ClientHWAddr {
			m.ClientHWAddr[j] = byte(r.Uint32())
		}
		m.YourIPAddr = net.IPv4(byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()))
		m.BootFileName = string(bytes.Repeat([]byte("x"), r.IntN(140)))
		for range r.IntN(30) {
			m.Options[uint8(r.IntN(256))] = bytes.Repeat([]byte{byte(r.Uint32())}, r.IntN(300))
		}
		prefix := []byte("kept")
		got := appendMessage(prefix, m)
		if want := m.ToBytes(); !bytes.Equal(got[4:], want) || string(got[:4]) != "kept" {
			t.Fatalf("random message %d:\n got  %x\n want %x", i, got, want)
		}
	}
}

func BenchmarkAppendMessage(b *testing.B) {
	m, err := dhcpv4.New(dhcpv4.WithHwAddr(net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56}),
		dhcpv4.WithMessageType(dhcpv4.MessageTypeAck), dhcpv4.WithYourIP(net.IPv4(198, 18, 0, 10)),
		dhcpv4.WithNetmask(net.CIDRMask(15, 32)), dhcpv4.WithRouter(net.IPv4(198, 18, 0, 1)),
		dhcpv4.WithLeaseTime(3600), dhcpv4.WithServerIP(net.IPv4(198, 51, 100, 2)))
	if err != nil {
		b.Fatal(err)
	}
	m.BootFileName = "http://198.51.100.2/hosts/node-17/boot.ipxe" // a URL, as HTTP boot sends
	b.Run("ToBytes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = m.ToBytes()
		}
	})
	b.Run("appendMessage", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1500)
		for b.Loop() {
			buf = appendMessage(buf[:0], m)
		}
	})
}

// TestMsgTypeMatchesLibrary: msgType reads option 53 as the library's
// MessageType does, malformed lengths included.
func TestMsgTypeMatchesLibrary(t *testing.T) {
	for _, v := range [][]byte{nil, {}, {1}, {3}, {5}, {18}, {200}, {1, 2}, {3, 0, 0}} {
		m, err := dhcpv4.New()
		if err != nil {
			t.Fatal(err)
		}
		if v != nil {
			m.Options[dhcpv4.OptionDHCPMessageType.Code()] = v
		}
		if got, want := msgType(m), m.MessageType(); got != want {
			t.Errorf("option 53 = %v: msgType %v, library %v", v, got, want)
		}
	}
}
