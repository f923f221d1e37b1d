package inventory

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecodeRoutesAndRelayAddresses: dhcp.routes, relayed[].routes and
// relayed[].relay_addresses load; bad entries are refused with their field.
func TestDecodeRoutesAndRelayAddresses(t *testing.T) {
	src := "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  router: 198.51.100.1\n" +
		"  routes:\n    - {to: 10.0.0.0/8, via: 198.51.100.254}\n    - {to: 0.0.0.0/0, via: 198.51.100.1}\n" +
		"  relayed:\n    - subnet: 203.0.113.0/24\n      relay_addresses: [198.51.100.250]\n" +
		"      routes: [{to: 198.18.0.0/15, via: 203.0.113.1}]\ntftp: {enabled: false}\n"
	snap, err := Parse("t.yaml", []byte(src), Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []Route{{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParseAddr("198.51.100.254")},
		{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParseAddr("198.51.100.1")}}
	if diff := cmp.Diff(want, snap.DHCP.Routes, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("dhcp.routes (-want +got):\n%s", diff)
	}
	r := snap.DHCP.Relayed[0]
	if len(r.Routes) != 1 || r.Routes[0].String() != "198.18.0.0/15 via 203.0.113.1" {
		t.Errorf("relayed routes %v", r.Routes)
	}
	if len(r.RelayAddresses) != 1 || r.RelayAddresses[0] != netip.MustParseAddr("198.51.100.250") {
		t.Errorf("relay_addresses %v", r.RelayAddresses)
	}

	for _, tc := range []struct{ name, routes, field string }{
		{"host bits", "[{to: 10.0.0.1/8, via: 198.51.100.254}]", "dhcp.routes[0].to"},
		{"gateway off the subnet", "[{to: 10.0.0.0/8, via: 203.0.113.9}]", "dhcp.routes[0].via"},
		{"no via", "[{to: 10.0.0.0/8}]", "dhcp.routes[0]"},
		{"unknown key", "[{to: 10.0.0.0/8, via: 198.51.100.254, metric: 5}]", "dhcp.routes[0].metric"},
		{"IPv6", "[{to: '2001:db8::/32', via: 198.51.100.254}]", "dhcp.routes[0].to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problemsOf(t, "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  routes: "+tc.routes+"\ntftp: {enabled: false}\n", nil)
			if len(got) == 0 || got[0].Field != tc.field {
				t.Fatalf("problems %v, want one on %s", got, tc.field)
			}
		})
	}
	dup := "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  relayed:\n    - {subnet: 203.0.113.0/25, relay_addresses: [198.51.100.250]}\n" +
		"    - {subnet: 203.0.113.128/25, relay_addresses: [198.51.100.250]}\ntftp: {enabled: false}\n"
	if got := problemsOf(t, dup, nil); len(got) != 1 || got[0].Field != "dhcp.relayed[1].relay_addresses" {
		t.Fatalf("a relay address selecting two entries: problems %v", got)
	}
}

// TestDecodeIPXEOptions: ipxe_options load as sub-options (any number,
// priority 1 included); bad keys and an oversized 175 are refused.
func TestDecodeIPXEOptions(t *testing.T) {
	src := func(opts string) string {
		return "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\ntftp: {enabled: false}\nprofiles:\n  p:\n    ipxe_options: " + opts + "\n"
	}
	snap, err := Parse("t.yaml", []byte(src("{1: {uint8: 251}, 8: {uint8: 1}, 190: builder}")), Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	got := stripLines(snap.Profiles()["p"].IPXEOptions)
	want := []DHCPOption{{Code: 1, Value: []byte{0xfb}}, {Code: 8, Value: []byte{1}}, {Code: 190, Value: []byte("builder")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("ipxe_options (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"{0: x}", "{x: 1}", "{190: " + strings.Repeat("a", 200) + ", 191: " + strings.Repeat("b", 60) + "}"} {
		if p := problemsOf(t, src(bad), nil); len(p) != 1 || !strings.HasPrefix(p[0].Field, "profiles.p.ipxe_options") {
			t.Errorf("%s: problems %v, want one on profiles.p.ipxe_options", bad, p)
		}
	}
}
