package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pin/tftp/v3"

	"github.com/bootyard/bootyard/bootfiles"
	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/tftpd"
)

// loopbackHost maps the loopback client to one inventory host, as a
// reservation would on a real network.
type loopbackHost struct{ h *inventory.Host }

func (l loopbackHost) HostByIP(ip netip.Addr) (*inventory.Host, bool) {
	return l.h, ip == netip.MustParseAddr("127.0.0.1")
}

// TestIPXEScriptNameSpellings is the regression test for the name cleaners
// that disagreed: with `boot: {ipxe: '\boot.ipxe'}` the DHCP reply tells
// iPXE to fetch "\boot.ipxe". Through the real TFTP server and bootfiles,
// that spelling, "boot.ipxe" and "/boot.ipxe" all get the host's generated
// script, and check does not warn that the script is missing.
func TestIPXEScriptNameSpellings(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	writePlaceholders(t, root, "debian/linux", "debian/initrd.gz")
	cfg := `interface: lo
dhcp:
  mode: authoritative
  server_ip: 198.51.100.2
  subnet: 198.51.100.0/24
tftp:
  root: ` + root + `
boot:
  ipxe: '\boot.ipxe'
  bios: ""
  uefi-x64: ""
  uefi-arm64: ""
  uboot-arm: ""
  uboot-arm64: ""
  rpi: ""
profiles:
  debian:
    kernel: debian/linux
    initrd: debian/initrd.gz
    cmdline: console=ttyS0
hosts:
  - name: node1
    mac: 52:54:00:12:34:56
    ip: 198.51.100.10
    profile: debian
`
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := loadSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range snap.Warnings {
		if strings.Contains(w.Field, "ipxe") {
			t.Errorf("check warns about the generated iPXE script: %s", w)
		}
	}
	node1, _ := snap.HostByName("node1")
	c := loopbackTFTP(t, snap, node1, nil)
	for _, name := range []string{`\boot.ipxe`, "boot.ipxe", "/boot.ipxe"} {
		wt, err := c.Receive(name, "octet")
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		var b bytes.Buffer
		if _, err := wt.WriteTo(&b); err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		if got := b.String(); !strings.HasPrefix(got, "#!ipxe") || !strings.Contains(got, "node1") || !strings.Contains(got, "debian/linux") {
			t.Errorf("%q: got %q, want node1's generated iPXE script", name, got)
		}
	}
}

// writePlaceholders writes a one-byte file for each name under root.
func writePlaceholders(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, f := range names {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loopbackTFTP serves snap by TFTP on 127.0.0.1 (an ephemeral port), as
// serve does (bootfiles behind tftpd), with every client taken for host,
// and returns pin/tftp's client for it. The server stops at cleanup.
func loopbackTFTP(t *testing.T, snap *inventory.Snapshot, host *inventory.Host, log *slog.Logger) *tftp.Client {
	t.Helper()
	files := bootfiles.New(func() *inventory.Snapshot { return snap }, loopbackHost{host}, log, bootfiles.ServerIP(snap.DHCP.ServerIP))
	srv := tftpd.New(snap.TFTP, files, log)
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("tftp server did not stop")
		}
		files.Close()
	})
	c, err := tftp.NewClient(conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(2 * time.Second)
	return c
}
