package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSetup writes a config (ROOT in it is replaced by the TFTP root) and
// the named files under the root, and returns the config's path.
func writeSetup(t *testing.T, cfg string, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("file "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(cfg, "ROOT", root)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// x86Config runs on lo without a server_ip, so that check's comparison
// with this machine has nothing to warn about.
const x86Config = `interface: lo
dhcp:
  mode: authoritative
  subnet: 198.51.100.0/24
tftp:
  root: ROOT
profiles:
  debian:
    kernel: debian/linux
hosts:
  - name: pc1
    mac: 52:54:00:12:34:56
    ip: 198.51.100.10
    profile: debian
`

// TestCheckQuietForClassesNotPresent: an x86-only network with pxelinux.0,
// ldlinux.c32 and grubnetx64.efi in place hears nothing about grubaa64.efi
// or bootcode.bin, and check ends with a plain OK.
func TestCheckQuietForClassesNotPresent(t *testing.T) {
	path := writeSetup(t, x86Config, "debian/linux", "pxelinux.0", "ldlinux.c32", "grubnetx64.efi")
	code, out, errOut := runCmd(t, "check", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "warnings:") || !strings.HasSuffix(out, "\nOK\n") {
		t.Errorf("warnings for firmware this network does not have:\n%s", out)
	}
	if !strings.Contains(out, "grubaa64.efi  (not checked: no uefi-arm64 machine in the inventory; see firmware:)") {
		t.Errorf("the table does not say the ARM default was not checked:\n%s", out)
	}
}

// TestCheckWarningCountAndStrict: warnings are counted on the last line, and
// -strict turns them into a failure.
func TestCheckWarningCountAndStrict(t *testing.T) {
	// No pxelinux.0 and no grubnetx64.efi: two PC classes cannot boot.
	path := writeSetup(t, x86Config, "debian/linux")
	code, out, errOut := runCmd(t, "check", path)
	if code != 0 || !strings.HasSuffix(out, "\nOK, 2 warnings\n") {
		t.Errorf("check: exit %d, want 0 ending in \"OK, 2 warnings\"\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "check", "-strict", path)
	if code != 1 || !strings.HasSuffix(out, "\nFAILED: 2 warnings (-strict)\n") {
		t.Errorf("check -strict: exit %d, want 1 ending in FAILED\n%s%s", code, out, errOut)
	}
	// -strict after the file works too, and without warnings it passes.
	path = writeSetup(t, x86Config, "debian/linux", "pxelinux.0", "ldlinux.c32", "grubnetx64.efi")
	if code, out, errOut := runCmd(t, "check", path, "-strict"); code != 0 {
		t.Errorf("check FILE -strict without warnings: exit %d\n%s%s", code, out, errOut)
	}
}

// TestCheckFirmwareList: firmware: says which classes come; a class it does
// not list is not checked, one it lists is, and a wrong name is an error.
func TestCheckFirmwareList(t *testing.T) {
	cfg := x86Config + "firmware: [bios, uefi-arm64]\n"
	path := writeSetup(t, cfg, "debian/linux", "pxelinux.0", "ldlinux.c32")
	code, out, errOut := runCmd(t, "check", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, `"grubaa64.efi" not found under the TFTP root`) {
		t.Errorf("a listed class's missing default is not reported:\n%s", out)
	}
	if strings.Contains(out, `"grubnetx64.efi" not found`) {
		t.Errorf("an unlisted class's default is reported:\n%s", out)
	}
	if !strings.Contains(out, "(not checked: firmware: does not list uefi-x64)") {
		t.Errorf("the table does not say uefi-x64 was not checked:\n%s", out)
	}

	path = writeSetup(t, x86Config+"firmware: [bios, arm]\n", "debian/linux")
	code, _, errOut = runCmd(t, "check", path)
	if code != 1 || !strings.Contains(errOut, `firmware[1]: "arm" is not a firmware class: use bios, uefi-ia32`) {
		t.Errorf("a bad class name: exit %d\n%s", code, errOut)
	}
}

// TestCheckLdlinux: PXELINUX needs ldlinux.c32 beside it; without it a BIOS
// machine stops after DHCP and TFTP both worked.
func TestCheckLdlinux(t *testing.T) {
	path := writeSetup(t, x86Config, "debian/linux", "pxelinux.0", "grubnetx64.efi")
	code, out, errOut := runCmd(t, "check", path)
	if code != 0 || !strings.Contains(out, `"pxelinux.0": ldlinux.c32 is not in the TFTP root`) || !strings.HasSuffix(out, "OK, 1 warning\n") {
		t.Errorf("exit %d, want a warning about ldlinux.c32\n%s%s", code, out, errOut)
	}
	// In a folder: ldlinux.c32 must be in that folder.
	cfg := strings.Replace(x86Config, "    kernel: debian/linux\n", "    kernel: debian/linux\n    bootfile: syslinux/pxelinux.0\n", 1)
	path = writeSetup(t, cfg, "debian/linux", "pxelinux.0", "ldlinux.c32", "grubnetx64.efi", "syslinux/pxelinux.0")
	_, out, _ = runCmd(t, "check", path)
	if !strings.Contains(out, `"syslinux/pxelinux.0": ldlinux.c32 is not in syslinux/ under the TFTP root`) {
		t.Errorf("no warning for the profile's pxelinux.0 without ldlinux.c32 beside it:\n%s", out)
	}
}
