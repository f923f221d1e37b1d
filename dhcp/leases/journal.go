package leases

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// journal is the append-only change log with group commit: writers append
// encoded records to the current batch and wait for it; one goroutine writes
// the batch and fsyncs once for all of them. A burst of N clients costs one
// fsync, not N, so disk latency bounds the delay of a commit, not the commit
// rate.
type journal struct {
	path, jpath string
	opath       string // path.journal.old: the journal being folded into a new snapshot
	f           journalFile
	size        int64 // bytes of good records in the journal file
	// alloc is the end of the zeros written past size (preallocate): a
	// batch that fits below it is written over them and needs only an
	// fdatasync, which changes no metadata.
	alloc int64
	chunk int64 // preallocChunk; smaller in tests

	mu     sync.Mutex
	cur    *batch
	closed bool
	count  int // records in the journal file since the last compaction
	limit  int // compact when count reaches it

	kick chan struct{}
	// lazyFlush bounds how long a lazy record (an offer's hold) waits for
	// a batch that somebody waits for.
	lazyFlush time.Duration
	stop      chan struct{}
	done      chan struct{}
	// bad is the number of corrupt records skipped at load (not counting a
	// torn tail).
	bad int
	// fastSyncs counts the batch syncs in a row that took less than
	// holdSyncBelow, up to holdSyncAfter (writer only).
	fastSyncs int
	holdBelow time.Duration // holdSyncBelow; tests set their own
	// onFlush, when set, is told about every batch written (Options.OnFlush).
	onFlush func(records int, took time.Duration, err error)
	// folding is set while a new snapshot is written beside the writer
	// (compact.go); folds counts them so that close waits for the last.
	folding atomic.Bool
	folds   sync.WaitGroup
	// foldStep, when set (tests), is called by fold at "start", after the
	// "renamed" snapshot and when "done", to stop the world there.
	foldStep func(step string)
}

// journalFile is what the journal needs of its file (diskFile; tests
// substitute one that fails).
type journalFile interface {
	WriteAt([]byte, int64) (int, error)
	Sync() error // fsync: after the file's size changed
	// Datasync is fdatasync, after records were written over zeros; hold
	// keeps the calling goroutine's P through it (see holdSyncBelow).
	Datasync(hold bool) error
	Truncate(int64) error
	Close() error
}

// diskFile is the journal's file.
type diskFile struct {
	*os.File
	fd int
}

func newDiskFile(f *os.File) diskFile { return diskFile{File: f, fd: int(f.Fd())} }

func (f diskFile) Datasync(hold bool) error {
	if !hold {
		return unix.Fdatasync(f.fd)
	}
	// A raw system call does not tell the scheduler it is in one: nobody
	// takes the P away, so the writer goes on at once when it returns.
	for {
		_, _, e := unix.RawSyscall(unix.SYS_FDATASYNC, uintptr(f.fd), 0, 0)
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		default:
			return e
		}
	}
}

// holdSyncBelow and holdSyncAfter decide when the writer keeps its P (the
// right to run Go code) through a batch's fdatasync: once holdSyncAfter
// syncs in a row each took less than holdSyncBelow, until one does not.
//
// Through a normal system call, the runtime hands the writer's P to the
// workers after 20 us, and the writer, back from the disk, waits for a P
// again. With one P (a server on one CPU) that is behind every runnable
// worker: on the bench's one CPU at 12,000 DORA/s the writer saw 789 us
// for a sync the disk served in 200-250 us, and the handoff's thread
// wake-ups cost CPU of their own. Holding the P stops every goroutine for
// the sync instead, which is cheaper while syncs are short: the requests
// wait in the socket meanwhile and the batch's replies leave right after
// it (bench/dhcp/README.md, seventh session: lower REQUEST-ACK delay at
// 12,000/s in nine alternated rounds of nine, on 5-15% less CPU). A slow
// disk (an SD card, a busy HDD) would stop a one-CPU server for every
// sync, its TFTP and HTTP with it, so one slow sync lets the P go again: a
// held sync is slow only when it follows holdSyncAfter fast ones.
const (
	holdSyncBelow = time.Millisecond
	holdSyncAfter = 8
)

