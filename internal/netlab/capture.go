package netlab

import (
	"testing"
	"time"
)

// Capture starts tcpdump on br0, the main segment's bridge, and returns once
// tcpdump is listening, so the first packet a test sends after it is seen.
// tcpdump puts br0 in promiscuous mode, which makes the bridge hand it every
// frame crossing the segment, unicast between two hosts included. args are
// appended after "-i br0 -n -e -l" (say "-vv", "udp port 67"). Wait for a
// packet with WaitFor; when the test fails, the capture's tail is logged
// like any Start output. Skips or fails t like Require without tcpdump.
func (l *Lab) Capture(t testing.TB, args ...string) *Proc {
	t.Helper()
	Require(t, "tcpdump")
	p := l.sw.Start(t, "tcpdump", append([]string{"-i", "br0", "-n", "-e", "-l", "--immediate-mode"}, args...)...)
	if err := p.WaitFor(10*time.Second, "listening on br0"); err != nil {
		t.Fatalf("netlab: capture: %v", err)
	}
	return p
}
