package tftpd

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"
)

// endTransfer frees the transfer's slot, counts it and writes its one
// record, from the engine's own counts.
func (s *Server) endTransfer(t *transfer) {
	out, level := classify(t.end, t.write)
	s.mu.Lock()
	delete(s.inflight, t)
	if t.admitted {
		s.releaseLocked(t.client.Addr())
	}
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
	if t.write {
		s.stats.BytesReceived += t.st.bytes
	} else {
		s.stats.BytesSent += t.st.bytes
	}
	s.mu.Unlock()
	if s.Observer != nil {
		s.Observer.TFTPDone(Summary{Client: t.client.Addr(), File: t.name, Generated: t.generated,
			Upload: t.write, Outcome: string(out), Bytes: t.st.bytes, Duration: time.Since(t.start),
			BlockSize: t.st.blksize, Window: t.st.window, Retransmits: int(t.st.retransmits)})
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
	st := &t.st
	attrs := []slog.Attr{
		slog.Uint64("id", t.id),
		slog.String("op", op),
		slog.String("client", t.client.String()),
		slog.String("file", file),
		slog.String("outcome", string(out)),
		slog.Int64("bytes", st.bytes),
		slog.Duration("duration", time.Since(t.start)),
		slog.String("mode", st.mode),
		slog.Int("blksize", st.blksize),
		slog.Int("windowsize", st.window),
		slog.Duration("timeout", st.timeout),
		slog.Uint64("blocks", st.blocks),
	}
	if st.tsize >= 0 {
		attrs = append(attrs, slog.Int64("tsize", st.tsize))
	}
	for _, c := range []struct {
		key string
		n   uint64
	}{
		{"retransmits", st.retransmits}, {"timeouts", st.timeouts},
		{"duplicate_acks", st.dupAcks}, {"out_of_window_acks", st.oowAcks},
		{"stale_acks", st.staleAcks},
		{"strangers", st.strangers}, {"ignored", st.ignored}, {"send_retries", st.sendRetries},
	} {
		if c.n > 0 {
			attrs = append(attrs, slog.Uint64(c.key, c.n))
		}
	}
	var ce *clientError
	if errors.As(t.end, &ce) {
		attrs = append(attrs, slog.Int("client_code", int(ce.code)), slog.String("client_message", ce.msg))
	}
	if out != outcomeOK {
		if t.cause != nil {
			attrs = append(attrs, slog.String("error", t.cause.Error()))
		} else if t.end != nil {
			attrs = append(attrs, slog.String("error", t.end.Error()))
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

// classify turns what ended a transfer into its outcome and log level.
func classify(err error, write bool) (outcome, slog.Level) {
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
	var ce *clientError
	if errors.As(err, &ce) {
		// EDK2 asks for tsize, reads the OACK and aborts with code 8 before
		// block 1; the Raspberry Pi ROM aborts after block 1 to see that a
		// file exists. Both are normal, not failures.
		if !write && ce.acked <= 1 {
			return outcomeProbe, slog.LevelDebug
		}
		return outcomeClientAbort, slog.LevelWarn
	}
	if errors.Is(err, errNoAnswer) {
		return outcomeTimeout, slog.LevelWarn
	}
	return outcomeError, slog.LevelWarn
}
