package dhcp

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/bootyard/bootyard/inventory"
)

// romMenu reads option 43 the way the Raspberry Pi boot ROM does: a PXE
// vendor-options list (RFC 2132 8.4 encapsulation, PXE 2.1 sub-options)
// closed by the End tag, from which it takes discovery control (6) and the
// first boot menu entry (9: type, description length, description). It
// fails on anything a strict parser would trip on: a length past the end,
// no End tag, bytes after it, or a description length that does not match.
func romMenu(t *testing.T, opt43 []byte) (discovery []byte, menuType uint16, desc string, subs map[byte][]byte) {
	t.Helper()
	subs = map[byte][]byte{}
	i := 0
	for {
		if i >= len(opt43) {
			t.Fatalf("option 43 % x: no End tag", opt43)
		}
		code := opt43[i]
		if code == 0xff {
			if i != len(opt43)-1 {
				t.Fatalf("option 43 % x: %d bytes after the End tag", opt43, len(opt43)-1-i)
			}
			break
		}
		if i+1 >= len(opt43) || i+2+int(opt43[i+1]) > len(opt43) {
			t.Fatalf("option 43 % x: sub-option %d runs past the end", opt43, code)
		}
		subs[code] = opt43[i+2 : i+2+int(opt43[i+1])]
		i += 2 + int(opt43[i+1])
	}
	menu := subs[9]
	if len(menu) < 3 || int(menu[2]) != len(menu)-3 {
		t.Fatalf("sub-option 9 % x: description length byte does not match the description", menu)
	}
	return subs[6], uint16(menu[0])<<8 | uint16(menu[1]), string(menu[3:]), subs
}

// TestRPiReplyROMStrings answers the Pi 3, 4 and 5 ROMs, with bootyard as
// the DHCP server and as proxyDHCP next to a router, and reads each reply
// the way the ROM does (protocol-notes.md): "Raspberry Pi Boot" in the PXE
// boot menu (with three trailing spaces for the Pi 3 ROM's length bug),
// option 66 as text (a Pi 4 ignores replies without it), PXEClient, siaddr,
// the boot file, and option 97 echoed.
func TestRPiReplyROMStrings(t *testing.T) {
	pi5 := pi4(macPi4, dhcpv4.MessageTypeDiscover)
	pi5.m.Options[97] = append([]byte("RPi5"), pi5.m.Options[97][4:]...)
	clients := []struct {
		name string
		p    pkt
		desc string
	}{
		{"Pi 3", pi3(macPi3, dhcpv4.MessageTypeDiscover), "Raspberry Pi Boot   "},
		{"Pi 4", pi4(macPi4, dhcpv4.MessageTypeDiscover), "Raspberry Pi Boot"},
		{"Pi 5", pi5, "Raspberry Pi Boot"},
	}
	// The Pi 4/5 host carries a serial and a profile, as a user with generated Pi
	// files writes them: that changes nothing in the DHCP answer.
	serial := withHost(macPi4, func(h *inventory.Host, _ []*inventory.Profile) { h.RPiSerial = "1a2b3c4d" })
	for _, mode := range []inventory.Mode{inventory.ModeAuthoritative, inventory.ModeProxy} {
		snap := testSnap(withMode(mode, false), serial)
		for _, c := range clients {
			t.Run(fmt.Sprintf("%s/%s", mode, c.name), func(t *testing.T) {
				d := wire(t, Decide(req(c.p), snap, &fakeLeases{}))
				r := d.Reply
				if r == nil {
					t.Fatalf("no reply: %s", d.Ignore)
				}
				discovery, menuType, desc, subs := romMenu(t, r.Options.Get(dhcpv4.OptionVendorSpecificInformation))
				if desc != c.desc {
					t.Errorf("boot menu description %q, want %q", desc, c.desc)
				}
				if menuType != 0 || !bytes.Equal(discovery, []byte{3}) || !bytes.Equal(subs[10], []byte("\x00PXE")) {
					t.Errorf("menu type %d, discovery control % x, prompt %q; want 0, 03 and \"\\x00PXE\" as dnsmasq's pxe-service sends", menuType, discovery, subs[10])
				}
				if got := string(r.Options.Get(dhcpv4.OptionTFTPServerName)); got != serverIP.String() {
					t.Errorf("option 66 %q, want %q", got, serverIP)
				}
				if got := string(r.Options.Get(dhcpv4.OptionClassIdentifier)); got != "PXEClient" {
					t.Errorf("option 60 %q, want PXEClient", got)
				}
				if !r.ServerIPAddr.Equal(serverIP.AsSlice()) || r.BootFileName != "bootcode.bin" {
					t.Errorf("siaddr %v, file %q; want %v, bootcode.bin", r.ServerIPAddr, r.BootFileName, serverIP)
				}
				if want := c.p.m.Options.Get(dhcpv4.OptionClientMachineIdentifier); !bytes.Equal(r.Options.Get(dhcpv4.OptionClientMachineIdentifier), want) {
					t.Errorf("option 97 % x, want the request's % x echoed", r.Options.Get(dhcpv4.OptionClientMachineIdentifier), want)
				}
				if mode == inventory.ModeProxy && !r.YourIPAddr.IsUnspecified() {
					t.Errorf("proxy offer carries yiaddr %v", r.YourIPAddr)
				}
			})
		}
	}
}
