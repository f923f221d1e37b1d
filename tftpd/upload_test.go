package tftpd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/inventory"
	"github.com/google/go-cmp/cmp"
	"github.com/pin/tftp/v3"
)

// put uploads data as name with pin/tftp's client.
func put(t testing.TB, addr, name string, data []byte) error {
	t.Helper()
	c, err := tftp.NewClient(addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(2 * time.Second)
	c.SetBackoff(func(int) time.Duration { return 0 })
	c.SetBlockSize(1468)
	rf, err := c.Send(name, "octet")
	if err != nil {
		return err
	}
	_, err = rf.ReadFrom(bytes.NewReader(data))
	return err
}

// dirContents lists every file under dir with its size.
func dirContents(t testing.TB, dir string) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			info, _ := d.Info()
			rel, _ := filepath.Rel(dir, p)
			got[filepath.ToSlash(rel)] = info.Size()
		}
		return nil
	})
	return got
}

func TestUploadsOffByDefault(t *testing.T) {
	srv := startServer(t, settings(), newRootFiles(t, t.TempDir()))
	err := put(t, srv.addr, "x", []byte("hello"))
	if err == nil || !strings.Contains(err.Error(), "access denied") {
		t.Fatalf("upload = %v, want access denied", err)
	}
	if rec := srv.log.waitTransfers(t, 1)[0]; rec.Attrs["outcome"] != "denied" || rec.Attrs["op"] != "write" {
		t.Errorf("record %v, want a denied write", rec.Attrs)
	}
}

func TestUploads(t *testing.T) {
	up := t.TempDir()
	if err := os.WriteFile(filepath.Join(up, "old.log"), make([]byte, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(up, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Quota 10000 for the whole folder, 1000 already used.
	srv := startServer(t, settings(func(c *inventory.TFTP) { c.Uploads = &inventory.Uploads{Dir: up, MaxBytes: 10000} }), newRootFiles(t, t.TempDir()))
	payload := bytes.Repeat([]byte("crash dump "), 500) // 5500 bytes

	if err := put(t, srv.addr, "/logs/board1.txt", payload); err != nil {
		t.Fatalf("upload: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(up, "logs", "board1.txt"))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("stored %d bytes (%v), want %d", len(got), err, len(payload))
	}
	for _, tc := range []struct{ name, want string }{
		{"logs/board1.txt", "file already exists"}, // no overwrite
		{"../escape.txt", "access denied"},
		{"nodir/x.txt", "file not found"},
		{"big.txt", "upload quota exceeded"}, // 1000 + 5500 + 5500 > 10000
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := put(t, srv.addr, tc.name, payload)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("upload = %v, want %q", err, tc.want)
			}
		})
	}
	// RFC 2349: an announced size over the quota is refused before any data.
	c := dialRaw(t, srv.addr)
	c.request(2, "announced.txt", "octet", "tsize", "20000")
	if op, _, msg := c.recv(); op != 5 || !strings.Contains(string(msg), "upload quota exceeded") {
		t.Errorf("WRQ with tsize 20000: got op %d %q, want ERROR upload quota exceeded", op, msg)
	}
	srv.log.waitTransfers(t, 6)
	// Only the first upload is there: no partial or temporary files.
	want := map[string]int64{"old.log": 1000, "logs/board1.txt": 5500}
	if diff := cmp.Diff(want, dirContents(t, up)); diff != "" {
		t.Errorf("upload folder (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(up), "escape.txt")); err == nil {
		t.Errorf("upload escaped the folder")
	}
	// The failed upload gave its bytes back: a file that fits still goes in.
	if err := put(t, srv.addr, "small.txt", payload[:3000]); err != nil {
		t.Errorf("upload within quota: %v", err)
	}
	srv.log.waitTransfers(t, 7)
	if st := srv.Stats(); st.BytesReceived < 5500+3000 {
		t.Errorf("stats %+v: received bytes not counted", st)
	}
}
