package dhcp

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// FuzzDecide feeds raw packets through the path the server uses (bytes ->
// dhcpv4.FromBytes -> Decide) under every mode. Whatever the bytes, it
// must not panic; a reply must serialize and parse back, respect the
// client's size limit unless the explanation says only essentials were
// left, and have a destination.
// essential are the options a reply keeps whatever its size (prioKeep):
// 53, 54, 56, 51, 1, 67, and the echoed 61 and 82.
var essential = map[uint8]bool{53: true, 54: true, 56: true, 51: true, 1: true, 67: true, 61: true, 82: true}

func FuzzDecide(f *testing.F) {
	disc, reqT := dhcpv4.MessageTypeDiscover, dhcpv4.MessageTypeRequest
	for _, p := range []pkt{
		ipxeBIOS(macBIOS, disc), ipxeBIOS(macBIOS, reqT).ip(54, "198.51.100.2").ip(50, "198.51.100.11"),
		ovmf(macOVMF, disc, 7), ovmf(macArm64, disc, 11), ovmf(macIA32, disc, 6), ovmf(macArm32, disc, 10),
		ipxeEFI(macIPXEEFI, disc), uboot(macUBoot64, disc, "U-Boot.armv8", 22), uboot(macUBoot32, reqT, "U-Boot.armv7", 21).ip(50, "198.51.100.15"),
		pi4(macPi4, disc), pi3(macPi3, disc), dhclient(macLinux, disc), dhclient(macLinux, reqT).ciaddr("198.51.100.18"),
		udhcpc(macUnknown, disc), udhcpc(macUnknown, reqT).ip(50, "198.51.100.120"), am335xROM(macAM335x),
		udhcpc(macUnknown, dhcpv4.MessageTypeDecline).ip(50, "198.51.100.120"),
		udhcpc(macUnknown, dhcpv4.MessageTypeRelease).ciaddr("198.51.100.120"),
		udhcpc(macUnknown, dhcpv4.MessageTypeInform).ciaddr("198.51.100.77"),
		udhcpc(macRemote, disc).giaddr("203.0.113.1").opt(82, []byte{1, 2, 'a', 'b'}),
		newPkt(macHTTP, disc).u16(93, 16).str(60, "HTTPClient:Arch:00016:UNDI:003001"),
		// Option 82 sub-options (RFC 3046 circuit/remote id, RFC 3527
		// link-selection, RFC 5107 server id override), well formed,
		// truncated and repeated, and option 118 (RFC 3011).
		udhcpc(macUnknown, disc).giaddr("198.51.100.1").opt(82, []byte{1, 3, 'e', '0', '1', 2, 2, 'r', 'i', 5, 4, 203, 0, 113, 0}),
		udhcpc(macUnknown, reqT).giaddr("198.51.100.250").opt(82, []byte{5, 4, 203, 0, 113, 9, 11, 4, 198, 51, 100, 2}).ip(50, "203.0.113.100"),
		udhcpc(macUnknown, disc).giaddr("198.51.100.1").opt(82, []byte{5, 4, 10, 0, 0, 1}),
		udhcpc(macUnknown, disc).giaddr("198.51.100.1").opt(82, []byte{5, 3, 203, 0, 113}),
		udhcpc(macUnknown, disc).giaddr("198.51.100.1").opt(82, []byte{5, 9, 203}),
		udhcpc(macUnknown, disc).giaddr("198.51.100.1").opt(82, []byte{5, 4, 0, 0, 0, 0, 5, 4, 203, 0, 113, 1}),
		udhcpc(macUnknown, disc).ip(118, "203.0.113.5"),
		udhcpc(macUnknown, disc).giaddr("198.51.100.1").ip(118, "10.9.9.9"),
		udhcpc(macUnknown, disc).opt(118, []byte{203, 0, 113}),
		dhclient(macLinux, disc).opt(55, []byte{1, 3, 6, 66, 67, 121}),
		newPkt(macBusybox, disc).str(60, "barebox-board").opt(55, []byte{1, 3, 66, 67}),
	} {
		f.Add(p.m.ToBytes(), uint16(ServerPort))
	}
	f.Add(ovmf(macOVMF, reqT, 7).ciaddr("198.51.100.60").m.ToBytes(), uint16(BootServerPort))
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.bin"))
	for _, g := range golden {
		if b, err := os.ReadFile(g); err == nil {
			f.Add(b, uint16(ServerPort))
		}
	}
	pool := withPool("198.51.100.100", "198.51.100.150")
	snaps := []*inventory.Snapshot{
		testSnap(pool, withRelay()),
		testSnap(pool, withRelay(), func(s *inventory.Snapshot, ps *[]*inventory.Profile, _ *[]*inventory.Host) {
			(*ps)[0].IPXEOptions = []inventory.DHCPOption{{Code: 8, Value: []byte{1}}}
			s.DHCP.Relayed[0].RelayAddresses = []netip.Addr{netip.MustParseAddr("198.51.100.250")}
			s.DHCP.Routes = []inventory.Route{{To: netip.MustParsePrefix("10.0.0.0/8"), Via: netip.MustParseAddr("198.51.100.254")}}
		}),
		testSnap(withMode(inventory.ModeProxy, true)),
		testSnap(withMode(inventory.ModeOff, false)),
		testSnap(withHost(macUBoot64, func(h *inventory.Host, _ []*inventory.Profile) {
			h.Options = manyOptions(150, 10, 60)
		})),
	}
	lv := &fakeLeases{all: []leases.Lease{
		{MAC: macUnknown, IP: netip.MustParseAddr("198.51.100.120"), State: leases.Bound, Expires: testNow.Add(time.Hour)},
		{MAC: macLinux, IP: netip.MustParseAddr("198.51.100.100"), State: leases.Declined, Expires: testNow.Add(time.Minute)},
	}}
	f.Fuzz(func(t *testing.T, b []byte, port uint16) {
		meta := Request{Port: int(port), Peer: netip.MustParseAddrPort("198.51.100.60:68"), ServerIP: serverIP, Now: testNow}
		for _, snap := range snaps {
			d, err := decideBytes(b, meta, snap, lv)
			if err != nil {
				if d.Reply != nil {
					t.Fatal("error with a reply")
				}
				return
			}
			if d.Reply == nil {
				if d.Reason == "" || d.Ignore == "" {
					t.Fatalf("ignored without a reason: %q", d.Why)
				}
				continue
			}
			out := d.Reply.ToBytes()
			if _, err := dhcpv4.FromBytes(out); err != nil {
				t.Fatalf("reply does not parse back: %v", err)
			}
			m, _ := dhcpv4.FromBytes(b)
			if len(out) > replyLimit(m) {
				// Allowed only when nothing droppable is left (optionSet.fit).
				for c := range d.Reply.Options {
					if !essential[c] {
						t.Fatalf("reply of %d bytes over the limit %d still carries option %d", len(out), replyLimit(m), c)
					}
				}
			}
			if !d.Dest.IsValid() || d.Dest.Port() == 0 {
				t.Fatalf("reply without a destination: %v", d.Dest)
			}
		}
	})
}
