package tftpd

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"sort"
	"testing"
	"time"
)

// simLink is a network simulated in virtual time between the server and
// an RFC 7440 client: every packet takes delay one way, DATA packets may
// take longer (extra, by block and by how often it was sent), so they
// arrive out of order. The client takes blocks in order, ACKs at the end
// of each window and the short block, and ACKs the last block it has once
// when it sees a gap (RFC 7440 section 4); it ignores duplicates. The
// session reads the virtual time through its clock.
type simLink struct {
	delay   time.Duration
	extra   func(block uint16, copy int) time.Duration
	blksize int
	window  int

	now         time.Duration
	seq         int // orders events at the same instant as they were made
	events      []simEvent
	next        uint16 // the client's next block
	since       int
	gapAcked    bool
	got         []byte
	sends       map[uint16]int // DATA sends per block
	acked       uint16         // highest ACK that reached the server
	resentAcked []uint16       // blocks sent after their ACK reached the server
}

type simEvent struct {
	at       time.Duration
	seq      int
	toServer bool
	p        []byte
}

func (l *simLink) schedule(after time.Duration, toServer bool, p []byte) {
	l.seq++
	l.events = append(l.events, simEvent{at: l.now + after, seq: l.seq, toServer: toServer, p: append([]byte(nil), p...)})
	sort.Slice(l.events, func(i, j int) bool {
		a, b := l.events[i], l.events[j]
		return a.at < b.at || a.at == b.at && a.seq < b.seq
	})
}

func (l *simLink) send(p []byte) error {
	if binary.BigEndian.Uint16(p) != opDATA {
		return nil
	}
	b := binary.BigEndian.Uint16(p[2:])
	if b <= l.acked {
		l.resentAcked = append(l.resentAcked, b)
	}
	l.sends[b]++
	l.schedule(l.delay+l.extra(b, l.sends[b]), false, p)
	return nil
}

func (l *simLink) ack(b uint16) {
	l.schedule(l.delay, true, appendAck(nil, b))
}

func (l *simLink) recv(_ context.Context, buf []byte, _ time.Time) (int, error) {
	for len(l.events) > 0 {
		ev := l.events[0]
		l.events = l.events[1:]
		l.now = ev.at
		if ev.toServer {
			l.acked = max(l.acked, binary.BigEndian.Uint16(ev.p[2:]))
			return copy(buf, ev.p), nil
		}
		b, body := binary.BigEndian.Uint16(ev.p[2:]), ev.p[4:]
		switch {
		case b == l.next:
			l.got = append(l.got, body...)
			l.next++
			l.since++
			l.gapAcked = false
			if l.since == l.window || len(body) < l.blksize {
				l.ack(b)
				l.since = 0
			}
		case b > l.next && !l.gapAcked:
			l.ack(l.next - 1)
			l.gapAcked, l.since = true, 0
		}
	}
	return 0, os.ErrDeadlineExceeded
}

func (l *simLink) close() {}

// TestReorderResendsOnce: in a window of 8, blocks 2 and 5 arrive late.
// The client ACKs 1 at the gap, then 2 when block 2 arrives and block 5
// shows the next gap. ACK 1 resends the window from block 2; ACK 2 comes
// back sooner than a round trip after that resend, so it was written
// before the client could have seen it: it moves the window and sends only
// new blocks. No block goes out three times, none after its ACK arrived,
// and no timer runs out.
func TestReorderResendsOnce(t *testing.T) {
	const blksize, window = 512, 8
	file := testFile(blksize*40 + 10)
	l := &simLink{delay: 10 * time.Millisecond, blksize: blksize, window: window, next: 1, sends: map[uint16]int{}}
	l.extra = func(b uint16, copy int) time.Duration {
		if copy == 1 && (b == 2 || b == 5) {
			return 5 * time.Millisecond
		}
		return 0
	}
	start := time.Now()
	st := &xferStats{}
	ss := newTestSession(l, st)
	ss.clock = func() time.Time { return start.Add(l.now) }
	if err := ss.sendFile(bytes.NewReader(file), blksize, window, nil); err != nil {
		t.Fatalf("sendFile: %v (stats %+v)", err, *st)
	}
	if !bytes.Equal(l.got, file) {
		t.Fatalf("client got %d bytes, want the %d of the file", len(l.got), len(file))
	}
	for b, n := range l.sends {
		if n > 2 {
			t.Errorf("block %d sent %d times, want at most twice", b, n)
		}
	}
	if len(l.resentAcked) > 0 {
		t.Errorf("blocks %v sent after their ACK arrived", l.resentAcked)
	}
	if st.timeouts != 0 || st.staleAcks == 0 {
		t.Errorf("stats %+v: want no timeout and the stale ACK counted", *st)
	}
}