// preallocChunk is how much the journal file grows at a time, written as
// zeros: about 8,000 records. The journal's records are then written over
// them, and each batch costs an fdatasync that changes no metadata: no
// journal commit of the file system per batch (on the bench's ext4, a
// batch's write and sync took 171-179 us instead of 249-257 us;
// bench/dhcp/README.md). A reader stops at the zeros: a line without its
// newline, as a torn tail is.
const preallocChunk = 1 << 20

// batch is the records of one group commit. done is closed once they are on
// disk, or failed to get there (err).
type batch struct {
	buf   []byte
	n     int
	done  chan struct{}
	err   error
	timer *time.Timer   // armed by the first lazy record of a batch
	thens []func(error) // run once it is written (CommitThen)
}

func newBatch() *batch { return &batch{done: make(chan struct{})} }

// openJournal loads path and path.journal through apply and opens the
// journal for appending.
func openJournal(path string, limit int, apply func(Lease)) (*journal, error) {
	j := &journal{limit: limit, chunk: preallocChunk, path: path, jpath: path + ".journal", opath: path + ".journal.old", cur: newBatch(),
		kick: make(chan struct{}, 1), lazyFlush: defaultLazyFlush, holdBelow: holdSyncBelow, stop: make(chan struct{}), done: make(chan struct{})}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	if f, err := os.Open(path); err == nil {
		_, bad, err := readLines(f, apply)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("leases: read %s: %w", path, err)
		}
		j.bad += bad
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("leases: %w", err)
	}
	// A journal.old is left by a crash (or a failed write) while a new
	// snapshot was being written: its records follow the snapshot's and
	// precede the journal's. The next compaction folds it in.
	n := 0
	if f, err := os.Open(j.opath); err == nil {
		_, bad, err := readLines(f, func(l Lease) { n++; apply(l) })
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("leases: read %s: %w", j.opath, err)
		}
		j.bad += bad
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("leases: %w", err)
	}
	f, err := os.OpenFile(j.jpath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	good, bad, err := readLines(f, func(l Lease) { n++; apply(l) })
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("leases: read %s: %w", j.jpath, err)
	}
	j.bad += bad
	j.count = n
	// Cut a torn tail, and the zeros preallocated past the last record,
	// so that new records start on a line of their own.
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("leases: truncate torn journal tail: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("leases: %w", err)
	}
	if err := syncDir(filepath.Dir(j.jpath)); err != nil {
		f.Close()
		return nil, err
	}
	j.f = newDiskFile(f)
	j.size, j.alloc = good, good
	return j, nil
}

// start runs the writer goroutine; it exits when close is called. compact is
// called (from that goroutine) when the journal has grown past its limit.
func (j *journal) start(compact func()) {
	go j.run(compact)
}

func (j *journal) run(compact func()) {
	defer close(j.done)
	for {
		select {
		case <-j.kick:
		case <-j.stop:
			j.flush()
			j.folds.Wait()
			return
		}
		// The first commit woke the writer at once; the requests already
		// in hand (with one P: every runnable worker) join its batch if
		// they run first, and an idle server loses nothing: with nobody
		// runnable, Gosched returns at once.
		if !j.pending() {
			continue // a kick for records an earlier flush already took
		}
		runtime.Gosched()
		j.flush()
		if j.needCompact() && !j.folding.Load() {
			compact()
		}
	}
}

// defaultLazyFlush is how long a lazy record may wait for a batch that is
// written anyway.
const defaultLazyFlush = time.Second

// append adds records to the current batch and returns it to wait for;
// then, when not nil, is called with the batch's outcome after its write. A
// lazy append with no then does not wake the writer: its records go to disk
// with the next batch somebody waits for, at the latest after lazyFlush. An
// offer's hold is such a record: RFC 2131 4.3.1 lets a server forget an
// offer, so the fsync it would cost on its own buys nothing, and the REQUEST
// that follows it carries it to disk.
func (j *journal) append(recs []Lease, lazy bool, then func(error)) (*batch, error) {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil, ErrClosed
	}
	b := j.cur
	for _, l := range recs {
		b.buf = encodeLine(b.buf, l)
	}
	b.n += len(recs)
	if then != nil {
		b.thens = append(b.thens, then)
	}
	if lazy && b.timer == nil {
		b.timer = time.AfterFunc(j.lazyFlush, j.wake)
	}
	j.mu.Unlock()
	if !lazy || then != nil {
		j.wake()
	}
	return b, nil
}

