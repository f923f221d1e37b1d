package dhcp

import (
	"log/slog"
	"net/netip"
	"testing"

	"github.com/bootyard/bootyard/inventory"
	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// TestDecideProxy covers proxyDHCP (PXE 2.1 2.2.1): boot information
// only, yiaddr 0.0.0.0, OFFER on port 67 and ACK on port 4011 to the
// client's source.
func TestDecideProxy(t *testing.T) {
	disc, reqT := dhcpv4.MessageTypeDiscover, dhcpv4.MessageTypeRequest
	proxy := testSnap(withMode(inventory.ModeProxy, false))
	proxyAll := testSnap(withMode(inventory.ModeProxy, true))
	on4011 := func(p pkt, from string) Request {
		r := req(p)
		r.Port, r.Peer = BootServerPort, netip.MustParseAddrPort(from)
		return r
	}
	uuid0 := "00000000000000000000000000000000" + "00"
	tests := []struct {
		name string
		snap *inventory.Snapshot
		req  Request
		want view
		lvl  slog.Level
	}{
		{"OVMF DISCOVER on 67: OFFER without an address", proxy, req(ovmf(macOVMF, disc, 7)), view{
			Type: "OFFER", YIAddr: "0.0.0.0", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "ipxe.efi", Dest: bcast, Broadcast: true,
			Opts: map[uint8]string{53: "02", 54: "198.51.100.2", 60: "PXEClient", 43: "060108ff", 66: "198.51.100.2", 67: "ipxe.efi", 97: uuid0},
		}, slog.LevelInfo},
		{"OVMF REQUEST on 4011: ACK to its source", proxy,
			on4011(ovmf(macOVMF, reqT, 7).ciaddr("198.51.100.60"), "198.51.100.60:68"), view{
				Type: "ACK", YIAddr: "0.0.0.0", SIAddr: "198.51.100.2", CIAddr: "198.51.100.60", File: "ipxe.efi", Dest: "198.51.100.60:68",
				Opts: map[uint8]string{53: "05", 54: "198.51.100.2", 60: "PXEClient", 43: "060108ff", 66: "198.51.100.2", 67: "ipxe.efi", 97: uuid0},
			}, slog.LevelInfo},
		{"REQUEST on 4011 naming the address server in 54: still ours", proxy,
			on4011(ovmf(macOVMF, reqT, 7).ciaddr("198.51.100.60").ip(54, "198.51.100.1"), "198.51.100.60:68"), view{
				Type: "ACK", YIAddr: "0.0.0.0", SIAddr: "198.51.100.2", CIAddr: "198.51.100.60", File: "ipxe.efi", Dest: "198.51.100.60:68",
				Opts: map[uint8]string{53: "05", 54: "198.51.100.2", 60: "PXEClient", 43: "060108ff", 66: "198.51.100.2", 67: "ipxe.efi", 97: uuid0},
			}, slog.LevelInfo},
		{"iPXE in proxy mode gets its script", proxy, req(ipxeBIOS(macBIOS, disc)), view{
			Type: "OFFER", YIAddr: "0.0.0.0", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "boot.ipxe", Dest: bcast, Broadcast: true,
			Opts: map[uint8]string{53: "02", 54: "198.51.100.2", 60: "PXEClient", 43: "060108ff", 66: "198.51.100.2", 67: "boot.ipxe",
				97: hexOf(ipxeBIOS(macBIOS, disc).m.Options[97]), 61: "01525400000001"},
		}, slog.LevelInfo},
		{"unknown MAC without proxy_unknown: ignored (info)", proxy, req(ovmf(macUnknown, disc, 7)),
			view{Reason: ReasonProxyUnknownMAC}, slog.LevelInfo},
		{"unknown MAC with proxy_unknown: class default", proxyAll, req(ovmf(macUnknown, disc, 11)), view{
			Type: "OFFER", YIAddr: "0.0.0.0", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "ipxe-arm64.efi", Dest: bcast, Broadcast: true,
			Opts: map[uint8]string{53: "02", 54: "198.51.100.2", 60: "PXEClient", 43: "060108ff", 66: "198.51.100.2", 67: "ipxe-arm64.efi", 97: uuid0},
		}, slog.LevelInfo},
		{"U-Boot cannot use proxyDHCP", proxy, req(uboot(macUBoot64, disc, "U-Boot.armv8", 22)),
			view{Reason: ReasonUBootProxy}, slog.LevelInfo},
		{"plain DHCP client: not ours in proxy mode", proxy, req(dhclient(macLinux, disc)),
			view{Reason: ReasonNotPXE}, slog.LevelDebug},
		{"REQUEST on 67 belongs to the address server", proxy, req(ovmf(macOVMF, reqT, 7).ip(50, "198.51.100.60")),
			view{Reason: ReasonProxyNotDiscover}, slog.LevelDebug},
		{"class without a boot file: nothing to offer", proxyAll, req(newPkt(macUnknown, disc).u16(93, 27)),
			view{Reason: ReasonProxyNoBootFile}, slog.LevelInfo},
		{"mode off ignores everything", testSnap(withMode(inventory.ModeOff, true)), req(ovmf(macOVMF, disc, 7)),
			view{Reason: ReasonModeOff}, slog.LevelDebug},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := wire(t, Decide(tc.req, tc.snap, &fakeLeases{}))
			if diff := cmp.Diff(tc.want, viewOf(d)); diff != "" {
				t.Errorf("(-want +got):\n%s\nwhy: %q", diff, d.Why)
			}
			if d.Level != tc.lvl {
				t.Errorf("level %v, want %v", d.Level, tc.lvl)
			}
			if d.Change != nil {
				t.Errorf("proxy mode proposed lease change %+v", d.Change)
			}
		})
	}
}
