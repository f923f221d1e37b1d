package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
)

// TestNextBootLab: a one-shot armed from the CLI while serve runs (through
// the admin API) changes the host's iPXE script to the installer, with a
// callback URL carrying the per-boot token; it survives kill -9; a wrong
// token and an API call without the bearer token change nothing; the right
// callback spends it and the host is back to local boot.
func TestNextBootLab(t *testing.T) {
	netlab.Require(t, "atftp", "curl")
	bin := bootyardBinary(t)
	lab := netlab.New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	cli := lab.Host("cli", "198.51.100.30/24")
	mac := cli.MAC()

	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(root, "inst"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "inst", "vmlinuz"), []byte("kernel"), 0o644); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "admin.token")
	if err := os.WriteFile(tokenFile, []byte("lab-admin-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := `interface: eth0
dhcp:
  subnet: 198.51.100.0/24
  lease_file: ` + filepath.Join(dir, "state", "leases") + `
  conflict_probe: false
tftp:
  root: ` + root + `
http: {enabled: true}
admin:
  listen: 127.0.0.1:9867
  token_file: ` + tokenFile + `
profiles:
  installer:
    kernel: inst/vmlinuz
    cmdline: "auto=true bootyard.callback={callback}"
  installed: {local: true}
hosts:
  - {name: node, mac: "` + mac.String() + `", ip: 198.51.100.30, profile: installed}
`
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func() *netlab.Proc {
		p := srv.Start(t, bin, "serve", "-config", path)
		if err := p.WaitFor(30*time.Second, "bootyard serving"); err != nil {
			t.Fatalf("bootyard did not start: %v", err)
		}
		return p
	}
	cmd := func(args ...string) string {
		t.Helper()
		out, err := srv.Run(t, 30*time.Second, bin, append([]string{"next-boot", "-config", path}, args...)...)
		if err != nil {
			t.Fatalf("next-boot %q: %v\n%s", args, err, out)
		}
		return out
	}
	script := func() string {
		t.Helper()
		dst := filepath.Join(dir, "boot.ipxe")
		os.Remove(dst)
		if out, err := cli.Run(t, 30*time.Second, "atftp", "--get", "-r", "boot.ipxe", "-l", dst, "198.51.100.2"); err != nil {
			t.Fatalf("atftp: %v\n%s", err, out)
		}
		b, _ := os.ReadFile(dst)
		return string(b)
	}
	curl := func(args ...string) string {
		out, _ := cli.Run(t, 30*time.Second, "curl", append([]string{"-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"}, args...)...)
		return strings.TrimSpace(out)
	}

	p := start()
	if s := script(); !strings.Contains(s, "\nexit") {
		t.Fatalf("before next-boot the host should boot locally:\n%s", s)
	}
	if out := cmd("node", "installer"); !strings.Contains(out, "by the running server") {
		t.Errorf("next-boot while serve runs did not go through the server: %s", out)
	}
	s := script()
	m := regexp.MustCompile(`bootyard\.callback=(http://198\.51\.100\.2/_bootyard/callback/node/([0-9a-f]{32}))`).FindStringSubmatch(s)
	if !strings.Contains(s, "kernel http://198.51.100.2/inst/vmlinuz") || m == nil {
		t.Fatalf("armed host's script lacks the installer kernel or its callback URL:\n%s", s)
	}
	callback, token := m[1], m[2]

	// kill -9: the one-shot is on disk, and the lock died with the process.
	if err := syscall.Kill(p.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.Wait(10 * time.Second)
	p = start()
	if out := cmd("-list"); !strings.Contains(out, "node\tboots installer once") {
		t.Errorf("after kill -9 and restart the one-shot is gone: %q", out)
	}
	if !strings.Contains(script(), "bootyard.callback="+callback) {
		t.Error("after restart the script no longer carries the same callback")
	}

	// Refused writes change nothing.
	if out, _ := srv.Run(t, 30*time.Second, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", "http://127.0.0.1:9867/api/hosts/node/next-boot"); strings.TrimSpace(out) != "401" {
		t.Errorf("API DELETE without a token = %s, want 401", out)
	}
	wrong := strings.Replace(callback, token, strings.Repeat("0", 32), 1)
	if code := curl(wrong); code != "404" {
		t.Errorf("callback with a wrong token = %s, want 404", code)
	}
	if out := cmd("-list"); !strings.Contains(out, "boots installer once") {
		t.Errorf("a refused call changed the state: %q", out)
	}
	// The right callback spends it: local boot again, and a replay is 404.
	if code := curl(callback); code != "200" {
		t.Fatalf("callback = %s, want 200\n%s", code, p.Output())
	}
	if code := curl(callback); code != "404" {
		t.Errorf("replayed callback = %s, want 404", code)
	}
	if out := cmd("-list"); !strings.Contains(out, "no next-boot armed") {
		t.Errorf("after the callback: %q", out)
	}
	if s := script(); !strings.Contains(s, "\nexit") {
		t.Errorf("after the callback the host should boot locally again:\n%s", s)
	}
	for _, want := range []string{"next-boot spent: the installer called back", "installer callback refused"} {
		if !strings.Contains(p.Output(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
	// With no server running the CLI edits the file under the lock.
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if out := cmd("node", "installer"); !strings.Contains(out, "no server running") {
		t.Errorf("offline next-boot: %s", out)
	}
	if out, err := srv.Run(t, 30*time.Second, bin, "next-boot", "-config", path, "ghost", "installer"); err == nil || !strings.Contains(out, `no host "ghost"`) {
		t.Errorf("unknown host: %v %s", err, out)
	}
}
