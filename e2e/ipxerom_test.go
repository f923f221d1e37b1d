package e2e

import (
	"strings"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// TestUEFIiPXEROM boots OVMF with qemu's iPXE EFI option ROM as the e1000's
// UEFI driver: iPXE does the DHCP itself (no EDK2 PXE before it), says so
// (user class "iPXE", option 175) and must get its per-host script. The
// uefi-x64 default is ipxe.efi here, as a site chainloading iPXE for
// plain UEFI PXE would have it: handing that to this client would be the
// chainload loop, so the test checks that ipxe.efi was never read and that
// iPXE started once.
func TestUEFIiPXEROM(t *testing.T) {
	b := newBootLab(t, "tcpdump")
	m := machine{name: "uefi3", mac: "52:54:00:ef:01:03", fw: fwUEFIiPXE}
	tok := token(t, "uefi3")
	boot := x86Boot()
	boot["uefi-x64"] = "ipxe.efi"
	cfg := labConfig{
		boot:     boot,
		profiles: map[string]string{"marker": "vmlinuz"},
		hosts:    []labHost{{name: "uefi3", mac: m.mac, ip: "198.51.100.14", profile: "marker", token: tok}},
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	capture := b.captureDHCP(t)
	q := b.boot(t, m)
	q.waitMarker(t, tok)
	requireTransferred(t, srv, "boot.ipxe", "vmlinuz", "initrd.gz")
	if l := transferred(srv.Output(), "ipxe.efi"); l != "" {
		t.Errorf("iPXE was handed ipxe.efi (the chainload loop): %s", l)
	}
	// The ROM's banner (a chainloaded ipxe.efi prints "iPXE initialising
	// devices" instead).
	if n := strings.Count(q.p.Output(), "Open Source Network Boot Firmware"); n != 1 {
		t.Errorf("iPXE started %d times, want 1 (a chainload loop?)", n)
	}
	pkts := capture.packets(t)
	if p := firstFrom(pkts, m.mac, dhcpv4.MessageTypeDiscover, "PXEClient:Arch:00007:UNDI:003000"); p != nil {
		t.Errorf("EDK2's own PXE sent a DISCOVER: iPXE was not the NIC's driver")
	}
	checkGolden(t, pkts, "ipxe-efi-rom", m.mac, "PXEClient:Arch:00007:UNDI:003010")
}
