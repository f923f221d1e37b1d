package e2e

import (
	"strings"
	"testing"
)

// TestBIOSPXELinux boots qemu's BIOS PXE ROM (iPXE in Debian's ipxe-qemu)
// through pxelinux.0 and the per-MAC pxelinux.cfg file bootyard generates
// from the host's profile. The ROM says it is iPXE (user class), so the
// host names pxelinux.0 as its bootfile: a host bootfile wins over the
// class default. The token only the generated file carries proves it was
// the one used.
func TestBIOSPXELinux(t *testing.T) {
	b := newBootLab(t)
	m := machine{name: "bios1", mac: "52:54:00:b1:05:01", fw: fwBIOS}
	tok := token(t, "bios1")
	cfg := labConfig{
		boot:     x86Boot(),
		profiles: map[string]string{"marker": "vmlinuz"},
		hosts: []labHost{
			{name: "bios1", mac: m.mac, ip: "198.51.100.10", profile: "marker", token: tok, bootfile: "pxelinux.0"},
			{name: "decoy", mac: "52:54:00:b1:05:99", ip: "198.51.100.99", profile: "marker", token: token(t, "decoy")},
		},
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	q := b.boot(t, m)
	q.waitMarker(t, tok)
	requireTransferred(t, srv, "pxelinux.0", "ldlinux.c32", pxelinuxName(m.mac), "vmlinuz", "initrd.gz")
}

// TestBIOSiPXEScript boots the same BIOS ROM with no bootfile of its own:
// as an iPXE client it gets the per-host iPXE script straight away.
func TestBIOSiPXEScript(t *testing.T) {
	b := newBootLab(t, "tcpdump")
	m := machine{name: "bios2", mac: "52:54:00:b1:05:02", fw: fwBIOS}
	tok := token(t, "bios2")
	cfg := labConfig{
		boot:     x86Boot(),
		profiles: map[string]string{"marker": "vmlinuz"},
		hosts:    []labHost{{name: "bios2", mac: m.mac, ip: "198.51.100.11", profile: "marker", token: tok}},
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	capture := b.captureDHCP(t)
	q := b.boot(t, m)
	q.waitMarker(t, tok)
	requireTransferred(t, srv, "boot.ipxe", "vmlinuz", "initrd.gz")
	checkGolden(t, capture.packets(t), "ipxe-bios", m.mac, "PXEClient:Arch:00000:")
}

// TestUEFIGRUB boots OVMF's own PXE (arch 7) into the GRUB netboot image,
// which fetches the grub.cfg bootyard generates for the host's MAC.
func TestUEFIGRUB(t *testing.T) {
	b := newBootLab(t)
	m := machine{name: "uefi1", mac: "52:54:00:ef:01:01", fw: fwUEFI}
	tok := token(t, "uefi1")
	cfg := labConfig{
		boot:     x86Boot(),
		profiles: map[string]string{"marker": "vmlinuz"},
		hosts:    []labHost{{name: "uefi1", mac: m.mac, ip: "198.51.100.12", profile: "marker", token: tok}},
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	q := b.boot(t, m)
	q.waitMarker(t, tok)
	requireTransferred(t, srv, "grubnetx64.efi", grubName(m.mac), "vmlinuz", "initrd.gz")
}

// TestUEFIiPXEChainload hands OVMF's PXE ipxe.efi; iPXE asks again, is
// recognised as iPXE (no second ipxe.efi: that is the chainload loop) and
// gets its per-host script, which boots Linux.
func TestUEFIiPXEChainload(t *testing.T) {
	b := newBootLab(t, "tcpdump")
	m := machine{name: "uefi2", mac: "52:54:00:ef:01:02", fw: fwUEFI}
	tok := token(t, "uefi2")
	boot := x86Boot()
	boot["uefi-x64"] = "ipxe.efi"
	cfg := labConfig{
		boot:     boot,
		profiles: map[string]string{"marker": "vmlinuz"},
		hosts:    []labHost{{name: "uefi2", mac: m.mac, ip: "198.51.100.13", profile: "marker", token: tok}},
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	capture := b.captureDHCP(t)
	tftpCapture := b.captureTFTP(t)
	q := b.boot(t, m)
	q.waitMarker(t, tok)
	requireTransferred(t, srv, "ipxe.efi", "boot.ipxe", "vmlinuz", "initrd.gz")
	// OVMF asks for RFC 7440 windowsize 4 for ipxe.efi; the OACK grants it.
	windowed := 0
	for _, o := range oacks(tftpCapture.packets(t)) {
		if o["windowsize"] == "4" {
			windowed++
		}
	}
	if windowed == 0 {
		t.Errorf("no OACK with windowsize 4 in the capture: OVMF's transfers were not windowed")
	}
	pkts := capture.packets(t)
	checkGolden(t, pkts, "ovmf-x64", m.mac, "PXEClient:Arch:00007:UNDI:003000")
	checkGolden(t, pkts, "ipxe-efi", m.mac, "PXEClient:Arch:00007:UNDI:003010")
	if n := strings.Count(q.p.Output(), "iPXE initialising devices"); n != 1 {
		t.Errorf("iPXE started %d times, want 1 (a chainload loop?)", n)
	}
}

// TestTwoMachinesAtOnce boots a BIOS and a UEFI machine at the same time,
// two hosts with different profiles (different kernels file names) and
// tokens: each console must show its own marker and not the other's.
func TestTwoMachinesAtOnce(t *testing.T) {
	b := newBootLab(t)
	copyFile(t, b.root+"/vmlinuz", b.root+"/kernels/other/vmlinuz")
	bios := machine{name: "two1", mac: "52:54:00:70:00:01", fw: fwBIOS}
	uefi := machine{name: "two2", mac: "52:54:00:70:00:02", fw: fwUEFI}
	tb, tu := token(t, "two1"), token(t, "two2")
	cfg := labConfig{
		boot:     x86Boot(),
		profiles: map[string]string{"plain": "vmlinuz", "other": "kernels/other/vmlinuz"},
		hosts: []labHost{
			{name: "two1", mac: bios.mac, ip: "198.51.100.21", profile: "plain", token: tb, bootfile: "pxelinux.0"},
			{name: "two2", mac: uefi.mac, ip: "198.51.100.22", profile: "other", token: tu},
		},
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	qb := b.boot(t, bios)
	qu := b.boot(t, uefi)
	qb.waitMarker(t, tb)
	qu.waitMarker(t, tu)
	if strings.Contains(qb.p.Output(), marker(tu)) || strings.Contains(qu.p.Output(), marker(tb)) {
		t.Error("a machine printed the other host's marker")
	}
	requireTransferred(t, srv, pxelinuxName(bios.mac), grubName(uefi.mac), "kernels/other/vmlinuz")
}
