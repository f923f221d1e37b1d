package inventory

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

// ipxeOptions decodes a profile's ipxe_options: iPXE's encapsulated
// settings, sent as sub-options of option 175 to hosts of the profile when
// the client is iPXE. Keys are sub-option numbers, values are written as
// in options: (e.g. 1: {uint8: 10} priority, 8: {uint8: 1} keep-san,
// 190: user for a SAN or HTTP user name). The whole of 175 must fit one
// option (255 bytes).
//
//	ipxe_options:
//	  8: {uint8: 1}
//	  190: builder
func (d *decoder) ipxeOptions(m map[string]*yaml.Node, p string) []DHCPOption {
	n := m["ipxe_options"]
	path := join(p, "ipxe_options")
	ps, _ := d.pairs(n, path)
	var out []DHCPOption
	seen := map[int]bool{}
	size := 0
	for _, kv := range ps {
		kp := join(path, kv.key.Value)
		code, err := strconv.Atoi(kv.key.Value)
		if err != nil || code < 1 || code > 254 {
			d.addf(kv.key, kp, "iPXE setting %q: the key must be a sub-option number from 1 to 254", kv.key.Value)
			continue
		}
		if seen[code] {
			d.addf(kv.key, kp, "iPXE setting %d is given twice", code)
			continue
		}
		seen[code] = true
		v, ok := d.optionValue(kv.val, kp)
		if !ok {
			continue
		}
		size += 2 + len(v)
		if size > 255 {
			d.addf(kv.key, kp, "option 175 would be %d bytes with this setting; it holds at most 255", size)
			continue
		}
		out = append(out, DHCPOption{Code: uint8(code), Value: v, Line: kv.key.Line})
	}
	return out
}
