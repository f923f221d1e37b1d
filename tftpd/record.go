package tftpd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/pin/tftp/v3"
)

// transfer is one read or write request, from the handler's start to the
// single log record written at its end.
type transfer struct {
	id       uint64
	write    bool
	client   netip.AddrPort
	raw      string // the name as the client sent it
	start    time.Time
	admitted bool
	ctx      context.Context
	cancel   context.CancelFunc
	bytes    atomic.Int64 // file bytes read (sent) or written (received)
	// generated: the resolver generated the file (set before the transfer
	// runs, read when it ends).
	generated bool

	// Guarded by Server.mu. A transfer ends when both its handler has
	// returned and pin/tftp has called the hook: the hook runs inside
	// ReadFrom/WriteTo, or right after the handler when the handler refused.
	name        string // cleaned name, "" if refused before cleaning
	cause       error  // why we refused or failed, for the log only
	handlerDone bool
	hooked      bool
	stats       tftp.TransferStats
	libErr      error // the error pin/tftp ended the transfer with
}

// begin registers a new transfer and decides whether it may run under
// MaxTransfers and MaxPerClient.
func (s *Server) begin(raw string, client netip.AddrPort, write bool) *transfer {
	t := &transfer{write: write, client: client, raw: raw, start: time.Now()}
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
	s.transfers[client] = append(s.transfers[client], t)
	if s.Observer != nil {
		s.Observer.TFTPStarted()
	}
	return t
}

// handlerDone marks the handler returned with err (nil on success) and
// cause (the detail behind err, for the log).
func (s *Server) handlerDone(t *transfer, err, cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.handlerDone = true
	if cause != nil {
		t.cause = cause
	} else if err != nil && t.cause == nil {
		t.cause = err
	}
	if t.hooked {
		s.endLocked(t)
	}
}

// hook receives pin/tftp's end-of-transfer calls.
type hook struct{ s *Server }

func (h hook) OnSuccess(st tftp.TransferStats)            { h.s.hooked(st, nil) }
func (h hook) OnFailure(st tftp.TransferStats, err error) { h.s.hooked(st, err) }

func (s *Server) hooked(st tftp.TransferStats, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.RemoteAddr == nil {
		// Not a transfer: a request pin/tftp could not parse (too long for
		// its 516-byte buffer, no mode, bad opcode) or a socket error.
		s.stats.Dropped++
		var oe *net.OpError
		if errors.As(err, &oe) {
			// Opening the transfer's socket failed (ports or files
			// exhausted): the server's problem, not the client's.
			s.log.Warn("tftp request dropped", "error", err)
		} else {
			s.log.Debug("tftp request dropped", "error", err)
		}
		return
	}
	ip, _ := netip.AddrFromSlice(st.RemoteAddr)
	ip = ip.Unmap()
	t := s.findLocked(ip, st)
	if t == nil {
		s.log.Debug("tftp hook for unknown transfer", "client", ip, "file", st.Filename, "error", err)
		return
	}
	t.hooked, t.stats, t.libErr = true, st, err
	if t.handlerDone {
		s.endLocked(t)
	}
}

// findLocked finds the transfer a hook call belongs to. A sender knows the
// client's port from the request; a receiver only after the first packet
// (Tid 0 before), so fall back to address and name.
func (s *Server) findLocked(ip netip.Addr, st tftp.TransferStats) *transfer {
	if st.Tid != 0 {
		for _, t := range s.transfers[netip.AddrPortFrom(ip, uint16(st.Tid))] {
			if !t.hooked && t.raw == st.Filename {
				return t
			}
		}
	}
	for key, ts := range s.transfers {
		if key.Addr() != ip {
			continue
		}
		for _, t := range ts {
			if !t.hooked && t.raw == st.Filename {
				return t
			}
		}
	}
	return nil
}