// pending reports whether the current batch holds records.
func (j *journal) pending() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.cur.buf) > 0
}

// wake tells the writer there is a batch to write.
func (j *journal) wake() {
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

func (j *journal) isClosed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.closed
}

// wait blocks until b is on disk or failed. Waiting for a batch makes sure
// it is written: a batch of lazy records alone wakes the writer only now.
func (j *journal) wait(b *batch) error {
	j.wake()
	<-b.done
	return b.err
}

// flush writes and fsyncs the current batch. Only the writer goroutine (and
// compaction, which runs on it) calls it. A failed write fails that batch's
// commits only: the file is cut back to its last good record so the next
// batch starts clean (a full disk that frees up, a transient I/O error).
func (j *journal) flush() error {
	j.mu.Lock()
	b := j.cur
	j.cur = newBatch()
	j.mu.Unlock()
	if b.timer != nil {
		b.timer.Stop()
	}
	var err error
	if len(b.buf) > 0 {
		start := time.Now()
		out := b.buf
		if err = j.preallocate(int64(len(out))); err == nil {
			if _, err = j.f.WriteAt(out, j.size); err == nil {
				err = j.datasync()
			}
		}
		if err == nil {
			j.size += int64(len(out))
			j.mu.Lock()
			j.count += b.n
			j.mu.Unlock()
		} else {
			err = fmt.Errorf("leases: write journal: %w", err)
			// Cut the half-written batch off. If that fails too, the next
			// batch still starts clean: it is written at size, after the
			// zeros preallocate writes over what is left there.
			_ = j.f.Truncate(j.size)
			j.alloc = j.size
		}
		// Told before anyone waiting hears of the batch: a reply sent
		// for it never precedes its metrics.
		if j.onFlush != nil {
			j.onFlush(b.n, time.Since(start), err)
		}
	}
	b.err = err
	close(b.done)
	if len(b.thens) > 0 {
		// One goroutine for the batch, not one per commit waiting on
		// done: at 12,000 commits per second those goroutines (created,
		// their stacks grown, each scheduled on its own) were 4-5% of a
		// busy server's CPU. The writer goes on to the next batch.
		go func() {
			for _, then := range b.thens {
				then(b.err)
			}
		}()
	}
	return err
}

// datasync makes a batch written over zeros durable, holding the P while
// the disk has been fast (holdSyncBelow).
func (j *journal) datasync() error {
	start := time.Now()
	err := j.f.Datasync(j.fastSyncs >= holdSyncAfter)
	switch {
	case err != nil || time.Since(start) >= j.holdBelow:
		j.fastSyncs = 0
	case j.fastSyncs < holdSyncAfter:
		j.fastSyncs++
	}
	return err
}

// preallocate makes sure n bytes past the last record are zeros already on
// disk, writing the next chunk (and fsyncing the new size) when they are
// not.
func (j *journal) preallocate(n int64) error {
	if j.size+n <= j.alloc {
		return nil
	}
	end := j.size + n + j.chunk
	zeros := make([]byte, end-j.size)
	if _, err := j.f.WriteAt(zeros, j.size); err != nil {
		return err
	}
	if err := j.f.Sync(); err != nil {
		return err
	}
	j.alloc = end
	return nil
}

func (j *journal) needCompact() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.count >= j.limit
}

// close flushes what is queued and stops the writer.
func (j *journal) close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	last := j.cur
	j.mu.Unlock()
	close(j.stop)
	<-j.done
	<-last.done // flushed by the writer on its way out
	err := last.err
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("leases: %w", cerr)
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("leases: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("leases: fsync %s: %w", dir, err)
	}
	return nil
}
