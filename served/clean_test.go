package served

import (
	"errors"
	"io/fs"
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, raw string
		want      string // "" means refused
	}{
		{"plain", "pxelinux.0", "pxelinux.0"},
		{"subfolder", "pxelinux.cfg/default", "pxelinux.cfg/default"},
		// GRUB prefixes every name with "/": it means the root, not the server's /.
		{"leading slash maps inside the root", "/etc/passwd", "etc/passwd"},
		{"many leading slashes", "///grub/grub.cfg", "grub/grub.cfg"},
		// Windows-made configs and some UEFI stacks send backslashes.
		{"backslashes", `\EFI\BOOT\BOOTX64.EFI`, "EFI/BOOT/BOOTX64.EFI"},
		// Some UEFI stacks append NUL or 0xFF to the name.
		{"trailing NUL", "bootx64.efi\x00", "bootx64.efi"},
		{"trailing 0xFF", "bootx64.efi\xff", "bootx64.efi"},
		{"trailing NUL and 0xFF mixed", "bootx64.efi\xff\x00\xff", "bootx64.efi"},
		{"dot elements", "./a/./b/.", "a/b"},
		{"dotdot inside", "a/b/../c", "a/c"},
		{"dotdot back to top", "a/../b", "b"},
		{"double slashes", "a//b", "a/b"},
		{"trailing slash", "a/b/", "a/b"},
		{"utf-8 allowed", "héllo", "héllo"},
		{"name of exactly MaxNameLen", strings.Repeat("a", MaxNameLen), strings.Repeat("a", MaxNameLen)},

		{"dot-file", ".bootyard/ipxe.tmpl", ""},
		{"dot-folder inside", "a/.git/config", ""},
		{"dot-file at the end", "boot/.hidden", ""},
		{"a dot-folder resolved away", "a/.x/../b", "a/b"},
		{"dots inside a name are fine", "vmlinuz.1.2", "vmlinuz.1.2"},
		{"reserved prefix", "_bootyard/callback", ""},
		{"reserved prefix with slash", "/_bootyard", ""},
		{"reserved name deeper is fine", "a/_bootyard", "a/_bootyard"},
		{"dotdot first", "../etc/passwd", ""},
		{"backslash dotdot", `..\..\x`, ""},
		{"climb after descent", "a/../../b", ""},
		{"rooted climb", "/../x", ""},
		{"only dotdot", "..", ""},
		{"0xFF in the middle", "boot\xffx64.efi", ""},
		{"NUL in the middle", "boot\x00x64.efi", ""},
		{"newline", "a\nb", ""},
		{"tab", "a\tb", ""},
		{"DEL", "a\x7fb", ""},
		{"invalid utf-8", "a\xc3(b", ""},
		{"trailing invalid utf-8 is refused, not trimmed", "bootx64.efi\xc3", ""},
		{"too long", strings.Repeat("a", MaxNameLen+1), ""},
		{"600 bytes", strings.Repeat("x/", 300), ""},
		{"empty", "", ""},
		{"only NULs", "\x00\x00", ""},
		{"only slash", "/", ""},
		{"only dot", ".", ""},
		{"climbs to root exactly", "a/..", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Clean(tc.raw)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("Clean(%q) = %q, want refused", tc.raw, got)
				}
				if !errors.Is(err, ErrBadName) {
					t.Errorf("error %v does not wrap ErrBadName", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Clean(%q): %v", tc.raw, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Clean(%q) (-want +got):\n%s", tc.raw, diff)
			}
		})
	}
}

// FuzzClean checks the invariants every accepted name keeps, whatever
// bytes a client sends: it stays inside the root and is already clean.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"pxelinux.0", "/etc/passwd", `..\..\x`, "a/../../b", "a\xffb", "x\x00\xff", "./a//b/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Clean(raw)
		if err != nil {
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("error %v does not wrap ErrBadName", err)
			}
			return
		}
		if got == "" || len(got) > MaxNameLen || !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q: empty, too long or not UTF-8", raw, got)
		}
		if strings.HasPrefix(got, "/") || strings.Contains(got, `\`) {
			t.Fatalf("Clean(%q) = %q: rooted or has a backslash", raw, got)
		}
		if !fs.ValidPath(got) || path.Clean(got) != got {
			t.Fatalf("Clean(%q) = %q, not clean (%q)", raw, got, path.Clean(got))
		}
		if strings.HasPrefix(got, Reserved+"/") || got == Reserved {
			t.Fatalf("Clean(%q) = %q: under the reserved prefix", raw, got)
		}
		for elem := range strings.SplitSeq(got, "/") {
			if strings.HasPrefix(elem, ".") {
				t.Fatalf("Clean(%q) = %q: has %q", raw, got, elem)
			}
		}
		for i := 0; i < len(got); i++ {
			if got[i] < 0x20 || got[i] == 0x7f {
				t.Fatalf("Clean(%q) = %q: control byte", raw, got)
			}
		}
		// Idempotent: a clean name stays the same.
		if again, err := Clean(got); err != nil || again != got {
			t.Fatalf("Clean(%q) = %q, %v; want itself", got, again, err)
		}
	})
}
