package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestExplainArchByClassName: -arch takes a class name and the client is
// sent as that firmware sends itself; only the files it fetches are listed,
// and a U-Boot script image prints as its script.
func TestExplainArchByClassName(t *testing.T) {
	path, _ := explainConfig(t)
	for _, tc := range []struct {
		arch          string
		want, notWant []string
	}{
		{"uboot-arm64",
			[]string{"class:    uboot-arm64", "bootfile: boot.scr.uimg", "--- boot.scr.uimg", "(U-Boot script image, ", "tftpboot ${kernel_addr_r} 'debian/linux'", "bootyard.token=rock"},
			[]string{"bytes, binary", "--- pxelinux.cfg/", "--- grub.cfg", "--- boot.ipxe"}},
		{"bios",
			[]string{"class:    bios", "bootfile: pxelinux.0", "--- pxelinux.cfg/01-52-54-00-12-34-56"},
			[]string{"--- pxelinux.cfg/C633640A", "--- grub.cfg", "--- boot.scr", "--- boot.ipxe"}},
		{"uefi-x64", // ipxe.efi, then iPXE's script
			[]string{"class:    uefi-x64", "bootfile: ipxe.efi", "--- boot.ipxe", "#!ipxe"},
			[]string{"--- pxelinux.cfg/", "--- grub.cfg", "--- boot.scr"}},
		{"ipxe",
			[]string{"class:    ipxe", "--- boot.ipxe"},
			[]string{"--- pxelinux.cfg/"}},
		{"UEFI-ARM64",
			[]string{"class:    uefi-arm64", "bootfile: grubaa64.efi", "--- grub.cfg-01-52-54-00-12-34-56"},
			[]string{"--- pxelinux.cfg/"}},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			code, out, errOut := runCmd(t, "explain", path, "-mac", "52:54:00:12:34:56", "-arch", tc.arch)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	code, _, errOut := runCmd(t, "explain", path, "-mac", "52:54:00:12:34:56", "-arch", "arm")
	if code != 2 || !strings.Contains(errOut, "want a class (bios, uefi-ia32") {
		t.Errorf("-arch arm: exit %d, stderr %q", code, errOut)
	}
}

// TestExplainKnownHostEveryClass: without -arch, a known host is shown as
// every firmware class would see it, not as "not a boot client".
func TestExplainKnownHostEveryClass(t *testing.T) {
	path, _ := explainConfig(t)
	code, out, errOut := runCmd(t, "explain", path, "-mac", "52:54:00:12:34:56")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "not a boot client") || strings.Contains(out, "not a network-boot") {
		t.Errorf("known host explained as a plain DHCP client:\n%s", out)
	}
	for _, re := range []string{
		`(?m)^  bios +pxelinux\.0, then pxelinux\.cfg/01-52-54-00-12-34-56$`,
		`(?m)^  uefi-x64 +ipxe\.efi, then boot\.ipxe$`,
		`(?m)^  ipxe +boot\.ipxe \(generated\)$`,
		`(?m)^  uboot-arm64 +boot\.scr\.uimg \(generated\)$`,
		`(?m)^  uefi-http +no answer: `,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", re, out)
		}
	}
}
