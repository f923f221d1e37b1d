package tftpd

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

// link carries one transfer's packets to and from its client (its TID).
type link interface {
	// send writes one packet to the client.
	send(b []byte) error
	// recv waits until deadline for the next packet from the client and
	// copies it into buf. It returns os.ErrDeadlineExceeded when the
	// deadline passes and context.Cause(ctx) when ctx ends first.
	recv(ctx context.Context, buf []byte, deadline time.Time) (int, error)
	close()
}

// udpLink is a transfer's own socket (RFC 1350 section 4: a new TID). A
// packet from any other address or port is answered with error 5 and the
// transfer goes on.
type udpLink struct {
	conn      *net.UDPConn
	peer      netip.AddrPort
	stop      func() bool
	strangers *uint64 // packets from other TIDs, answered with error 5
	batch     batchWriter
	brief     *briefWaiter // nil: no brief wait before the netpoller
}

func newUDPLink(ctx context.Context, local netip.Addr, peer netip.AddrPort) (*udpLink, error) {
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	if err != nil {
		return nil, err
	}
	l := &udpLink{conn: conn, peer: peer, batch: newBatchWriter(conn, peer)}
	// A blocked read ends at once when the transfer's context does.
	l.stop = context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	return l, nil
}

func (l *udpLink) send(b []byte) error {
	_, err := l.conn.WriteToUDPAddrPort(b, l.peer)
	return err
}

// waitBriefly turns on the brief wait before the netpoller (pollwait.go),
// counting the server's transfers in active.
func (l *udpLink) waitBriefly(active *atomic.Int64, slots int64) error {
	rc, err := l.conn.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	if err := rc.Control(func(fd uintptr) {
		l.brief, werr = newBriefWaiter(int(fd), active, slots)
	}); err != nil {
		return err
	}
	return werr
}

func (l *udpLink) sendBatch(pkts [][]byte) (int, error) { return l.batch.write(pkts) }

func (l *udpLink) recv(ctx context.Context, buf []byte, deadline time.Time) (int, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, context.Cause(ctx)
		}
		var (
			n    int
			from netip.AddrPort
			err  error
		)
		ok := false
		if l.brief != nil {
			n, from, ok = l.brief.wait(buf, deadline)
		}
		if !ok {
			l.conn.SetReadDeadline(deadline)
			n, from, err = l.conn.ReadFromUDPAddrPort(buf)
		}
		if err != nil {
			if ctx.Err() != nil {
				return 0, context.Cause(ctx)
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return 0, os.ErrDeadlineExceeded
			}
			return 0, err
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if from != l.peer {
			if l.strangers != nil {
				*l.strangers++
			}
			l.conn.WriteToUDPAddrPort(appendError(nil, codeUnknownTID, string(errUnknownTID)), from)
			continue
		}
		return n, nil
	}
}

func (l *udpLink) close() {
	l.stop()
	l.conn.Close()
}

// chanLink is a transfer in single-port mode: Serve's read loop hands it
// the packets from its client, and it answers from the listening socket.
type chanLink struct {
	conn  *net.UDPConn
	peer  netip.AddrPort
	in    chan []byte
	done  func() // unregisters the link from the read loop
	batch batchWriter
}

func (l *chanLink) send(b []byte) error {
	_, err := l.conn.WriteToUDPAddrPort(b, l.peer)
	return err
}

func (l *chanLink) sendBatch(pkts [][]byte) (int, error) { return l.batch.write(pkts) }

func (l *chanLink) recv(ctx context.Context, buf []byte, deadline time.Time) (int, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case p := <-l.in:
		return copy(buf, p), nil
	case <-timer.C:
		return 0, os.ErrDeadlineExceeded
	case <-ctx.Done():
		return 0, context.Cause(ctx)
	}
}

func (l *chanLink) close() { l.done() }

// batchWriter sends several packets to one peer with a single sendmmsg
// (x/net/ipv4's WriteBatch). Its messages are made once per transfer and
// grow to the window, so a batch allocates nothing.
type batchWriter struct {
	pc   *ipv4.PacketConn
	peer *net.UDPAddr
	msgs []ipv4.Message
	iovs [][1][]byte // each message's one buffer
}

func newBatchWriter(conn *net.UDPConn, peer netip.AddrPort) batchWriter {
	return batchWriter{pc: ipv4.NewPacketConn(conn), peer: net.UDPAddrFromAddrPort(peer)}
}

func (w *batchWriter) write(pkts [][]byte) (int, error) {
	for len(w.msgs) < len(pkts) {
		w.msgs = append(w.msgs, ipv4.Message{Addr: w.peer})
		w.iovs = append(w.iovs, [1][]byte{})
	}
	msgs := w.msgs[:len(pkts)]
	for i, p := range pkts {
		w.iovs[i][0] = p
		msgs[i].Buffers = w.iovs[i][:]
	}
	sent := 0
	for sent < len(msgs) {
		n, err := w.pc.WriteBatch(msgs[sent:], 0)
		sent += max(n, 0)
		if err != nil {
			return sent, err
		}
		if n <= 0 {
			return sent, errors.New("sendmmsg sent nothing")
		}
	}
	return sent, nil
}
