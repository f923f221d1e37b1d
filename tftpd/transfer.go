package tftpd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/bootyard/bootyard/served"
)

// transfer is one read or write request, from its arrival to the single
// record written at its end. Only its own goroutine touches it.
type transfer struct {
	id       uint64
	write    bool
	client   netip.AddrPort
	raw      string // the name as the client sent it
	start    time.Time
	admitted bool
	ctx      context.Context
	cancel   context.CancelFunc

	name  string // cleaned name, "" if refused before cleaning
	cause error  // why we refused or failed, for the log only
	end   error  // what ended it: nil, a wireError, *clientError, errNoAnswer, ...
	// generated: the resolver generated the file (for the Observer).
	generated bool
	st        xferStats
}

// begin registers a new transfer and decides whether it may run under
// MaxTransfers and MaxPerClient.
func (s *Server) begin(raw string, client netip.AddrPort, write bool) *transfer {
	t := &transfer{write: write, client: client, raw: raw, start: time.Now()}
	t.st.tsize = -1
	ctx, cancel := context.WithCancel(s.stopCtx)
	if s.cfg.TransferTimeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, s.cfg.TransferTimeout, errTimedOut)
	}
	t.ctx, t.cancel = ctx, cancel

	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	t.id = s.nextID
	t.admitted = s.admitLocked(client.Addr())
	if s.Observer != nil {
		s.Observer.TFTPStarted()
	}
	return t
}

// recvBufSize is the receive buffer of a transfer: an upload receives DATA
// blocks of up to 65464 bytes, a download only ACKs and ERRORs from its
// client (a longer datagram is cut to the buffer, which still holds any
// opcode, block number and error text worth reading). 64 KiB for each of
// 128 downloads was a third of the server's memory at its peak.
func recvBufSize(upload bool) int {
	if upload {
		return 65536
	}
	return 1024
}

// openLink opens t's own socket on local: outside the netpoller while few
// transfers run (link.go), with the brief wait on unless the server has it
// off.
func (s *Server) openLink(t *transfer, local netip.Addr) (*udpLink, error) {
	slots := briefWaitSlots(runtime.GOMAXPROCS(0))
	if !s.noBrief && s.running.Load() <= slots {
		ul, err := newRawUDPLink(t.ctx, local, t.client, &s.running, slots)
		if err == nil {
			return ul, nil
		}
		s.log.Debug("tftp: transfer socket on the netpoller", "error", err)
	}
	ul, err := newUDPLink(t.ctx, local, t.client)
	if err != nil {
		return nil, err
	}
	if !s.noBrief {
		if err := ul.waitBriefly(&s.running, slots); err != nil {
			s.log.Debug("tftp: waiting on the netpoller only", "error", err)
		}
	}
	return ul, nil
}

// run carries out one transfer on its goroutine: l is its link (nil: open
// its own socket on local), and it ends with the transfer's record.
func (s *Server) run(t *transfer, req request, l link, local netip.Addr) {
	defer t.cancel()
	if l == nil {
		s.running.Add(1)
		defer s.running.Add(-1)
		ul, err := s.openLink(t, local)
		if err != nil {
			t.cause, t.end = err, errInternal
			if t.admitted {
				s.log.Warn("tftp: cannot open a transfer socket", "error", err)
			}
			s.endTransfer(t)
			return
		}
		ul.strangers = &t.st.strangers
		l = ul
	}
	defer l.close()
	ss := &session{ctx: t.ctx, l: l, timeout: s.cfg.Timeout, retries: s.cfg.Retries, minSilence: minSilence,
		st: &t.st, buf: make([]byte, recvBufSize(req.write))}
	t.st.mode, t.st.blksize, t.st.window, t.st.timeout = req.mode, 512, 1, s.cfg.Timeout
	var lastAck []byte
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.cause = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
				t.end = errInternal
			}
		}()
		if req.write {
			lastAck, t.end = s.receive(t, ss, req, local)
		} else {
			t.end = s.send(t, ss, req, local)
		}
	}()
	var we wireError
	if errors.As(t.end, &we) {
		ss.send(appendError(nil, wireCode(we), string(we)))
	}
	s.endTransfer(t)
	if t.end == nil && lastAck != nil {
		ss.dally(lastAck)
	}
}

// negotiate answers a request's options (RFC 2347): each option understood
// is acknowledged with the value used, in the order sent; the rest are left
// out. size is the file's size for tsize (negative: unknown).
func (s *Server) negotiate(t *transfer, ss *session, req request, size int64, local netip.Addr) []byte {
	var acked []option
	for _, o := range req.opts {
		switch o.name {
		case "blksize":
			n, ok := parseUint(o.value, 8, 65464)
			if !ok {
				continue
			}
			n = min(n, int64(s.cfg.MaxBlockSize))
			if m := mtuBlock(local); m > 0 {
				n = min(n, int64(m))
			}
			t.st.blksize = int(n)
			acked = append(acked, option{o.name, strconv.FormatInt(n, 10)})
		case "timeout":
			n, ok := parseUint(o.value, 1, 255)
			if !ok {
				continue
			}
			ss.timeout = time.Duration(n) * time.Second
			t.st.timeout = ss.timeout
			acked = append(acked, option{o.name, strconv.FormatInt(n, 10)})
		case "tsize":
			if req.write {
				n, ok := parseUint(o.value, 0, 1<<62)
				if !ok {
					continue
				}
				t.st.tsize = n
			} else {
				// tsize 0 is left out: curl refuses an OACK with
				// "invalid tsize" for it, and a client learns an empty
				// file from its one empty block as quickly.
				if size <= 0 || req.mode != "octet" {
					continue
				}
				t.st.tsize = size
			}
			acked = append(acked, option{o.name, strconv.FormatInt(t.st.tsize, 10)})
		case "windowsize":
			n, ok := parseUint(o.value, 1, 65535)
			if !ok {
				continue
			}
			n = min(n, int64(s.maxWindow(t.client.Addr())))
			t.st.window = int(n)
			acked = append(acked, option{o.name, strconv.FormatInt(n, 10)})
		}
	}
	if len(acked) == 0 {
		return nil
	}
	return appendOACK(nil, acked)
}

// maxWindow is the windowsize cap for a client: tftp.max_window, lowered
// by its host's own cap when the resolver knows one.
func (s *Server) maxWindow(client netip.Addr) int {
	c := max(1, s.cfg.MaxWindow)
	if wc, ok := s.files.(WindowCapper); ok {
		if h := wc.MaxWindow(served.Client{Addr: client}); h > 0 {
			c = min(c, h)
		}
	}
	return c
}

// mtuBlock is the largest blksize that fits the MTU of the interface
// holding local (0: unknown): MTU less 20 bytes of IPv4, 8 of UDP and 4
// of TFTP header.
func mtuBlock(local netip.Addr) int {
	if !local.IsValid() || local.IsLoopback() {
		return 0
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return 0
	}
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if pn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(pn.IP); ok && ip.Unmap() == local {
					if ifc.MTU > 32 {
						return ifc.MTU - 32
					}
					return 0
				}
			}
		}
	}
	return 0
}
