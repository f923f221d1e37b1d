package tftpd

import (
	"errors"
	"syscall"
	"time"
)

// batchSender is a link that can put several packets on the wire in one
// system call (sendmmsg): a window of DATA blocks costs one kernel entry
// instead of one per block. Links without it send packet by packet.
type batchSender interface {
	// sendBatch writes pkts in order and returns how many were written;
	// fewer than len(pkts) only with an error.
	sendBatch(pkts [][]byte) (int, error)
}

// Bounds of the wait after a transient send error (the kernel's queue or
// the interface's is full for a moment): the first pause, the longest, and
// how many pauses before the error ends the transfer. At most about a
// third of a second in all, so a full queue slows a transfer down and a
// broken interface still ends it.
const (
	sendBackoffMin = time.Millisecond
	sendBackoffMax = 64 * time.Millisecond
	sendRetriesMax = 10
)

// transientSendError reports whether a send failed only for now: ENOBUFS
// when a queue on the way (the socket's, the qdisc's, the NIC's) is full,
// EAGAIN/EWOULDBLOCK when the socket buffer is. Go's netpoller already
// waits out EAGAIN on its own sockets; a raw socket does not.
func transientSendError(err error) bool {
	return errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOMEM)
}

// send writes one packet to the client, riding out transient errors.
func (ss *session) send(p []byte) error {
	ss.one[0] = p
	err := ss.write(ss.one[:])
	ss.one[0] = nil
	return err
}

// write puts pkts on the wire in order, in one batch where the link can. A
// transient error pauses (doubling from sendBackoffMin to sendBackoffMax)
// and goes on with the packets not yet written; after sendRetriesMax
// pauses, or on any other error, the error ends the transfer.
func (ss *session) write(pkts [][]byte) error {
	backoff, tries := sendBackoffMin, 0
	for len(pkts) > 0 {
		n, err := ss.writeSome(pkts)
		pkts = pkts[n:]
		if err == nil {
			continue
		}
		if !transientSendError(err) || tries >= sendRetriesMax {
			return err
		}
		tries++
		ss.st.sendRetries++
		if err := ss.pause(backoff); err != nil {
			return err
		}
		backoff = min(2*backoff, sendBackoffMax)
	}
	return nil
}

func (ss *session) writeSome(pkts [][]byte) (int, error) {
	if bs, ok := ss.l.(batchSender); ok && len(pkts) > 1 {
		return bs.sendBatch(pkts)
	}
	for i, p := range pkts {
		if err := ss.l.send(p); err != nil {
			return i, err
		}
	}
	return len(pkts), nil
}

// pause sleeps for d, or until the transfer's context ends.
func (ss *session) pause(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ss.ctx.Done():
		return ctxError(ss.ctx)
	}
}
