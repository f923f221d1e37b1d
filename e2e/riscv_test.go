package e2e

import (
	"fmt"
	"hash/crc32"
	"path/filepath"
	"testing"
	"time"
)

// TestUBootRISCV boots Debian's U-Boot for qemu's riscv64 `virt` machine
// (S-mode, started by Debian's OpenSBI). Its DHCP says vendor class
// "U-Boot" and no option 93 (the golden capture), which names no CPU: x86
// U-Boot sends the same. bootyard therefore puts it in no firmware class
// (other), and such a board boots by its host's own bootfile. Distro boot
// then fetches boot.scr.uimg, which bootyard generates for the host; the
// script names the host and loads the host's kernel (random bytes of an
// odd size, no RISC-V kernel is fetched), so booti refuses it, the
// script prints "bootyard: boot failed" and U-Boot ends at its prompt,
// where crc32 over ${kernel_addr_r} must be the host file's.
func TestUBootRISCV(t *testing.T) {
	const (
		name = "ubrv"
		mac  = "52:54:00:5c:64:01"
		ip   = "198.51.100.33"
	)
	b := newBootLab(t, qemuBinary(fwUBootRISCV), "tcpdump")
	kernel := "kernels/" + name + ".img"
	data := writeRandom(t, filepath.Join(b.root, kernel), 2<<20+4321)
	// A decoy kernel for the decoy host: a wrong profile would load it.
	writeRandom(t, filepath.Join(b.root, "kernels/decoy.img"), 2<<20+4321)
	cfg := labConfig{
		// The U-Boot classes' defaults name files this board must not
		// get: it is none of them.
		boot: map[string]string{
			"uboot-arm": "wrong-arm.scr", "uboot-arm64": "wrong-arm64.scr",
		},
		profiles: map[string]string{"rv": kernel, "decoy": "kernels/decoy.img"},
		hosts: []labHost{
			{name: name, mac: mac, ip: ip, profile: "rv", token: token(t, name), bootfile: "boot.scr.uimg"},
			{name: "decoy", mac: "52:54:00:5c:64:99", ip: "198.51.100.99", profile: "decoy", token: "decoy"},
		},
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	capture := b.captureDHCP(t)
	q := b.boot(t, machine{name: name, mac: mac, fw: fwUBootRISCV})
	q.waitConsole(t, "DHCP client bound to address "+ip)
	q.waitConsole(t, "bootyard: booting "+name)
	q.waitConsole(t, fmt.Sprintf("Bytes transferred = %d (%x hex)", len(data), len(data)))
	// booti, not bootz (which RISC-V U-Boot lacks): the script picks it
	// by ${arch}.
	q.waitConsole(t, "Bad Linux RISCV Image magic!")
	q.waitConsole(t, "bootyard: boot failed")
	q.waitConsole(t, "=> ")
	t.Logf("%s: U-Boot prompt after %s", name, time.Since(q.start).Round(100*time.Millisecond))
	// After the script, distro boot's EFI step (option 93 = 27, class
	// other again) loads the host's bootfile to ${kernel_addr_r}, over the
	// kernel. The generated script is still at ${scriptaddr}: run it again,
	// as a person would, and check what it loaded.
	q.typeLine(t, "printenv arch cpu; source ${scriptaddr}")
	q.waitConsole(t, "bootyard: booting "+name)
	q.waitConsole(t, fmt.Sprintf("Bytes transferred = %d (%x hex)", len(data), len(data)))
	q.waitConsole(t, "bootyard: boot failed")
	q.waitConsole(t, "=> ")
	q.typeLine(t, fmt.Sprintf("crc32 ${kernel_addr_r} %x", len(data)))
	q.waitConsole(t, fmt.Sprintf("==> %08x", crc32.ChecksumIEEE(data)))
	q.waitConsole(t, "=> ")
	requireTransferred(t, srv, "boot.scr.uimg", kernel)
	checkGolden(t, capture.packets(t), string(fwUBootRISCV), mac, "U-Boot")
}
