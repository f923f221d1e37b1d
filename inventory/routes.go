package inventory

import (
	"net/netip"
	"strings"

	"gopkg.in/yaml.v3"
)

// Route is one classless static route handed to clients in option 121
// (RFC 3442): packets for To go through Via.
type Route struct {
	To  netip.Prefix
	Via netip.Addr
}

func (r Route) String() string { return r.To.String() + " via " + r.Via.String() }

// routeKeys are the keys of one dhcp.routes / dhcp.relayed[].routes entry.
var routeKeys = []string{"to", "via"}

// routes decodes a list of {to: prefix, via: address}. A /32 is a host
// route; 0.0.0.0/0 is the default route (a client that reads option 121
// ignores option 3, so the server adds the router itself when no entry
// says 0.0.0.0/0). A gateway must be on subnet, the clients' own.
func (d *decoder) routes(n *yaml.Node, path string, subnet netip.Prefix) []Route {
	var out []Route
	for i, e := range d.list(n, path) {
		p := index(path, i)
		m := d.mapping(e, p, routeKeys)
		if !d.present(m["to"]) || !d.present(m["via"]) {
			d.addf(e, p, "a route needs to: (a subnet, e.g. 203.0.113.0/24) and via: (the gateway)")
			continue
		}
		var r Route
		if s, ok := d.scalar(m["to"], join(p, "to")); s != nil && ok {
			pf, err := netip.ParsePrefix(strings.TrimSpace(s.Value))
			switch {
			case err != nil || !pf.Addr().Is4():
				d.addf(s, join(p, "to"), "%q is not an IPv4 subnet (e.g. 203.0.113.0/24)", s.Value)
				continue
			case pf.Masked() != pf:
				d.addf(s, join(p, "to"), "%q has host bits set: did you mean %s?", s.Value, pf.Masked())
				continue
			}
			r.To = pf
		}
		r.Via = d.addr(m["via"], join(p, "via"))
		if r.Via.IsValid() && subnet.IsValid() && !subnet.Contains(r.Via) {
			d.addf(m["via"], join(p, "via"), "gateway %s is not on %s: a client there cannot reach it", r.Via, subnet)
			continue
		}
		if r.To.IsValid() && r.Via.IsValid() {
			out = append(out, r)
		}
	}
	return out
}
