package e2e

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/bootyard/bootyard/internal/netlab"
)

// The golden captures in dhcp/testdata/golden come from the firmware these
// tests boot. Every boot that captures checks that the firmware still sends
// what its golden file says (the fields the dhcp package decides on), so a
// firmware update that changes them shows up here. With
// BOOTYARD_GOLDEN_UPDATE=1 the tests write the captured packets as the new
// golden files instead (see dhcp/testdata/golden/README.md).

// dhcpCapture records what clients send to UDP port 67 on the server's eth0
// (captureDHCP), or the TFTP packets both ways (captureTFTP).
type dhcpCapture struct {
	p    *netlab.Proc
	file string
}

// captureTFTP records the start of every UDP packet on the server's eth0
// but DHCP's: requests, OACKs, ACKs and errors whole, DATA cut at 256 bytes
// (udpPayloads drops those, which is what the OACK checks want).
func (b *bootLab) captureTFTP(t *testing.T) *dhcpCapture {
	t.Helper()
	file := filepath.Join(b.dir, "tftp.pcap")
	p := b.srv.Start(t, "tcpdump", "-i", "eth0", "-n", "-s", "256", "--immediate-mode", "-U", "-Z", "root", "-w", file,
		"udp and not port 67 and not port 68")
	if err := p.WaitFor(serverUp, "listening on"); err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, p.Output())
	}
	return &dhcpCapture{p: p, file: file}
}

// oacks returns the options of every TFTP OACK among pkts.
func oacks(pkts [][]byte) []map[string]string {
	var out []map[string]string
	for _, p := range pkts {
		if len(p) < 2 || binary.BigEndian.Uint16(p) != 6 {
			continue
		}
		parts := strings.Split(strings.TrimSuffix(string(p[2:]), "\x00"), "\x00")
		m := map[string]string{}
		for i := 0; i+1 < len(parts); i += 2 {
			m[strings.ToLower(parts[i])] = parts[i+1]
		}
		out = append(out, m)
	}
	return out
}

// captureDHCP starts tcpdump in the server namespace, as root (-Z root: the
// file is in the test's private temp folder), taking every packet from the
// kernel at once (--immediate-mode: without it the capture ring hands packets
// over in blocks, and a stop within a second of them lost them all) and
// writing it at once (-U), so nothing is lost when it is stopped.
func (b *bootLab) captureDHCP(t *testing.T) *dhcpCapture {
	return b.captureUDP(t, "dhcp.pcap", "udp dst port 67")
}

// captureDHCPBoth is captureDHCP with the server's replies too.
func (b *bootLab) captureDHCPBoth(t *testing.T) *dhcpCapture {
	return b.captureUDP(t, "dhcp-both.pcap", "udp port 67 or udp port 68")
}

func (b *bootLab) captureUDP(t *testing.T, name, filter string) *dhcpCapture {
	t.Helper()
	file := filepath.Join(b.dir, name)
	p := b.srv.Start(t, "tcpdump", "-i", "eth0", "-n", "--immediate-mode", "-U", "-Z", "root", "-w", file, filter)
	if err := p.WaitFor(serverUp, "listening on"); err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, p.Output())
	}
	return &dhcpCapture{p: p, file: file}
}

// packets stops the capture and returns the DHCP payloads it saw, in order.
func (c *dhcpCapture) packets(t *testing.T) [][]byte {
	t.Helper()
	if err := c.p.Stop(); err != nil {
		t.Logf("tcpdump stop: %v", err)
	}
	raw, err := os.ReadFile(c.file)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := udpPayloads(raw)
	if err != nil {
		t.Fatalf("%s: %v", c.file, err)
	}
	return pl
}

