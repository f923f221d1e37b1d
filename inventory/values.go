package inventory

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The typed value decoders: each takes a node and the field path, returns
// the value (or the default when the key is absent) and records a Problem
// for a value of the wrong form. They never stop the walk.

// scalar returns n as a scalar, reporting anything else. ok is false for a
// mistake; a null or blank value gives (nil, true) so callers treat it as
// absent.
func (d *decoder) scalar(n *yaml.Node, path string) (s *yaml.Node, ok bool) {
	n = d.resolve(n)
	if n == nil {
		return nil, false
	}
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.ScalarNode {
		d.addf(n, path, "must be a single value, not %s", describe(n))
		return nil, false
	}
	d.nodes[path] = n
	if n.ShortTag() == "!!str" && strings.TrimSpace(n.Value) == "" {
		return nil, true // "" is as good as absent
	}
	return n, true
}

// str decodes a string value (any scalar's text; null is "").
func (d *decoder) str(n *yaml.Node, path string) string {
	s, _ := d.scalar(n, path)
	if s == nil {
		return ""
	}
	return s.Value
}

// boolean decodes true/false. Only YAML booleans are accepted: "yes" or
// "on" are strings in YAML 1.2, and guessing would hide a typo.
func (d *decoder) boolean(n *yaml.Node, path string, def bool) bool {
	s, ok := d.scalar(n, path)
	if s == nil || !ok {
		return def
	}
	if s.ShortTag() != "!!bool" {
		d.addf(s, path, "must be true or false, not %q", s.Value)
		return def
	}
	return strings.EqualFold(s.Value, "true")
}

// integer decodes a whole number in [lo, hi].
func (d *decoder) integer(n *yaml.Node, path string, def, lo, hi int64) int64 {
	s, ok := d.scalar(n, path)
	if s == nil || !ok {
		return def
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s.Value, "_", ""), 0, 64)
	if err != nil || s.ShortTag() == "!!str" && s.Style != 0 {
		d.addf(s, path, "must be a whole number, not %q", s.Value)
		return def
	}
	if v < lo || v > hi {
		d.addf(s, path, "%d is out of range (%d to %d)", v, lo, hi)
		return def
	}
	return v
}

// float decodes a number >= 0.
func (d *decoder) float(n *yaml.Node, path string, def float64) float64 {
	s, ok := d.scalar(n, path)
	if s == nil || !ok {
		return def
	}
	v, err := strconv.ParseFloat(s.Value, 64)
	if err != nil || v != v || v < 0 || v > 1e9 {
		d.addf(s, path, "must be a number of at least 0, not %q", s.Value)
		return def
	}
	return v
}

// duration decodes a Go duration ("90s", "1h30m") in [lo, hi]. A bare number
// is refused: "timeout: 5" could mean seconds or milliseconds.
func (d *decoder) duration(n *yaml.Node, path string, def, lo, hi time.Duration) time.Duration {
	s, ok := d.scalar(n, path)
	if s == nil || !ok {
		return def
	}
	v, err := parseDuration(s.Value)
	if err != nil {
		if _, nerr := strconv.ParseFloat(s.Value, 64); nerr == nil {
			d.addf(s, path, "%q needs a unit, e.g. \"%ss\" or \"%sm\"", s.Value, s.Value, s.Value)
		} else {
			d.addf(s, path, "%q is not a duration (e.g. 30s, 10m, 1h)", s.Value)
		}
		return def
	}
	if v < lo || v > hi {
		d.addf(s, path, "%s is out of range (%s to %s)", v, lo, hi)
		return def
	}
	return v
}

// addr decodes an IPv4 address; the zero Addr when absent or wrong.
func (d *decoder) addr(n *yaml.Node, path string) netip.Addr {
	s, ok := d.scalar(n, path)
	if s == nil || !ok {
		return netip.Addr{}
	}
	a, err := parseAddr4(s.Value)
	if err != nil {
		d.addf(s, path, "%v", err)
	}
	return a
}

func parseAddr4(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%q is not an IP address", s)
	}
	if !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address (DHCPv4 only)", s)
	}
	return a, nil
}

// addrList decodes one address or a list of them.
func (d *decoder) addrList(n *yaml.Node, path string) []netip.Addr {
	n = d.resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		if a := d.addr(n, path); a.IsValid() {
			return []netip.Addr{a}
		}
		return nil
	}
	if !d.spend(n, len(n.Content)) {
		return nil
	}
	d.nodes[path] = n
	var out []netip.Addr
	for i, e := range n.Content {
		if a := d.addr(e, index(path, i)); a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

// prefix decodes an IPv4 subnet "a.b.c.d/n". Host bits are dropped, so the
// server's own "198.51.100.2/24" also means 198.51.100.0/24.
func (d *decoder) prefix(n *yaml.Node, path string) netip.Prefix {
	s, ok := d.scalar(n, path)
	if s == nil || !ok {
		return netip.Prefix{}
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(s.Value))
	if err != nil {
		d.addf(s, path, "%q is not a subnet (e.g. 198.51.100.0/24)", s.Value)
		return netip.Prefix{}
	}
	if !p.Addr().Is4() {
		d.addf(s, path, "%q is not an IPv4 subnet (DHCPv4 only)", s.Value)
		return netip.Prefix{}
	}
	if p.Bits() > 30 {
		d.addf(s, path, "/%d leaves no room for clients; use /30 or shorter", p.Bits())
		return netip.Prefix{}
	}
	return p.Masked()
}

// rangeOf decodes an address range "a-b".
func (d *decoder) rangeOf(n *yaml.Node, path string) *Range {
	s, ok := d.scalar(n, path)
	if s == nil || !ok {
		return nil
	}
	a, b, found := strings.Cut(s.Value, "-")
	if !found {
		d.addf(s, path, "%q is not a range; write first-last, e.g. 198.51.100.100-198.51.100.199", s.Value)
		return nil
	}
	start, err1 := parseAddr4(a)
	end, err2 := parseAddr4(b)
	if err1 != nil || err2 != nil {
		d.addf(s, path, "%q is not a range of IPv4 addresses (first-last)", s.Value)
		return nil
	}
	if end.Less(start) {
		d.addf(s, path, "range starts at %s, after its end %s", start, end)
		return nil
	}
	return &Range{Start: start, End: end}
}

// mac decodes a hardware address in any form net.ParseMAC takes; only 6-byte
// Ethernet addresses can boot over DHCPv4 with htype 1.
func (d *decoder) mac(n *yaml.Node, path string) net.HardwareAddr {
	s, ok := d.scalar(n, path)
	if s == nil || !ok {
		return nil
	}
	m, err := net.ParseMAC(strings.TrimSpace(s.Value))
	if err != nil {
		d.addf(s, path, "%q is not a MAC address (e.g. 52:54:00:12:34:56)", s.Value)
		return nil
	}
	if len(m) != 6 {
		d.addf(s, path, "%q is not a 6-byte Ethernet MAC address", s.Value)
		return nil
	}
	if m[0]&1 != 0 {
		d.addf(s, path, "%s is a multicast address; no network card has it", m)
		return nil
	}
	return m
}
