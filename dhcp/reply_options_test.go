package dhcp

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/inventory"
	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// manyOptions returns n extra options of size bytes each, codes from first.
func manyOptions(first uint8, n, size int) []inventory.DHCPOption {
	var o []inventory.DHCPOption
	for i := 0; i < n; i++ {
		o = append(o, inventory.DHCPOption{Code: first + uint8(i), Value: bytes.Repeat([]byte{'x'}, size)})
	}
	return o
}

// TestDecideFitsMaxMessageSize: U-Boot says 57 = 576. A reply with far
// too many extra options must still carry the boot file (file field and
// 67), siaddr, 53, 54, 51 and 1, and its bytes must fit 576 - 28 (the
// IP and UDP headers, see replyLimit).
func TestDecideFitsMaxMessageSize(t *testing.T) {
	snap := testSnap(
		func(s *inventory.Snapshot, _ *[]*inventory.Profile, _ *[]*inventory.Host) {
			s.DHCP.Options = manyOptions(140, 6, 40) // site: 140-145
		},
		withHost(macUBoot64, func(h *inventory.Host, _ []*inventory.Profile) {
			h.BootFile = "boards/" + strings.Repeat("long-name-", 10) + "/boot.scr.uimg"
			h.Options = manyOptions(160, 6, 40) // host: 160-165
		}),
	)
	d := Decide(req(uboot(macUBoot64, dhcpv4.MessageTypeDiscover, "U-Boot.armv8", 22)), snap, &fakeLeases{})
	if d.Reply == nil {
		t.Fatalf("ignored: %s", d.Ignore)
	}
	b := d.Reply.ToBytes()
	if len(b) > 576-28 {
		t.Errorf("reply is %d bytes, over 548 (576 minus IP/UDP headers)", len(b))
	}
	m, err := dhcpv4.FromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	want := "boards/" + strings.Repeat("long-name-", 10) + "/boot.scr.uimg"
	if m.BootFileName != want || m.BootFileNameOption() != want || m.ServerIPAddr.String() != "198.51.100.2" {
		t.Errorf("boot file %q / option 67 %q / siaddr %v, want %q from 198.51.100.2", m.BootFileName, m.BootFileNameOption(), m.ServerIPAddr, want)
	}
	for _, c := range []dhcpv4.OptionCode{dhcpv4.OptionDHCPMessageType, dhcpv4.OptionServerIdentifier,
		dhcpv4.OptionIPAddressLeaseTime, dhcpv4.OptionSubnetMask} {
		if !m.Options.Has(c) {
			t.Errorf("essential option %v dropped", c)
		}
	}
	// Least important first: every site option goes before any host option.
	siteLeft, hostLeft := 0, 0
	for c := range m.Options {
		switch {
		case c >= 140 && c < 146:
			siteLeft++
		case c >= 160 && c < 166:
			hostLeft++
		}
	}
	if siteLeft > 0 && hostLeft < 6 {
		t.Errorf("%d site options kept while host options were dropped (%d of 6 left)", siteLeft, hostLeft)
	}
	for c := uint8(140); c < 166; c++ {
		if _, sent := m.Options[c]; !sent && (c < 146 || c >= 160) && !whyMentions(d.Why, fmt.Sprint(c)) {
			t.Errorf("option %d dropped without a word in the explanation: %q", c, d.Why)
		}
	}

	// The same inventory for iPXE, which accepts 1472: nothing dropped.
	d = Decide(req(ipxeBIOS(macUBoot64, dhcpv4.MessageTypeDiscover)), snap, &fakeLeases{})
	for _, c := range []uint8{140, 145, 160, 165} {
		if _, ok := d.Reply.Options[c]; !ok {
			t.Errorf("option %d dropped although the client accepts 1472 bytes", c)
		}
	}
}

