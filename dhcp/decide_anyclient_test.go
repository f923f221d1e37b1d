package dhcp

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// TestDecideAnyClientAsks: a client no class table knows gets its host's or
// profile's boot file when it asks for option 66 or 67, never a class
// default, and nothing when it does not ask or is not in the inventory.
func TestDecideAnyClientAsks(t *testing.T) {
	disc := dhcpv4.MessageTypeDiscover
	asks := []byte{1, 3, 6, 12, 15, 66, 67}
	recovery := withHost(macBusybox, func(h *inventory.Host, _ []*inventory.Profile) { h.BootFile = "recovery/initrd.img" })
	viaProfile := withHost(macLinux, func(h *inventory.Host, ps []*inventory.Profile) { h.Profile = ps[1] }) // pxelinux profile
	tests := []struct {
		name string
		snap *inventory.Snapshot
		pkt  pkt
		file string
	}{
		{"udhcpc asking for 66/67: host bootfile", testSnap(recovery), udhcpc(macBusybox, disc).opt(55, asks), "recovery/initrd.img"},
		{"udhcpc asking only for 67", testSnap(recovery), udhcpc(macBusybox, disc).opt(55, []byte{1, 3, 67}), "recovery/initrd.img"},
		{"udhcpc not asking: no boot file", testSnap(recovery), udhcpc(macBusybox, disc), ""},
		{"dhclient asking: profile bootfile", testSnap(viaProfile), dhclient(macLinux, disc).opt(55, asks), "pxelinux.0"},
		{"asking, no host or profile file: no class default", testSnap(), dhclient(macLinux, disc).opt(55, asks), ""},
		{"asking but not in the inventory: nothing", testSnap(withPool("198.51.100.100", "198.51.100.150"), withDefaultProfile(&inventory.Profile{Name: "rescue", BootFile: "rescue.img", Line: 90})), udhcpc(macUnknown, disc).opt(55, asks), ""},
		{"barebox: host bootfile", testSnap(recovery), newPkt(macBusybox, disc).str(60, "barebox-phycore").opt(55, []byte{1, 3, 6, 12, 15, 17, 66, 67}), "recovery/initrd.img"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := wire(t, Decide(req(tc.pkt), tc.snap, &fakeLeases{}))
			if d.Reply == nil {
				t.Fatalf("ignored: %s (why %q)", d.Ignore, d.Why)
			}
			r := d.Reply
			if r.BootFileName != tc.file || r.BootFileNameOption() != tc.file {
				t.Fatalf("file %q / option 67 %q, want %q (why %q)", r.BootFileName, r.BootFileNameOption(), tc.file, d.Why)
			}
			if tc.file == "" {
				if r.Options.Has(dhcpv4.OptionTFTPServerName) || !r.ServerIPAddr.IsUnspecified() {
					t.Fatalf("no boot file but option 66 %q / siaddr %v", r.Options.Get(dhcpv4.OptionTFTPServerName), r.ServerIPAddr)
				}
				return
			}
			if got := string(r.Options.Get(dhcpv4.OptionTFTPServerName)); got != "198.51.100.2" || !r.ServerIPAddr.Equal(serverIP.AsSlice()) {
				t.Fatalf("option 66 %q, siaddr %v: want 198.51.100.2 in both", got, r.ServerIPAddr)
			}
			if r.Options.Has(dhcpv4.OptionClassIdentifier) || r.Options.Has(dhcpv4.OptionVendorSpecificInformation) {
				t.Fatal("a non-PXE client got PXE options 60/43")
			}
		})
	}
	_, rep := Explain(req(newPkt(macBusybox, disc).str(60, "barebox-phycore")), testSnap(), &fakeLeases{})
	if rep.Firmware.Class != firmware.Other || !rep.Firmware.Boot {
		t.Errorf("barebox: class %q boot %v, want other and a boot client", rep.Firmware.Class, rep.Firmware.Boot)
	}
}

