package httpboot

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

const waitBound = 20 * time.Second

// rootResolver serves a folder through os.Root (symlinks out refused) and
// one generated name, standing in for bootfiles.
type rootResolver struct {
	root *os.Root
	mu   sync.Mutex
	macs []string
}

func (r *rootResolver) Resolve(c served.Client, name string) (served.Content, error) {
	if c.MAC != nil {
		r.mu.Lock()
		r.macs = append(r.macs, c.MAC.String())
		r.mu.Unlock()
	}
	if name == "boot.ipxe" {
		b := []byte("#!ipxe\necho generated for " + c.MAC.String() + "\n")
		return served.Content{Name: name, Body: served.Bytes(b), Size: int64(len(b)), ModTime: time.Unix(1700000000, 0), Generated: true}, nil
	}
	f, err := r.root.Open(name)
	if err != nil {
		return served.Content{}, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return served.Content{}, fmt.Errorf("%s: not a file: %w", name, fs.ErrNotExist)
	}
	return served.Content{Name: name, Body: f, Size: st.Size(), ModTime: st.ModTime()}, nil
}

type testServer struct {
	url, addr string
	files     *rootResolver
	dir       string
}

func start(t *testing.T, mod func(*inventory.HTTP)) *testServer {
	t.Helper()
	base := t.TempDir()
	dir := filepath.Join(base, "root")
	for name, content := range map[string]string{
		"pxelinux.0": "pxelinux", "debian/linux": strings.Repeat("kernel", 50000), ".hidden": "secret",
		".git/config": "secret", "dir/inside": "inside",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Outside the root: a secret, a sibling folder sharing the root's
	// prefix, and links leading to them.
	os.WriteFile(filepath.Join(base, "passwd"), []byte("OUTSIDE-SECRET"), 0o644)
	os.MkdirAll(filepath.Join(base, "root2"), 0o755)
	os.WriteFile(filepath.Join(base, "root2", "x"), []byte("OUTSIDE-SECRET"), 0o644)
	os.Symlink(filepath.Join(base, "passwd"), filepath.Join(dir, "link"))
	os.Symlink(base, filepath.Join(dir, "linkdir"))
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	cfg := inventory.DefaultHTTP()
	if mod != nil {
		mod(&cfg)
	}
	files := &rootResolver{root: root}
	srv := New(cfg, files, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(waitBound):
			t.Error("Serve did not return")
		}
	})
	return &testServer{url: "http://" + ln.Addr().String(), addr: ln.Addr().String(), files: files, dir: dir}
}

