package dhcp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// BenchmarkDecideRelayedPool is the server's work for one DORA of the
// bench/dhcp pool scenario, without the sockets: a relayed DISCOVER from a
// new MAC decided and its hold committed, then its REQUEST decided and the
// lease bound (memory-only store), and both replies encoded as send does. Watch allocs/op.
func BenchmarkDecideRelayedPool(b *testing.B) {
	snap := testSnap(withRelay())
	st, err := leases.Open("", leases.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	relay := netip.MustParseAddrPort("203.0.113.1:67")
	buf := make([]byte, 0, 1500) // the server's pooled reply buffer
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		mac := net.HardwareAddr{0x02, 0x42, 0, byte(i >> 16), byte(i >> 8), byte(i)}
		disc := newPkt(mac, dhcpv4.MessageTypeDiscover).giaddr("203.0.113.1")
		r := Request{Msg: disc.m, Port: ServerPort, Peer: relay, ServerIP: serverIP, Now: time.Now(), Terse: true}
		d := Decide(r, snap, st)
		if d.Reply == nil || d.Change == nil {
			b.Fatalf("no offer: %s", d.Ignore)
		}
		if err := st.Commit(*d.Change); err != nil {
			b.Fatal(err)
		}
		buf = appendMessage(buf[:0], d.Reply)
		rq := newPkt(mac, dhcpv4.MessageTypeRequest).giaddr("203.0.113.1").
			ip(50, d.Reply.YourIPAddr.String()).ip(54, serverIP.String())
		r = Request{Msg: rq.m, Port: ServerPort, Peer: relay, ServerIP: serverIP, Now: time.Now(), Terse: true}
		d = Decide(r, snap, st)
		if d.Reply == nil || d.Change == nil {
			b.Fatalf("no ack: %s", d.Ignore)
		}
		if err := st.Commit(*d.Change); err != nil {
			b.Fatal(err)
		}
		buf = appendMessage(buf[:0], d.Reply)
		// The pool has 11 addresses: release so the next MAC gets one.
		st.Commit(leases.Change{Op: leases.OpRelease, MAC: mac, IP: d.Change.IP})
	}
}
