package tftpd

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/served"
	"github.com/google/go-cmp/cmp"
)

// TestReadHandlerNames runs the read handler directly: what Files is asked
// for, and what the client would be told.
func TestReadHandlerNames(t *testing.T) {
	dir := t.TempDir()
	want := writeFile(t, dir, "etc/passwd", 100)
	writeFile(t, dir, "EFI/BOOT/BOOTX64.EFI", 10)
	outside := t.TempDir()
	writeFile(t, outside, "secret", 10)
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		raw      string
		wantErr  error    // what the client is told; nil: the file is sent
		wantOpen []string // what Files is asked for
	}{
		{"/etc/passwd", nil, []string{"etc/passwd"}},
		{`\EFI\BOOT\BOOTX64.EFI` + "\x00\xff", nil, []string{"EFI/BOOT/BOOTX64.EFI"}},
		{"../etc/passwd", errDenied, nil},
		{`..\..\x`, errDenied, nil},
		{"a/../../b", errDenied, nil},
		{"etc/pa\xffsswd", errDenied, nil},
		{strings.Repeat("a/", 300), errDenied, nil},
		{"", errDenied, nil},
		{"missing", errNotFound, []string{"missing"}},
		{"etc", errNotFound, []string{"etc"}},     // a folder is not a file
		{"escape", errDenied, []string{"escape"}}, // symlink out of the root
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			files := newRootFiles(t, dir)
			srv := New(settings(), files, nil)
			_, content, _, err := srv.openRead(netip.MustParseAddr("198.51.100.7"), tc.raw)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("openRead(%q) = %v, want %v", tc.raw, err, tc.wantErr)
			}
			var got []byte
			if err == nil {
				got, _ = io.ReadAll(content.Body)
				content.Body.Close()
			} else {
				if content.Body != nil {
					t.Errorf("refused, yet a body was returned")
				}
				if strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), outside) {
					t.Errorf("error text %q reveals a server path", err)
				}
			}
			if diff := cmp.Diff(tc.wantOpen, files.opened()); diff != "" {
				t.Errorf("Resolve calls (-want +got):\n%s", diff)
			}
			if tc.raw == "/etc/passwd" && !bytes.Equal(got, want) {
				t.Errorf("got %d bytes, want the %d of <root>/etc/passwd", len(got), len(want))
			}
		})
	}
}

// failingFiles returns a reader that fails with an error naming a path.
type failingFiles struct{}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) {
	return 0, &os.PathError{Op: "read", Path: "/srv/secret/dir", Err: errors.New("is a directory")}
}
func (failingReader) Close() error { return nil }

func (failingReader) Seek(int64, int) (int64, error) { return 0, nil }

func (failingFiles) Resolve(served.Client, string) (served.Content, error) {
	return served.Content{Body: failingReader{}, Size: -1}, nil
}

// TestReadErrorHidesPath: a read error mid-transfer reaches the client as a
// fixed text, never as the os error with its path.
func TestReadErrorHidesPath(t *testing.T) {
	srv := startServer(t, settings(), failingFiles{})
	c := dialRaw(t, srv.addr)
	c.request(1, "x", "octet")
	op, code, msg := c.recv()
	if op != 5 || code != 0 || string(bytes.TrimRight(msg, "\x00")) != string(errReadFailed) {
		t.Fatalf("got op %d code %d %q, want ERROR 0 %q", op, code, msg, errReadFailed)
	}
	rec := srv.log.waitTransfers(t, 1)[0]
	if !strings.Contains(rec.Attrs["error"], "/srv/secret") {
		t.Errorf("record %v does not keep the real error for the log", rec.Attrs)
	}
}
