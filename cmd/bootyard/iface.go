package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// errNoInterface is returned by interfaceIPv4 for an interface this machine
// does not have.
var errNoInterface = errors.New("no such interface")

// interfaceIPv4 lists the IPv4 addresses (with their prefix lengths) of the
// named interface, in the kernel's order. It is the one place that reads
// them: serve's server address, check's machine check and quick mode's
// interface all go through it.
func interfaceIPv4(name string) ([]netip.Prefix, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("interface %q: %w", name, errNoInterface)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, fmt.Errorf("interface %q: cannot read its addresses: %w", name, err)
	}
	var out []netip.Prefix
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(n.IP)
		if !ok || !ip.Unmap().Is4() {
			continue
		}
		ones, _ := n.Mask.Size()
		if len(n.Mask) == net.IPv6len {
			ones -= 96
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ones))
	}
	return out, nil
}
