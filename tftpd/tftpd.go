package tftpd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

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

// WindowCapper may be implemented by a Resolver (bootfiles does): the
// RFC 7440 windowsize cap of the host at a client's address, for boards
// whose NICs drop bursts; 0 when the host sets none. It only ever lowers
// tftp.max_window.
type WindowCapper interface {
	MaxWindow(client served.Client) int
}

// Server is a TFTP server (RFC 1350, 2347, 2348, 2349, 7440). Build it with
// New, run it with Serve.
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
	stopping  bool // no new transfers: Serve is waiting for the last ones
	nextID    uint64
	active    int
	inflight  map[*transfer]inflight // read transfers running now (InFlight)
	perClient map[netip.Addr]int
	stats     Stats
	uploads   *uploadStore                 // nil when uploads are off; set by Serve
	links     map[netip.AddrPort]*chanLink // single-port transfers by client
	running   atomic.Int64                 // transfers running, for the brief wait (pollwait.go)

	// noBrief turns the brief wait (pollwait.go) off: every transfer
	// waits on the netpoller. For benchmarks that compare the two.
	noBrief bool

	wg sync.WaitGroup // transfers running

	// stopAll is cancelled (cause errStopping) when the shutdown grace
	// period runs out: every transfer still running aborts at once.
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
		perClient: make(map[netip.Addr]int),
		links:     make(map[netip.AddrPort]*chanLink),
		stopCtx:   stopCtx,
		stopAll:   stopAll,
	}
}

// Serve answers TFTP requests arriving on conn until ctx is cancelled, then
// stops taking requests, lets transfers in flight finish for up to
// ShutdownGrace, aborts the rest and returns nil once every transfer has
// ended. Each transfer answers from its own port on conn's address, or
// from conn itself in single-port mode. Serve closes conn when it stops;
// a conn closed under it ends Serve with an error. A Server serves once.
func (s *Server) Serve(ctx context.Context, conn *net.UDPConn) error {
	s.mu.Lock()
	if s.serving {
		s.mu.Unlock()
		return errors.New("tftpd: Serve called twice")
	}
	s.serving = true
	s.mu.Unlock()
	defer conn.Close()

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

	var closing atomic.Bool
	readDone := make(chan error, 1)
	go func() { readDone <- s.readLoop(conn, &closing) }()
	endRead := func() error {
		closing.Store(true)
		conn.SetReadDeadline(time.Unix(1, 0))
		return <-readDone
	}

	select {
	case err := <-readDone:
		s.mu.Lock()
		s.stopping = true
		s.mu.Unlock()
		s.stopAll(errStopping)
		s.wg.Wait()
		return fmt.Errorf("tftpd: serve: %w", err)
	case <-ctx.Done():
	}
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.log.Info("tftp stopping: transfers in flight may finish", "active", s.Stats().Active, "grace", s.grace())
	if !s.cfg.SinglePort {
		// Transfers have their own sockets: stop reading requests now.
		endRead()
	}
	finished := make(chan struct{})
	go func() { s.wg.Wait(); close(finished) }()
	grace := time.NewTimer(s.grace())
	defer grace.Stop()
	select {
	case <-finished:
		s.log.Debug("tftp stopped")
	case <-grace.C:
		s.log.Warn("tftp shutdown grace expired, aborting transfers", "active", s.Stats().Active, "grace", s.grace())
		s.stopAll(errStopping)
		<-finished // every wait in a transfer ends with its context
	}
	if s.cfg.SinglePort {
		endRead()
	}
	return nil
}

// readLoop reads the listening socket: requests start transfers, and in
// single-port mode a transfer's packets go to it. It returns nil once Serve
// set closing and woke it, and the error when the socket breaks.
func (s *Server) readLoop(conn *net.UDPConn, closing *atomic.Bool) error {
	local := netip.Addr{}
	if la, ok := conn.LocalAddr().(*net.UDPAddr); ok {
		if ip, ok := netip.AddrFromSlice(la.IP); ok && !ip.IsUnspecified() {
			local = ip.Unmap()
		}
	}
	pk, err := newPktinfo(conn)
	if err != nil {
		s.log.Debug("tftp: no IP_PKTINFO, answering from the socket's address", "error", err)
	}
	buf := make([]byte, 65536)
	oob := make([]byte, 128)
	failures := 0
	for {
		n, oobn, _, from, err := conn.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if closing.Load() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
				return err
			}
			// A transient error (ICMP reports, buffer shortage): go on,
			// but a socket failing every read is broken.
			if failures++; failures > 100 {
				return err
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		failures = 0
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		dst := local
		if pk && !dst.IsValid() {
			dst = pktinfoDst(oob[:oobn])
		}
		s.dispatch(conn, buf[:n], from, dst)
	}
}

// dispatch handles one packet that reached the listening socket.
func (s *Server) dispatch(conn *net.UDPConn, b []byte, from netip.AddrPort, dst netip.Addr) {
	if s.cfg.SinglePort {
		s.mu.Lock()
		l := s.links[from]
		s.mu.Unlock()
		if l != nil {
			select {
			case l.in <- append([]byte(nil), b...):
			default: // the transfer is behind: a lost packet, as on the wire
			}
			return
		}
	}
	req, err := parseRequest(b)
	if err != nil {
		s.mu.Lock()
		s.stats.Dropped++
		s.mu.Unlock()
		s.log.Debug("tftp packet dropped", "client", from.String(), "error", err)
		if errors.Is(err, errBadMode) {
			// A request in a mode we do not speak (RFC 1350's "mail", or
			// garbage): say so, code 4, rather than leave it to time out.
			conn.WriteToUDPAddrPort(appendError(nil, codeIllegalOp, string(errIllegal)), from)
		}
		return
	}
	// Checked and counted under mu: Serve sets stopping under mu before
	// it waits for the transfers, so none starts after that.
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		conn.WriteToUDPAddrPort(appendError(nil, codeUndefined, string(errStopping)), from)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	t := s.begin(req.name, from, req.write)
	var l link
	if s.cfg.SinglePort {
		cl := &chanLink{conn: conn, peer: from, in: make(chan []byte, 256), batch: newBatchWriter(conn, from)}
		cl.done = func() {
			s.mu.Lock()
			if s.links[from] == cl {
				delete(s.links, from)
			}
			s.mu.Unlock()
		}
		s.mu.Lock()
		s.links[from] = cl
		s.mu.Unlock()
		l = cl
	}
	go func() {
		defer s.wg.Done()
		s.run(t, req, l, dst)
	}()
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
	// Dropped counts packets on the listening port that were no request
	// (malformed, too long, or a stray) and were never answered.
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
