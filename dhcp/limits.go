package dhcp

import (
	"math"
	"sync"
	"time"

	"github.com/bootyard/bootyard/inventory"
)

// The limits keep one client, or a flood of made-up clients, from taking the
// pool or the CPU (inventory.DHCPLimits, the dhcp.limits section):
//
//   - a token bucket per MAC: a client stuck in a DISCOVER loop is answered
//     at PerClientRate and the rest dropped before parsing;
//   - one token bucket for all new clients (neither in the inventory nor
//     holding a lease): a flood of random MACs gets NewClientRate pool
//     offers per second, while known hosts skip this bucket and are still
//     answered.
//
// The per-MAC table is bounded (maxTracked entries): when full, idle entries
// are swept, and if the flood is so wide that none is idle, half the table is
// dropped, which only forgets some buckets, never blocks a client for good.

// defaultMaxTracked bounds the per-MAC table (about 100 bytes an entry).
const defaultMaxTracked = 1 << 16

// bucket is a token bucket. The zero value is full on first use.
type bucket struct {
	tokens float64
	last   time.Time
}

// take reports whether a token was available at now and takes it.
func (b *bucket) take(now time.Time, rate float64, burst int) bool {
	cap := float64(burstOf(rate, burst))
	if b.last.IsZero() {
		b.tokens = cap
	} else if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(cap, b.tokens+dt*rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// burstOf is the bucket size: the configured burst, or one second's worth
// (at least 1) when none is set.
func burstOf(rate float64, burst int) int {
	if burst > 0 {
		return burst
	}
	return max(1, int(math.Ceil(rate)))
}

// macState is what the limiter remembers per MAC.
type macState struct {
	b       bucket
	seen    time.Time
	lastLog time.Time
}

// limiter applies DHCPLimits. Limits come with each call because a reloaded
// snapshot may change them.
type limiter struct {
	mu         sync.Mutex
	macs       map[string]*macState
	maxTracked int
	newClients bucket
}

func newLimiter(maxTracked int) *limiter {
	if maxTracked <= 0 {
		maxTracked = defaultMaxTracked
	}
	return &limiter{macs: make(map[string]*macState), maxTracked: maxTracked}
}

// state returns the entry for mac, making room when the table is full.
// Called with l.mu held.
func (l *limiter) state(mac string, now time.Time) *macState {
	if s, ok := l.macs[mac]; ok {
		s.seen = now
		return s
	}
	if len(l.macs) >= l.maxTracked {
		l.sweep(now)
	}
	s := &macState{seen: now}
	l.macs[mac] = s
	return s
}

// sweep forgets MACs idle for a minute (their bucket is full again and their
// log line would be due anyway); if that frees too little, it forgets half the
// table at random (map order).
func (l *limiter) sweep(now time.Time) {
	for k, s := range l.macs {
		if now.Sub(s.seen) > time.Minute {
			delete(l.macs, k)
		}
	}
	if len(l.macs) < l.maxTracked*3/4 {
		return
	}
	drop := len(l.macs) / 2
	for k := range l.macs {
		if drop == 0 {
			break
		}
		delete(l.macs, k)
		drop--
	}
}

// allowMAC takes a token from mac's bucket; true when no per-client limit is set.
func (l *limiter) allowMAC(mac string, now time.Time, lim inventory.DHCPLimits) bool {
	if lim.PerClientRate <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state(mac, now).b.take(now, lim.PerClientRate, lim.PerClientBurst)
}

// allowNew takes a token from the new-client bucket; true when no limit is set.
func (l *limiter) allowNew(now time.Time, lim inventory.DHCPLimits) bool {
	if lim.NewClientRate <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.newClients.take(now, lim.NewClientRate, lim.NewClientBurst)
}

// shouldLog reports whether an info line about mac is due: at most one per
// every interval per MAC, so a board retrying every few seconds leaves one
// line a user can find, not a flood.
func (l *limiter) shouldLog(mac string, now time.Time, every time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state(mac, now)
	if !s.lastLog.IsZero() && now.Sub(s.lastLog) < every {
		return false
	}
	s.lastLog = now
	return true
}
