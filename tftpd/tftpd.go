package tftpd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pin/tftp/v3"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// Resolver gives the content a client gets for a name: the one resolver
// (bootfiles in production, wired by cmd) that HTTP asks too, so both serve
// the same bytes for the same name.
//
// name has been through served.Clean: relative, slash-separated, never
// climbing. A TFTP client is known by its address only. Content.Size is
// offered as tsize when it is not negative. Errors wrap fs.ErrNotExist
// (answered "file not found") or fs.ErrPermission ("access denied"); their
// text never reaches the client.
type Resolver interface {
	Resolve(client served.Client, name string) (served.Content, error)
}

// Server is a TFTP server over pin/tftp. Build it with New, run it with Serve.
type Server struct {
	// ShutdownGrace is how long Serve lets transfers in flight finish
	// after its context is cancelled (0: DefaultShutdownGrace). Set it
	// before Serve.
	ShutdownGrace time.Duration
	// Observer, when set before Serve, is told about every transfer.
	Observer Observer

	cfg   inventory.TFTP
	files Resolver
	log   *slog.Logger

	mu        sync.Mutex
	serving   bool
	nextID    uint64
	transfers map[netip.AddrPort][]*transfer // by client address and port, for the hook
	active    int
	perClient map[netip.Addr]int
	stats     Stats
	uploads   *uploadStore // nil when uploads are off; set by Serve

	// stopAll is cancelled (cause errStopping) when the shutdown grace
	// period runs out: every transfer still running aborts at its next block.
	stopCtx context.Context
	stopAll context.CancelCauseFunc
}

// New builds a server that serves what files resolves, with the tftp:
// settings of a loaded inventory (inventory.DefaultTFTP() in tests: they
// are used as they are). log receives one record per transfer.
func New(cfg inventory.TFTP, files Resolver, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	stopCtx, stopAll := context.WithCancelCause(context.Background())
	return &Server{
		cfg:       cfg,
		files:     files,
		log:       log,
		transfers: make(map[netip.AddrPort][]*transfer),
		perClient: make(map[netip.Addr]int),
		stopCtx:   stopCtx,
		stopAll:   stopAll,
	}
}

// Serve answers TFTP requests arriving on conn until ctx is cancelled, then
// stops taking requests, lets transfers in flight finish for up to
// ShutdownGrace, aborts the rest and returns nil. conn must be a UDP
// socket (pin/tftp reads the packet's destination address and interface
// from it to answer from the same address); Serve closes it when it stops.
// Stop Serve by cancelling ctx, never by closing conn: pin/tftp's read loop
// ignores read errors and would spin on a closed socket. A Server serves
// once.
func (s *Server) Serve(ctx context.Context, conn *net.UDPConn) error {
	s.mu.Lock()
	if s.serving {
		s.mu.Unlock()
		return errors.New("tftpd: Serve called twice")
	}
	s.serving = true
	s.mu.Unlock()

	if s.cfg.Uploads != nil {
		up, err := openUploads(*s.cfg.Uploads)
		if err != nil {
			return fmt.Errorf("tftpd: %w", err)
		}
		defer up.close()
		s.mu.Lock()
		s.uploads = up
		s.mu.Unlock()
	}

	ts := tftp.NewServer(s.handleRead, s.handleWrite)
	ts.SetHook(hook{s})
	if s.cfg.SinglePort {
		// Before SetBlockSize: EnableSinglePort resets an unset cap to 512.
		ts.EnableSinglePort()
	}
	ts.SetBlockSize(s.cfg.MaxBlockSize)
	ts.SetTimeout(s.cfg.Timeout)
	ts.SetRetries(s.cfg.Retries)
	// pin/tftp's default back-off sleeps a random 0-1 s before every
	// retransmit; a boot ROM's own timer is shorter, so resend at once.
	ts.SetBackoff(func(int) time.Duration { return 0 })

	served := make(chan error, 1)
	go func() { served <- ts.Serve(conn) }()

	select {
	case err := <-served:
		// Only a broken socket ends pin/tftp's Serve without Shutdown.
		if err == nil {
			err = errors.New("socket closed")
		}
		return fmt.Errorf("tftpd: serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("tftp stopping: transfers in flight may finish", "active", s.Stats().Active, "grace", s.grace())

	// pin/tftp's Shutdown waits for every transfer without a bound, and in
	// single-port mode Serve does; wait for both, but only for the grace
	// period.
	shutDown := make(chan struct{})
	go func() {
		ts.Shutdown()
		<-served
		close(shutDown)
	}()
	grace := time.NewTimer(s.grace())
	defer grace.Stop()
	select {
	case <-shutDown:
		s.log.Debug("tftp stopped")
	case <-grace.C:
		n := s.Stats().Active
		s.stopAll(errStopping)
		// Transfers abort at their next block; one waiting for an ACK ends
		// within Timeout*(Retries+1), and the goroutine above with them.
		s.log.Warn("tftp shutdown grace expired, aborting transfers", "active", n, "grace", s.grace())
	}
	return nil
}

func (s *Server) grace() time.Duration {
	if s.ShutdownGrace > 0 {
		return s.ShutdownGrace
	}
	return DefaultShutdownGrace
}

// Stats is a snapshot of the server's counters.
type Stats struct {
	// Active is the number of transfers running now.
	Active int
	// OK counts transfers completed; Probes counts transfers the client
	// aborted on purpose at the start (UEFI tsize probe, Pi ROM first block);
	// Failed counts every other ending (refusals included); Busy counts the
	// requests refused by MaxTransfers/MaxPerClient (also in Failed).
	OK, Probes, Failed, Busy uint64
	// Dropped counts requests pin/tftp could not parse (never answered).
	Dropped uint64
	// BytesSent and BytesReceived count file bytes of reads and uploads.
	BytesSent, BytesReceived int64
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Active = s.active
	return st
}

// remoteOf is the client's address and port of a pin/tftp transfer.
func remoteOf(x any) netip.AddrPort {
	var ua net.UDPAddr
	switch t := x.(type) {
	case tftp.OutgoingTransfer:
		ua = t.RemoteAddr()
	case tftp.IncomingTransfer:
		ua = t.RemoteAddr()
	}
	ip, _ := netip.AddrFromSlice(ua.IP)
	return netip.AddrPortFrom(ip.Unmap(), uint16(ua.Port))
}