// TestDecideSubnetSelection: the order in which a relayed request selects
// its subnet (docs/dhcp.md "Which subnet serves a request"); every reply
// goes to the relay.
func TestDecideSubnetSelection(t *testing.T) {
	disc := dhcpv4.MessageTypeDiscover
	byAddr := func(s *inventory.Snapshot, _ *[]*inventory.Profile, _ *[]*inventory.Host) {
		s.DHCP.Relayed[0].RelayAddresses = []netip.Addr{netip.MustParseAddr("198.51.100.250")}
	}
	snap := testSnap(withPool("198.51.100.100", "198.51.100.150"), withRelay(), byAddr)
	link := func(a byte) []byte { return []byte{1, 2, 'e', '1', 5, 4, 203, 0, 113, a} }
	tests := []struct {
		name, giaddr string
		pkt          pkt
		yiaddr, dest string
		by           string
		reason       Reason
	}{
		{"relay inside dhcp.subnet", "198.51.100.1", udhcpc(macUnknown, disc), "198.51.100.100", "198.51.100.1:67", "giaddr 198.51.100.1", ""},
		{"relay selected by its address", "198.51.100.250", udhcpc(macUnknown, disc), "203.0.113.100", "198.51.100.250:67", "relay address", ""},
		{"option 82 link-selection", "198.51.100.1", udhcpc(macUnknown, disc).opt(82, link(7)), "203.0.113.100", "198.51.100.1:67", "link-selection 203.0.113.7", ""},
		{"link-selection beats option 118", "198.51.100.1", udhcpc(macUnknown, disc).opt(82, link(7)).ip(118, "198.51.100.7"), "203.0.113.100", "198.51.100.1:67", "link-selection", ""},
		{"option 118", "198.51.100.1", udhcpc(macUnknown, disc).ip(118, "203.0.113.9"), "203.0.113.100", "198.51.100.1:67", "option 118 subnet selection 203.0.113.9", ""},
		{"option 118 beats the relay address", "198.51.100.250", udhcpc(macUnknown, disc).ip(118, "198.51.100.9"), "198.51.100.100", "198.51.100.250:67", "option 118", ""},
		{"option 118 of no subnet", "198.51.100.1", udhcpc(macUnknown, disc).ip(118, "10.9.9.9"), "", "", "", ReasonUnknownLink},
		{"link-selection of no subnet", "198.51.100.1", udhcpc(macUnknown, disc).opt(82, []byte{5, 4, 10, 0, 0, 1}), "", "", "", ReasonUnknownLink},
		{"truncated option 82: giaddr decides", "198.51.100.1", udhcpc(macUnknown, disc).opt(82, []byte{5, 9, 10, 0}), "198.51.100.100", "198.51.100.1:67", "giaddr", ""},
		{"unknown relay", "10.1.1.1", udhcpc(macUnknown, disc), "", "", "", ReasonUnknownRelay},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, rep := Explain(req(tc.pkt.giaddr(tc.giaddr)), snap, &fakeLeases{})
			if tc.reason != "" {
				if d.Reply != nil || d.Reason != tc.reason {
					t.Fatalf("reason %q (reply %v), want %q; why %q", d.Reason, d.Reply != nil, tc.reason, d.Why)
				}
				return
			}
			d = wire(t, d)
			if d.Reply == nil {
				t.Fatalf("ignored: %s (why %q)", d.Ignore, d.Why)
			}
			if got := d.Reply.YourIPAddr.String(); got != tc.yiaddr || d.Dest.String() != tc.dest {
				t.Fatalf("yiaddr %s to %s, want %s to %s (why %q)", got, d.Dest, tc.yiaddr, tc.dest, d.Why)
			}
			if !strings.Contains(rep.Subnet, tc.by) || !strings.Contains(rep.String(), "subnet:") {
				t.Fatalf("explain subnet line %q does not say %q", rep.Subnet, tc.by)
			}
		})
	}
}

// TestClasslessRoutes: option 121 as RFC 3442 encodes it, with the default
// route via the router added, and sent to clients of that subnet.
func TestClasslessRoutes(t *testing.T) {
	gw := netip.MustParseAddr("198.51.100.254")
	routes := []inventory.Route{
		{To: netip.MustParsePrefix("10.0.0.0/8"), Via: gw},
		{To: netip.MustParsePrefix("198.18.0.0/15"), Via: gw},
		{To: netip.MustParsePrefix("203.0.113.77/32"), Via: gw},
	}
	want := []byte{8, 10, 198, 51, 100, 254, 15, 198, 18, 198, 51, 100, 254, 32, 203, 0, 113, 77, 198, 51, 100, 254, 0, 198, 51, 100, 1}
	if got := classlessRoutes(routes, routerIP); !bytes.Equal(got, want) {
		t.Fatalf("option 121 % x\nwant       % x", got, want)
	}
	withDefault := append(routes[:1:1], inventory.Route{To: netip.MustParsePrefix("0.0.0.0/0"), Via: gw})
	if got := classlessRoutes(withDefault, routerIP); !bytes.Equal(got, []byte{8, 10, 198, 51, 100, 254, 0, 198, 51, 100, 254}) {
		t.Fatalf("a listed default route must not get a second one: % x", got)
	}
	if classlessRoutes(nil, routerIP) != nil {
		t.Fatal("no routes configured: no option 121")
	}
	snap := testSnap(func(s *inventory.Snapshot, _ *[]*inventory.Profile, _ *[]*inventory.Host) { s.DHCP.Routes = routes })
	d := wire(t, Decide(req(dhclient(macLinux, dhcpv4.MessageTypeDiscover)), snap, &fakeLeases{}))
	if d.Reply == nil || !bytes.Equal(d.Reply.Options.Get(dhcpv4.OptionClasslessStaticRoute), want) {
		t.Fatalf("reply lacks option 121 %x (why %q)", want, d.Why)
	}
}

// TestIPXESettings: a profile's ipxe_options go to its iPXE clients as the
// sub-options of option 175, in authoritative and proxy replies, and to no
// other firmware.
func TestIPXESettings(t *testing.T) {
	set := func(s *inventory.Snapshot, ps *[]*inventory.Profile, _ *[]*inventory.Host) {
		(*ps)[0].IPXEOptions = []inventory.DHCPOption{{Code: 8, Value: []byte{1}}, {Code: 190, Value: []byte("builder")}}
	}
	want := append([]byte{8, 1, 1, 190, 7}, "builder"...)
	disc := dhcpv4.MessageTypeDiscover
	for _, tc := range []struct {
		name string
		snap *inventory.Snapshot
		pkt  pkt
		want []byte
	}{
		{"authoritative, iPXE", testSnap(set), ipxeEFI(macIPXEEFI, disc), want},
		{"proxy, iPXE", testSnap(set, withMode(inventory.ModeProxy, false)), ipxeEFI(macIPXEEFI, disc), want},
		{"authoritative, OVMF: not iPXE", testSnap(set), ovmf(macOVMF, disc, 7), nil},
		{"no ipxe_options", testSnap(), ipxeEFI(macIPXEEFI, disc), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := wire(t, Decide(req(tc.pkt), tc.snap, &fakeLeases{}))
			if d.Reply == nil {
				t.Fatalf("ignored: %s (why %q)", d.Ignore, d.Why)
			}
			if got := d.Reply.Options.Get(dhcpv4.OptionEtherboot); !bytes.Equal(got, tc.want) {
				t.Fatalf("option 175 % x, want % x", got, tc.want)
			}
		})
	}
}
