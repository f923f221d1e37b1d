package e2e

import (
	"path/filepath"
	"testing"
)

// TestUEFISecureBoot boots OVMF with Secure Boot on and Microsoft's keys
// enrolled: EDK2's PXE loads Debian's shim (signed by Microsoft), shim
// loads grubx64.efi from beside itself over TFTP (Debian's signed netboot
// GRUB), GRUB reads the config bootyard generates for the host and boots
// Debian's signed kernel, each checked against the keys before it runs.
// The kernel says Secure Boot was on ("Kernel is locked down from EFI
// Secure Boot"; "loglevel=6" undoes "quiet" for that line) and its
// initramfs prints the host's marker. Signed GRUB never searches
// grub.cfg-01-<mac>: its built-in config sources $prefix/grub.cfg
// (/grub/grub.cfg here), which bootyard generates for the asking host when
// the TFTP root has no such file.
func TestUEFISecureBoot(t *testing.T) {
	b := newBootLab(t, "tcpdump")
	for _, f := range []string{"shimx64.efi", "grubx64.efi"} {
		copyFile(t, filepath.Join(b.assets, f), filepath.Join(b.root, f))
	}
	m := machine{name: "sb1", mac: "52:54:00:5b:00:01", fw: fwUEFISecureBoot}
	tok := token(t, "sb1")
	boot := x86Boot()
	boot["uefi-x64"] = "shimx64.efi"
	cfg := labConfig{
		boot:     boot,
		profiles: map[string]string{"marker": "vmlinuz"},
		hosts:    []labHost{{name: "sb1", mac: m.mac, ip: "198.51.100.15", profile: "marker", token: tok, cmdline: "loglevel=6"}},
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	capture := b.captureDHCP(t)
	q := b.boot(t, m)
	q.waitConsole(t, "Kernel is locked down from EFI Secure Boot")
	q.waitMarker(t, tok)
	requireTransferred(t, srv, "shimx64.efi", "grubx64.efi", "grub/grub.cfg", "vmlinuz", "initrd.gz")
	checkGolden(t, capture.packets(t), "ovmf-x64-secureboot", m.mac, "PXEClient:Arch:00007:UNDI:003000")
}
