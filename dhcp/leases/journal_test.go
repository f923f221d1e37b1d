package leases

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// journalBytes returns the journal file and where its records end (after
// the last newline).
func journalBytes(t *testing.T, path string) ([]byte, int) {
	t.Helper()
	b, err := os.ReadFile(path + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	return b, bytes.LastIndexByte(b, '\n') + 1
}

// TestJournalPreallocates: records are written over zeros written ahead
// (the fdatasync of a batch then changes no metadata), in chunks; a reader
// and a reopen stop at the zeros, and a reopen cuts them.
func TestJournalPreallocates(t *testing.T) {
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "leases")
	s := openT(t, path, c)
	s.j.chunk = 300 // a few records per chunk: many chunks are crossed
	r := rng("198.51.100.10", "198.51.100.250")
	for i := range 60 {
		if _, err := allocate(s, r, mac(i), t0, OpBind); err != nil {
			t.Fatal(err)
		}
		b, end := journalBytes(t, path)
		if len(b) <= end || slices.ContainsFunc(b[end:], func(c byte) bool { return c != 0 }) {
			t.Fatalf("after commit %d: %d bytes of records in a file of %d, then not only zeros", i, end, len(b))
		}
	}
	want := lines(s.List())
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, lines(got)); diff != "" {
		t.Fatalf("Read of a preallocated journal (-store +Read):\n%s", diff)
	}
	crashed := copyStore(t, path) // as kill -9 leaves it: zeros included
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, crashed} {
		s2 := openT(t, p, c)
		if diff := cmp.Diff(want, lines(s2.List())); diff != "" {
			t.Fatalf("%s reopened (-store +reloaded):\n%s", filepath.Base(p), diff)
		}
		if s2.Corrupt() != 0 {
			t.Fatalf("%s: the zeros counted as %d corrupt records", filepath.Base(p), s2.Corrupt())
		}
		if b, end := journalBytes(t, p); len(b) != end {
			t.Fatalf("%s reopened: %d bytes, records end at %d: the zeros were not cut", filepath.Base(p), len(b), end)
		}
	}
}

// TestAppendToOldDropsItsTail: a journal.old left by a crash (a failed fold,
// then kill -9) may end in a torn record and preallocated zeros. The next
// rotation appends the journal's records after its last whole record, so
// that a reload sees every lease and no corruption.
func TestAppendToOldDropsItsTail(t *testing.T) {
	c := &clock{t: t0}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	s0 := openT(t, src, c)
	r := rng("198.51.100.10", "198.51.100.250")
	for i := range 5 {
		if _, err := allocate(s0, r, mac(i), t0, OpBind); err != nil {
			t.Fatal(err)
		}
	}
	old, end := journalBytes(t, src)
	if err := s0.Close(); err != nil {
		t.Fatal(err)
	}
	// Five whole records, half of a sixth, zeros.
	last := bytes.LastIndexByte(old[:end-1], '\n') + 1
	tail := slices.Concat(old[last:last+(end-last)/2], make([]byte, 4096))
	path := filepath.Join(dir, "leases")
	if err := os.WriteFile(path+".journal.old", slices.Concat(old[:end], tail), 0o644); err != nil {
		t.Fatal(err)
	}

	s, err := Open(path, Options{Now: c.Now, CompactEvery: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	held, release := holdFold(s, "start")
	defer close(release)
	for i := 5; i < 12; i++ {
		if _, err := allocate(s, r, mac(i), t0, OpBind); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("no compaction started (CompactEvery 8)")
	}
	b, err := os.ReadFile(path + ".journal.old")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte{0}); n > 0 {
		t.Fatalf("journal.old after the rotation still holds %d zero bytes (of %d)", n, len(b))
	}
	crashed := copyStore(t, path)
	s2 := openT(t, crashed, c)
	if diff := cmp.Diff(lines(s.List()), lines(s2.List())); diff != "" {
		t.Fatalf("reloaded during the fold (-store +reloaded):\n%s", diff)
	}
	if n := len(s2.List()); n != 12 {
		t.Fatalf("%d leases reloaded, want 12", n)
	}
	if s2.Corrupt() != 0 {
		t.Fatalf("the old journal's tail counted as %d corrupt records", s2.Corrupt())
	}
}

// syncSpy records how each batch was synced and can make the disk slow.
type syncSpy struct {
	journalFile
	slow  time.Duration // each sync takes at least this long
	holds []bool
}

func (f *syncSpy) Datasync(hold bool) error {
	f.holds = append(f.holds, hold)
	time.Sleep(f.slow)
	return f.journalFile.Datasync(hold)
}

// TestSyncHoldsPWhileFast: the writer keeps its P through a batch's sync
// (a raw fdatasync) only after holdSyncAfter fast syncs in a row, lets it go
// again from the sync after a slow one, and the held syncs reach the disk.
func TestSyncHoldsPWhileFast(t *testing.T) {
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "leases")
	s := openT(t, path, c)
	r := rng("198.51.100.10", "198.51.100.250")
	spy := &syncSpy{journalFile: s.j.f}
	s.j.f = spy
	n := 0
	commit := func(count int) []bool {
		t.Helper()
		spy.holds = nil
		for range count {
			if _, err := allocate(s, r, mac(n), t0, OpBind); err != nil {
				t.Fatal(err)
			}
			n++
		}
		return spy.holds
	}
	fast := func(k int) []bool { return slices.Repeat([]bool{false}, k) }

	s.j.holdBelow = time.Minute // every sync of the real file is fast
	want := append(fast(holdSyncAfter), true, true)
	if diff := cmp.Diff(want, commit(holdSyncAfter+2)); diff != "" {
		t.Fatalf("held syncs after a fast start (-want +got):\n%s", diff)
	}
	s.j.holdBelow, spy.slow = 20*time.Millisecond, 30*time.Millisecond
	if diff := cmp.Diff([]bool{true, false, false}, commit(3)); diff != "" {
		t.Fatalf("a slow sync (held), then slow ones (-want +got):\n%s", diff)
	}
	spy.slow = 0
	want = append(fast(holdSyncAfter), true)
	if diff := cmp.Diff(want, commit(holdSyncAfter+1)); diff != "" {
		t.Fatalf("fast again (-want +got):\n%s", diff)
	}

	crashed := copyStore(t, path)
	s2 := openT(t, crashed, c)
	if got, want := len(s2.List()), n; got != want {
		t.Fatalf("after a crash: %d leases, want the %d committed", got, want)
	}
}

// TestHeldSyncFails: a held sync that fails fails its batch, as the plain
// one does (a pipe cannot be synced: EINVAL).
func TestHeldSyncFails(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "j"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	for _, hold := range []bool{false, true} {
		if err := newDiskFile(f).Datasync(hold); err != nil {
			t.Errorf("Datasync(hold=%v) of a file: %v", hold, err)
		}
		if err := newDiskFile(pw).Datasync(hold); !errors.Is(err, unix.EINVAL) {
			t.Errorf("Datasync(hold=%v) of a pipe: %v, want EINVAL", hold, err)
		}
	}
}
