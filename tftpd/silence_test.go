package tftpd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"
)

// quietLink is a client that acknowledges every DATA block, except that
// once it has DATA 2 it stays silent for quietFor, ignoring the server's
// resends, as atftp and pin/tftp do while their own timer runs after a
// lost ACK.
type quietLink struct {
	quietFor   time.Duration
	quietUntil time.Time
	pending    [][]byte
}

func (l *quietLink) send(b []byte) error {
	if binary.BigEndian.Uint16(b) != opDATA {
		return nil
	}
	n := binary.BigEndian.Uint16(b[2:])
	if n == 2 && l.quietUntil.IsZero() {
		l.quietUntil = time.Now().Add(l.quietFor)
	}
	if time.Now().Before(l.quietUntil) {
		return nil
	}
	l.pending = append(l.pending, appendAck(nil, n))
	return nil
}

func (l *quietLink) recv(_ context.Context, buf []byte, deadline time.Time) (int, error) {
	if len(l.pending) == 0 {
		time.Sleep(time.Until(deadline))
		return 0, os.ErrDeadlineExceeded
	}
	p := l.pending[0]
	l.pending = l.pending[1:]
	return copy(buf, p), nil
}

func (l *quietLink) close() {}

// TestSilenceOutlastsRetries: with a 10 ms timeout and 2 retries, a client
// silent for 100 ms (ten timeouts) still gets its file when the session
// waits at least 300 ms of silence; without that floor it is given up, and
// a client silent for good is given up once the floor has passed.
func TestSilenceOutlastsRetries(t *testing.T) {
	file := bytes.Repeat([]byte("x"), 3*512-1)
	run := func(quiet, floor time.Duration) (*xferStats, time.Duration, error) {
		st := &xferStats{}
		ss := &session{ctx: context.Background(), l: &quietLink{quietFor: quiet}, timeout: 10 * time.Millisecond,
			retries: 2, minSilence: floor, st: st, buf: make([]byte, 65536)}
		start := time.Now()
		err := ss.sendFile(bytes.NewReader(file), 512, 1, nil)
		return st, time.Since(start), err
	}
	st, _, err := run(100*time.Millisecond, 300*time.Millisecond)
	if err != nil {
		t.Fatalf("client silent 100 ms, floor 300 ms: %v, want the file sent", err)
	}
	if st.bytes != int64(len(file)) || st.retransmits < 3 {
		t.Errorf("sent %d bytes with %d retransmits, want %d bytes and more than the 2 retries", st.bytes, st.retransmits, len(file))
	}
	if _, _, err := run(100*time.Millisecond, 0); !errors.Is(err, errNoAnswer) {
		t.Errorf("no floor: %v, want %v after 2 retries", err, errNoAnswer)
	}
	_, took, err := run(time.Hour, 300*time.Millisecond)
	if !errors.Is(err, errNoAnswer) || took < 300*time.Millisecond {
		t.Errorf("client silent for good: %v after %v, want %v after at least 300ms", err, took, errNoAnswer)
	}
}
