package main

import (
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/state"
)

// TestNextBootsLockedElsewhere: a second server on the same state folder
// starts, serves the inventory as it is and refuses one-shot writes.
func TestNextBootsLockedElsewhere(t *testing.T) {
	snap, err := inventory.Parse("", []byte("interface: eth0\ndhcp: {mode: off}\ntftp: {enabled: false}\nprofiles:\n  p: {local: true}\nhosts:\n  - {name: h, mac: 52:54:00:00:00:01, profile: p}\n"), inventory.Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	store := inventory.NewStore(snap)
	path := filepath.Join(t.TempDir(), state.FileName)
	log := slog.New(slog.DiscardHandler)
	first, unlock, err := openNextBoots(path, store, log)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := first.Arm("h", "p"); err != nil {
		t.Fatalf("Arm on the lock holder: %v", err)
	}
	second, unlock2, err := openNextBoots(path, store, log)
	if err != nil {
		t.Fatalf("second server refused to start: %v", err)
	}
	defer unlock2()
	if _, err := second.Arm("h", "p"); !errors.Is(err, errNextBootOff) {
		t.Errorf("Arm on the second server: %v, want errNextBootOff", err)
	}
	if h, _ := second.Current().HostByName("h"); h.NextBoot != nil {
		t.Error("the second server applies one-shots it does not own")
	}
	if h, _ := first.Current().HostByName("h"); h.NextBoot == nil {
		t.Error("the lock holder does not apply its one-shot")
	}
}
