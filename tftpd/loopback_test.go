package tftpd

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/inventory"
	"github.com/google/go-cmp/cmp"
	"github.com/pin/tftp/v3"
)

// get fetches name with pin/tftp's own client; blksize 0 means no option.
func get(t testing.TB, addr, name, mode string, blksize int, tsize bool) (data []byte, size int64, sizeOK bool, err error) {
	t.Helper()
	c, err := tftp.NewClient(addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(2 * time.Second)
	c.SetRetries(5)
	c.SetBackoff(func(int) time.Duration { return 0 })
	if blksize > 0 {
		c.SetBlockSize(blksize)
	}
	c.RequestTSize(tsize)
	wt, err := c.Receive(name, mode)
	if err != nil {
		return nil, 0, false, err
	}
	if it, ok := wt.(tftp.IncomingTransfer); ok {
		size, sizeOK = it.Size()
	}
	var buf bytes.Buffer
	_, err = wt.WriteTo(&buf)
	return buf.Bytes(), size, sizeOK, err
}

// TestLoopbackSizes fetches files around the block-size edges with and
// without options and checks every byte, the tsize answered and the record.
func TestLoopbackSizes(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, settings(), newRootFiles(t, dir))
	sizes := []int{0, 1, 511, 512, 513, 1468, 1468 * 3, 1468*3 + 1, 1 << 20}
	type opts struct {
		blksize int
		tsize   bool
	}
	n := 0
	for _, size := range sizes {
		name := fmt.Sprintf("f%d", size)
		want := writeFile(t, dir, name, size)
		for _, o := range []opts{{0, false}, {0, true}, {1468, true}, {8192, true}, {512, false}} {
			t.Run(fmt.Sprintf("%s/blksize=%d/tsize=%v", name, o.blksize, o.tsize), func(t *testing.T) {
				got, tsize, tsizeOK, err := get(t, srv.addr, name, "octet", o.blksize, o.tsize)
				if err != nil {
					t.Fatal(err)
				}
				if sha256.Sum256(got) != sha256.Sum256(want) {
					t.Fatalf("got %d bytes, want %d: content differs", len(got), len(want))
				}
				// The server leaves tsize 0 out (curl refuses an OACK
				// with it), so a 0-byte file goes without it.
				// (pin/tftp's client reports its own "0" when no tsize came back.)
				if o.tsize && size > 0 && (!tsizeOK || tsize != int64(size)) {
					t.Errorf("tsize = %d (answered %v), want %d", tsize, tsizeOK, size)
				}
			})
			n++
			recs := srv.log.waitTransfers(t, n)
			rec := recs[n-1]
			wantBlk := "512"
			if o.blksize > 0 {
				wantBlk = strconv.Itoa(min(o.blksize, inventory.DefaultMaxBlockSize))
			}
			got := map[string]string{"outcome": rec.Attrs["outcome"], "bytes": rec.Attrs["bytes"], "blksize": rec.Attrs["blksize"], "file": rec.Attrs["file"]}
			want := map[string]string{"outcome": "ok", "bytes": strconv.Itoa(size), "blksize": wantBlk, "file": name}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s blksize=%d record (-want +got):\n%s", name, o.blksize, diff)
			}
			if rec.Level != slog.LevelInfo {
				t.Errorf("level %v, want info", rec.Level)
			}
		}
	}
	st := srv.Stats()
	if st.OK != uint64(n) || st.Failed != 0 || st.Active != 0 {
		t.Errorf("stats %+v, want %d ok, none failed or active", st, n)
	}
}

// TestLoopbackErrors: what a client is told for refused names, and that no
// text names a server path.
func TestLoopbackErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "etc/passwd", 10)
	outside := t.TempDir()
	writeFile(t, outside, "secret", 10)
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, settings(), newRootFiles(t, dir))
	for _, tc := range []struct{ name, want string }{
		{"missing.efi", "file not found"},
		{"../etc/passwd", "access denied"},
		{`..\..\x`, "access denied"},
		{"a/../../b", "access denied"},
		{"etc/pa\xffsswd", "access denied"},
		{"escape", "access denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := get(t, srv.addr, tc.name, "octet", 0, false)
			if err == nil {
				t.Fatal("got the file, want an error")
			}
			if !strings.HasSuffix(strings.TrimRight(err.Error(), "\x00"), "message: "+tc.want) {
				t.Errorf("error %q, want message %q", err, tc.want)
			}
			if strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), outside) {
				t.Errorf("error %q reveals a path", err)
			}
		})
	}
	recs := srv.log.waitTransfers(t, 6)
	var outcomes []string
	for _, r := range recs {
		outcomes = append(outcomes, r.Attrs["outcome"])
	}
	// Each transfer writes its record when it ends, after the client has
	// its error: six transfers end in any order.
	slices.Sort(outcomes)
	want := []string{"denied", "denied", "denied", "denied", "denied", "not found"}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if st := srv.Stats(); st.Failed != 6 || st.Active != 0 {
		t.Errorf("stats %+v, want 6 failed, 0 active", st)
	}
}

// TestLoopbackNetascii: the library converts line ends; tsize is not
// offered because the converted size differs from the file's.
func TestLoopbackNetascii(t *testing.T) {
	dir := t.TempDir()
	text := "default linux\nlabel linux\n  kernel vmlinuz\n"
	if err := os.WriteFile(filepath.Join(dir, "default"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, settings(), newRootFiles(t, dir))
	got, _, _, err := get(t, srv.addr, "default", "netascii", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != text {
		t.Errorf("got %q, want %q", got, text)
	}
	c := dialRaw(t, srv.addr)
	c.request(1, "default", "netascii", "tsize", "0")
	if op, num, body := c.recv(); op != 3 || num != 1 {
		t.Errorf("got op %d %d %q, want DATA 1 with no OACK: no tsize for netascii", op, num, body)
	}
	c.sendError(0, "done")
}

// TestLoopbackSinglePort: every packet of a transfer comes from the
// listening port.
func TestLoopbackSinglePort(t *testing.T) {
	dir := t.TempDir()
	want := writeFile(t, dir, "f", 3000)
	srv := startServer(t, settings(func(c *inventory.TFTP) { c.SinglePort = true }), newRootFiles(t, dir))
	c := dialRaw(t, srv.addr)
	c.request(1, "f", "octet", "blksize", "1468")
	op, _, body := c.recv()
	if op != 6 || parseOACK(body)["blksize"] != "1468" {
		t.Fatalf("got op %d %q, want OACK blksize 1468", op, body)
	}
	var got []byte
	for block := uint16(0); ; {
		if c.peer.String() != srv.addr {
			t.Fatalf("packet from %v, want %v", c.peer, srv.addr)
		}
		c.ack(block)
		block++
		op, num, data := c.recv()
		if op != 3 || num != block {
			t.Fatalf("got op %d block %d, want DATA %d", op, num, block)
		}
		got = append(got, data...)
		if len(data) < 1468 {
			c.ack(block)
			break
		}
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got %d bytes, want %d", len(got), len(want))
	}
	// And the library's client, over the same single port.
	got, _, _, err := get(t, srv.addr, "f", "octet", 1468, true)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("library client: %d bytes, %v", len(got), err)
	}
}
