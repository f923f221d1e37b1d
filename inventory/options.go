package inventory

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// optionForms are the keys of the one-key mapping that gives an option value
// an explicit type. A DHCP option is bytes on the wire and the file must say
// how to make them: a bare 1500 could be one, two or four bytes (RFC 2132
// gives option 26 two, option 2 four), so numbers always name their size.
var optionForms = []string{"ip", "string", "uint8", "uint16", "uint32", "int32", "bool", "hex"}

// ManagedOption says why an option code may not be set as an extra option,
// or "" when it may. The loader refuses such codes; the DHCP side skips them
// in snapshots built in code, so both follow this one list.
func ManagedOption(code int) string {
	switch code {
	case 0, 255:
		return "is pad/end, not an option"
	case 50, 52, 53, 54, 55, 57, 61, 82:
		return "belongs to the DHCP exchange itself; bootyard sets it"
	case 1:
		return "is set from dhcp.subnet"
	case 51, 58, 59:
		return "is set from dhcp.lease_time (58 and 59 are half and 7/8 of it)"
	case 66:
		return "is set from dhcp.server_ip"
	case 67:
		return "is set from bootfile (host, profile or boot:)"
	case 208, 209, 210, 211:
		return "is set from the profile's pxelinux: keys"
	}
	return ""
}

// options decodes an options mapping: option number to value.
//
//	options:
//	  42: 198.51.100.1               # IPv4 address(es): 4 bytes each
//	  4: [198.51.100.1, 198.51.100.2]
//	  15: example.net                # anything else plain is text
//	  26: {uint16: 1500}             # numbers name their size
//	  43: {hex: "01:04:de:ad:be:ef"} # raw bytes
func (d *decoder) options(n *yaml.Node, path string) []DHCPOption {
	ps, _ := d.pairs(n, path)
	var out []DHCPOption
	seen := map[int]int{}
	for _, kv := range ps {
		p := join(path, kv.key.Value)
		code, err := strconv.Atoi(kv.key.Value)
		if err != nil || code < 0 || code > 255 {
			d.addf(kv.key, p, "option %q: the key must be an option number from 1 to 254", kv.key.Value)
			continue
		}
		if why := ManagedOption(code); why != "" {
			d.addf(kv.key, p, "option %d %s", code, why)
			continue
		}
		if first, dup := seen[code]; dup {
			d.addf(kv.key, p, "option %d is given twice (first on line %d)", code, first)
			continue
		}
		seen[code] = kv.key.Line
		v, ok := d.optionValue(kv.val, p)
		if !ok {
			continue
		}
		if len(v) > 255 {
			d.addf(kv.key, p, "option %d is %d bytes; one option holds at most 255", code, len(v))
			continue
		}
		out = append(out, DHCPOption{Code: uint8(code), Value: v, Line: kv.key.Line})
	}
	return out
}

func (d *decoder) optionValue(n *yaml.Node, path string) ([]byte, bool) {
	n = d.resolve(n)
	if n == nil {
		return nil, false
	}
	switch {
	case isNull(n):
		d.addf(n, path, "has no value (for an empty option write {hex: \"\"})")
		return nil, false
	case n.Kind == yaml.SequenceNode:
		return d.optionIPs(n, path)
	case n.Kind == yaml.MappingNode:
		return d.optionTyped(n, path)
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		d.addf(n, path, "a number needs its size: write {uint8: %s}, {uint16: %s} or {uint32: %s}", n.Value, n.Value, n.Value)
		return nil, false
	case "!!bool":
		d.addf(n, path, "write {bool: %s} for a one-byte flag, or quote it for text", n.Value)
		return nil, false
	}
	if a, err := netip.ParseAddr(n.Value); err == nil && a.Is4() && n.Style == 0 {
		b := a.As4()
		return b[:], true
	}
	return []byte(n.Value), true
}

func (d *decoder) optionIPs(n *yaml.Node, path string) ([]byte, bool) {
	var out []byte
	ok := true
	for i, e := range d.list(n, path) {
		e = d.resolve(e)
		if e == nil || e.Kind != yaml.ScalarNode {
			d.addf(n, index(path, i), "a list option holds IPv4 addresses only")
			ok = false
			continue
		}
		a, err := parseAddr4(e.Value)
		if err != nil {
			d.addf(e, index(path, i), "%v (a list option holds IPv4 addresses only)", err)
			ok = false
			continue
		}
		b := a.As4()
		out = append(out, b[:]...)
	}
	return out, ok
}

func (d *decoder) optionTyped(n *yaml.Node, path string) ([]byte, bool) {
	m := d.mapping(n, path, optionForms)
	if len(m) != 1 {
		if len(n.Content) > 0 && len(m) > 1 {
			d.addf(n, path, "give exactly one of %s", strings.Join(optionForms, ", "))
		} else if len(n.Content) == 0 {
			d.addf(n, path, "give one of %s", strings.Join(optionForms, ", "))
		}
		return nil, false
	}
	for form, v := range m {
		p := join(path, form)
		if form == "ip" {
			if vv := d.resolve(v); vv != nil && vv.Kind == yaml.SequenceNode {
				return d.optionIPs(vv, p)
			}
		}
		s, ok := d.scalar(v, p)
		if !ok {
			return nil, false
		}
		text := ""
		if s != nil {
			text = s.Value
		}
		b, err := encodeOption(form, text)
		if err != nil {
			d.addf(v, p, "%v", err)
			return nil, false
		}
		return b, true
	}
	return nil, false
}

// encodeOption turns one typed value into option bytes, in network order.
func encodeOption(form, text string) ([]byte, error) {
	num := func(bits int, signed bool) ([]byte, error) {
		var u uint64
		if signed {
			v, err := strconv.ParseInt(text, 0, bits)
			if err != nil {
				return nil, fmt.Errorf("%q is not a %d-bit signed number", text, bits)
			}
			u = uint64(v)
		} else {
			v, err := strconv.ParseUint(text, 0, bits)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number from 0 to %d", text, uint64(1)<<bits-1)
			}
			u = v
		}
		b := make([]byte, bits/8)
		for i := range b {
			b[len(b)-1-i] = byte(u >> (8 * i))
		}
		return b, nil
	}
	switch form {
	case "ip":
		a, err := parseAddr4(text)
		if err != nil {
			return nil, err
		}
		b := a.As4()
		return b[:], nil
	case "string":
		return []byte(text), nil
	case "uint8":
		return num(8, false)
	case "uint16":
		return num(16, false)
	case "uint32":
		return num(32, false)
	case "int32":
		return num(32, true)
	case "bool":
		switch text {
		case "true":
			return []byte{1}, nil
		case "false":
			return []byte{0}, nil
		}
		return nil, fmt.Errorf("%q is not true or false", text)
	case "hex":
		h := strings.NewReplacer(":", "", " ", "", "-", "").Replace(text)
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("%q is not hex bytes (e.g. \"01:02:ff\")", text)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown form %q", form)
}
