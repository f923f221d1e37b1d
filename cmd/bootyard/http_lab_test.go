package main

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
)

// TestHTTPWithCurl runs `bootyard serve` with HTTP on in a lab and fetches
// from another namespace with curl: files intact, HEAD, Range, 416,
// If-Modified-Since, 404, 405, no folder listing, no dot-files, the host's
// generated script by address and by MAC, 32 downloads at once, and every
// traversal spelling sent as is, none of which gets a byte from outside.
func TestHTTPWithCurl(t *testing.T) {
	netlab.Require(t, "curl")
	bin := bootyardBinary(t)
	lab := netlab.New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	cli := lab.Host("cli", "198.51.100.3/24")

	base := t.TempDir()
	dir := filepath.Join(base, "srv")
	root := filepath.Join(dir, "root")
	for _, d := range []string{root, filepath.Join(root, "images"), filepath.Join(root, ".git"), filepath.Join(base, "srv-root-sibling")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	big := make([]byte, 3<<20+17)
	rand.Read(big)
	write := func(p string, b []byte) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "images", "big.img"), big)
	write(filepath.Join(root, "linux"), []byte("kernel"))
	write(filepath.Join(root, "pxelinux.0"), []byte("pxe"))
	write(filepath.Join(root, ".git", "config"), []byte("OUTSIDE-SECRET"))
	write(filepath.Join(root, ".secret"), []byte("OUTSIDE-SECRET"))
	write(filepath.Join(base, "passwd"), []byte("OUTSIDE-SECRET"))
	write(filepath.Join(base, "srv-root-sibling", "x"), []byte("OUTSIDE-SECRET"))
	os.Symlink(filepath.Join(base, "passwd"), filepath.Join(root, "escape"))
	os.Symlink(base, filepath.Join(root, "escapedir"))

	host := fmt.Sprintf("  - name: web1\n    mac: %s\n    ip: 198.51.100.3\n    profile: linux\n", cli.MAC())
	cfg := labConfig(dir, host) + "http:\n  enabled: true\n"
	path := filepath.Join(dir, "config.yaml")
	writeAtomically(t, path, cfg)
	proc := srv.Start(t, bin, "serve", "-config", path)
	if err := proc.WaitFor(30*time.Second, "bootyard serving"); err != nil {
		t.Fatalf("bootyard did not start: %v\n%s", err, proc.Output())
	}
	const url = "http://198.51.100.2"
	curl := func(args ...string) string {
		t.Helper()
		out, err := cli.Run(t, 60*time.Second, "curl", append([]string{"-sS", "--max-time", "30"}, args...)...)
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return out
	}
	status := func(args ...string) string {
		return strings.TrimSpace(curl(append([]string{"-o", "/dev/null", "-w", "%{http_code}"}, args...)...))
	}

	got := filepath.Join(base, "got.img")
	curl("-o", got, url+"/images/big.img")
	if b, _ := os.ReadFile(got); sha256.Sum256(b) != sha256.Sum256(big) {
		t.Fatalf("GET: %d bytes, sha256 differs", len(b))
	}
	head := curl("-I", url+"/images/big.img")
	if !strings.Contains(head, "200 OK") || !strings.Contains(head, fmt.Sprintf("Content-Length: %d", len(big))) {
		t.Errorf("HEAD:\n%s", head)
	}
	lastMod := ""
	for l := range strings.SplitSeq(head, "\r\n") {
		if v, ok := strings.CutPrefix(l, "Last-Modified: "); ok {
			lastMod = v
		}
	}
	if got := curl("-r", "0-9", url+"/images/big.img"); got != string(big[:10]) {
		t.Errorf("Range 0-9: %q", got)
	}
	if got := curl("-H", "Range: bytes=-7", url+"/images/big.img"); got != string(big[len(big)-7:]) {
		t.Errorf("suffix range: %q", got)
	}
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"416", []string{"-H", "Range: bytes=99999999-", url + "/images/big.img"}},
		{"304", []string{"-H", "If-Modified-Since: " + lastMod, url + "/images/big.img"}},
		{"404", []string{url + "/nosuch"}},
		{"404", []string{url + "/images/"}},
		{"404", []string{url + "/images"}},
		{"405", []string{"-X", "POST", url + "/linux"}},
		{"405", []string{"-X", "PUT", url + "/linux"}},
		{"400", []string{url + "/.secret"}},
		{"400", []string{url + "/.git/config"}},
	} {
		if got := status(tc.args...); got != tc.want {
			t.Errorf("curl %v: %s, want %s", tc.args, got, tc.want)
		}
	}
	for _, p := range []string{"/boot.ipxe", "/by-mac/" + strings.ReplaceAll(cli.MAC().String(), ":", "-") + "/boot.ipxe"} {
		if got := curl(url + p); !strings.Contains(got, "#!ipxe") || !strings.Contains(got, "web1") {
			t.Errorf("GET %s: %q, want web1's generated script", p, got)
		}
	}

	// Traversal, sent as written.
	for _, p := range []string{"/../passwd", "/../../passwd", "/%2e%2e/passwd", "/%2e%2e/%2e%2e/passwd", "/..%2fpasswd",
		"/..%5cpasswd", "/images/..%5c..%5cpasswd", "/linux%00", "/..;/passwd", "/images/..;/../passwd",
		"/escape", "/escapedir/passwd", "/../srv-root-sibling/x", "/escapedir/srv-root-sibling/x"} {
		out, err := cli.Run(t, 30*time.Second, "curl", "-sS", "--path-as-is", "--max-time", "10", "-w", "\n%{http_code}", url+p)
		if err != nil {
			t.Errorf("curl --path-as-is %s: %v", p, err)
			continue
		}
		code := out[strings.LastIndex(out, "\n")+1:]
		if (code != "400" && code != "403" && code != "404") || strings.Contains(out, "OUTSIDE-SECRET") {
			t.Errorf("%s: %s %q, want 400/403/404 and no byte from outside", p, code, out)
		}
	}

	// 32 downloads at once, each intact.
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			dst := filepath.Join(base, fmt.Sprintf("p%d", i))
			if out, err := cli.Run(t, 120*time.Second, "curl", "-sS", "--max-time", "100", "-o", dst, url+"/images/big.img"); err != nil {
				errs <- fmt.Errorf("download %d: %v %s", i, err, out)
				return
			}
			if b, _ := os.ReadFile(dst); sha256.Sum256(b) != sha256.Sum256(big) {
				errs <- fmt.Errorf("download %d: %d bytes, sha256 differs", i, len(b))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := strings.Count(proc.Output(), `msg="http request"`); n < 50 {
		t.Errorf("%d request records in the log, want one per request", n)
	}
}
