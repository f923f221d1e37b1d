package tftpd

import (
	"io"
	"time"
)

// sendFile sends r in blocks of blksize, window blocks per ACK (RFC 7440;
// window 1 is RFC 1350's lock-step). When oack is not nil it is sent first
// and must be acknowledged with ACK 0.
//
// Blocks are numbered from 1 in a uint64 and put on the wire modulo 65536;
// a window goes out in one batch (write). An ACK for a block inside the
// window moves the window to start after it (RFC 7440 section 4: the
// sender goes on from the last block acknowledged + 1). Blocks after the
// ACKed one that were already sent are sent again only when their last
// send is at least one round trip old (rttMin.stale): an ACK arriving sooner
// was written before the client could have seen them, so resending would
// only duplicate packets still on their way, and each duplicate can draw
// another such ACK. An ACK already seen (duplicate) or for a block never
// sent is counted and ignored; a timeout resends from the first
// unacknowledged block. Nothing here allocates per block: the window's
// buffers, send times and batch are made once.
func (ss *session) sendFile(r io.Reader, blksize, window int, oack []byte) error {
	st := ss.st
	var rtt rttMin
	if oack != nil {
		sample, err := ss.sendOACK(oack)
		if err != nil {
			return err
		}
		rtt.add(sample)
	}
	w := uint64(window)
	ring := make([][]byte, window)
	for i := range ring {
		ring[i] = make([]byte, 0, 4+blksize)
	}
	sentAt := make([]time.Time, window) // the last send of each slot's block
	once := make([]bool, window)        // the slot's block was sent only once (Karn)
	batch := make([][]byte, 0, window)
	var (
		base   uint64 = 1 // first block not acknowledged
		sent   uint64     // highest block sent
		filled uint64     // highest block read from r
		last   uint64     // the final block, 0 until read
		tries  int
		heard  = time.Now() // last packet from the client
	)
	fill := func(b uint64) ([]byte, error) {
		slot := &ring[b%w]
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
		end := base + w - 1
		batch = batch[:0]
		for b := from; b <= end && (last == 0 || b <= last); b++ {
			p, err := fill(b)
			if err != nil {
				return err
			}
			if b <= sent {
				st.retransmits++
				once[b%w] = false
			} else {
				sent = b
				once[b%w] = true
				st.blocks++
				st.bytes += int64(len(p) - 4)
			}
			batch = append(batch, p)
		}
		if len(batch) > 0 {
			if st.live != nil {
				st.live.Store(st.bytes)
			}
			now := ss.now()
			for b := from; b < from+uint64(len(batch)); b++ {
				sentAt[b%w] = now
			}
			if err := ss.write(batch); err != nil {
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
			now := ss.now()
			if once[acked%w] {
				rtt.add(now.Sub(sentAt[acked%w]))
			}
			base, from, tries = acked+1, acked+1, 0
			if from <= sent && rtt.stale(now, sentAt[from%w]) {
				// Every block from here to sent went out in one batch
				// or later, so none of them is overdue yet.
				st.staleAcks++
				from = sent + 1
			}
		case opERROR:
			return &clientError{code: pk.num, msg: errorText(pk.body), acked: base - 1}
		default:
			st.ignored++
			goto wait
		}
	}
}

// rttMin is the shortest round trip seen in a transfer: from a block's
// only send to its ACK (Karn: a block sent twice gives no sample), and from
// the OACK to ACK 0. Zero until the first sample.
type rttMin time.Duration

func (r *rttMin) add(d time.Duration) {
	if d > 0 && (*r == 0 || d < time.Duration(*r)) {
		*r = rttMin(d)
	}
}

// stale reports whether an ACK arriving at now was written before the
// client could have received a block sent at sentAt: less than the
// shortest round trip has passed. Without a sample nothing is stale, so
// the sender falls back to RFC 7440's plain go-back-N.
func (r rttMin) stale(now, sentAt time.Time) bool {
	return r > 0 && now.Sub(sentAt) < time.Duration(r)
}

// sendOACK sends the option acknowledgement until the client answers ACK
// 0. It returns the round trip of a first OACK answered (0 after a resend).
func (ss *session) sendOACK(oack []byte) (time.Duration, error) {
	heard := time.Now()
	for tries := 0; ; tries++ {
		if tries > 0 {
			ss.st.retransmits++
		}
		sentAt := ss.now()
		if err := ss.send(oack); err != nil {
			return 0, err
		}
		deadline := time.Now().Add(ss.timeout)
		for {
			pk, err := ss.wait(deadline)
			if isTimeout(err) {
				ss.st.timeouts++
				if ss.giveUp(tries+1, heard) {
					return 0, errNoAnswer
				}
				break
			}
			if err != nil {
				return 0, err
			}
			heard = time.Now()
			switch {
			case pk.op == opACK && pk.num == 0:
				if tries > 0 {
					return 0, nil
				}
				return ss.now().Sub(sentAt), nil
			case pk.op == opACK:
				ss.st.oowAcks++
			case pk.op == opERROR:
				return 0, &clientError{code: pk.num, msg: errorText(pk.body)}
			default:
				ss.st.ignored++
			}
		}
	}
}
