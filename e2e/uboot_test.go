package e2e

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestUBoot boots U-Boot for qemu's `virt` machine, ARM64 and ARM32,
// unattended: its distro boot asks DHCP for an address and fetches
// boot.scr.uimg, which bootyard generates for the host. The script names
// the host and loads the host's kernel by TFTP. The kernel here is a file
// of random bytes, unique to the host and of an odd size: U-Boot's
// "Bytes transferred = N" for that size proves the per-host kernel came
// through whole (it is no ARM image, so the script's booti/bootz then
// fails, as it must, and prints "bootyard: boot failed").
func TestUBoot(t *testing.T) {
	for _, tc := range []struct {
		fw   firmware
		name string
		mac  string
		ip   string
	}{
		{fwUBootARM64, "ub64", "52:54:00:a6:40:01", "198.51.100.31"},
		{fwUBootARM, "ub32", "52:54:00:a3:20:01", "198.51.100.32"},
	} {
		t.Run(string(tc.fw), func(t *testing.T) {
			b := newBootLab(t, qemuBinary(tc.fw))
			kernel := "kernels/" + tc.name + ".img"
			size := writeRandom(t, filepath.Join(b.root, kernel), 3<<20+12345)
			cfg := labConfig{
				boot:     map[string]string{"uboot-arm": "boot.scr.uimg", "uboot-arm64": "boot.scr.uimg"},
				profiles: map[string]string{"arm": kernel},
				hosts: []labHost{
					{name: tc.name, mac: tc.mac, ip: tc.ip, profile: "arm", token: token(t, tc.name)},
					{name: "decoy", mac: "52:54:00:a0:00:99", ip: "198.51.100.99", profile: "arm", token: "decoy"},
				},
			}
			srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
			q := b.boot(t, machine{name: tc.name, mac: tc.mac, fw: tc.fw})
			q.waitConsole(t, "DHCP client bound to address "+tc.ip)
			q.waitConsole(t, "bootyard: booting "+tc.name)
			q.waitConsole(t, fmt.Sprintf("Bytes transferred = %d (%x hex)", size, size))
			q.waitConsole(t, "bootyard: boot failed")
			requireTransferred(t, srv, "boot.scr.uimg", kernel)
		})
	}
}

// writeRandom writes n random bytes to path and returns n.
func writeRandom(t *testing.T, path string, n int) int {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return n
}
