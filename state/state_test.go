package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", FileName)
	s := State{NextBoot: map[string]NextBoot{
		"node1": {Host: "node1", Profile: "installer", Armed: time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC), Token: NewToken()},
	}}
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	got, dropped, err := Load(path)
	if err != nil || len(dropped) > 0 {
		t.Fatalf("Load: %v, dropped %q", err, dropped)
	}
	if got.NextBoot["node1"] != s.NextBoot["node1"] {
		t.Errorf("round trip: %+v, want %+v", got.NextBoot["node1"], s.NextBoot["node1"])
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(leftovers) > 0 {
		t.Errorf("temp files left behind: %v", leftovers)
	}
	// Missing: empty, no error.
	if e, d, err := Load(filepath.Join(t.TempDir(), FileName)); err != nil || len(d) > 0 || len(e.NextBoot) != 0 {
		t.Errorf("missing file: %+v %q %v", e, d, err)
	}
}

// TestLoadDamaged: a truncated or corrupt file never stops the server: it
// gets an empty (or partial) state and a list of what was dropped.
func TestLoadDamaged(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := Save(good, State{NextBoot: map[string]NextBoot{"a": {Host: "a", Profile: "p", Token: NewToken()}}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	for name, content := range map[string]string{
		"truncated": string(b[:len(b)/2]),
		"garbage":   "\x00\x01not json",
		"version 9": `{"version": 9, "next_boot": []}`,
		"bad entry": `{"version": 1, "next_boot": [{"host": "a", "profile": "", "token": "x"}]}`,
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		s, dropped, err := Load(p)
		if err != nil || len(dropped) == 0 || len(s.NextBoot) != 0 {
			t.Errorf("%s: state %+v dropped %q err %v; want empty with a reason", name, s, dropped, err)
		}
	}
}

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file: a second open in the same
	// process conflicts as another process would.
	if _, err := Lock(path); !errors.Is(err, ErrLocked) {
		t.Errorf("second Lock: %v, want ErrLocked", err)
	}
	unlock()
	u2, err := Lock(path)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	u2()
}
