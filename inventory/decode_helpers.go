package inventory

import (
	"net/netip"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

func validDomain(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// resolvePath makes p absolute against the config file's folder, so the
// same file means the same thing whatever folder bootyard was started in.
func resolvePath(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// subnetOf returns the configured subnet that holds a: the main subnet or a
// relayed one.
func subnetOf(c *DHCP, a netip.Addr) (netip.Prefix, bool) {
	if c.Subnet.IsValid() && c.Subnet.Contains(a) {
		return c.Subnet, true
	}
	for _, r := range c.Relayed {
		if r.Subnet.IsValid() && r.Subnet.Contains(a) {
			return r.Subnet, true
		}
	}
	return netip.Prefix{}, false
}
