package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// loadExample parses config.example.yaml with its tftp.root pointed at
// testdata/tftproot, which holds a placeholder for every file it names.
func loadExample(t *testing.T) *Snapshot {
	t.Helper()
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("testdata/tftproot")
	if err != nil {
		t.Fatal(err)
	}
	old := []byte("root: /srv/bootyard")
	if !bytes.Contains(data, old) {
		t.Fatalf("config.example.yaml no longer has %q; update this test", old)
	}
	data = bytes.Replace(data, old, []byte("root: "+root), 1)
	snap, err := Parse("../config.example.yaml", data, Options{})
	if err != nil {
		t.Fatalf("config.example.yaml does not load:\n%v", err)
	}
	return snap
}

func TestExampleConfigLoads(t *testing.T) {
	snap := loadExample(t)
	if len(snap.Warnings) != 0 {
		t.Errorf("warnings: %v", snap.Warnings)
	}
	h, ok := snap.HostByName("rock5b-01")
	if !ok || h.Profile == nil || h.Profile.Kernel != "debian/linux" {
		t.Fatalf("rock5b-01 = %+v", h)
	}
	if b, ok := snap.HostByName("board-7"); !ok || b.BootFile != "u-boot/board7.img" {
		t.Errorf("board-7 = %+v", b)
	}
	if got := snap.PoolSize(); got != 100 {
		t.Errorf("PoolSize = %d, want 100", got)
	}
}
