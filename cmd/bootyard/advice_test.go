package main

import (
	"strings"
	"testing"
)

const proxyConfig = `interface: lo
dhcp:
  mode: proxy
tftp:
  root: ROOT
profiles:
  debian:
    kernel: debian/linux
hosts:
  - name: pc1
    mac: 52:54:00:12:34:56
    profile: debian
`

// TestCheckProxyGRUB: in proxy mode, UEFI machines given GRUB load it and
// stop; check says so and what to use instead. With iPXE, no warning.
func TestCheckProxyGRUB(t *testing.T) {
	path := writeSetup(t, proxyConfig, "debian/linux", "pxelinux.0", "ldlinux.c32", "grubnetx64.efi")
	code, out, errOut := runCmd(t, "check", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	want := `proxy mode: uefi-x64 machines (pc1, boot.uefi-x64) get GRUB "grubnetx64.efi", and GRUB (2.06 and older) ignores proxyDHCP`
	if !strings.Contains(out, want) || !strings.Contains(out, "boot.uefi-x64: ipxe.efi or snponly.efi") {
		t.Errorf("no proxy/GRUB warning:\n%s", out)
	}
	if strings.Contains(out, "U-Boot") {
		t.Errorf("U-Boot warning on a network without U-Boot:\n%s", out)
	}

	cfg := proxyConfig + "boot:\n  uefi-x64: ipxe.efi\n"
	path = writeSetup(t, cfg, "debian/linux", "pxelinux.0", "ldlinux.c32", "ipxe.efi")
	if code, out, _ := runCmd(t, "check", path); code != 0 || strings.Contains(out, "proxy mode:") || !strings.HasSuffix(out, "\nOK\n") {
		t.Errorf("iPXE in proxy mode warned about:\n%s", out)
	}
}

// TestCheckProxyUBoot: U-Boot boards in proxy mode are warned about by
// check, as explain already did.
func TestCheckProxyUBoot(t *testing.T) {
	cfg := proxyConfig + "firmware: [bios, uboot-arm64]\n"
	path := writeSetup(t, cfg, "debian/linux", "pxelinux.0", "ldlinux.c32")
	_, out, _ := runCmd(t, "check", path)
	if !strings.Contains(out, "proxy mode: U-Boot (uboot-arm64) cannot boot from proxyDHCP") {
		t.Errorf("no U-Boot proxy warning:\n%s", out)
	}
	if strings.Contains(out, "GRUB") {
		t.Errorf("GRUB warning though firmware: lists no UEFI:\n%s", out)
	}
}

// TestCheckURLForTFTPOnlyFirmware: an http:// boot file for a PXE ROM, or a
// URL kernel read by PXELINUX or U-Boot's script, fails at the machine.
func TestCheckURLForTFTPOnlyFirmware(t *testing.T) {
	cfg := strings.Replace(x86Config, "    kernel: debian/linux\n",
		"    kernel: http://198.51.100.2/debian/linux\n", 1) +
		"firmware: [bios, uefi-x64, ipxe, uboot-arm64]\nboot:\n  uefi-x64: http://198.51.100.2/ipxe.efi\n"
	path := writeSetup(t, cfg, "pxelinux.0", "ldlinux.c32")
	code, out, errOut := runCmd(t, "check", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		`uefi-x64 machines (pc1, boot.uefi-x64) are given the URL "http://198.51.100.2/ipxe.efi", but their firmware fetches boot files by TFTP only`,
		`profile debian: http://198.51.100.2/debian/linux is a URL, but PXELINUX (pxelinux.0) and U-Boot's tftpboot (uboot-arm64) fetch by TFTP only`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check lacks %q:\n%s", want, out)
		}
	}
	// iPXE fetches URLs: a URL kernel for iPXE-booted machines is fine.
	cfg = strings.Replace(x86Config, "    kernel: debian/linux\n",
		"    kernel: http://198.51.100.2/debian/linux\n", 1) + "firmware: [uefi-x64, ipxe]\nboot:\n  uefi-x64: ipxe.efi\n"
	path = writeSetup(t, cfg, "ipxe.efi")
	if _, out, _ := runCmd(t, "check", path); strings.Contains(out, "is a URL") || strings.Contains(out, "given the URL") {
		t.Errorf("warned about URLs that iPXE fetches:\n%s", out)
	}
}
