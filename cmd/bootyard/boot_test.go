package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/inventory"
)

// TestBootBadInput: quick mode refuses what it cannot serve before
// anything listens, saying which input is wrong.
func TestBootBadInput(t *testing.T) {
	dir := t.TempDir()
	kernel := filepath.Join(dir, "vmlinuz")
	if err := os.WriteFile(kernel, []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "-kernel is required"},
		{[]string{"-kernel", filepath.Join(dir, "nope")}, 1, "-kernel " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{[]string{"-kernel", kernel, "-initrd", dir}, 1, "not a regular file"},
		{[]string{"-kernel", kernel, "-interface", "nosuch9"}, 1, `interface "nosuch9" does not exist on this machine`},
		{[]string{"-kernel", kernel, "-interface", "lo", "-dhcp", "authoritative"}, 2, "needs -pool"},
		{[]string{"-kernel", kernel, "-interface", "lo", "-pool", "198.51.100.100-198.51.100.110"}, 2, "-pool needs -dhcp authoritative"},
		{[]string{"-kernel", kernel, "-interface", "lo", "-dhcp", "relay"}, 2, `-dhcp "relay"`},
	}
	for _, tc := range tests {
		code, stdout, stderr := runCmd(t, append([]string{"boot"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("boot %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
		if strings.Contains(stdout, "serving") {
			t.Errorf("boot %q started serving", tc.args)
		}
	}
}

// TestBootPrintConfig: the config quick mode runs on is a valid config
// for serve, booting the kernel and initrds given to every machine.
func TestBootPrintConfig(t *testing.T) {
	dir := t.TempDir()
	var args []string
	for _, f := range []string{"vmlinuz", "initrd.gz", "firmware.cpio"} {
		p := filepath.Join(dir, f)
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
		flag := "-initrd"
		if f == "vmlinuz" {
			flag = "-kernel"
		}
		args = append(args, flag, p)
	}
	code, stdout, stderr := runCmd(t, append([]string{"boot", "-interface", "lo", "-ipxe-dir", dir, "-cmdline", `console=ttyS0 x="a b"`, "-print-config"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	snap, err := inventory.Parse(filepath.Join(dir, "c.yaml"), []byte(stdout), inventory.Options{SkipFileChecks: true})
	if err != nil {
		t.Fatalf("printed config does not load: %v\n%s", err, stdout)
	}
	p := snap.DefaultProfile()
	if p == nil || p.Kernel != "quick/vmlinuz" || p.Initrd != "quick/initrd" || p.Cmdline != `console=ttyS0 x="a b"` {
		t.Errorf("default profile = %+v", p)
	}
	if snap.DHCP.Mode != inventory.ModeProxy || !snap.DHCP.ProxyUnknown {
		t.Errorf("quick mode is not proxyDHCP for every client: %+v", snap.DHCP)
	}
}
