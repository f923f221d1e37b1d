package main

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
)

// TestDefaultProfileLab: a machine that is not in the inventory takes a
// pool address with a real DHCP client (udhcpc), then fetches by TFTP
// (atftp) the iPXE script every client asks for by the same name: bootyard
// finds its MAC through the lease and serves the default profile's script.
// Its per-MAC GRUB config, and a listed host's local-boot script, come the
// same way.
func TestDefaultProfileLab(t *testing.T) {
	netlab.Require(t, "udhcpc", "atftp")
	bin := bootyardBinary(t)
	lab := netlab.New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	cli := lab.Host("cli")
	mac := cli.MAC()

	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for _, f := range []string{"inst/vmlinuz", "inst/initrd.gz", "pxelinux.0"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := `interface: eth0
dhcp:
  subnet: 198.51.100.0/24
  pool: 198.51.100.100-198.51.100.109
  lease_file: ` + filepath.Join(dir, "leases") + `
  conflict_probe: false
  default_profile: newbox
tftp:
  root: ` + root + `
profiles:
  newbox:
    kernel: inst/vmlinuz
    initrd: inst/initrd.gz
    cmdline: auto=true
  installed: {local: true}
hosts:
  - {name: done, mac: "52:54:00:00:00:99", ip: 198.51.100.99, profile: installed}
`
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	proc := srv.Start(t, bin, "serve", "-config", path, "-log-level", "debug")
	if err := proc.WaitFor(30*time.Second, "bootyard serving"); err != nil {
		t.Fatalf("bootyard did not start: %v\n%s", err, proc.Output())
	}

	// udhcpc binds the offered pool address to the client's interface.
	script := filepath.Join(dir, "udhcpc.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1\" = bound ] && ip addr add \"$ip/$subnet\" dev \"$interface\"\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := cli.Run(t, 60*time.Second, "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-s", script,
		"-t", "5", "-T", "2", "-V", "PXEClient:Arch:00000:UNDI:002001"); err != nil {
		t.Fatalf("udhcpc: %v\n%s", err, out)
	}
	if a := cli.IfaceAddrs(); len(a) == 0 || !strings.HasPrefix(a[0].String(), "198.51.100.10") {
		t.Fatalf("client addresses %v, want a pool address", a)
	}

	get := func(name string) string {
		t.Helper()
		dst := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
		if out, err := cli.Run(t, 60*time.Second, "atftp", "--get", "-r", name, "-l", dst, "198.51.100.2"); err != nil {
			t.Fatalf("atftp %s: %v\n%s\nserver log:\n%s", name, err, out, proc.Output())
		}
		b, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	stand := "unknown-" + hex.EncodeToString(mac)
	ipxe := get("boot.ipxe")
	for _, want := range []string{"#!ipxe", stand, "kernel /inst/vmlinuz initrd=initrd auto=true", "initrd --name initrd /inst/initrd.gz"} {
		if !strings.Contains(ipxe, want) {
			t.Errorf("boot.ipxe for the unknown MAC lacks %q:\n%s", want, ipxe)
		}
	}
	grub := get("grub/grub.cfg-01-" + strings.ReplaceAll(mac.String(), ":", "-"))
	if !strings.Contains(grub, "linux /inst/vmlinuz auto=true") {
		t.Errorf("GRUB config for the unknown MAC:\n%s", grub)
	}
	local := get("pxelinux.cfg/01-52-54-00-00-00-99")
	if !strings.Contains(local, "LOCALBOOT 0") || strings.Contains(local, "KERNEL") {
		t.Errorf("pxelinux.cfg of the local host:\n%s", local)
	}
}
