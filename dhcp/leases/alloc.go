package leases

import (
	"net"
	"net/netip"
	"time"

	"github.com/bootyard/bootyard/inventory"
)

// Free returns an address of rg that no current lease holds and that skip
// (may be nil) does not reject. It prefers, in order: the address mac held
// last, even expired (clients and their users expect to keep their
// address); an address never handed out, searched from where the last search
// stopped; the address whose lease expired longest ago (so that clients that
// went away recently can still get theirs back). ok is false when every
// address is held.
func (s *Store) Free(rg inventory.Range, mac net.HardwareAddr, now time.Time, skip func(netip.Addr) bool) (netip.Addr, bool) {
	if !rg.Start.Is4() || !rg.End.Is4() || rg.End.Less(rg.Start) {
		return netip.Addr{}, false
	}
	usable := func(a netip.Addr) bool { return skip == nil || !skip(a) }
	s.mu.RLock()
	if r, ok := s.byMAC[mac.String()]; ok && rg.Contains(r.IP) && usable(r.IP) {
		if cur := s.byIP[r.IP]; cur == r && (r.State != Declined || !r.Expires.After(now)) {
			s.mu.RUnlock()
			return r.IP, true
		}
	}
	start := rg.Start
	if n, ok := s.next[rg]; ok && rg.Contains(n) {
		start = n
	}
	var oldest *record
	found := netip.Addr{}
	a := start
	for range rg.Size() {
		r, held := s.byIP[a]
		switch {
		case !usable(a):
		case !held:
			found = a
		case !r.Expires.After(now) && (oldest == nil || r.Expires.Before(oldest.Expires)):
			oldest = r
		}
		if found.IsValid() {
			break
		}
		if a = a.Next(); !rg.Contains(a) {
			a = rg.Start
		}
	}
	s.mu.RUnlock()
	if found.IsValid() {
		s.mu.Lock()
		if n := found.Next(); rg.Contains(n) {
			s.next[rg] = n
		} else {
			s.next[rg] = rg.Start
		}
		s.mu.Unlock()
		return found, true
	}
	if oldest != nil {
		return oldest.IP, true
	}
	return netip.Addr{}, false
}
