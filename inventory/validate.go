package inventory

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/bootyard/bootyard/firmware"
)

// check runs the checks that need the whole file decoded: references
// between sections, duplicates, and addresses against subnets. It adds to
// d.problems and never stops early.
func (d *decoder) check(r *raw) {
	c := &r.base.DHCP
	d.checkBootFileLengths(r)
	// Checked here, not while decoding, so that a reload is checked with
	// the running mode (Options.Running) rather than the file's.
	if c.Mode == ModeAuthoritative && !c.Subnet.IsValid() && d.nodes["dhcp.subnet"] == nil {
		at := d.noSubnetAt
		if at == nil {
			at = d.keys["dhcp"]
		}
		d.missing(at, "dhcp.subnet", "authoritative mode needs the subnet it serves (or set dhcp.mode: proxy or off)")
	}
	d.checkSubnets(c)

	byName := map[string]*Profile{}
	for _, p := range r.profiles {
		byName[p.Name] = p
	}
	defer d.checkLifecycle(r, byName)
	type seenAt struct {
		i    int
		line int
	}
	macs := map[string]seenAt{}
	ips := map[netip.Addr]seenAt{}
	names := map[string]seenAt{}
	serials := map[string]seenAt{}
	for i, h := range r.hosts {
		p := index("hosts", i)
		if want := r.hostProfiles[i]; want != "" {
			if pr, ok := byName[want]; ok {
				h.Profile = pr
			} else {
				d.addf(d.nodes[join(p, "profile")], join(p, "profile"), "%s", unknownProfile(want, r.profiles))
			}
		}
		if h.Cmdline != "" {
			switch {
			case r.hostProfiles[i] == "":
				d.addf(d.nodes[join(p, "cmdline")], join(p, "cmdline"), "a host's cmdline is added to its profile's kernel command line, but this host names no profile")
			case h.Profile != nil && h.Profile.Kernel == "" && h.Profile.Menu == nil:
				d.addf(d.nodes[join(p, "cmdline")], join(p, "cmdline"), "a host's cmdline is added to its profile's kernel command line, but profile %q has no kernel", h.Profile.Name)
			}
		}
		d.checkHostDeviceTree(h, p, r.hostProfiles[i])
		dup := func(field, what string, seen map[string]seenAt, key string) {
			if prev, ok := seen[key]; ok {
				d.addf(d.nodes[join(p, field)], join(p, field), "duplicate %s %s: also used by hosts[%d] on line %d", what, key, prev.i, prev.line)
				return
			}
			seen[key] = seenAt{i, lineOf(d.nodes[join(p, field)])}
		}
		if h.Name != "" {
			// Names become file and DNS names, where case does not count.
			dup("name", "name", names, strings.ToLower(h.Name))
		}
		if h.MAC != nil {
			dup("mac", "MAC", macs, h.MAC.String())
		}
		if h.RPiSerial != "" {
			dup("rpi_serial", "Raspberry Pi serial", serials, h.RPiSerial)
		}
		if h.IP.IsValid() {
			at := d.nodes[join(p, "ip")]
			if prev, ok := ips[h.IP]; ok {
				d.addf(at, join(p, "ip"), "duplicate IP %s: also reserved by hosts[%d] on line %d", h.IP, prev.i, prev.line)
			} else {
				ips[h.IP] = seenAt{i, lineOf(at)}
			}
			d.checkReservation(c, h.IP, join(p, "ip"))
		}
	}
}

func unknownProfile(name string, profiles []*Profile) string {
	if len(profiles) == 0 {
		return fmt.Sprintf("unknown profile %q (there is no profiles: section)", name)
	}
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	msg := unknownKey(name, names)
	return "unknown profile" + strings.TrimPrefix(msg, "unknown key")
}