// TestOptionSetFit pins the drop order on a small set.
func TestOptionSetFit(t *testing.T) {
	var o optionSet
	o.set(dhcpv4.OptionDHCPMessageType, []byte{2}, prioKeep)
	o.set(dhcpv4.OptionRouter, make([]byte, 4), prioRouter)
	o.set(dhcpv4.OptionDomainNameServer, make([]byte, 8), prioDNS)
	o.set(dhcpv4.OptionDomainName, make([]byte, 20), prioDomain)
	o.setRaw(150, make([]byte, 30), prioExtraHost, "host h")
	o.setRaw(151, make([]byte, 30), prioExtraSite, "dhcp.options")
	o.set(dhcpv4.OptionBootfileName, make([]byte, 50), prioKeep)
	codes := func() []uint8 {
		var c []uint8
		for _, e := range o.entries {
			c = append(c, e.code)
		}
		return c
	}
	all := headerLen + o.size()
	// Room for everything but 33 bytes: the site extra (32 bytes) and then
	// the host extra go; router, DNS and domain stay.
	o.fit(all - 33)
	if diff := cmp.Diff([]uint8{53, 3, 6, 15, 67}, codes()); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	o.fit(headerLen + o.size() - 1)
	if diff := cmp.Diff([]uint8{53, 3, 6, 67}, codes()); diff != "" {
		t.Errorf("after one more byte, kept (-want +got):\n%s", diff)
	}
	o.fit(0)
	if diff := cmp.Diff([]uint8{53, 67}, codes()); diff != "" {
		t.Errorf("essential options dropped (-want +got):\n%s", diff)
	}
}

// TestReplyLimit: option 57 below the RFC 2132 minimum of 576 counts as
// 576; absent is 576; more than an Ethernet MTU counts as 1500; the IP and
// UDP headers come off.
func TestReplyLimit(t *testing.T) {
	for _, tc := range []struct {
		opt  []byte
		want int
	}{{nil, 548}, {[]byte{0x02, 0x40}, 548}, {[]byte{0x01, 0x00}, 548}, {[]byte{0x05, 0xc0}, 1444}, {[]byte{5}, 548}, {[]byte{0x05, 0xc0, 0x00}, 548},
		{[]byte{0xff, 0x00}, 1472}, // OVMF's REQUEST: capped at the Ethernet MTU
	} {
		m := newPkt(macBIOS, dhcpv4.MessageTypeDiscover).m
		if tc.opt != nil {
			m.Options[57] = tc.opt
		}
		if got := replyLimit(m); got != tc.want {
			t.Errorf("57=%x: limit %d, want %d", tc.opt, got, tc.want)
		}
	}
}

// TestDecideExtraOptions: site, then profile, then host, later wins; codes
// bootyard owns are refused with a reason.
func TestDecideExtraOptions(t *testing.T) {
	snap := testSnap(
		func(s *inventory.Snapshot, ps *[]*inventory.Profile, _ *[]*inventory.Host) {
			s.DHCP.Options = []inventory.DHCPOption{{Code: 42, Value: []byte{1, 1, 1, 1}}, {Code: 100, Value: []byte("site")}}
			(*ps)[0].Options = []inventory.DHCPOption{{Code: 42, Value: []byte{2, 2, 2, 2}}, {Code: 101, Value: []byte("profile")}}
		},
		withHost(macOVMF, func(h *inventory.Host, _ []*inventory.Profile) {
			h.Options = []inventory.DHCPOption{{Code: 42, Value: []byte{3, 3, 3, 3}}, {Code: 6, Value: []byte{9, 9, 9, 9}},
				{Code: 54, Value: []byte{6, 6, 6, 6}}, {Code: 67, Value: []byte("evil")}}
		}),
	)
	d := wire(t, Decide(req(ovmf(macOVMF, dhcpv4.MessageTypeDiscover, 7)), snap, &fakeLeases{}))
	v := viewOf(d)
	got := map[uint8]string{42: v.Opts[42], 100: v.Opts[100], 101: v.Opts[101], 6: v.Opts[6], 54: v.Opts[54], 67: v.Opts[67]}
	want := map[uint8]string{42: "03030303", 100: hexOf([]byte("site")), 101: hexOf([]byte("profile")), 6: "9.9.9.9", 54: "198.51.100.2", 67: "ipxe.efi"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	if !whyMentions(d.Why, "54", "host pc-uefi") || !whyMentions(d.Why, "67", "host pc-uefi") {
		t.Errorf("refused options not explained: %q", d.Why)
	}
}
