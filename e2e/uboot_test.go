package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUBoot boots U-Boot for qemu's `virt` machine, ARM64 and ARM32,
// unattended: its distro boot asks DHCP for an address and fetches
// boot.scr.uimg, which bootyard generates for the host. The script names
// the host and loads the host's kernel by TFTP. The kernel here is a file
// of random bytes, unique to the host and of an odd size: it is no ARM
// image, so the script's booti/bootz then fails, as it must, and prints
// "bootyard: boot failed", and U-Boot ends at its prompt. There the test
// types, as a person would:
//   - crc32 over the kernel the generated script loaded: U-Boot's CRC must
//     be the host file's (the whole file came through);
//   - crc32 over ${fdt_addr_r}: the device tree the profile names (qemu's
//     own, dumped by the test, the ARM64 profile as `fdt`, the ARM32 one as
//     `fdtdir` + U-Boot's board name) must be there, byte for byte. qemu
//     puts a DTB at that address itself, but with fresh random seeds on
//     every start, so only a load of our file gives our crc;
//   - the kernel again with tftpwindowsize 8 and 16 (RFC 7440), same CRC;
//   - pxe get: U-Boot's PXELINUX search must find the per-MAC
//     pxelinux.cfg file bootyard generates;
//   - pxe boot: the entry of that file must name the host's kernel and
//     device tree (FDT or FDTDIR).
func TestUBoot(t *testing.T) {
	for _, tc := range []struct {
		fw     firmware
		name   string
		mac    string
		ip     string
		vendor string // option 60 of its own DHCP (golden capture)
	}{
		{fwUBootARM64, "ub64", "52:54:00:a6:40:01", "198.51.100.31", "U-Boot.armv8"},
		{fwUBootARM, "ub32", "52:54:00:a3:20:01", "198.51.100.32", "U-Boot.armv7"},
	} {
		t.Run(string(tc.fw), func(t *testing.T) {
			b := newBootLab(t, qemuBinary(tc.fw), "tcpdump")
			kernel := "kernels/" + tc.name + ".img"
			data := writeRandom(t, filepath.Join(b.root, kernel), 3<<20+12345)
			// ARM64 names one file; ARM32 a folder, in which U-Boot's
			// script picks ${board}.dtb (qemu-arm: this U-Boot sets no
			// fdtfile and no soc).
			fdt, fdtdir, dtbName := map[string]string{"arm": "dtbs/" + tc.name + ".dtb"}, map[string]string(nil), "dtbs/"+tc.name+".dtb"
			if tc.fw == fwUBootARM {
				fdt, fdtdir, dtbName = nil, map[string]string{"arm": "dtbs"}, "dtbs/qemu-arm.dtb"
			}
			dtb := dumpDTB(t, tc.fw, filepath.Join(b.root, dtbName))
			cfg := labConfig{
				// After the script, distro boot tries EFI over DHCP (arch
				// 11 on arm64, 10 on arm) and fetches that class's boot
				// file to the kernel's address. Both names are absent
				// from this root on purpose, so the TFTP read fails at
				// once and the kernel stays for crc32. (A class with no
				// boot file, uefi-arm32's default, makes U-Boot reuse the
				// previous name and load boot.scr.uimg over the kernel.)
				boot: map[string]string{
					"uboot-arm": "boot.scr.uimg", "uboot-arm64": "boot.scr.uimg",
					"uefi-arm32": "grubarm.efi", "uefi-arm64": "grubaa64.efi",
				},
				profiles: map[string]string{"arm": kernel},
				fdt:      fdt,
				fdtdir:   fdtdir,
				hosts: []labHost{
					{name: tc.name, mac: tc.mac, ip: tc.ip, profile: "arm", token: token(t, tc.name)},
					{name: "decoy", mac: "52:54:00:a0:00:99", ip: "198.51.100.99", profile: "arm", token: "decoy"},
				},
			}
			srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
			capture := b.captureDHCP(t)
			q := b.boot(t, machine{name: tc.name, mac: tc.mac, fw: tc.fw})
			q.waitConsole(t, "DHCP client bound to address "+tc.ip)
			q.waitConsole(t, "bootyard: booting "+tc.name)
			q.waitConsole(t, fmt.Sprintf("Bytes transferred = %d (%x hex)", len(data), len(data)))
			q.waitConsole(t, fmt.Sprintf("Bytes transferred = %d (%x hex)", len(dtb), len(dtb)))
			q.waitConsole(t, "bootyard: boot failed")
			q.waitConsole(t, "=> ")
			t.Logf("%s: U-Boot prompt after %s", tc.name, time.Since(q.start).Round(100*time.Millisecond))

			q.typeLine(t, fmt.Sprintf("crc32 ${kernel_addr_r} %x", len(data)))
			q.waitConsole(t, fmt.Sprintf("==> %08x", crc32.ChecksumIEEE(data)))
			q.waitConsole(t, "=> ")
			q.typeLine(t, fmt.Sprintf("crc32 ${fdt_addr_r} %x", len(dtb)))
			q.waitConsole(t, fmt.Sprintf("==> %08x", crc32.ChecksumIEEE(dtb)))
			q.waitConsole(t, "=> ")

			// RFC 7440: the same kernel again with U-Boot's
			// tftpwindowsize 8, then 16, into memory cleared first, and
			// the same CRC each time.
			for _, w := range []int{8, 16} {
				q.typeLine(t, fmt.Sprintf("setenv tftpwindowsize %d; mw.b ${kernel_addr_r} 0 %x; tftpboot ${kernel_addr_r} %s", w, len(data), kernel))
				q.waitConsole(t, fmt.Sprintf("Bytes transferred = %d (%x hex)", len(data), len(data)))
				q.waitConsole(t, "=> ")
				q.typeLine(t, fmt.Sprintf("crc32 ${kernel_addr_r} %x", len(data)))
				q.waitConsole(t, fmt.Sprintf("==> %08x", crc32.ChecksumIEEE(data)))
				q.waitConsole(t, "=> ")
				found := false
				for _, l := range strings.Split(srv.Output(), "\n") {
					if strings.Contains(l, fmt.Sprintf("file=%s outcome=ok bytes=%d ", kernel, len(data))) &&
						strings.Contains(l, fmt.Sprintf(" windowsize=%d ", w)) {
						found = true
					}
				}
				if !found {
					t.Errorf("server log has no windowsize %d transfer of %s", w, kernel)
				}
			}

			cfgName := pxelinuxName(tc.mac)
			q.typeLine(t, "pxe get")
			q.waitConsole(t, "Retrieving file: "+cfgName)
			q.waitConsole(t, "=> ")
			q.typeLine(t, "pxe boot")
			q.waitConsole(t, "Retrieving file: "+kernel)
			q.waitConsole(t, "Retrieving file: "+dtbName)
			requireTransferred(t, srv, "boot.scr.uimg", kernel, cfgName, dtbName)
			checkGolden(t, capture.packets(t), string(tc.fw), tc.mac, tc.vendor)
		})
	}
}