// checkSubnets checks the pools, routers and server address against their
// subnets, and that no two subnets overlap.
func (d *decoder) checkSubnets(c *DHCP) {
	if c.Subnet.IsValid() {
		d.checkInside(c.Subnet, c.Router, "dhcp.router", "router")
		d.checkPool(c.Subnet, c.Pool, "dhcp.pool")
	} else if c.Pool != nil && c.Mode == ModeAuthoritative {
		d.addf(d.nodes["dhcp.pool"], "dhcp.pool", "a pool needs dhcp.subnet")
	}
	if c.Pool != nil && c.Mode == ModeProxy {
		d.addf(d.nodes["dhcp.pool"], "dhcp.pool", "proxy mode hands out no addresses: remove the pool or use mode: authoritative")
	}
	if c.Pool != nil {
		if c.ServerIP.IsValid() && c.Pool.Contains(c.ServerIP) {
			d.addf(d.nodes["dhcp.pool"], "dhcp.pool", "the pool contains the server's own address %s", c.ServerIP)
		}
		if c.Router.IsValid() && c.Pool.Contains(c.Router) {
			d.addf(d.nodes["dhcp.pool"], "dhcp.pool", "the pool contains the router %s", c.Router)
		}
	}
	for i, r := range c.Relayed {
		p := index("dhcp.relayed", i)
		if !r.Subnet.IsValid() {
			continue
		}
		if c.Subnet.IsValid() && c.Subnet.Overlaps(r.Subnet) {
			d.addf(d.nodes[join(p, "subnet")], join(p, "subnet"), "%s overlaps dhcp.subnet %s", r.Subnet, c.Subnet)
		}
		for j := range i {
			if o := c.Relayed[j].Subnet; o.IsValid() && o.Overlaps(r.Subnet) {
				d.addf(d.nodes[join(p, "subnet")], join(p, "subnet"), "%s overlaps dhcp.relayed[%d] %s", r.Subnet, j, o)
			}
			for _, a := range r.RelayAddresses {
				if slices.Contains(c.Relayed[j].RelayAddresses, a) {
					d.addf(d.nodes[join(p, "relay_addresses")], join(p, "relay_addresses"), "relay %s already selects dhcp.relayed[%d]", a, j)
				}
			}
		}
		d.checkInside(r.Subnet, r.Router, join(p, "router"), "router")
		d.checkPool(r.Subnet, r.Pool, join(p, "pool"))
		if r.Pool != nil && r.Router.IsValid() && r.Pool.Contains(r.Router) {
			d.addf(d.nodes[join(p, "pool")], join(p, "pool"), "the pool contains the router %s", r.Router)
		}
	}
}

// usable reports whether a is a host address of subnet: inside it and
// neither its network nor its broadcast address.
func usable(subnet netip.Prefix, a netip.Addr) bool {
	if !subnet.Contains(a) {
		return false
	}
	return a != subnet.Addr() && a != broadcast(subnet)
}

func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func (d *decoder) checkInside(subnet netip.Prefix, a netip.Addr, field, what string) {
	if a.IsValid() && !usable(subnet, a) {
		d.addf(d.nodes[field], field, "%s %s is not a host address of subnet %s", what, a, subnet)
	}
}

func (d *decoder) checkPool(subnet netip.Prefix, r *Range, field string) {
	if r == nil {
		return
	}
	if !usable(subnet, r.Start) || !usable(subnet, r.End) {
		d.addf(d.nodes[field], field, "pool %s-%s is not inside subnet %s (without its network and broadcast addresses)", r.Start, r.End, subnet)
	}
}

// checkReservation checks a host's address against the subnets it can be
// served in. A reservation inside a pool is fine: the pool skips reserved
// addresses.
func (d *decoder) checkReservation(c *DHCP, ip netip.Addr, field string) {
	subnet, ok := subnetOf(c, ip)
	if !ok {
		if !c.Subnet.IsValid() && len(c.Relayed) == 0 {
			// Proxy or off mode without subnets: the address is only used
			// to recognise the host on TFTP, there is nothing to check.
			return
		}
		d.addf(d.nodes[field], field, "%s is outside dhcp.subnet and every relayed subnet", ip)
		return
	}
	if !usable(subnet, ip) {
		d.addf(d.nodes[field], field, "%s is the network or broadcast address of %s", ip, subnet)
		return
	}
	if ip == c.Router {
		d.addf(d.nodes[field], field, "%s is the router's address", ip)
	}
	for _, r := range c.Relayed {
		if ip == r.Router {
			d.addf(d.nodes[field], field, "%s is the router's address of relayed subnet %s", ip, r.Subnet)
		}
	}
	if ip == c.ServerIP {
		d.addf(d.nodes[field], field, "%s is the server's own address", ip)
	}
}

// maxBootFile is the longest boot file name a client can receive: the BOOTP
// file field is 128 bytes and must end with a NUL (RFC 951), and U-Boot reads
// only that field, never option 67.
const maxBootFile = 127

// checkBootFileLengths refuses boot file names that would be cut short on
// the wire, where the client would then ask for a file that does not exist.
func (d *decoder) checkBootFileLengths(r *raw) {
	check := func(name, field string) {
		if len(name) > maxBootFile {
			d.addf(d.nodes[field], field, "boot file name is %d bytes; DHCP carries at most %d", len(name), maxBootFile)
		}
	}
	for _, class := range firmware.Classes() {
		check(r.base.Boot[class], join("boot", string(class)))
	}
	for _, p := range r.profiles {
		check(p.BootFile, join(join("profiles", p.Name), "bootfile"))
	}
	for i, h := range r.hosts {
		check(h.BootFile, join(index("hosts", i), "bootfile"))
	}
}
