package dhcp

import (
	"net/netip"

	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Subnet selection in authoritative mode, first match wins (docs/dhcp.md
// "Which subnet serves a request"):
//
//  1. option 82 link-selection (sub-option 5, RFC 3527), read only from a
//     relayed request (giaddr set): the relay says which link the client
//     is on when giaddr is an address the server can reach instead;
//  2. option 118 subnet selection (RFC 3011), from the client or a relay;
//  3. giaddr is one of the relay_addresses of a dhcp.relayed entry (Kea's
//     relay.ip-addresses): a relay numbered outside the clients' subnet;
//  4. giaddr inside dhcp.subnet (a relay on the server's own network:
//     served from that subnet, answered by unicast to the relay) or inside
//     a dhcp.relayed subnet;
//  5. no giaddr: the local subnet dhcp.subnet.
//
// An address from 1 or 2 that no configured subnet contains is not
// answered (unknown-link): guessing would hand out an address the client
// cannot use.

// selection says why a subnet was chosen, for explanations.
type selection struct {
	by   string     // "link-selection", "option 118", "relay address", "giaddr", "local"
	addr netip.Addr // the address that selected it (invalid for local)
}

func (s selection) String() string {
	if s.by == "local" {
		return "no giaddr (the server's own segment)"
	}
	return s.by + " " + s.addr.String()
}

// network picks the subnet that serves the request. ok is false when none
// does; the caller then reports unknown-relay, unknown-link or no-subnet.
func (d *decider) network() (n network, sel selection, ok bool) {
	c := d.snap.DHCP
	if isSet(d.giaddr) {
		if a, ok := linkSelection(d.m); ok {
			sel = selection{"option 82 link-selection", a}
			n, ok := d.networkOf(a)
			return n, sel, ok
		}
	}
	if a, ok := subnetSelection(d.m); ok {
		sel = selection{"option 118 subnet selection", a}
		n, ok := d.networkOf(a)
		return n, sel, ok
	}
	if !isSet(d.giaddr) {
		return localNetwork(c, "local subnet", "", netip.Addr{}), selection{by: "local"}, c.Subnet.IsValid()
	}
	for _, r := range c.Relayed {
		for _, a := range r.RelayAddresses {
			if a == d.giaddr {
				sel = selection{"relay address (relay_addresses)", d.giaddr}
				return relayedNetwork(r, c, "relay", d.giaddr), sel, true
			}
		}
	}
	sel = selection{"giaddr", d.giaddr}
	n, ok = d.networkOf(d.giaddr)
	return n, sel, ok
}

// networkOf is the configured subnet containing a, the local one first.
func (d *decider) networkOf(a netip.Addr) (network, bool) {
	c := d.snap.DHCP
	if c.Subnet.IsValid() && c.Subnet.Contains(a) {
		if isSet(d.giaddr) {
			return localNetwork(c, "subnet", "via relay", d.giaddr), true
		}
		return localNetwork(c, "subnet", "", netip.Addr{}), true
	}
	for _, r := range c.Relayed {
		if r.Subnet.Contains(a) {
			return relayedNetwork(r, c, "via", d.giaddr), true
		}
	}
	return network{}, false
}

func localNetwork(c inventory.DHCP, label, how string, via netip.Addr) network {
	return network{label: label, how: how, via: via, subnet: c.Subnet, router: c.Router, dns: c.DNS, domain: c.Domain, pool: c.Pool, routes: c.Routes}
}

func relayedNetwork(r inventory.Relayed, c inventory.DHCP, how string, via netip.Addr) network {
	return network{label: "relayed subnet", how: how, via: via, subnet: r.Subnet, router: r.Router, dns: r.DNS, domain: c.Domain, pool: r.Pool, routes: r.Routes}
}

// linkSelection reads sub-option 5 of option 82 (RFC 3527): 4 bytes, an
// IPv4 address. A malformed option 82 selects nothing.
func linkSelection(m *dhcpv4.DHCPv4) (netip.Addr, bool) {
	b := m.Options.Get(dhcpv4.OptionRelayAgentInformation)
	for len(b) >= 2 {
		code, n := b[0], int(b[1])
		if len(b) < 2+n {
			return netip.Addr{}, false
		}
		if code == 5 && n == 4 {
			a := netip.AddrFrom4([4]byte(b[2:6]))
			return a, isSet(a)
		}
		b = b[2+n:]
	}
	return netip.Addr{}, false
}

// subnetSelection reads option 118 (RFC 3011): exactly 4 bytes.
func subnetSelection(m *dhcpv4.DHCPv4) (netip.Addr, bool) {
	b := m.Options.Get(dhcpv4.OptionSubnetSelection)
	if len(b) != 4 {
		return netip.Addr{}, false
	}
	a := netip.AddrFrom4([4]byte(b))
	return a, isSet(a)
}
