package dhcp

import (
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"
)

// TestDecideUnusable: packets that cannot be answered are ignored with a
// reason and the right log level, never a panic.
func TestDecideUnusable(t *testing.T) {
	snap := testSnap()
	mod := func(edit func(m *dhcpv4.DHCPv4)) Request {
		p := ovmf(macOVMF, dhcpv4.MessageTypeDiscover, 7)
		edit(p.m)
		return req(p)
	}
	noServer := testSnap(func(s *inventory.Snapshot, _ *[]*inventory.Profile, _ *[]*inventory.Host) {
		s.DHCP.ServerIP = netip.Addr{}
	})
	tests := []struct {
		name   string
		req    Request
		snap   *inventory.Snapshot
		reason Reason
		level  slog.Level
	}{
		{"no message", Request{ServerIP: serverIP}, snap, ReasonNoMessage, slog.LevelWarn},
		{"no snapshot", req(ovmf(macOVMF, 1, 7)), nil, ReasonNoInventory, slog.LevelWarn},
		{"a BOOTREPLY", mod(func(m *dhcpv4.DHCPv4) { m.OpCode = dhcpv4.OpcodeBootReply }), snap, ReasonNotRequest, slog.LevelDebug},
		{"hlen 0", mod(func(m *dhcpv4.DHCPv4) { m.ClientHWAddr = nil }), snap, ReasonNoHWAddr, slog.LevelWarn},
		{"hlen 16", mod(func(m *dhcpv4.DHCPv4) { m.ClientHWAddr = make(net.HardwareAddr, 16) }), snap, ReasonHWAddrLength, slog.LevelWarn},
		{"hlen 8", mod(func(m *dhcpv4.DHCPv4) { m.ClientHWAddr = append(m.ClientHWAddr, 1, 2) }), snap, ReasonHWAddrLength, slog.LevelWarn},
		{"zero MAC", mod(func(m *dhcpv4.DHCPv4) { m.ClientHWAddr = make(net.HardwareAddr, 6) }), snap, ReasonZeroMAC, slog.LevelWarn},
		{"group MAC", mod(func(m *dhcpv4.DHCPv4) { m.ClientHWAddr = mustMAC("01:00:5e:00:00:01") }), snap, ReasonGroupMAC, slog.LevelWarn},
		{"not Ethernet", mod(func(m *dhcpv4.DHCPv4) { m.HWType = iana.HWTypeIEEE802 }), snap, ReasonNotEthernet, slog.LevelWarn},
		{"empty option 53", mod(func(m *dhcpv4.DHCPv4) { m.Options[53] = []byte{} }), snap, ReasonBadMessageType, slog.LevelWarn},
		{"a server message type", mod(func(m *dhcpv4.DHCPv4) { m.Options[53] = []byte{2} }), snap, ReasonNotClient, slog.LevelDebug},
		{"no server address anywhere", func() Request { r := req(ovmf(macOVMF, 1, 7)); r.ServerIP = netip.Addr{}; return r }(), noServer,
			ReasonNoServerAddress, slog.LevelWarn},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.req, tc.snap, &fakeLeases{})
			if d.Reply != nil || d.Reason != tc.reason || d.Ignore == "" || d.Level != tc.level {
				t.Errorf("got reply=%v reason %q (%q) level %v; want reason %q level %v", d.Reply != nil, d.Reason, d.Ignore, d.Level, tc.reason, tc.level)
			}
		})
	}
}

// TestExplainIgnoredStillNamesClient: an ignore is explained with the
// client's class and host (explain on a machine that lacks the interface).
func TestExplainIgnoredStillNamesClient(t *testing.T) {
	noServer := testSnap(func(s *inventory.Snapshot, _ *[]*inventory.Profile, _ *[]*inventory.Host) {
		s.DHCP.ServerIP = netip.Addr{}
	})
	for _, snap := range []*inventory.Snapshot{noServer, testSnap(withMode(inventory.ModeOff, false))} {
		d, rep := Explain(SyntheticRequest(macOVMF, nil, "PXEClient:Arch:00007:UNDI:003000", ""), snap, NoLeases{})
		if d.Reply != nil || rep.Firmware.Class != "uefi-x64" || rep.Host != "pc-uefi" {
			t.Errorf("reply %v, class %q, host %q; want an ignore naming uefi-x64 and pc-uefi", d.Reply != nil, rep.Firmware.Class, rep.Host)
		}
	}
}