// udpPayloads returns the UDP payloads of the IPv4 packets of a pcap file
// with Ethernet framing (what tcpdump writes for a veth).
func udpPayloads(pcap []byte) ([][]byte, error) {
	if len(pcap) < 24 {
		return nil, fmt.Errorf("pcap: %d bytes, no header", len(pcap))
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(pcap) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		order = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("pcap: bad magic % x", pcap[:4])
	}
	if lt := order.Uint32(pcap[20:]); lt != 1 {
		return nil, fmt.Errorf("pcap: link type %d, want 1 (Ethernet)", lt)
	}
	var out [][]byte
	for rest := pcap[24:]; len(rest) >= 16; {
		n := int(order.Uint32(rest[8:]))
		if len(rest) < 16+n {
			break // cut short by the stop: drop the partial record
		}
		frame := rest[16 : 16+n]
		rest = rest[16+n:]
		if len(frame) < 14+20 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
			continue
		}
		ip := frame[14:]
		ihl := int(ip[0]&0x0f) * 4
		if ip[9] != 17 || len(ip) < ihl+8 {
			continue
		}
		udp := ip[ihl:]
		ulen := int(binary.BigEndian.Uint16(udp[4:]))
		if ulen < 8 || ulen > len(udp) {
			continue
		}
		out = append(out, udp[8:ulen])
	}
	return out, nil
}

// firstFrom returns the first packet of type typ from mac whose vendor
// class starts with vendor, or nil.
func firstFrom(pkts [][]byte, mac string, typ dhcpv4.MessageType, vendor string) []byte {
	for _, p := range pkts {
		m, err := dhcpv4.FromBytes(p)
		if err != nil || m.ClientHWAddr.String() != mac || m.MessageType() != typ {
			continue
		}
		if strings.HasPrefix(m.ClassIdentifier(), vendor) {
			return p
		}
	}
	return nil
}

// signature is what the dhcp package decides a client's class on: vendor
// class (60), architecture (93), user class (77, raw), whether iPXE's
// option 175 is there, and the parameter request list (55).
func signature(p []byte) (string, error) {
	m, err := dhcpv4.FromBytes(p)
	if err != nil {
		return "", err
	}
	o := m.Options
	return fmt.Sprintf("60=%q 93=% x 77=%q 175=%t 55=% x",
		o.Get(dhcpv4.OptionClassIdentifier), o.Get(dhcpv4.OptionClientSystemArchitectureType),
		o.Get(dhcpv4.OptionUserClassInformation), o.Has(dhcpv4.GenericOptionCode(175)),
		o.Get(dhcpv4.OptionParameterRequestList)), nil
}

// checkGolden compares the first DISCOVER and REQUEST that mac sent with
// vendor class vendor against dhcp/testdata/golden/<name>-*.bin, or writes
// them there under BOOTYARD_GOLDEN_UPDATE=1.
func checkGolden(t *testing.T, pkts [][]byte, name, mac, vendor string) {
	t.Helper()
	dir := filepath.Join(env.repo, "dhcp", "testdata", "golden")
	for _, typ := range []dhcpv4.MessageType{dhcpv4.MessageTypeDiscover, dhcpv4.MessageTypeRequest} {
		file := filepath.Join(dir, name+"-"+strings.ToLower(typ.String())+".bin")
		got := firstFrom(pkts, mac, typ, vendor)
		if got == nil {
			t.Errorf("%s: no %s from %s with vendor class %q captured", name, typ, mac, vendor)
			continue
		}
		if os.Getenv("BOOTYARD_GOLDEN_UPDATE") == "1" {
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", file)
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: %v (BOOTYARD_GOLDEN_UPDATE=1 writes it)", name, err)
			continue
		}
		gs, err1 := signature(got)
		ws, err2 := signature(want)
		if err1 != nil || err2 != nil {
			t.Errorf("%s %s: unparsable: captured %v, golden %v", name, typ, err1, err2)
			continue
		}
		if gs != ws {
			t.Errorf("%s %s: the firmware now sends\n  %s\nbut %s has\n  %s", name, typ, gs, filepath.Base(file), ws)
		}
	}
}
