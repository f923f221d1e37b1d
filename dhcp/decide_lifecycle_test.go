package dhcp

import (
	"strings"
	"testing"

	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// withDefaultProfile adds a profile for machines not in the inventory.
func withDefaultProfile(p *inventory.Profile) snapOpt {
	return func(s *inventory.Snapshot, ps *[]*inventory.Profile, _ *[]*inventory.Host) {
		*ps = append(*ps, p)
		s.DHCP.DefaultProfile = p.Name
	}
}

// TestLocalBoot: a host that boots from its disk gets its address and no
// boot options in authoritative mode, and silence in proxy mode, however
// "local" was written (host, profile); a boot file on the host still wins.
func TestLocalBoot(t *testing.T) {
	disc := dhcpv4.MessageTypeDiscover
	hostLocal := withHost(macBIOS, func(h *inventory.Host, _ []*inventory.Profile) { h.Local = true })
	profLocal := withHost(macBIOS, func(h *inventory.Host, _ []*inventory.Profile) {
		h.Profile = &inventory.Profile{Name: "installed", Local: true}
	})
	fileWins := withHost(macBIOS, func(h *inventory.Host, _ []*inventory.Profile) {
		h.Profile = &inventory.Profile{Name: "installed", Local: true}
		h.BootFile = "rescue.0"
	})
	for _, tc := range []struct {
		name string
		opts []snapOpt
		file string
	}{
		{"host local", []snapOpt{hostLocal}, ""},
		{"profile local", []snapOpt{profLocal}, ""},
		{"host bootfile over profile local", []snapOpt{fileWins}, "rescue.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := wire(t, Decide(req(ipxeBIOS(macBIOS, disc)), testSnap(tc.opts...), &fakeLeases{}))
			v := viewOf(d)
			if v.Type != "OFFER" || v.YIAddr != "198.51.100.11" {
				t.Fatalf("want an OFFER of the reservation, got %+v (why %q)", v, d.Why)
			}
			_, has67 := v.Opts[67]
			if v.File != tc.file || (tc.file == "") == has67 || (tc.file == "" && v.SIAddr != "0.0.0.0") {
				t.Errorf("file %q, option 67 present %v, siaddr %s; want file %q", v.File, has67, v.SIAddr, tc.file)
			}
			if tc.file == "" && !whyMentions(d.Why, "local boot") {
				t.Errorf("why does not say local boot: %q", d.Why)
			}
			// Proxy mode has nothing but a boot file to give: silence.
			p := Decide(req(ipxeBIOS(macBIOS, disc)), testSnap(append(tc.opts, withMode(inventory.ModeProxy, false))...), &fakeLeases{})
			if tc.file == "" && (p.Reply != nil || p.Reason != ReasonProxyLocalBoot) {
				t.Errorf("proxy: reply %v reason %q, want silence with %q", p.Reply != nil, p.Reason, ReasonProxyLocalBoot)
			}
		})
	}
}

// TestDefaultProfile: a pool client not in the inventory boots the default
// profile (its boot file and its options), and explain says so; without
// proxy_unknown, proxy mode still ignores it.
func TestDefaultProfile(t *testing.T) {
	disc := dhcpv4.MessageTypeDiscover
	def := &inventory.Profile{Name: "newbox", BootFile: "newbox.kpxe", Options: []inventory.DHCPOption{{Code: 224, Value: []byte("hi")}}}
	snap := testSnap(withPool("198.51.100.100", "198.51.100.199"), withDefaultProfile(def))
	d, rep := Explain(req(intelPXE(macUnknown, disc)), snap, &fakeLeases{})
	d = wire(t, d)
	v := viewOf(d)
	if v.Type != "OFFER" || v.File != "newbox.kpxe" || v.Opts[224] != "6869" {
		t.Fatalf("unknown MAC with default_profile: %+v (why %q)", v, d.Why)
	}
	if rep.Profile != "newbox" || !strings.Contains(rep.String(), "default_profile newbox") {
		t.Errorf("explain does not show the default profile:\n%s", rep.String())
	}
	// Without default_profile the class default applies, as before.
	plain := viewOf(Decide(req(intelPXE(macUnknown, disc)), testSnap(withPool("198.51.100.100", "198.51.100.199")), &fakeLeases{}))
	if plain.File != classDefaults["bios"] {
		t.Errorf("without default_profile: file %q, want the class default %q", plain.File, classDefaults["bios"])
	}
	proxy := testSnap(withDefaultProfile(def), withMode(inventory.ModeProxy, false))
	if p := Decide(req(intelPXE(macUnknown, disc)), proxy, &fakeLeases{}); p.Reason != ReasonProxyUnknownMAC {
		t.Errorf("proxy without proxy_unknown: reason %q, want %q", p.Reason, ReasonProxyUnknownMAC)
	}
	proxyOn := testSnap(withDefaultProfile(def), withMode(inventory.ModeProxy, true))
	if p := viewOf(wire(t, Decide(req(intelPXE(macUnknown, disc)), proxyOn, &fakeLeases{}))); p.File != "newbox.kpxe" {
		t.Errorf("proxy with proxy_unknown: file %q, want newbox.kpxe", p.File)
	}
}
