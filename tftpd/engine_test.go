package tftpd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
)

// testFile is size bytes of a pattern that differs block to block.
func testFile(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*7 + i/509)
	}
	return b
}

// windowLink is a client that takes every DATA block in order and ACKs
// the last one of each window (and the short final block). It records
// every batch the server wrote and can fail writes on demand. It allocates
// nothing per block once its queue has grown.
type windowLink struct {
	blksize, window int
	next            uint16 // the block expected
	since           int
	got             []byte
	acks            [][4]byte
	batches         []int // the size of each write: 1 per send, n per sendBatch
	// fail, when set, is asked before each write with the packets about to
	// go: it returns how many to accept and the error to report.
	fail func(pkts [][]byte) (int, error)
	keep bool // keep got (tests of bytes); off for allocation counts
	one  [1][]byte
}

func (l *windowLink) take(p []byte) {
	if binary.BigEndian.Uint16(p) != opDATA || binary.BigEndian.Uint16(p[2:]) != l.next {
		return
	}
	if l.keep {
		l.got = append(l.got, p[4:]...)
	}
	l.since++
	if l.since == l.window || len(p)-4 < l.blksize {
		var a [4]byte
		binary.BigEndian.PutUint16(a[:], opACK)
		binary.BigEndian.PutUint16(a[2:], l.next)
		l.acks = append(l.acks, a)
		l.since = 0
	}
	l.next++
}

func (l *windowLink) sendBatch(pkts [][]byte) (int, error) {
	if l.keep {
		l.batches = append(l.batches, len(pkts))
	}
	n, err := len(pkts), error(nil)
	if l.fail != nil {
		n, err = l.fail(pkts)
	}
	for _, p := range pkts[:n] {
		l.take(p)
	}
	return n, err
}

func (l *windowLink) send(b []byte) error {
	l.one[0] = b
	_, err := l.sendBatch(l.one[:])
	return err
}

func (l *windowLink) recv(_ context.Context, buf []byte, _ time.Time) (int, error) {
	if len(l.acks) == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	n := copy(buf, l.acks[0][:])
	l.acks = append(l.acks[:0], l.acks[1:]...)
	return n, nil
}

func (l *windowLink) close() {}

func newTestSession(l link, st *xferStats) *session {
	return &session{ctx: context.Background(), l: l, timeout: time.Hour, retries: 0, st: st, buf: make([]byte, 65536)}
}

// TestWindowInOneBatch: with windowsize 16 every full window reaches the
// link in one sendBatch call, and the blocks arrive whole and in order.
func TestWindowInOneBatch(t *testing.T) {
	file := testFile(512*40 + 7)
	l := &windowLink{blksize: 512, window: 16, next: 1, keep: true}
	st := &xferStats{}
	if err := newTestSession(l, st).sendFile(bytes.NewReader(file), 512, 16, nil); err != nil {
		t.Fatalf("sendFile: %v", err)
	}
	if !bytes.Equal(l.got, file) {
		t.Fatalf("client got %d bytes, want the %d of the file", len(l.got), len(file))
	}
	// 41 blocks: windows of 16, 16 and 9.
	if want := []int{16, 16, 9}; !equalInts(l.batches, want) {
		t.Errorf("writes of %v packets, want %v", l.batches, want)
	}
	if st.retransmits != 0 || st.timeouts != 0 {
		t.Errorf("stats %+v: want nothing resent", *st)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTransientSendErrorsRetried: ENOBUFS after part of a window (the
// queue filled) pauses and goes on with the packets not yet written: every
// block arrives once and in order, and the pauses are counted. EPERM (a
// firewall) ends the transfer at once; ENOBUFS for good ends it after
// sendRetriesMax pauses.
func TestTransientSendErrorsRetried(t *testing.T) {
	file := testFile(512*20 + 3)
	failures := 3
	l := &windowLink{blksize: 512, window: 8, next: 1, keep: true}
	l.fail = func(pkts [][]byte) (int, error) {
		if failures > 0 && len(pkts) > 2 {
			failures--
			return 2, syscall.ENOBUFS
		}
		return len(pkts), nil
	}
	st := &xferStats{}
	if err := newTestSession(l, st).sendFile(bytes.NewReader(file), 512, 8, nil); err != nil {
		t.Fatalf("sendFile with 3 ENOBUFS: %v", err)
	}
	if !bytes.Equal(l.got, file) {
		t.Fatalf("client got %d bytes, want the %d of the file", len(l.got), len(file))
	}
	if st.sendRetries != 3 || st.retransmits != 0 {
		t.Errorf("send retries %d, retransmits %d: want 3 and 0", st.sendRetries, st.retransmits)
	}

	for _, c := range []struct {
		err     error
		retries uint64
	}{{syscall.EPERM, 0}, {syscall.ENOBUFS, sendRetriesMax}} {
		l := &windowLink{blksize: 512, window: 8, next: 1}
		l.fail = func([][]byte) (int, error) { return 0, c.err }
		st := &xferStats{}
		err := newTestSession(l, st).sendFile(bytes.NewReader(file), 512, 8, nil)
		if !errors.Is(err, c.err) || st.sendRetries != c.retries {
			t.Errorf("%v every time: ended with %v after %d retries, want %v after %d", c.err, err, st.sendRetries, c.err, c.retries)
		}
	}
}

// TestNoAllocationPerBlock: sending a file allocates per transfer (the
// window's buffers), never per block: 64 times more blocks, lock-step or
// windowed, allocate no more.
func TestNoAllocationPerBlock(t *testing.T) {
	for _, window := range []int{1, 16} {
		allocs := func(blocks int) float64 {
			file := testFile(512*blocks + 100)
			l := &windowLink{blksize: 512, window: window, acks: make([][4]byte, 0, 4)}
			r := bytes.NewReader(file)
			st := &xferStats{}
			ss := newTestSession(l, st)
			return testing.AllocsPerRun(5, func() {
				r.Reset(file)
				l.next, l.since = 1, 0
				if err := ss.sendFile(r, 512, window, nil); err != nil {
					t.Fatal(err)
				}
			})
		}
		few, many := allocs(64), allocs(64*64)
		if many > few {
			t.Errorf("windowsize %d: %v allocations for 64 blocks, %v for 4096: want no more", window, few, many)
		}
	}
}

// TestBatchWriterOnTheWire: a batch written through a real socket reaches
// the peer as separate datagrams, each the bytes given, in order.
func TestBatchWriterOnTheWire(t *testing.T) {
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w := newBatchWriter(conn, peer.LocalAddr().(*net.UDPAddr).AddrPort())
	var pkts [][]byte
	for i := range 12 {
		pkts = append(pkts, appendData(nil, uint16(i+1), bytes.Repeat([]byte{byte(i)}, 100+i)))
	}
	// Twice: the second batch reuses the first one's messages.
	for _, batch := range [][][]byte{pkts[:4], pkts[4:]} {
		if n, err := w.write(batch); n != len(batch) || err != nil {
			t.Fatalf("write: %d of %d, %v", n, len(batch), err)
		}
	}
	buf := make([]byte, 2048)
	peer.SetReadDeadline(time.Now().Add(waitBound))
	for i, want := range pkts {
		n, from, err := peer.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if from != netip.MustParseAddrPort(conn.LocalAddr().String()) || !bytes.Equal(buf[:n], want) {
			t.Fatalf("datagram %d from %v: % x..., want % x...", i, from, buf[:min(n, 8)], want[:8])
		}
	}
}
