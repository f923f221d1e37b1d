package tftpd

import (
	"io"
	"time"
)

// receiveFile takes an upload into w: first (ACK 0 or an OACK) is sent,
// then DATA blocks are taken in order, acknowledged once per window
// (RFC 7440) and at the final short block. A block out of order (one was
// lost) is answered with an ACK of the last block received in order, so
// the sender resends from there; a timeout resends the last ACK.
// finish runs after the final block is written and before its ACK goes
// out, so that a client that has its ACK finds the file in place; an error
// from it ends the transfer instead. It returns the last ACK sent, for dally.
func (ss *session) receiveFile(w io.Writer, blksize, window int, first []byte, finish func() error) ([]byte, error) {
	st := ss.st
	ack := first
	if err := ss.send(ack); err != nil {
		return nil, err
	}
	var (
		got      uint64 // last block received in order
		sinceAck int
		tries    int
		heard    = time.Now()
	)
	deadline := time.Now().Add(ss.timeout)
	for {
		pk, err := ss.wait(deadline)
		if isTimeout(err) {
			st.timeouts++
			if tries++; ss.giveUp(tries, heard) {
				return nil, errNoAnswer
			}
			st.retransmits++
			if err := ss.send(ack); err != nil {
				return nil, err
			}
			sinceAck = 0
			deadline = time.Now().Add(ss.timeout)
			continue
		}
		if err != nil {
			return nil, err
		}
		heard = time.Now()
		switch pk.op {
		case opDATA:
			if len(pk.body) > blksize {
				st.ignored++
				continue
			}
			if pk.num != uint16(got+1) {
				// A duplicate or a gap: say where we are.
				st.dupAcks++
				ack = appendAck(nil, uint16(got))
				if err := ss.send(ack); err != nil {
					return nil, err
				}
				sinceAck = 0
				continue
			}
			if _, err := w.Write(pk.body); err != nil {
				return nil, err
			}
			got++
			st.blocks++
			st.bytes += int64(len(pk.body))
			if st.live != nil {
				st.live.Store(st.bytes)
			}
			sinceAck++
			tries = 0
			final := len(pk.body) < blksize
			if final && finish != nil {
				if err := finish(); err != nil {
					return nil, err
				}
			}
			if final || sinceAck >= window {
				ack = appendAck(nil, uint16(got))
				if err := ss.send(ack); err != nil {
					return nil, err
				}
				sinceAck = 0
				deadline = time.Now().Add(ss.timeout)
			}
			if final {
				return ack, nil
			}
		case opERROR:
			return nil, &clientError{code: pk.num, msg: errorText(pk.body), acked: got}
		default:
			st.ignored++
		}
	}
}

// dally waits one timeout after the final ACK of an upload and answers a
// resent final block (our ACK was lost) with it again (RFC 1350 section 6).
func (ss *session) dally(ack []byte) {
	deadline := time.Now().Add(ss.timeout)
	for {
		pk, err := ss.wait(deadline)
		if err != nil {
			return
		}
		if pk.op == opDATA {
			ss.send(ack)
		}
	}
}
