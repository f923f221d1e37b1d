package e2e

import (
	"path/filepath"
	"testing"
)

// TestUEFIARM64 boots qemu's aarch64 virt machine with AAVMF (EDK2): its
// own PXE (arch 11) loads the uefi-arm64 default, a GRUB arm64-efi netboot
// image, which reads the config bootyard generates for the host's MAC and
// boots Debian's arm64 kernel with the arm64 marker initramfs.
func TestUEFIARM64(t *testing.T) {
	b := newBootLab(t, qemuBinary(fwUEFIARM64), "tcpdump")
	for src, dst := range map[string]string{
		"grubaa64.efi": "grubaa64.efi", "vmlinuz-arm64": "arm64/vmlinuz", "initrd-arm64.gz": "arm64/initrd.gz",
	} {
		copyFile(t, filepath.Join(b.assets, src), filepath.Join(b.root, dst))
	}
	m := machine{name: "aa1", mac: "52:54:00:aa:64:01", fw: fwUEFIARM64}
	tok := token(t, "aa1")
	boot := x86Boot()
	boot["uefi-arm64"] = "grubaa64.efi"
	cfg := labConfig{
		boot:     boot,
		profiles: map[string]string{"arm64": "arm64/vmlinuz", "x86": "vmlinuz"},
		initrds:  map[string]string{"arm64": "arm64/initrd.gz"},
		hosts: []labHost{
			{name: "aa1", mac: m.mac, ip: "198.51.100.16", profile: "arm64", token: tok, cmdline: "console=ttyAMA0"},
			{name: "decoy", mac: "52:54:00:aa:64:99", ip: "198.51.100.99", profile: "x86", token: "decoy"},
		},
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	capture := b.captureDHCP(t)
	q := b.boot(t, m)
	q.waitMarker(t, tok)
	requireTransferred(t, srv, "grubaa64.efi", grubName(m.mac), "arm64/vmlinuz", "arm64/initrd.gz")
	checkGolden(t, capture.packets(t), "aavmf-arm64", m.mac, "PXEClient:Arch:00011")
}
