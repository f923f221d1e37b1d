package tftpd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"
)

// xferStats are the engine's own counts for one transfer, what its record
// reports.
type xferStats struct {
	mode        string
	blksize     int
	window      int
	timeout     time.Duration
	tsize       int64 // -1: not negotiated
	bytes       int64 // file bytes sent (first sends only) or received
	blocks      uint64
	retransmits uint64 // packets sent again after a timeout or a short ACK
	dupAcks     uint64 // ACKs of a block already acknowledged
	oowAcks     uint64 // ACKs of a block never sent
	staleAcks   uint64 // ACKs inside the window older than the blocks after them
	timeouts    uint64
	strangers   uint64 // packets from another TID (answered error 5)
	sendRetries uint64 // sends paused and tried again (ENOBUFS, EAGAIN)
	ignored     uint64 // packets of the wrong kind, dropped
	// live mirrors bytes for Server.InFlight, read from other goroutines;
	// nil when the transfer is not listed.
	live *atomic.Int64
}

// clientError is an ERROR packet from the client: the transfer ends, with
// no answer (RFC 1350: an error packet is not acknowledged).
type clientError struct {
	code  uint16
	msg   string
	acked uint64 // the last block the client had acknowledged
}

func (e *clientError) Error() string {
	return fmt.Sprintf("client error %d %q after block %d", e.code, e.msg, e.acked)
}

// errNoAnswer ends a transfer whose client stopped answering for Retries
// retransmits, and for at least the session's minSilence.
var errNoAnswer = errors.New("no answer from client")

// minSilence is the least time a transfer waits for a silent client before
// it gives up, however short the retransmit timeout. Clients such as atftp
// (5 s) and pin/tftp (1 s by default) do not acknowledge a DATA block they
// already have: when their ACK is lost they stay silent until their own
// timer fires. With a 200 ms timeout and 5 retries the server would give up
// after 1.2 s and end a transfer that a lossy link had only slowed down.
const minSilence = 6 * time.Second

// session runs one transfer's state machine over a link.
type session struct {
	ctx     context.Context
	l       link
	timeout time.Duration
	retries int
	// minSilence: see the constant; 0 gives up after retries alone.
	minSilence time.Duration
	st         *xferStats
	buf        []byte    // receive buffer, one datagram
	one        [1][]byte // send's batch of one, reused
	// clock is the time for round-trip samples (nil: time.Now); tests
	// that simulate a network hand in their own.
	clock func() time.Time
}

func (ss *session) now() time.Time {
	if ss.clock != nil {
		return ss.clock()
	}
	return time.Now()
}

// packet is a received datagram, split.
type packet struct {
	op   uint16
	num  uint16 // block number or error code
	body []byte
}

// wait returns the next packet from the client before deadline.
func (ss *session) wait(deadline time.Time) (packet, error) {
	n, err := ss.l.recv(ss.ctx, ss.buf, deadline)
	if err != nil {
		return packet{}, err
	}
	if n < 4 {
		ss.st.ignored++
		return packet{}, nil
	}
	b := ss.buf[:n]
	return packet{op: binary.BigEndian.Uint16(b), num: binary.BigEndian.Uint16(b[2:]), body: b[4:]}, nil
}

// giveUp reports whether a transfer that has timed out tries times in a
// row, and last heard from its client at heard, should end.
func (ss *session) giveUp(tries int, heard time.Time) bool {
	return tries > ss.retries && time.Since(heard) >= ss.minSilence
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// errorText is an ERROR packet's message without its NUL.
func errorText(b []byte) string {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) > 128 {
		b = b[:128]
	}
	return string(b)
}