// TestDecideServerAddress: the decision puts the server address it is
// handed (cmd resolves it once: dhcp.server_ip, else the interface's) in 54,
// siaddr and 66, whatever the snapshot says.
func TestDecideServerAddress(t *testing.T) {
	noServer := testSnap(func(s *inventory.Snapshot, _ *[]*inventory.Profile, _ *[]*inventory.Host) {
		s.DHCP.ServerIP = netip.Addr{}
	})
	r := req(ovmf(macOVMF, dhcpv4.MessageTypeDiscover, 7))
	r.ServerIP = netip.MustParseAddr("198.51.100.3")
	for _, tc := range []struct {
		name string
		snap *inventory.Snapshot
		want string
	}{{"configured", testSnap(), "198.51.100.3"}, {"from the interface", noServer, "198.51.100.3"}} {
		v := viewOf(wire(t, Decide(r, tc.snap, &fakeLeases{})))
		got := []string{v.Opts[54], v.SIAddr, v.Opts[66]}
		if diff := cmp.Diff([]string{tc.want, tc.want, tc.want}, got); diff != "" {
			t.Errorf("%s: 54/siaddr/66 (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestExplainNoLeases: explain without a lease file shows a pool client the
// first usable pool address (the pool starts on the router and server).
func TestExplainNoLeases(t *testing.T) {
	r := SyntheticRequest(macUnknown, nil, "PXEClient:Arch:00000:UNDI:002001", "")
	r.Now, r.ServerIP = testNow, serverIP
	d, rep := Explain(r, testSnap(withPool("198.51.100.1", "198.51.100.9")), NoLeases{})
	if d.Reply == nil || rep.Addr != netip.MustParseAddr("198.51.100.3") || rep.Boot.File != "undionly.kpxe" {
		t.Errorf("got address %v file %q (ignore %q), want 198.51.100.3 and undionly.kpxe", rep.Addr, rep.Boot.File, d.Ignore)
	}
}

// TestDecideBytes: the raw path returns errors for malformed packets and
// decides on good ones exactly like Decide.
func TestDecideBytes(t *testing.T) {
	snap := testSnap()
	meta := Request{Port: ServerPort, ServerIP: serverIP, Now: testNow}
	good := ovmf(macOVMF, dhcpv4.MessageTypeDiscover, 7).m.ToBytes()

	d, err := decideBytes(good, meta, snap, &fakeLeases{})
	if err != nil || d.Reply == nil || d.Reply.BootFileName != "ipxe.efi" {
		t.Fatalf("good packet: err %v, reply %v", err, d.Reply)
	}
	for name, b := range map[string][]byte{
		"empty":         nil,
		"truncated":     good[:100],
		"no cookie":     append(append([]byte{}, good[:236]...), 1, 2, 3, 4, 255),
		"no end option": good[:240+3],
		"bad length":    append(append([]byte{}, good[:240]...), 60, 200, 'x'),
	} {
		if d, err := decideBytes(b, meta, snap, &fakeLeases{}); err == nil {
			t.Errorf("%s: no error (decision %+v)", name, d)
		}
	}
	long := append([]byte{}, good...)
	long[2] = 17
	d, err = decideBytes(long, meta, snap, &fakeLeases{})
	if err != nil || d.Reply != nil || d.Reason != ReasonHWAddrLength || d.Level != slog.LevelWarn {
		t.Errorf("hlen 17: err %v, reason %q (%q) level %v", err, d.Reason, d.Ignore, d.Level)
	}
}

// TestExplainSynthetic is what `bootyard explain` does: build a request
// from flags, decide, print the report.
func TestExplainSynthetic(t *testing.T) {
	arch := func(a uint16) *uint16 { return &a }
	snap := testSnap()
	// lines are the report's own fields as printed; why lists, per rule
	// that must be explained, the data one line of the explanation names
	// (codes, names, files), so that rewording it breaks nothing.
	tests := []struct {
		name   string
		req    Request
		class  firmware.Class
		host   string
		file   string
		reason Reason
		lines  []string
		why    [][]string
	}{
		{"UEFI x64 by arch", SyntheticRequest(macOVMF, arch(7), "", ""), "uefi-x64", "pc-uefi", "ipxe.efi", "",
			[]string{"class:    uefi-x64", "host:     pc-uefi", "bootfile: ipxe.efi", "address:  198.51.100.12"},
			[][]string{{"93", "7", "uefi-x64"}, {"boot.uefi-x64"}}},
		{"iPXE by user class", SyntheticRequest(macOVMF, arch(7), "PXEClient:Arch:00007:UNDI:003010", "iPXE"), "ipxe", "pc-uefi", "boot.ipxe", "",
			[]string{"bootfile: boot.ipxe"}, [][]string{{"77", "iPXE"}}},
		{"U-Boot by vendor class", SyntheticRequest(macUBoot64, nil, "U-Boot.armv8", ""), "uboot-arm64", "board64", "uboot/arm64/boot.scr.uimg", "",
			nil, [][]string{{"60", "U-Boot.armv8"}}},
		{"unknown MAC", SyntheticRequest(macUnknown, arch(0), "", ""), "bios", "", "", ReasonUnknownNoPool,
			[]string{"host:     (not in the inventory)"}, [][]string{{"ignored", "52:54:00:99:99:99"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Now, tc.req.ServerIP = testNow, serverIP
			d, rep := Explain(tc.req, snap, &fakeLeases{})
			if rep.Firmware.Class != tc.class || rep.Host != tc.host || rep.Boot.File != tc.file {
				t.Errorf("report class %q host %q file %q; want %q %q %q", rep.Firmware.Class, rep.Host, rep.Boot.File, tc.class, tc.host, tc.file)
			}
			if diff := cmp.Diff(viewOf(Decide(tc.req, snap, &fakeLeases{})), viewOf(d)); diff != "" {
				t.Errorf("Explain and Decide disagree:\n%s", diff)
			}
			if diff := cmp.Diff(d.Why, rep.Why); diff != "" {
				t.Errorf("report reasons differ from the decision's:\n%s", diff)
			}
			if d.Reason != tc.reason {
				t.Errorf("reason %q, want %q", d.Reason, tc.reason)
			}
			out := rep.String()
			for _, l := range tc.lines {
				if !strings.Contains(out, l) {
					t.Errorf("report lacks %q:\n%s", l, out)
				}
			}
			for _, tokens := range tc.why {
				if !whyMentions(rep.Why, tokens...) {
					t.Errorf("no line of the explanation names %q:\n%s", tokens, out)
				}
			}
		})
	}
}