// endLocked writes the transfer's record, updates the counters and forgets it.
func (s *Server) endLocked(t *transfer) {
	list := s.transfers[t.client]
	for i, x := range list {
		if x == t {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(s.transfers, t.client)
	} else {
		s.transfers[t.client] = list
	}
	if t.admitted {
		s.releaseLocked(t.client.Addr())
	}
	t.cancel()

	out, level := classify(t.libErr)
	switch out {
	case outcomeOK:
		s.stats.OK++
	case outcomeProbe:
		s.stats.Probes++
	default:
		s.stats.Failed++
		if out == outcomeBusy {
			s.stats.Busy++
		}
	}
	n := t.bytes.Load()
	if t.write {
		s.stats.BytesReceived += n
	} else {
		s.stats.BytesSent += n
	}
	if s.Observer != nil {
		s.Observer.TFTPDone(Summary{Client: t.client.Addr(), File: t.name, Generated: t.generated,
			Upload: t.write, Outcome: string(out), Bytes: n, Duration: time.Since(t.start)})
	}
	if !s.log.Enabled(context.Background(), level) {
		return
	}
	op := "read"
	if t.write {
		op = "write"
	}
	file := t.name
	if file == "" {
		file = strconv.Quote(t.raw) // may hold control bytes: quote, never log raw
	}
	attrs := []slog.Attr{
		slog.Uint64("id", t.id),
		slog.String("op", op),
		slog.String("client", t.client.String()),
		slog.String("file", file),
		slog.String("outcome", string(out)),
		slog.Int64("bytes", n),
		slog.Duration("duration", time.Since(t.start)),
	}
	if t.hooked && t.stats.Mode != "" {
		attrs = append(attrs, slog.String("mode", t.stats.Mode))
	}
	blksize := 512
	if v, ok := t.stats.Opts["blksize"]; ok {
		blksize, _ = strconv.Atoi(v)
	}
	attrs = append(attrs, slog.Int("blksize", blksize))
	if v, ok := t.stats.Opts["tsize"]; ok {
		attrs = append(attrs, slog.String("tsize", v))
	}
	// Every datagram sent and not acknowledged was either sent again or
	// the last one of a failed transfer.
	if resent := t.stats.DatagramsSent - t.stats.DatagramsAcked; resent > 0 {
		attrs = append(attrs, slog.Int("unacked", resent))
	}
	if out != outcomeOK {
		if t.cause != nil {
			attrs = append(attrs, slog.String("error", t.cause.Error()))
		} else if t.libErr != nil {
			attrs = append(attrs, slog.String("error", t.libErr.Error()))
		}
	}
	s.log.LogAttrs(context.Background(), level, "tftp transfer", attrs...)
}

// outcome is how a transfer ended, as logged.
type outcome string

// Outcomes.
const (
	outcomeOK          outcome = "ok"
	outcomeProbe       outcome = "probe" // client aborted at block 0 or 1 on purpose
	outcomeNotFound    outcome = "not found"
	outcomeDenied      outcome = "denied"
	outcomeBusy        outcome = "busy"
	outcomeExists      outcome = "exists"
	outcomeQuota       outcome = "quota exceeded"
	outcomeTimeout     outcome = "timeout"
	outcomeStopped     outcome = "stopped"
	outcomeClientAbort outcome = "client aborted"
	outcomeError       outcome = "error"
)

// classify turns the error a transfer ended with into its outcome and log
// level. err is what pin/tftp handed the hook: one of our wireErrors when we
// refused or aborted, else the library's own error.
func classify(err error) (outcome, slog.Level) {
	if err == nil {
		return outcomeOK, slog.LevelInfo
	}
	var we wireError
	if errors.As(err, &we) {
		switch we {
		case errNotFound:
			// pxelinux and U-Boot try a dozen names before one exists.
			return outcomeNotFound, slog.LevelInfo
		case errExists:
			return outcomeExists, slog.LevelInfo
		case errDenied:
			return outcomeDenied, slog.LevelWarn
		case errBusy:
			return outcomeBusy, slog.LevelWarn
		case errQuota:
			return outcomeQuota, slog.LevelWarn
		case errTimedOut:
			return outcomeTimeout, slog.LevelWarn
		case errStopping:
			return outcomeStopped, slog.LevelWarn
		}
		return outcomeError, slog.LevelError
	}
	// pin/tftp reports an ERROR packet from the client as
	// "sending block N: code=C, error: ..." (reads) or
	// "code: C, message: ..." (writes).
	var block, code int
	if _, perr := fmt.Sscanf(err.Error(), "sending block %d: code=%d", &block, &code); perr == nil {
		// EDK2 asks for tsize, reads the OACK and aborts with code 8 before
		// block 1; the Raspberry Pi ROM aborts after block 1 to see that a
		// file exists. Both are normal, not failures.
		if block <= 1 {
			return outcomeProbe, slog.LevelDebug
		}
		return outcomeClientAbort, slog.LevelWarn
	}
	if _, perr := fmt.Sscanf(err.Error(), "code: %d", &code); perr == nil {
		return outcomeClientAbort, slog.LevelWarn
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		// No ACK after Retries retransmits: the client went away.
		return outcomeTimeout, slog.LevelWarn
	}
	return outcomeError, slog.LevelWarn
}
