package leases

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// copyStore copies the store's files as they are on disk now: what a crash
// at this moment would leave.
func copyStore(t *testing.T, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "leases")
	for _, suffix := range []string{"", ".journal", ".journal.old"} {
		b, err := os.ReadFile(path + suffix)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// holdFold makes the next fold of s stop at step ("start", "renamed") until
// release is closed; held is closed when the fold gets there.
func holdFold(s *Store, step string) (held, release chan struct{}) {
	held, release = make(chan struct{}), make(chan struct{})
	s.j.foldStep = func(at string) {
		if at == step {
			close(held)
			<-release
		}
	}
	return held, release
}

// TestCompactionDoesNotStopCommits holds a compaction at each of its steps:
// commits go on meanwhile (the snapshot is written outside the store's lock),
// and the files as they are at that step (a crash there) load to the leases
// the store holds.
func TestCompactionDoesNotStopCommits(t *testing.T) {
	for _, at := range []string{"start", "renamed"} {
		t.Run(at, func(t *testing.T) {
			c := &clock{t: t0}
			path := filepath.Join(t.TempDir(), "leases")
			s, err := Open(path, Options{Now: c.Now, CompactEvery: 20})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			held, release := holdFold(s, at)
			r := rng("198.51.100.10", "198.51.100.250")
			i := 0
			for ; i < 200; i++ {
				if _, err := allocate(s, r, mac(i), t0, OpBind); err != nil {
					t.Fatal(err)
				}
				select {
				case <-held:
				default:
					continue
				}
				break
			}
			select {
			case <-held:
			case <-time.After(10 * time.Second):
				t.Fatal("no compaction started after 200 commits (CompactEvery 20)")
			}
			// The fold is held: commits still complete, durably.
			committed := make(chan error, 1)
			go func() {
				for n := i + 1; n < i+40; n++ {
					if _, err := allocate(s, r, mac(n), t0, OpBind); err != nil {
						committed <- err
						return
					}
				}
				committed <- s.Commit(Change{Op: OpRelease, MAC: mac(0), IP: s.mustByMAC(t, mac(0)).IP})
			}()
			select {
			case err := <-committed:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				close(release)
				t.Fatal("commits blocked while the snapshot was being written")
			}
			if _, err := os.Stat(path + ".journal.old"); err != nil {
				t.Fatalf("no journal.old while folding: %v", err)
			}
			crashed := copyStore(t, path)
			want := lines(s.List())
			s2 := openT(t, crashed, c)
			if diff := cmp.Diff(want, lines(s2.List())); diff != "" {
				t.Fatalf("a crash at %q loses leases (-store +reloaded):\n%s", at, diff)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, lines(got)); diff != "" {
				t.Fatalf("Read during the fold (-store +Read):\n%s", diff)
			}
			close(release)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path + ".journal.old"); !os.IsNotExist(err) {
				t.Fatalf("journal.old left after the fold: %v", err)
			}
			s3 := openT(t, path, c)
			if diff := cmp.Diff(want, lines(s3.List())); diff != "" {
				t.Fatalf("leases after the fold and a reopen (-store +reloaded):\n%s", diff)
			}
		})
	}
}

// TestFailedFoldKeepsRecords: a snapshot that cannot be written leaves
// journal.old behind; the next compaction appends the journal to it, and
// every lease survives a reopen.
func TestFailedFoldKeepsRecords(t *testing.T) {
	c := &clock{t: t0}
	dir := t.TempDir()
	path := filepath.Join(dir, "leases")
	s, err := Open(path, Options{Now: c.Now, CompactEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A directory where the temp file goes makes every fold fail.
	if err := os.Mkdir(path+".tmp", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".tmp/x", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := rng("198.51.100.10", "198.51.100.250")
	for i := range 60 {
		if _, err := allocate(s, r, mac(i), t0, OpBind); err != nil {
			t.Fatal(err)
		}
	}
	want := lines(s.List())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".journal.old"); err != nil {
		t.Fatalf("a failed fold should leave journal.old: %v", err)
	}
	if err := os.RemoveAll(path + ".tmp"); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, Options{Now: c.Now, CompactEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, lines(s2.List())); diff != "" {
		t.Fatalf("leases after failed folds (-before +reloaded):\n%s", diff)
	}
	for i := 60; i < 80; i++ { // the next fold succeeds and takes journal.old
		if _, err := allocate(s2, r, mac(i), t0, OpBind); err != nil {
			t.Fatal(err)
		}
	}
	want = lines(s2.List())
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".journal.old"); !os.IsNotExist(err) {
		t.Fatalf("journal.old left after a good fold: %v", err)
	}
	s3 := openT(t, path, c)
	if diff := cmp.Diff(want, lines(s3.List())); diff != "" {
		t.Fatalf("leases after the good fold (-before +reloaded):\n%s", diff)
	}
}
