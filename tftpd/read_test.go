package tftpd

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/served"
	"github.com/google/go-cmp/cmp"
)

// fakeTransfer stands in for pin/tftp's sender: it reads everything it is
// given, like ReadFrom, without a socket.
type fakeTransfer struct {
	got  bytes.Buffer
	read bool
}

func (f *fakeTransfer) ReadFrom(r io.Reader) (int64, error) {
	f.read = true
	return io.Copy(&f.got, r)
}
func (f *fakeTransfer) SetSize(int64) {}
func (f *fakeTransfer) RemoteAddr() net.UDPAddr {
	return net.UDPAddr{IP: net.IPv4(198, 51, 100, 7), Port: 2000}
}

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
			ft := &fakeTransfer{}
			err := srv.handleRead(tc.raw, ft)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("handleRead(%q) = %v, want %v", tc.raw, err, tc.wantErr)
			}
			if err != nil {
				if ft.read {
					t.Errorf("refused, yet ReadFrom was called")
				}
				if strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), outside) {
					t.Errorf("error text %q reveals a server path", err)
				}
			}
			if diff := cmp.Diff(tc.wantOpen, files.opened()); diff != "" {
				t.Errorf("Resolve calls (-want +got):\n%s", diff)
			}
			if tc.raw == "/etc/passwd" && !bytes.Equal(ft.got.Bytes(), want) {
				t.Errorf("got %d bytes, want the %d of <root>/etc/passwd", ft.got.Len(), len(want))
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
	srv := New(settings(), failingFiles{}, nil)
	ft := &fakeTransfer{}
	err := srv.handleRead("x", ft)
	if !errors.Is(err, errReadFailed) {
		t.Fatalf("handleRead = %v, want %v", err, errReadFailed)
	}
	if strings.Contains(err.Error(), "/srv") {
		t.Errorf("error %q reveals a path", err)
	}
}
