package dhcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/bootyard/bootyard/inventory"
)

func TestLimiterTableIsBounded(t *testing.T) {
	l := newLimiter(1000)
	now := time.Now()
	lim := inventory.DHCPLimits{PerClientRate: 1, PerClientBurst: 1}
	for i := range 20000 {
		l.allowMAC(fmt.Sprint(i), now, lim)
	}
	if n := l.tracked(); n > 1000 {
		t.Fatalf("tracked %d MACs, bound 1000", n)
	}
	// A bucket refills with time.
	if !l.allowMAC("x", now, lim) || l.allowMAC("x", now, lim) || !l.allowMAC("x", now.Add(time.Second), lim) {
		t.Fatal("token bucket does not refill at its rate")
	}
}

// tracked is the number of MACs in the table (for tests).
func (l *limiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.macs)
}
