package tftpd

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

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
//
// A transfer that starts while the server is nearly idle opens its socket
// outside Go's netpoller (raw): it sends with sendto and waits with the
// brief wait's blocking recvfrom (pollwait.go), as a C server does. A
// socket on the netpoller stays registered with epoll, and with more than
// one P a thread of the runtime sleeping in epoll_wait is woken by every
// ACK to find nothing to run: that doubled a lone transfer's CPU per block
// with GOMAXPROCS 2. The socket joins the netpoller (join) the first time
// the transfer needs it: a wait longer than the brief one, more transfers
// than brief-wait slots, a window to send.
type udpLink struct {
	conn      *net.UDPConn // nil while raw
	raw       *briefWaiter // the socket while it is outside the netpoller; nil once joined
	ctx       context.Context
	peer      netip.AddrPort
	peerSA    syscall.RawSockaddrInet4 // peer, for sendto while raw
	stop      func() bool
	strangers *uint64
	batch     batchWriter
	brief     *briefWaiter // nil: no brief wait before the netpoller
	// active and slots, set by waitBriefly, are what the brief wait
	// checks, raw or joined.
	active *atomic.Int64
	slots  int64
}

func newUDPLink(ctx context.Context, local netip.Addr, peer netip.AddrPort) (*udpLink, error) {
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	if err != nil {
		return nil, err
	}
	l := &udpLink{conn: conn, ctx: ctx, peer: peer}
	l.onNetpoller()
	return l, nil
}

// newRawUDPLink opens the transfer's socket outside the netpoller, with
// the brief wait on: active counts the server's transfers, slots is how
// many may wait briefly.
func newRawUDPLink(ctx context.Context, local netip.Addr, peer netip.AddrPort, active *atomic.Int64, slots int64) (*udpLink, error) {
	if !peer.Addr().Unmap().Is4() {
		return nil, errors.New("raw transfer socket: the client is not IPv4")
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, syscall.IPPROTO_UDP)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	sa := &syscall.SockaddrInet4{}
	if a := local.Unmap(); a.Is4() {
		sa.Addr = a.As4()
	}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	w, err := newBriefWaiter(fd, active, slots)
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	w.blocking = true // a new socket is blocking; it never was on the netpoller
	l := &udpLink{raw: w, ctx: ctx, peer: peer, peerSA: rawSockaddr(peer), active: active, slots: slots}
	return l, nil
}

// rawSockaddr is a for sendto(2).
func rawSockaddr(a netip.AddrPort) syscall.RawSockaddrInet4 {
	sa := syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: a.Addr().Unmap().As4()}
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(a.Port()>>8), byte(a.Port())
	return sa
}

// onNetpoller finishes a link whose socket is on the netpoller: batched
// sends, and a blocked read that ends at once when the transfer's context
// does.
func (l *udpLink) onNetpoller() {
	l.batch = newBatchWriter(l.conn, l.peer)
	conn := l.conn
	l.stop = context.AfterFunc(l.ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
}

// join puts a raw socket on the netpoller (net.FilePacketConn takes a
// duplicate of it, non-blocking, and the raw descriptor is closed). The
// brief wait goes on, on the netpoller's socket, if it was on.
func (l *udpLink) join() error {
	if l.raw == nil {
		return nil
	}
	f := os.NewFile(uintptr(l.raw.fd), "tftp transfer")
	pc, err := net.FilePacketConn(f)
	f.Close()
	l.raw = nil
	if err != nil {
		return err
	}
	conn, ok := pc.(*net.UDPConn)
	if !ok {
		pc.Close()
		return errors.New("raw transfer socket: not a UDP socket")
	}
	l.conn = conn
	l.onNetpoller()
	if l.active != nil {
		return l.waitBriefly(l.active, l.slots)
	}
	return nil
}

// noBriefWait turns the brief wait off for the rest of the transfer (on
// the netpoller from now on).
func (l *udpLink) noBriefWait() error {
	l.active = nil
	if err := l.join(); err != nil {
		return err
	}
	if l.brief != nil {
		l.brief.release()
		l.brief = nil
	}
	return nil
}

func (l *udpLink) send(b []byte) error {
	if l.raw != nil {
		return l.raw.sendTo(b, &l.peerSA)
	}
	_, err := l.conn.WriteToUDPAddrPort(b, l.peer)
	return err
}

// waitBriefly turns on the brief wait before the netpoller (pollwait.go),
// counting the server's transfers in active.
func (l *udpLink) waitBriefly(active *atomic.Int64, slots int64) error {
	l.active, l.slots = active, slots
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

func (l *udpLink) sendBatch(pkts [][]byte) (int, error) {
	if err := l.join(); err != nil {
		return 0, err
	}
	return l.batch.write(pkts)
}

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
		if l.raw != nil {
			if n, from, ok = l.raw.wait(buf, deadline); !ok {
				if l.raw.interrupted {
					continue // preempted (pollwait.go): yield, then wait again
				}
				if err := l.join(); err != nil {
					return 0, err
				}
			}
		} else if l.brief != nil {
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
			l.sendError(appendError(nil, codeUnknownTID, string(errUnknownTID)), from)
			continue
		}
		return n, nil
	}
}

// sendError answers a stranger from the transfer's socket.
func (l *udpLink) sendError(b []byte, to netip.AddrPort) {
	if l.raw != nil {
		sa := rawSockaddr(to)
		l.raw.sendTo(b, &sa)
		return
	}
	l.conn.WriteToUDPAddrPort(b, to)
}

func (l *udpLink) close() {
	if l.raw != nil {
		syscall.Close(l.raw.fd)
		l.raw = nil
		return
	}
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
