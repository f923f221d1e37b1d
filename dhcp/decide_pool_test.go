package dhcp

import (
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/inventory"
	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// TestDecidePool covers pool allocation and the lease changes proposed for
// DISCOVER, DECLINE and RELEASE.
func TestDecidePool(t *testing.T) {
	disc := dhcpv4.MessageTypeDiscover
	ip := netip.MustParseAddr
	other := mustMAC("52:54:00:77:77:77")
	// A pool that starts on the router (.1) and the server (.2).
	tight := testSnap(withPool("198.51.100.1", "198.51.100.3"))
	pool := testSnap(withPool("198.51.100.100", "198.51.100.150"))
	tests := []struct {
		name   string
		snap   *inventory.Snapshot
		pkt    pkt
		leases []leases.Lease
		want   outcome
	}{
		{"unknown MAC gets the first free address, offered for 60 s", pool, udhcpc(macUnknown, disc), nil,
			outcome{Type: "OFFER", YIAddr: "198.51.100.100", CIAddr: "0.0.0.0", Dest: "198.51.100.100:68", Change: "offer 198.51.100.100", Level: slog.LevelInfo}},
		{"pool skips router and server", tight, udhcpc(macUnknown, disc), nil,
			outcome{Type: "OFFER", YIAddr: "198.51.100.3", CIAddr: "0.0.0.0", Dest: "198.51.100.3:68", Change: "offer 198.51.100.3", Level: slog.LevelInfo}},
		{"pool never offers a reserved address", testSnap(withPool("198.51.100.18", "198.51.100.19")), udhcpc(macUnknown, disc), nil,
			outcome{Level: slog.LevelWarn}},
		{"pool skips a quarantined (declined) address", pool, udhcpc(macUnknown, disc),
			[]leases.Lease{{MAC: other, IP: ip("198.51.100.100"), State: leases.Declined, Expires: testNow.Add(time.Minute)}},
			outcome{Type: "OFFER", YIAddr: "198.51.100.101", CIAddr: "0.0.0.0", Dest: "198.51.100.101:68", Change: "offer 198.51.100.101", Level: slog.LevelInfo}},
		{"client keeps its current lease, no downgrade of a bound lease", pool, udhcpc(macUnknown, disc),
			[]leases.Lease{{MAC: macUnknown, IP: ip("198.51.100.140"), State: leases.Bound, Expires: testNow.Add(time.Minute)}},
			outcome{Type: "OFFER", YIAddr: "198.51.100.140", CIAddr: "0.0.0.0", Dest: "198.51.100.140:68", Level: slog.LevelInfo}},
		{"option 50 honoured when free", pool, udhcpc(macUnknown, disc).ip(50, "198.51.100.130"), nil,
			outcome{Type: "OFFER", YIAddr: "198.51.100.130", CIAddr: "0.0.0.0", Dest: "198.51.100.130:68", Change: "offer 198.51.100.130", Level: slog.LevelInfo}},
		{"option 50 held by another: a free one instead", pool, udhcpc(macUnknown, disc).ip(50, "198.51.100.100"),
			[]leases.Lease{{MAC: other, IP: ip("198.51.100.100"), State: leases.Bound, Expires: testNow.Add(time.Minute)}},
			outcome{Type: "OFFER", YIAddr: "198.51.100.101", CIAddr: "0.0.0.0", Dest: "198.51.100.101:68", Change: "offer 198.51.100.101", Level: slog.LevelInfo}},
		{"pool exhausted: warn", testSnap(withPool("198.51.100.100", "198.51.100.100")), udhcpc(macUnknown, disc),
			[]leases.Lease{{MAC: other, IP: ip("198.51.100.100"), State: leases.Bound, Expires: testNow.Add(time.Minute)}},
			outcome{Level: slog.LevelWarn}},
		{"reserved host with a pool still gets its reservation, no lease", pool, dhclient(macLinux, disc), nil,
			outcome{Type: "OFFER", YIAddr: "198.51.100.18", CIAddr: "0.0.0.0", Dest: "198.51.100.18:68", Level: slog.LevelInfo}},
		{"DECLINE of a pool address: quarantine, no reply", pool,
			udhcpc(macUnknown, dhcpv4.MessageTypeDecline).ip(54, "198.51.100.2").ip(50, "198.51.100.100"),
			[]leases.Lease{{MAC: macUnknown, IP: ip("198.51.100.100"), State: leases.Bound, Expires: testNow.Add(time.Minute)}},
			outcome{Change: "decline 198.51.100.100", Level: slog.LevelWarn}},
		{"DECLINE of a reservation: warn, nothing to quarantine", pool,
			dhclient(macLinux, dhcpv4.MessageTypeDecline).ip(54, "198.51.100.2").ip(50, "198.51.100.18"), nil,
			outcome{Level: slog.LevelWarn}},
		{"DECLINE of another client's address: ignored", pool,
			udhcpc(macUnknown, dhcpv4.MessageTypeDecline).ip(50, "198.51.100.100"),
			[]leases.Lease{{MAC: other, IP: ip("198.51.100.100"), State: leases.Bound, Expires: testNow.Add(time.Minute)}},
			outcome{Level: slog.LevelInfo}},
		{"RELEASE of its lease: release, no reply", pool,
			udhcpc(macUnknown, dhcpv4.MessageTypeRelease).ip(54, "198.51.100.2").ciaddr("198.51.100.100"),
			[]leases.Lease{{MAC: macUnknown, IP: ip("198.51.100.100"), State: leases.Bound, Expires: testNow.Add(time.Minute)}},
			outcome{Change: "release 198.51.100.100", Level: slog.LevelDebug}},
		{"RELEASE of someone else's lease: nothing", pool,
			udhcpc(macUnknown, dhcpv4.MessageTypeRelease).ciaddr("198.51.100.100"),
			[]leases.Lease{{MAC: other, IP: ip("198.51.100.100"), State: leases.Bound, Expires: testNow.Add(time.Minute)}},
			outcome{Level: slog.LevelDebug}},
		{"INFORM: ACK to ciaddr without an address", pool, udhcpc(macUnknown, dhcpv4.MessageTypeInform).ciaddr("198.51.100.77"), nil,
			outcome{Type: "ACK", YIAddr: "0.0.0.0", CIAddr: "198.51.100.77", Dest: "198.51.100.77:68", Level: slog.LevelInfo}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(req(tc.pkt), tc.snap, &fakeLeases{all: tc.leases})
			if diff := cmp.Diff(tc.want, outcomeOf(t, d)); diff != "" {
				t.Errorf("(-want +got):\n%s\nwhy: %q", diff, d.Why)
			}
			if d.Reply == nil && (d.Reason == "" || d.Ignore == "") {
				t.Error("ignored without a reason")
			}
		})
	}
}

