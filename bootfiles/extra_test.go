package bootfiles

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// TestExtraFiles: names served from outside the root, one file as itself,
// several as their concatenation, readable after any seek.
func TestExtraFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte("first-"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("second"), 0o644); err != nil {
		t.Fatal(err)
	}
	snap := testInventory(t.TempDir())
	f := New(func() *inventory.Snapshot { return snap }, nil, nil,
		Files(map[string][]string{"quick/kernel": {a}, "quick/initrd": {a, b}, "quick/gone": {filepath.Join(dir, "gone")}}))
	defer f.Close()
	for name, want := range map[string]string{"quick/kernel": "first-", "/quick/initrd": "first-second"} {
		c, err := f.Resolve(served.Client{}, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, _ := io.ReadAll(c.Body)
		if string(got) != want || c.Size != int64(len(want)) {
			t.Errorf("%s = %q (size %d), want %q", name, got, c.Size, want)
		}
		if _, err := c.Body.Seek(4, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, _ = io.ReadAll(c.Body)
		if string(got) != want[4:] {
			t.Errorf("%s from 4 = %q, want %q", name, got, want[4:])
		}
		c.Body.Close()
	}
	if _, err := f.Resolve(served.Client{}, "quick/gone"); err == nil {
		t.Error("a missing extra file resolved")
	}
}
