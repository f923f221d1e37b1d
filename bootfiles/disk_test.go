package bootfiles

import (
	"errors"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/bootyard/bootyard/inventory"
)

func TestOpenDiskFile(t *testing.T) {
	f, root := newTestFS(t)
	writeFile(t, root, "undionly.kpxe", "ipxe binary")
	writeFile(t, root, "debian/linux", "kernel bytes")

	rc, size, err := resolve(f, strayIP, "undionly.kpxe")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	// Streamed: the file itself, not a copy in memory.
	if _, ok := rc.(*os.File); !ok {
		t.Errorf("Open returned %T, want *os.File", rc)
	}
	if size != int64(len("ipxe binary")) {
		t.Errorf("size %d", size)
	}
	if b, _ := io.ReadAll(rc); string(b) != "ipxe binary" {
		t.Errorf("content %q", b)
	}

	for _, name := range []string{"debian/linux", "/debian/linux", "//debian/linux"} {
		if b, err := read(t, f, node1IP, name); err != nil || string(b) != "kernel bytes" {
			t.Errorf("Open(%q) = %q, %v", name, b, err)
		}
	}
}

// TestConfinement: nothing outside the TFTP root is reachable, whatever the
// name or the symlinks inside the root.
func TestConfinement(t *testing.T) {
	f, root := newTestFS(t)
	outside := t.TempDir()
	writeFile(t, outside, "secret", "outside the root")
	writeFile(t, root, "dir/inside", "inside")
	writeFile(t, root, "real", "real file")
	mustSymlink(t, filepath.Join(outside, "secret"), filepath.Join(root, "escape"))
	mustSymlink(t, outside, filepath.Join(root, "outdir"))
	mustSymlink(t, "../../"+filepath.Base(outside)+"/secret", filepath.Join(root, "dir", "relescape"))
	mustSymlink(t, "real", filepath.Join(root, "inlink"))
	mustSymlink(t, filepath.Join(root, "real"), filepath.Join(root, "abslink"))
	mustSymlink(t, "missing", filepath.Join(root, "dangling"))
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		want string // "refused", "notfound", or the content
	}{
		{"escape", "refused"},         // symlink to a file outside
		{"outdir/secret", "refused"},  // symlinked folder pointing outside
		{"dir/relescape", "refused"},  // relative symlink climbing out
		{"../secret", "refused"},      // not a valid path
		{"a/../../secret", "refused"}, // climbs after a descent
		{"real\x00.txt", "refused"},   // NUL
		{"/", "refused"},              // the root itself
		{"", "refused"},               // nothing
		// served.Clean is the one cleaner: these spellings name the same
		// file for every caller, as TFTP has always served them.
		{"dir/../real", "real file"},
		{"./real", "real file"},
		{"dir//inside", "inside"},
		{"dir/inside/", "inside"},
		{"dir\\inside", "inside"},
		{"dir", "notfound"},                                // a folder is not a file
		{"fifo", "notfound"},                               // not a regular file (and must not block)
		{"dangling", "notfound"},                           // symlink to nothing
		{"real/x", "notfound"},                             // through a file
		{"nosuch", "notfound"},                             //
		{"inlink", "real file"},                            // symlink inside the root is fine
		{"dir/inside", "inside"},                           //
		{filepath.Join(outside, "secret")[1:], "notfound"}, // the outside path, taken as relative
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(t, f, strayIP, tt.name)
			switch tt.want {
			case "refused":
				if !isPermission(err) {
					t.Fatalf("Open(%q) = %q, %v; want a refusal (fs.ErrPermission)", tt.name, got, err)
				}
			case "notfound":
				if !isNotExist(err) {
					t.Fatalf("Open(%q) = %q, %v; want not found", tt.name, got, err)
				}
			default:
				if err != nil || string(got) != tt.want {
					t.Fatalf("Open(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
				}
			}
			if err != nil && strings.Contains(err.Error(), root) {
				t.Errorf("error %q reveals the server path %s", err, root)
			}
		})
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestRPiFolders: <serial>/ and <dashed MAC>/ names of inventory Pis are
// served from that folder when the file is there, else from the root.
func TestRPiFolders(t *testing.T) {
	f, root := newTestFS(t)
	writeFile(t, root, "bootcode.bin", "root bootcode")
	writeFile(t, root, "start4.elf", "root start4")
	writeFile(t, root, "config.txt", "root config")
	writeFile(t, root, "1a2b3c4d/config.txt", "serial config")
	writeFile(t, root, "dc-a6-32-01-36-c2/cmdline.txt", "mac cmdline")
	writeFile(t, root, "overlays/x.dtbo", "root overlay")

	tests := []struct{ name, want string }{
		{"1a2b3c4d/config.txt", "serial config"},     // in the folder
		{"1a2b3c4d/start4.elf", "root start4"},       // falls back to the root
		{"1A2B3C4D/start4.elf", "root start4"},       // serial case does not matter
		{"1a2b3c4d/overlays/x.dtbo", "root overlay"}, // deeper names too
		{"dc-a6-32-01-36-c2/cmdline.txt", "mac cmdline"},
		{"dc-a6-32-01-36-c2/start4.elf", "root start4"},
		{"1a2b3c4d/bootsig.bin", ""}, // nowhere: not found
		{"bootsig.bin", ""},          // Pi 3 asks, 404 expected
		{"bootcode.bin", "root bootcode"},
		{"deadbeef/start4.elf", ""},          // not an inventory serial
		{"dc-a6-32-99-99-99/start4.elf", ""}, // not an inventory MAC
		{"1a2b3c4d", ""},                     // the folder itself
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(t, f, piIP, tt.name)
			if tt.want == "" {
				if !isNotExist(err) {
					t.Fatalf("Open(%q) = %q, %v; want not found", tt.name, got, err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("Open(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
		})
	}

	// The fallback never leaves the root either.
	outside := t.TempDir()
	writeFile(t, outside, "start4.elf", "outside")
	if err := os.Remove(filepath.Join(root, "start4.elf")); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, filepath.Join(outside, "start4.elf"), filepath.Join(root, "start4.elf"))
	if got, err := read(t, f, piIP, "1a2b3c4d/start4.elf"); !isPermission(err) {
		t.Errorf("fallback through an escaping symlink = %q, %v; want refused", got, err)
	}
}

// TestRootFollowsReload: a new snapshot with another TFTP root is served
// from the next request on; a missing root gives not found (generated files
// still work), and recovers once the folder exists.
func TestRootFollowsReload(t *testing.T) {
	rootA, rootB := t.TempDir(), t.TempDir()
	missing := filepath.Join(t.TempDir(), "later")
	writeFile(t, rootA, "file", "from A")
	writeFile(t, rootB, "file", "from B")
	var cur atomic.Pointer[inventory.Snapshot]
	cur.Store(testInventory(rootA))
	f := New(cur.Load, nil, nil)
	t.Cleanup(func() { f.Close() })

	check := func(want string) {
		t.Helper()
		got, err := read(t, f, strayIP, "file")
		if want == "" {
			if !isNotExist(err) {
				t.Fatalf("got %q, %v; want not found", got, err)
			}
			return
		}
		if err != nil || string(got) != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
	check("from A")
	cur.Store(testInventory(rootB))
	check("from B")
	cur.Store(testInventory(missing))
	check("")
	if _, err := read(t, f, node1IP, "boot.ipxe"); err != nil {
		t.Errorf("generated file without a root: %v", err)
	}
	writeFile(t, missing, "file", "created later")
	check("created later")
}

func TestNoSnapshot(t *testing.T) {
	f := New(func() *inventory.Snapshot { return nil }, nil, nil)
	if _, _, err := resolve(f, netip.MustParseAddr("198.51.100.5"), "x"); !isNotExist(err) {
		t.Errorf("err %v, want not found", err)
	}
}

// TestClosedStaysClosed: a transfer still asking after shutdown closed the
// FS gets "not found"; the root is not reopened (and leaked).
func TestClosedStaysClosed(t *testing.T) {
	f, root := newTestFS(t)
	writeFile(t, root, "pxelinux.0", "x")
	rc, _, err := resolve(f, poolIP, "pxelinux.0")
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := resolve(f, poolIP, "pxelinux.0"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after Close: err = %v, want not found", err)
	}
	if f.root != nil {
		t.Error("Open after Close reopened the root")
	}
}
