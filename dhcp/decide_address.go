package dhcp

import (
	"bytes"
	"log/slog"
	"net/netip"

	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// reservation is the host's reserved address when it lies on n. A host
// whose reservation is elsewhere (it moved to another segment) is served
// like a host without one, and the explanation says so.
func (d *decider) reservation(n network) (netip.Addr, bool) {
	if d.host == nil || !d.host.IP.IsValid() {
		return netip.Addr{}, false
	}
	if !n.subnet.Contains(d.host.IP) {
		if d.explaining() {
			d.note("host %s reserves %s, which is not on the %s: served from the pool", d.host.Name, d.host.IP, n.name())
		}
		return netip.Addr{}, false
	}
	return d.host.IP, true
}

// poolUsable reports whether a pool may hand out ip: inside the pool and
// the subnet, not reserved by any host (reservation always wins), and not
// the server, the router, the subnet's network or broadcast address.
func (d *decider) poolUsable(n network, ip netip.Addr) bool {
	if n.pool == nil || !ip.Is4() || !n.pool.Contains(ip) || !n.subnet.Contains(ip) {
		return false
	}
	if d.snap.Reserved(ip) || ip == d.server || ip == n.router {
		return false
	}
	p := n.subnet.Masked()
	if ip == p.Addr() || (p.Bits() < 31 && ip == lastAddr(p)) {
		return false
	}
	return true
}

// heldByOther reports whether a current lease gives ip to another client
// or quarantines it after a DECLINE.
func (d *decider) heldByOther(ip netip.Addr) bool {
	l, ok := d.lv.ByIP(ip, d.req.Now)
	return ok && (l.State == leases.Declined || !bytes.Equal(l.MAC, d.mac))
}

// offerAddress chooses the address to offer. Order: the reservation; the
// client's current pool lease; the address it asks for (option 50, RFC
// 2131 4.3.1 "MAY"); a free pool address (the store prefers the one the
// client had last). A non-nil Decision is the ignore to return.
func (d *decider) offerAddress(n network) (ip netip.Addr, reserved bool, ign *Decision) {
	if ip, ok := d.reservation(n); ok {
		d.note("address %s: reservation of host %s", ip, d.host.Name)
		return ip, true, nil
	}
	if n.pool == nil {
		dec := d.noPool()
		return netip.Addr{}, false, &dec
	}
	if l, ok := d.lv.ByMAC(d.mac, d.req.Now); ok && l.State != leases.Declined && d.poolUsable(n, l.IP) {
		d.note("address %s: the client's current lease", l.IP)
		return l.IP, false, nil
	}
	if want := d.requested(); want.IsValid() && d.poolUsable(n, want) && !d.heldByOther(want) {
		d.note("address %s: asked for in option 50 and free", want)
		return want, false, nil
	}
	skip := func(a netip.Addr) bool { return !d.poolUsable(n, a) }
	if ip, ok := d.lv.Free(*n.pool, d.mac, d.req.Now, skip); ok && d.poolUsable(n, ip) {
		if d.explaining() {
			d.note("address %s: free in the pool %s-%s of the %s", ip, n.pool.Start, n.pool.End, n.name())
		}
		return ip, false, nil
	}
	dec := d.ignore(slog.LevelWarn, ReasonPoolExhausted, "pool %s-%s of the %s is exhausted", n.pool.Start, n.pool.End, n.name())
	return netip.Addr{}, false, &dec
}

// noPool is the ignore for a client that has no reservation where no pool
// exists: the line a user looks for when a new board gets no answer.
func (d *decider) noPool() Decision {
	if d.host == nil {
		return d.ignore(slog.LevelInfo, ReasonUnknownNoPool, "unknown MAC %s and no pool", d.mac)
	}
	return d.ignore(slog.LevelInfo, ReasonHostNoPool, "host %s has no reserved address here and there is no pool", d.host.Name)
}

// requested is option 50, or the zero Addr.
func (d *decider) requested() netip.Addr {
	v := d.m.Options.Get(dhcpv4.OptionRequestedIPAddress)
	if a, ok := netip.AddrFromSlice(v); ok && a.Is4() {
		return a
	}
	return netip.Addr{}
}

// lastAddr is the broadcast address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
