package tftpd

import (
	"io"
	"time"
)

// sendFile sends r in blocks of blksize, window blocks per ACK (RFC 7440;
// window 1 is RFC 1350's lock-step). When oack is not nil it is sent first
// and must be acknowledged with ACK 0.
//
// Blocks are numbered from 1 in a uint64 and put on the wire modulo 65536.
// An ACK for a block inside the window moves the window to start after it
// and sends from there at once; an ACK already seen (duplicate) or for a
// block never sent is counted and ignored, so no ACK ever causes a window
// to be sent twice; a timeout resends from the first unacknowledged block.
func (ss *session) sendFile(r io.Reader, blksize, window int, oack []byte) error {
	st := ss.st
	if oack != nil {
		if err := ss.sendOACK(oack); err != nil {
			return err
		}
	}
	ring := make([][]byte, window)
	for i := range ring {
		ring[i] = make([]byte, 0, 4+blksize)
	}
	var (
		base   uint64 = 1 // first block not acknowledged
		sent   uint64     // highest block sent
		filled uint64     // highest block read from r
		last   uint64     // the final block, 0 until read
		tries  int
		heard  = time.Now() // last packet from the client
	)
	fill := func(b uint64) ([]byte, error) {
		slot := &ring[b%uint64(window)]
		if b <= filled {
			return *slot, nil
		}
		p := appendData((*slot)[:0], uint16(b), nil)
		p = p[:4+blksize]
		n, err := io.ReadFull(r, p[4:])
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			last = b
		case err != nil:
			return nil, err
		}
		*slot = p[:4+n]
		filled = b
		return *slot, nil
	}
	from := base
	for {
		end := base + uint64(window) - 1
		if last != 0 && end > last {
			end = last
		}
		for b := from; b <= end; b++ {
			p, err := fill(b)
			if err != nil {
				return err
			}
			if last != 0 && end > last {
				end = last
			}
			if b <= sent {
				st.retransmits++
			} else {
				sent = b
				st.blocks++
				st.bytes += int64(len(p) - 4)
				if st.live != nil {
					st.live.Store(st.bytes)
				}
			}
			if err := ss.l.send(p); err != nil {
				return err
			}
		}
		deadline := time.Now().Add(ss.timeout)
	wait:
		pk, err := ss.wait(deadline)
		if isTimeout(err) {
			st.timeouts++
			if tries++; ss.giveUp(tries, heard) {
				return errNoAnswer
			}
			from = base
			continue
		}
		if err != nil {
			return err
		}
		heard = time.Now()
		switch pk.op {
		case opACK:
			delta := uint64(pk.num - uint16(base-1))
			switch {
			case delta == 0:
				st.dupAcks++
				goto wait
			case delta > sent-(base-1):
				st.oowAcks++
				goto wait
			}
			acked := base - 1 + delta
			if acked == last {
				return nil
			}
			base, from, tries = acked+1, acked+1, 0
		case opERROR:
			return &clientError{code: pk.num, msg: errorText(pk.body), acked: base - 1}
		default:
			st.ignored++
			goto wait
		}
	}
}

// sendOACK sends the option acknowledgement until the client answers ACK 0.
func (ss *session) sendOACK(oack []byte) error {
	heard := time.Now()
	for tries := 0; ; tries++ {
		if tries > 0 {
			ss.st.retransmits++
		}
		if err := ss.l.send(oack); err != nil {
			return err
		}
		deadline := time.Now().Add(ss.timeout)
		for {
			pk, err := ss.wait(deadline)
			if isTimeout(err) {
				ss.st.timeouts++
				if ss.giveUp(tries+1, heard) {
					return errNoAnswer
				}
				break
			}
			if err != nil {
				return err
			}
			heard = time.Now()
			switch {
			case pk.op == opACK && pk.num == 0:
				return nil
			case pk.op == opACK:
				ss.st.oowAcks++
			case pk.op == opERROR:
				return &clientError{code: pk.num, msg: errorText(pk.body)}
			default:
				ss.st.ignored++
			}
		}
	}
}
