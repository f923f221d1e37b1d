package bootfiles

import (
	"errors"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/inventory"
)

// FuzzOpen throws arbitrary names (and client addresses) at Open: it must
// never panic, must answer with content, not found or refused only, and
// must never hand out the file that lies outside the root.
func FuzzOpen(f *testing.F) {
	for _, seed := range []string{
		"pxelinux.cfg/01-52-54-00-12-34-56", "boot/pxelinux.cfg/C633640A", "/grub/grub.cfg-01-52-54-00-12-34-56",
		"boot.ipxe", "boot.scr.uimg", "1a2b3c4d/start4.elf", "dc-a6-32-01-36-c2/x", "escape", "../secret",
		"outdir/secret", "a/../b", "", "/", "\x00", "pxelinux.cfg/default-arm", "525400123456.ipxe",
	} {
		f.Add(seed, []byte{198, 51, 100, 10})
	}
	parent := f.TempDir()
	root := filepath.Join(parent, "root")
	outside := filepath.Join(parent, "outside")
	for _, d := range []string{root, outside, filepath.Join(root, "1a2b3c4d")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	const secret = "SECRET-OUTSIDE-THE-ROOT"
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte(secret), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "start4.elf"), []byte("firmware"), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "escape")); err != nil {
		f.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "outdir")); err != nil {
		f.Fatal(err)
	}
	snap := testInventory(root)
	fsys := New(func() *inventory.Snapshot { return snap }, nil, nil)
	f.Cleanup(func() { fsys.Close() })

	f.Fuzz(func(t *testing.T, name string, ip []byte) {
		var client netip.Addr
		if len(ip) >= 4 {
			client = netip.AddrFrom4([4]byte(ip[:4]))
		}
		rc, size, err := resolve(fsys, client, name)
		if err != nil {
			if rc != nil {
				t.Fatalf("Open(%q): reader and error %v", name, err)
			}
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
				t.Fatalf("Open(%q): error %v is neither not-found nor refused", name, err)
			}
			if strings.Contains(err.Error(), parent) {
				t.Fatalf("Open(%q): error %q shows a server path", name, err)
			}
			return
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("Open(%q): read: %v", name, err)
		}
		if int64(len(b)) != size {
			t.Fatalf("Open(%q): size %d, read %d", name, size, len(b))
		}
		if strings.Contains(string(b), secret) {
			t.Fatalf("Open(%q) served the file outside the root", name)
		}
	})
}
