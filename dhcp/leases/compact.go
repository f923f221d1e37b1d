package leases

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Compaction folds the journal into a new snapshot without stopping commits.
// On the writer goroutine, between two batches:
//
//  1. rotate: path.journal is renamed path.journal.old and a new, empty
//     path.journal takes its place (the folder is fsynced before the next
//     batch is written to it);
//  2. the store's records are collected under a read lock (pointers only:
//     a record is never changed once stored), which now hold everything in
//     path.journal.old and possibly some records of the next batch too.
//
// Then, on a goroutine of its own while batches keep being written, fold
// writes those records to path.tmp, fsyncs it, renames it over path, fsyncs
// the folder and removes path.journal.old.
//
// A crash at any point leaves a store that loads to the same state: before
// the rename, path + path.journal.old + path.journal is the old snapshot
// with every change since; after it, path.journal.old (if still there) and
// the head of path.journal replay records the new snapshot already holds,
// which is harmless because a record is the full state of its address.
// Only one fold runs at a time. A fold that fails leaves path.journal.old
// behind; the next rotation appends path.journal to it instead of renaming.

// compact starts a compaction. It runs on the journal writer goroutine.
func (s *Store) compact() {
	if err := s.j.rotate(); err != nil {
		s.opts.Logger.Error("lease store compaction failed; the journal keeps growing", "err", err)
		s.j.mu.Lock()
		s.j.count = 0 // retry after another CompactEvery records
		s.j.mu.Unlock()
		return
	}
	s.mu.RLock()
	recs := make([]*record, 0, len(s.byIP))
	for _, r := range s.byIP {
		recs = append(recs, r)
	}
	s.mu.RUnlock()
	now := s.opts.Now()
	s.j.folding.Store(true)
	s.j.folds.Go(func() {
		defer s.j.folding.Store(false)
		if err := s.j.fold(s.live(recs, now)); err != nil {
			s.opts.Logger.Error("lease store compaction failed; the journal keeps growing", "err", err)
		}
	})
}

// rotate moves the journal aside as path.journal.old and starts an empty
// one. Only the writer goroutine calls it, between batches, and never while
// a fold runs.
func (j *journal) rotate() error {
	if _, err := os.Stat(j.opath); err == nil {
		return j.appendToOld()
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("leases: compact: %w", err)
	}
	// The zeros preallocated past the last record would only travel with
	// it (a reader skips them either way).
	if err := j.f.Truncate(j.size); err != nil {
		return fmt.Errorf("leases: compact: %w", err)
	}
	j.alloc = j.size
	if err := os.Rename(j.jpath, j.opath); err != nil {
		return fmt.Errorf("leases: compact: %w", err)
	}
	nf, err := os.OpenFile(j.jpath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err == nil {
		err = syncDir(filepath.Dir(j.jpath))
	}
	if err != nil {
		if nf != nil {
			nf.Close()
		}
		// Put the journal back; the records in it stay where load looks.
		if rerr := os.Rename(j.opath, j.jpath); rerr != nil {
			return fmt.Errorf("leases: compact: %w; putting the journal back: %v", err, rerr)
		}
		return fmt.Errorf("leases: compact: %w", err)
	}
	j.f.Close() // its records are on disk: every batch was fsynced
	j.f, j.size, j.alloc = newDiskFile(nf), 0, 0
	j.mu.Lock()
	j.count = 0
	j.mu.Unlock()
	return nil
}

// appendToOld follows an earlier fold that failed: path.journal.old still
// holds records no snapshot has, so the journal's good records are appended
// to it (on a line of their own), and the journal starts over.
func (j *journal) appendToOld() error {
	cur, err := os.ReadFile(j.jpath)
	if err != nil {
		return fmt.Errorf("leases: compact: %w", err)
	}
	cur = cur[:min(int64(len(cur)), j.size)]
	// The old journal's records end at its last newline: past it is a torn
	// record, or the zeros its writer had preallocated. The journal's
	// records replace that tail, so that no line swallows the next.
	old, err := os.ReadFile(j.opath)
	if err != nil {
		return fmt.Errorf("leases: compact: %w", err)
	}
	end := int64(bytes.LastIndexByte(old, '\n') + 1)
	of, err := os.OpenFile(j.opath, os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("leases: compact: %w", err)
	}
	defer of.Close()
	if _, err := of.WriteAt(cur, end); err != nil {
		return fmt.Errorf("leases: compact: %w", err)
	}
	if err := of.Truncate(end + int64(len(cur))); err != nil {
		return fmt.Errorf("leases: compact: %w", err)
	}
	if err := of.Sync(); err != nil {
		return fmt.Errorf("leases: compact: %w", err)
	}
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("leases: compact: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("leases: compact: %w", err)
	}
	j.size, j.alloc = 0, 0
	j.mu.Lock()
	j.count = 0
	j.mu.Unlock()
	return nil
}

// fold writes recs as the new snapshot (temp file, fsync, rename, fsync of
// the folder) and then removes path.journal.old, whose records it holds.
func (j *journal) fold(recs []*record) error {
	step := func(string) {}
	if j.foldStep != nil {
		step = j.foldStep
	}
	defer step("done")
	step("start")
	tmp := j.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("leases: compact: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	var line []byte
	for _, r := range recs {
		line = encodeLine(line[:0], r.Lease)
		w.Write(line)
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, j.path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(j.path))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("leases: compact: %w", err)
	}
	step("renamed")
	if err := os.Remove(j.opath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("leases: compact: %w", err)
	}
	return syncDir(filepath.Dir(j.path))
}
