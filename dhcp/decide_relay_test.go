package dhcp

import (
	"net"
	"net/netip"
	"testing"

	"github.com/bootyard/bootyard/inventory"
	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

var macRemote = mustMAC("52:54:00:00:03:01")

// withRelay adds the relayed subnet 203.0.113.0/24 with its own router,
// DNS and pool, and a host reserved on it.
func withRelay() snapOpt {
	return func(s *inventory.Snapshot, ps *[]*inventory.Profile, hs *[]*inventory.Host) {
		s.DHCP.Relayed = []inventory.Relayed{{
			Subnet: netip.MustParsePrefix("203.0.113.0/24"),
			Router: netip.MustParseAddr("203.0.113.1"),
			DNS:    []netip.Addr{netip.MustParseAddr("203.0.113.53")},
			Pool:   &inventory.Range{Start: netip.MustParseAddr("203.0.113.100"), End: netip.MustParseAddr("203.0.113.110")},
			Line:   20,
		}}
		*hs = append(*hs, &inventory.Host{Name: "remote", MAC: macRemote, IP: netip.MustParseAddr("203.0.113.20"), Profile: (*ps)[0], Line: 70})
	}
}

// TestDecideRelayed covers relayed requests (giaddr set, RFC 2131 4.3.1 and
// RFC 3046): the subnet, router, DNS and pool come from the dhcp.relayed
// entry containing giaddr, replies go to the relay on port 67, option 82
// goes back to the relay only.
func TestDecideRelayed(t *testing.T) {
	snap := testSnap(withRelay())
	agent := []byte{1, 4, 'p', 'o', 'r', 't'} // circuit id
	disc := dhcpv4.MessageTypeDiscover
	relayed := func(p pkt) pkt { return p.giaddr("203.0.113.1").opt(82, agent) }
	type got struct {
		Type, YIAddr, GIAddr, Dest, Router, DNS, Agent string
		BcastFlag                                      bool
		Reason                                         Reason
	}
	tests := []struct {
		name string
		pkt  pkt
		want got
	}{
		{"unknown MAC from the relayed pool", relayed(udhcpc(macUnknown, disc)), got{
			Type: "OFFER", YIAddr: "203.0.113.100", GIAddr: "203.0.113.1", Dest: "203.0.113.1:67",
			Router: "203.0.113.1", DNS: "203.0.113.53", Agent: hexOf(agent)}},
		{"host reserved on the relayed subnet", relayed(ovmf(macRemote, disc, 7)), got{
			Type: "OFFER", YIAddr: "203.0.113.20", GIAddr: "203.0.113.1", Dest: "203.0.113.1:67",
			Router: "203.0.113.1", DNS: "203.0.113.53", Agent: hexOf(agent), BcastFlag: true}},
		{"local host seen through the relay: the relayed pool", relayed(dhclient(macLinux, disc)), got{
			Type: "OFFER", YIAddr: "203.0.113.100", GIAddr: "203.0.113.1", Dest: "203.0.113.1:67",
			Router: "203.0.113.1", DNS: "203.0.113.53", Agent: hexOf(agent)}},
		{"relay of an unknown subnet: ignored", udhcpc(macUnknown, disc).giaddr("192.168.7.1"), got{
			Reason: ReasonUnknownRelay}},
		{"NAK through the relay asks it to broadcast", relayed(ovmf(macRemote, dhcpv4.MessageTypeRequest, 7)).ip(50, "203.0.113.99"), got{
			Type: "NAK", YIAddr: "0.0.0.0", GIAddr: "203.0.113.1", Dest: "203.0.113.1:67", Agent: hexOf(agent), BcastFlag: true}},
		{"option 82 without a relay is not echoed", udhcpc(macBusybox, disc).opt(82, agent), got{
			Type: "OFFER", YIAddr: "198.51.100.19", GIAddr: "0.0.0.0", Dest: "198.51.100.19:68", Router: "198.51.100.1", DNS: "198.51.100.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := wire(t, Decide(req(tc.pkt), snap, &fakeLeases{}))
			var g got
			if r := d.Reply; r != nil {
				o := r.Options
				g = got{Type: messageName(r), YIAddr: r.YourIPAddr.String(), GIAddr: net.IP(r.GatewayIPAddr).String(), Dest: d.Dest.String(),
					Router: fmtOpt(3, o.Get(dhcpv4.OptionRouter)), DNS: fmtOpt(6, o.Get(dhcpv4.OptionDomainNameServer)),
					Agent: hexOf(o.Get(dhcpv4.OptionRelayAgentInformation)), BcastFlag: r.IsBroadcast()}
			} else {
				g.Reason = d.Reason
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("(-want +got):\n%s\nwhy: %q", diff, d.Why)
			}
		})
	}
}
