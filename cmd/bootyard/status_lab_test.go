package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
)

// browse loads url in Debian's headless chromium inside h's namespace, lets
// the page run its script, and returns the DOM as the browser built it.
// With shot set it also saves a screenshot there.
func browse(t *testing.T, h *netlab.Host, url, shot string) string {
	t.Helper()
	profile := t.TempDir()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + profile}
	if shot != "" {
		out, err := h.Run(t, 90*time.Second, "chromium", append(args, "--window-size=1200,800", "--screenshot="+shot, url)...)
		if err != nil {
			t.Fatalf("chromium screenshot: %v\n%s", err, out)
		}
	}
	out, err := h.Run(t, 90*time.Second, "chromium", append(args, "--dump-dom", url)...)
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	return out
}

// rowOf is the <tr> of the hosts table that holds needle.
func rowOf(dom, needle string) string {
	for row := range strings.SplitSeq(dom, "<tr") {
		if strings.Contains(row, needle) {
			return row
		}
	}
	return ""
}

// TestStatusPageInBrowser walks a host through its boot stages with real
// clients (udhcpc, atftp) while a real browser loads the status page: the
// host's row moves from "not seen" to "done", its timeline page lists the
// transfers, and a hostile vendor class and file name sent over the wire
// show up as text, never as markup or script. `bootyard status` prints the
// same from the terminal.
func TestStatusPageInBrowser(t *testing.T) {
	netlab.Require(t, "udhcpc", "atftp", "chromium")
	bin := bootyardBinary(t)
	lab := netlab.New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	cli := lab.Host("cli", "198.51.100.3/24")
	evil := lab.Host("evil")

	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]int{"linux": 300000, "initrd.img": 200000, "pxelinux.0": 1000} {
		if err := os.WriteFile(filepath.Join(root, name), make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	host := fmt.Sprintf("  - name: web1\n    mac: %s\n    ip: 198.51.100.3\n    profile: linux\n", cli.MAC())
	cfg := strings.Replace(labConfig(dir, host), "    kernel: linux\n", "    kernel: linux\n    initrd: initrd.img\n", 1)
	path := filepath.Join(dir, "config.yaml")
	writeAtomically(t, path, cfg)
	proc := srv.Start(t, bin, "serve", "-config", path)
	if err := proc.WaitFor(30*time.Second, "bootyard serving"); err != nil {
		t.Fatalf("bootyard did not start: %v\n%s", err, proc.Output())
	}
	const page = "http://127.0.0.1:9867/"
	mac := cli.MAC().String()

	before := browse(t, srv, page, "")
	if row := rowOf(before, mac); !strings.Contains(row, "not seen") {
		t.Fatalf("web1 before any traffic: row %q, want stage \"not seen\"\n%s", row, before)
	}

	// Hostile strings from the wire: an unknown board's vendor class, and a
	// file name web1 asks for.
	const hostile = `<img src=x id=pwned onerror="document.title='pwned'">`
	if out, err := evil.Run(t, 30*time.Second, "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-s", "/bin/true",
		"-t", "2", "-T", "1", "-V", hostile); err == nil {
		t.Fatalf("udhcpc from an unknown MAC got an answer:\n%s", out)
	}
	if out, err := cli.Run(t, 60*time.Second, "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-s", "/bin/true",
		"-t", "5", "-T", "2", "-V", "PXEClient:Arch:00000:UNDI:002001"); err != nil {
		t.Fatalf("udhcpc: %v\n%s", err, out)
	}
	cli.Run(t, 30*time.Second, "atftp", "--get", "-r", `<b>bold</b>.bin`, "-l", filepath.Join(dir, "x"), "198.51.100.2")
	for _, f := range []string{"pxelinux.0", "linux", "initrd.img"} {
		if out, err := cli.Run(t, 60*time.Second, "atftp", "--get", "-r", f, "-l", filepath.Join(dir, "got-"+f), "198.51.100.2"); err != nil {
			t.Fatalf("atftp %s: %v\n%s", f, err, out)
		}
	}

	var after string
	deadline := time.Now().Add(60 * time.Second)
	for {
		after = browse(t, srv, page, filepath.Join(t.ArtifactDir(), "status.png"))
		if strings.Contains(rowOf(after, mac), ">done<") || time.Now().After(deadline) {
			break
		}
	}
	if row := rowOf(after, mac); !strings.Contains(row, ">done<") {
		t.Fatalf("web1 after DHCP, kernel and initrd: row %q, want stage done\n%s", row, after)
	}
	if strings.Contains(after, "<title>pwned") || strings.Contains(after, `id="pwned"`) {
		t.Fatalf("the hostile vendor class became markup:\n%s", after)
	}
	if !strings.Contains(after, "&lt;img src=x id=pwned") {
		t.Errorf("the unknown board's vendor class is not shown as text in \"Not answered\":\n%s", after)
	}
	t.Logf("screenshot: %s", filepath.Join(t.ArtifactDir(), "status.png"))

	one := browse(t, srv, page+"hosts/web1", "")
	for _, want := range []string{"linux ok", "initrd.img ok", "&lt;b&gt;bold&lt;/b&gt;.bin"} {
		if !strings.Contains(one, want) {
			t.Errorf("web1's timeline lacks %q:\n%s", want, one)
		}
	}
	if strings.Contains(one, "<b>bold</b>") {
		t.Errorf("a file name from the wire became markup on the host page")
	}

	// The API and the terminal say the same.
	out, err := srv.Run(t, 20*time.Second, "curl", "-sS", "http://127.0.0.1:9867/api/hosts/web1")
	if err != nil {
		t.Fatalf("api: %v\n%s", err, out)
	}
	var h struct {
		Stage  string            `json:"stage"`
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil || h.Stage != "done" || len(h.Events) < 5 {
		t.Errorf("GET /api/hosts/web1: stage %q, %d events (%v); want done and the boot's events\n%s", h.Stage, len(h.Events), err, out)
	}
	out, err = srv.Run(t, 20*time.Second, bin, "status", "-config", path)
	if err != nil || !strings.Contains(rowOfLines(out, "web1"), "done") {
		t.Errorf("bootyard status: %v\n%s", err, out)
	}
	out, err = srv.Run(t, 20*time.Second, bin, "status", "-config", path, "web1")
	if err != nil || !strings.Contains(out, "initrd.img") {
		t.Errorf("bootyard status web1: %v\n%s", err, out)
	}
}

func rowOfLines(out, needle string) string {
	for l := range strings.SplitSeq(out, "\n") {
		if strings.Contains(l, needle) {
			return l
		}
	}
	return ""
}
