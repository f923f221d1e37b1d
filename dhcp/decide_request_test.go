package dhcp

import (
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// outcome is what a REQUEST test checks.
type outcome struct {
	Type   string // OFFER, ACK, NAK, or "" for ignore
	YIAddr string
	CIAddr string
	Dest   string
	Bcast  bool
	Change string // "op ip" or ""
	Level  slog.Level
}

func outcomeOf(t *testing.T, d Decision) outcome {
	t.Helper()
	var o outcome
	if d.Reply != nil {
		d = wire(t, d)
		o.Type, o.YIAddr, o.CIAddr = messageName(d.Reply), d.Reply.YourIPAddr.String(), d.Reply.ClientIPAddr.String()
		o.Dest, o.Bcast = d.Dest.String(), d.Broadcast()
	}
	if c := d.Change; c != nil {
		o.Change = []string{"", "offer", "bind", "release", "decline"}[c.Op] + " " + c.IP.String()
	}
	o.Level = d.Level
	return o
}

// TestDecideRequest covers the client states of RFC 2131 4.3.2 for a
// reserved host and for pool clients, with the NAK and silence rules.
func TestDecideRequest(t *testing.T) {
	req3 := dhcpv4.MessageTypeRequest
	pool := testSnap(withPool("198.51.100.100", "198.51.100.150"))
	other := mustMAC("52:54:00:77:77:77")
	held := &fakeLeases{all: []leases.Lease{{MAC: other, IP: netip.MustParseAddr("198.51.100.120"), State: leases.Bound, Expires: testNow.Add(time.Hour)}}}
	tests := []struct {
		name string
		pkt  pkt
		snap bool // use the pool snapshot
		lv   *fakeLeases
		want outcome
	}{
		{"SELECTING reserved host: ACK", dhclient(macLinux, req3).ip(54, "198.51.100.2").ip(50, "198.51.100.18"), false, nil,
			outcome{Type: "ACK", YIAddr: "198.51.100.18", CIAddr: "0.0.0.0", Dest: "198.51.100.18:68", Level: slog.LevelInfo}},
		{"SELECTING another server: ignored at debug", dhclient(macLinux, req3).ip(54, "198.51.100.3").ip(50, "198.51.100.18"), false, nil,
			outcome{Level: slog.LevelDebug}},
		{"INIT-REBOOT reserved host, wrong address: NAK broadcast", dhclient(macLinux, req3).ip(50, "198.51.100.99"), false, nil,
			outcome{Type: "NAK", YIAddr: "0.0.0.0", CIAddr: "0.0.0.0", Dest: bcast, Bcast: true, Level: slog.LevelInfo}},
		{"INIT-REBOOT reserved host, other network: NAK", dhclient(macLinux, req3).ip(50, "10.1.2.3"), false, nil,
			outcome{Type: "NAK", YIAddr: "0.0.0.0", CIAddr: "0.0.0.0", Dest: bcast, Bcast: true, Level: slog.LevelInfo}},
		{"RENEWING reserved host: ACK unicast to ciaddr", dhclient(macLinux, req3).ciaddr("198.51.100.18"), false, nil,
			outcome{Type: "ACK", YIAddr: "198.51.100.18", CIAddr: "198.51.100.18", Dest: "198.51.100.18:68", Level: slog.LevelInfo}},
		{"RENEWING with somebody else's address: NAK broadcast", dhclient(macLinux, req3).ciaddr("198.51.100.19"), false, nil,
			outcome{Type: "NAK", YIAddr: "0.0.0.0", CIAddr: "0.0.0.0", Dest: bcast, Bcast: true, Level: slog.LevelInfo}},
		{"unknown MAC, no pool: silence (RFC 2131 4.3.2)", dhclient(macUnknown, req3).ip(50, "198.51.100.120"), false, nil,
			outcome{Level: slog.LevelInfo}},
		{"unknown MAC, no pool, other network: silence", dhclient(macUnknown, req3).ip(50, "10.0.0.5"), false, nil,
			outcome{Level: slog.LevelInfo}},
		{"pool SELECTING: ACK and bind", udhcpc(macUnknown, req3).ip(54, "198.51.100.2").ip(50, "198.51.100.120"), true, nil,
			outcome{Type: "ACK", YIAddr: "198.51.100.120", CIAddr: "0.0.0.0", Dest: "198.51.100.120:68", Change: "bind 198.51.100.120", Level: slog.LevelInfo}},
		{"pool RENEWING: ACK to ciaddr and bind", udhcpc(macUnknown, req3).ciaddr("198.51.100.121"), true, nil,
			outcome{Type: "ACK", YIAddr: "198.51.100.121", CIAddr: "198.51.100.121", Dest: "198.51.100.121:68", Change: "bind 198.51.100.121", Level: slog.LevelInfo}},
		{"pool address leased to another: NAK", udhcpc(macUnknown, req3).ip(50, "198.51.100.120"), true, held,
			outcome{Type: "NAK", YIAddr: "0.0.0.0", CIAddr: "0.0.0.0", Dest: bcast, Bcast: true, Level: slog.LevelInfo}},
		{"pool: a reserved address is never the pool's: NAK", udhcpc(macUnknown, req3).ip(50, "198.51.100.18"), true, nil,
			outcome{Type: "NAK", YIAddr: "0.0.0.0", CIAddr: "0.0.0.0", Dest: bcast, Bcast: true, Level: slog.LevelInfo}},
		{"pool: outside the pool range: NAK", udhcpc(macUnknown, req3).ip(50, "198.51.100.200"), true, nil,
			outcome{Type: "NAK", YIAddr: "0.0.0.0", CIAddr: "0.0.0.0", Dest: bcast, Bcast: true, Level: slog.LevelInfo}},
		{"pool: other network: NAK", udhcpc(macUnknown, req3).ip(50, "10.0.0.5"), true, nil,
			outcome{Type: "NAK", YIAddr: "0.0.0.0", CIAddr: "0.0.0.0", Dest: bcast, Bcast: true, Level: slog.LevelInfo}},
		{"REQUEST without any address: warn", udhcpc(macUnknown, req3), true, nil, outcome{Level: slog.LevelWarn}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := testSnap()
			if tc.snap {
				snap = pool
			}
			lv := tc.lv
			if lv == nil {
				lv = &fakeLeases{}
			}
			d := Decide(req(tc.pkt), snap, lv)
			if diff := cmp.Diff(tc.want, outcomeOf(t, d)); diff != "" {
				t.Errorf("(-want +got):\n%s\nwhy: %q", diff, d.Why)
			}
			if d.Reply == nil && (d.Reason == "" || d.Ignore == "") {
				t.Error("ignored without a reason")
			}
			if d.Reply != nil && messageName(d.Reply) == "NAK" {
				if d.Reply.BootFileName != "" || d.Reply.Options.Has(dhcpv4.OptionIPAddressLeaseTime) || d.Reply.Message() == "" {
					t.Errorf("NAK carries boot file %q / lease time, or no message %q", d.Reply.BootFileName, d.Reply.Message())
				}
			}
		})
	}
}

func TestDecideUnknownNoPoolMessage(t *testing.T) {
	d := Decide(req(dhclient(macUnknown, dhcpv4.MessageTypeDiscover)), testSnap(), &fakeLeases{})
	if d.Reply != nil || d.Level != slog.LevelInfo || d.Reason != ReasonUnknownNoPool || !strings.Contains(d.Ignore, macUnknown.String()) {
		t.Errorf("got reply %v, level %v, reason %q (%q); want an info %q naming the MAC", d.Reply != nil, d.Level, d.Reason, d.Ignore, ReasonUnknownNoPool)
	}
}
