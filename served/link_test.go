package served

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLinkOutside(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	mk := func(name string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, name string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	mk("real.efi")
	mk("grub/x.mod")
	ln(filepath.Join(outside, "grubx64.efi"), "grubx64.efi") // Debian user's absolute link
	ln(outside, "efi")                                       // a linked folder
	ln("../../"+filepath.Base(outside)+"/f", "sub/climb")    // relative, climbs out
	ln("../real.efi", "sub/ok")                              // relative, inside
	ln("grub", "grub2")                                      // folder link inside
	ln("sub/climb", "hop")                                   // a link to a link that climbs
	ln(filepath.Join(root, "real.efi"), "abs-inside")        // absolute, even into the root
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tc := range []struct{ name, link, target string }{
		{"grubx64.efi", "grubx64.efi", filepath.Join(outside, "grubx64.efi")},
		{"efi/boot/bootx64.efi", "efi", outside},
		{"sub/climb", "sub/climb", "../../" + filepath.Base(outside) + "/f"},
		{"hop", "sub/climb", "../../" + filepath.Base(outside) + "/f"},
		{"abs-inside", "abs-inside", filepath.Join(root, "real.efi")},
		{"sub/ok", "", ""},
		{"grub2/x.mod", "", ""},
		{"real.efi", "", ""},
		{"missing", "", ""},
	} {
		got := LinkOutside(r, tc.name)
		switch {
		case tc.link == "" && got != nil:
			t.Errorf("%s: got %+v, want nil", tc.name, got)
		case tc.link != "" && (got == nil || got.Link != tc.link || got.Target != tc.target):
			t.Errorf("%s: got %+v, want link %s -> %s", tc.name, got, tc.link, tc.target)
		}
	}
}
