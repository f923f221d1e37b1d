package main

import (
	"fmt"
	"net/netip"

	"github.com/bootyard/bootyard/dhcp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// relayFlags are explain's -giaddr, -link-selection and -subnet-selection:
// the request as a relay (and option 118) would shape it, so that explain
// shows which subnet serves it (docs/dhcp.md "Which subnet serves a
// request").
type relayFlags struct{ giaddr, link, subnet *string }

func (f relayFlags) apply(req *dhcp.Request) error {
	parse := func(name, s string) (netip.Addr, error) {
		if s == "" {
			return netip.Addr{}, nil
		}
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return netip.Addr{}, fmt.Errorf("-%s %q: want an IPv4 address", name, s)
		}
		return a, nil
	}
	gi, err := parse("giaddr", *f.giaddr)
	if err != nil {
		return err
	}
	link, err := parse("link-selection", *f.link)
	if err != nil {
		return err
	}
	sel, err := parse("subnet-selection", *f.subnet)
	if err != nil {
		return err
	}
	if link.IsValid() && !gi.IsValid() {
		return fmt.Errorf("-link-selection is option 82, which only a relay adds: give -giaddr too")
	}
	if gi.IsValid() {
		req.Msg.GatewayIPAddr = gi.AsSlice()
	}
	if link.IsValid() {
		b := link.As4()
		req.Msg.Options[dhcpv4.OptionRelayAgentInformation.Code()] = append([]byte{5, 4}, b[:]...)
	}
	if sel.IsValid() {
		req.Msg.Options[dhcpv4.OptionSubnetSelection.Code()] = sel.AsSlice()
	}
	return nil
}
