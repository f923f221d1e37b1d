package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/admin"
	"github.com/bootyard/bootyard/bootfiles"
	"github.com/bootyard/bootyard/httpboot"
	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/state"
)

// TestAnswerFilesOverTFTPAndHTTP: a host's preseed comes over TFTP and
// HTTP with the same bytes explain shows, and the generated iPXE script
// points the installer at it.
func TestAnswerFilesOverTFTPAndHTTP(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	writePlaceholders(t, root, "debian/linux", "debian/initrd.gz")
	tmpl := "d-i netcfg/get_hostname string {{.Host}}\nd-i partman-auto/disk string {{.Vars.disk}}\nd-i preseed/late_command string wget -q -O /dev/null '{{.Callback}}'\n"
	if err := os.WriteFile(filepath.Join(dir, "node.preseed"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `interface: lo
dhcp: {mode: authoritative, server_ip: 198.51.100.2, subnet: 198.51.100.0/24}
tftp: {root: root}
http: {enabled: true, port: 8080}
boot: {ipxe: boot.ipxe, bios: "", uefi-x64: "", uefi-arm64: "", uboot-arm: "", uboot-arm64: "", rpi: ""}
profiles:
  debian:
    kernel: debian/linux
    initrd: debian/initrd.gz
    cmdline: "auto=true priority=critical url={files}/preseed.cfg"
    files: {preseed.cfg: node.preseed}
    vars: {disk: /dev/sda}
hosts:
  - {name: node1, mac: 52:54:00:12:34:56, ip: 198.51.100.10, profile: debian, vars: {disk: /dev/nvme0n1}}
`
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := loadSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	node1, _ := snap.HostByName("node1")
	want := "d-i netcfg/get_hostname string node1\nd-i partman-auto/disk string /dev/nvme0n1\n" +
		"d-i preseed/late_command string wget -q -O /dev/null 'http://198.51.100.2:8080/_bootyard/callback/node1/none'\n"

	c := loopbackTFTP(t, snap, node1, nil)
	wt, err := c.Receive("hosts/node1/preseed.cfg", "octet")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("over TFTP:\n%s\nwant:\n%s", b.String(), want)
	}

	files := bootfiles.New(func() *inventory.Snapshot { return snap }, nil, nil, bootfiles.ServerIP(snap.DHCP.ServerIP))
	t.Cleanup(func() { files.Close() })
	web := httptest.NewServer(httpboot.New(snap.HTTP, files, nil))
	t.Cleanup(web.Close)
	resp, err := http.Get(web.URL + "/hosts/node1/preseed.cfg")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != want {
		t.Errorf("over HTTP: %s\n%s\nwant:\n%s", resp.Status, body, want)
	}
	if resp, err := http.Get(web.URL + "/hosts/node1/kickstart.cfg"); err != nil || resp.StatusCode != 404 {
		t.Errorf("a file the profile does not name: %v %v, want 404", resp.Status, err)
	}

	for _, arch := range []string{"", "0"} {
		args := []string{"explain", path, "-mac", node1.MAC.String()}
		if arch != "" {
			args = append(args, "-arch", arch)
		}
		code, out, errOut := runCmd(t, args...)
		if code != 0 || !strings.Contains(out, "answer files for node1") || !strings.Contains(out, "hosts/node1/preseed.cfg") || !strings.Contains(out, "/dev/nvme0n1") {
			t.Errorf("explain %v (exit %d) does not show the answer file:\n%s%s", args, code, out, errOut)
		}
	}
	script, err := c.Receive("boot.ipxe", "octet")
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	script.WriteTo(&b)
	if !strings.Contains(b.String(), "url=http://198.51.100.2:8080/hosts/node1/preseed.cfg") {
		t.Errorf("the iPXE script does not point at the preseed:\n%s", b.String())
	}
}

// TestNextBootRefusesUnrenderableFiles: arming a profile whose answer file
// needs a var the host lacks is refused with the reason, by the CLI with no
// server running and by the server's API, and nothing is armed.
func TestNextBootRefusesUnrenderableFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.preseed"), []byte("disk {{.Vars.disk}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `interface: eth0
dhcp: {mode: off, lease_file: leases}
tftp: {enabled: false}
http: {enabled: true}
profiles:
  inst: {kernel: k, files: {preseed.cfg: t.preseed}}
  disk: {local: true}
hosts:
  - {name: has, mac: 52:54:00:00:00:01, profile: disk, vars: {disk: /dev/sda}}
  - {name: lacks, mac: 52:54:00:00:00:02, profile: disk}
`
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "next-boot", "-config", path, "lacks", "inst")
	if code == 0 || !strings.Contains(errOut, `no entry for key "disk"`) || !strings.Contains(errOut, "nothing changed") {
		t.Errorf("next-boot lacks inst: exit %d\n%s", code, errOut)
	}
	if code, out, errOut := runCmd(t, "next-boot", "-config", path, "has", "inst"); code != 0 {
		t.Errorf("next-boot has inst: exit %d\n%s%s", code, out, errOut)
	}
	_, list, _ := runCmd(t, "next-boot", "-config", path, "-list")
	if !strings.Contains(list, "has") || strings.Contains(list, "lacks") {
		t.Errorf("armed after the two calls:\n%s", list)
	}

	snap, err := loadSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	nb, unlock, err := openNextBoots(filepath.Join(t.TempDir(), state.FileName), inventory.NewStore(snap), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := nb.Arm("lacks", "inst"); !errors.Is(err, admin.ErrRefused) || !strings.Contains(err.Error(), "answer file preseed.cfg") {
		t.Errorf("Arm(lacks, inst) = %v, want ErrRefused naming the file", err)
	}
}