// writeRandom writes n random bytes to path and returns them.
func writeRandom(t *testing.T, path string, n int) []byte {
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
	return b
}

// dumpDTB writes the device tree qemu builds for fw's machine to path and
// returns it. qemu fills /chosen with fresh random seeds (kaslr-seed,
// rng-seed) each time it builds one, so the DTB it hands U-Boot at boot is
// never this file: the test checks that two dumps differ, since the crc32
// at the prompt proves our load only while that holds.
func dumpDTB(t *testing.T, fw firmware, path string) []byte {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	dump := func(out string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), serverUp)
		defer cancel()
		args := append([]string{"-nographic", "-m", guestMemory, "-nic", "none"}, virtMachine(fw)...)
		args = append(args, "-machine", "dumpdtb="+out)
		if b, err := exec.CommandContext(ctx, qemuBinary(fw), args...).CombinedOutput(); err != nil {
			t.Fatalf("%s -machine dumpdtb: %v\n%s", qemuBinary(fw), err, b)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dtb := dump(path)
	if again := dump(filepath.Join(t.TempDir(), "again.dtb")); bytes.Equal(dtb, again) {
		t.Fatalf("qemu dumped the same DTB twice: the one in the guest's RAM may equal ours, so a crc32 match would prove nothing")
	}
	return dtb
}