func do(t *testing.T, method, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestHTTPSemantics(t *testing.T) {
	s := start(t, nil)
	kernel := strings.Repeat("kernel", 50000)

	resp, body := do(t, "GET", s.url+"/debian/linux", nil)
	if resp.StatusCode != 200 || sha256.Sum256([]byte(body)) != sha256.Sum256([]byte(kernel)) || resp.ContentLength != int64(len(kernel)) {
		t.Errorf("GET: %d, %d bytes (Content-Length %d)", resp.StatusCode, len(body), resp.ContentLength)
	}
	lastMod, etag := resp.Header.Get("Last-Modified"), resp.Header.Get("ETag")
	resp, body = do(t, "HEAD", s.url+"/debian/linux", nil)
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != int64(len(kernel)) {
		t.Errorf("HEAD: %d, body %d bytes, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
	}
	for _, tc := range []struct {
		rng, want string
		status    int
	}{
		{"bytes=0-5", kernel[:6], 206},
		{"bytes=-4", kernel[len(kernel)-4:], 206},
		{"bytes=299990-", kernel[299990:], 206},
		{"bytes=999999-", "", 416},
	} {
		resp, body := do(t, "GET", s.url+"/debian/linux", map[string]string{"Range": tc.rng})
		if resp.StatusCode != tc.status || (tc.status == 206 && body != tc.want) {
			t.Errorf("Range %s: %d %q, want %d %q", tc.rng, resp.StatusCode, body, tc.status, tc.want)
		}
	}
	if resp, _ := do(t, "GET", s.url+"/debian/linux", map[string]string{"If-Modified-Since": lastMod}); resp.StatusCode != 304 {
		t.Errorf("If-Modified-Since: %d, want 304", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", s.url+"/debian/linux", map[string]string{"If-None-Match": etag}); resp.StatusCode != 304 || etag == "" {
		t.Errorf("If-None-Match %q: %d, want 304", etag, resp.StatusCode)
	}
	for path, want := range map[string]int{
		"/nosuch": 404, "/dir": 404, "/dir/": 404, "/": 400, "/debian/": 404,
		"/.hidden": 400, "/.git/config": 400, "/_bootyard/x": 400,
	} {
		if resp, body := do(t, "GET", s.url+path, nil); resp.StatusCode != want || strings.Contains(body, "secret") {
			t.Errorf("GET %s: %d %q, want %d", path, resp.StatusCode, body, want)
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
		if resp, _ := do(t, m, s.url+"/pxelinux.0", nil); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d (Allow %q), want 405 GET, HEAD", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	// The host by MAC, as iPXE's ${mac:hexhyp} spells it.
	resp, body = do(t, "GET", s.url+"/by-mac/52-54-00-12-34-56/boot.ipxe", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "generated for 52:54:00:12:34:56") {
		t.Errorf("by-mac: %d %q", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", s.url+"/by-mac/zz/boot.ipxe", nil); resp.StatusCode != 400 {
		t.Errorf("by-mac with a bad MAC: %d, want 400", resp.StatusCode)
	}
}

// rawGet sends request line target on its own socket (no client cleans it)
// and returns the status line and the body.
func rawGet(t *testing.T, addr, target string) (string, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitBound)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitBound))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target)
	b, _ := io.ReadAll(c)
	status, rest, _ := strings.Cut(string(b), "\r\n")
	return status, rest
}

// TestTraversal: every encoding of a climb, sent raw, is 400 or 404, and no
// byte from outside the root is ever sent.
func TestTraversal(t *testing.T) {
	s := start(t, nil)
	for _, target := range []string{
		"/../passwd", "/../../passwd", "/%2e%2e/passwd", "/%2E%2E/%2E%2E/passwd", "/..%2fpasswd", "/..%2Fpasswd",
		"/..%5cpasswd", "/..\\passwd", "/dir/..%5c..%5cpasswd", "/pxelinux.0%00.txt", "/..;/passwd", "/dir/..;/../passwd",
		"http://x/../passwd", "http://x/%2e%2e/passwd", "/link", "/linkdir/passwd", "/linkdir/root2/x", "/../root2/x",
		"/%2e%2e%2f%2e%2e%2fpasswd", "//../passwd", "/./../passwd",
	} {
		status, rest := rawGet(t, s.addr, target)
		if !strings.Contains(status, " 400 ") && !strings.Contains(status, " 404 ") && !strings.Contains(status, " 403 ") {
			t.Errorf("%s: %q, want 400, 403 or 404", target, status)
		}
		if strings.Contains(rest, "OUTSIDE-SECRET") {
			t.Errorf("%s: a byte from outside the root was sent", target)
		}
	}
}

// TestSlowHeadersCutOff: a client that never finishes its headers is
// disconnected by the header timeout.
func TestSlowHeadersCutOff(t *testing.T) {
	s := start(t, func(c *inventory.HTTP) { c.ReadHeaderTimeout = 300 * time.Millisecond })
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "GET /pxelinux.0 HTTP/1.1\r\nHost: x\r\n") // and never the blank line
	c.SetReadDeadline(time.Now().Add(waitBound))
	_, err = io.ReadAll(bufio.NewReader(c))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server kept a connection whose headers never ended")
	}
}

// TestConnectionFlood: past max_conns_per_client a new connection is closed
// at once, while those already open are served.
func TestConnectionFlood(t *testing.T) {
	s := start(t, func(c *inventory.HTTP) { c.MaxConns, c.MaxConnsPerClient = 100, 4 })
	var held []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	for i := range 20 {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			continue
		}
		c.SetReadDeadline(time.Now().Add(waitBound))
		fmt.Fprint(c, "GET /pxelinux.0 HTTP/1.1\r\nHost: x\r\n\r\n")
		b, _ := io.ReadAll(c)
		c.Close()
		if len(b) > 0 {
			t.Fatalf("connection %d over the per-client cap was served: %q", i, b)
		}
	}
	// A held connection still works.
	fmt.Fprint(held[0], "GET /pxelinux.0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	held[0].SetReadDeadline(time.Now().Add(waitBound))
	if b, _ := io.ReadAll(held[0]); !strings.Contains(string(b), "pxelinux") {
		t.Errorf("a connection within the cap was not served: %q", b)
	}
}

// FuzzMapPath: whatever path a client sends, a mapped name is clean and
// never climbs, and mapping never panics.
func FuzzMapPath(f *testing.F) {
	for _, s := range []string{"/pxelinux.0", "/../x", "/%2e%2e/x", "/by-mac/52-54-00-12-34-56/boot.ipxe", "/a/..;/b", "/.git/config"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, raw, path string) {
		_, name, err := mapPath(raw, path)
		if err != nil {
			return
		}
		if again, err := served.Clean(name); err != nil || again != name || !fs.ValidPath(name) {
			t.Fatalf("mapPath(%q, %q) = %q: not a clean name", raw, path, name)
		}
	})
}