// TestDecideLeaseChanges pins the expiries and fields of the proposals.
func TestDecideLeaseChanges(t *testing.T) {
	pool := testSnap(withPool("198.51.100.100", "198.51.100.150"))
	ip := netip.MustParseAddr("198.51.100.100")
	mine := []leases.Lease{{MAC: macUnknown, IP: ip, State: leases.Bound, Expires: testNow.Add(time.Minute)}}
	tests := []struct {
		name string
		pkt  pkt
		lv   []leases.Lease
		want *leases.Change
	}{
		{"offer", udhcpc(macUnknown, dhcpv4.MessageTypeDiscover).str(12, "board"), nil,
			&leases.Change{Op: leases.OpOffer, MAC: macUnknown, IP: ip, Expires: testNow.Add(60 * time.Second), Hostname: "board"}},
		{"bind for the lease time", udhcpc(macUnknown, dhcpv4.MessageTypeRequest).ip(50, "198.51.100.100").str(12, "board"), nil,
			&leases.Change{Op: leases.OpBind, MAC: macUnknown, IP: ip, Expires: testNow.Add(time.Hour), Hostname: "board"}},
		{"decline quarantines 10 min", udhcpc(macUnknown, dhcpv4.MessageTypeDecline).ip(50, "198.51.100.100"), mine,
			&leases.Change{Op: leases.OpDecline, MAC: macUnknown, IP: ip, Expires: testNow.Add(10 * time.Minute)}},
		{"release", udhcpc(macUnknown, dhcpv4.MessageTypeRelease).ciaddr("198.51.100.100"), mine,
			&leases.Change{Op: leases.OpRelease, MAC: macUnknown, IP: ip}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(req(tc.pkt), pool, &fakeLeases{all: tc.lv})
			if diff := cmp.Diff(tc.want, d.Change, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("change (-want +got):\n%s\nwhy: %q", diff, d.Why)
			}
		})
	}
}
