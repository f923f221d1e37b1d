package dhcp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/inventory"
	"golang.org/x/sys/unix"
)

// Config is what a Server needs. Snapshot and Leases are required.
type Config struct {
	// Snapshot returns the current inventory (inventory.Store.Load); it is
	// called once per packet so that a reload applies to the next packet.
	Snapshot func() *inventory.Snapshot
	// Leases is the lease store; open it with a path for an authoritative
	// server with a pool, or with "" for a memory-only one (proxy mode).
	Leases *leases.Store
	// Logger gets one line per reply and per ignored request; nil discards.
	Logger *slog.Logger
	// Iface is the interface the sockets are bound to (for logs and the
	// conflict probe).
	Iface string
	// ServerIP is our address on Iface (option 54, siaddr, 66), resolved
	// once by cmd: dhcp.server_ip, else the interface's IPv4 address.
	ServerIP netip.Addr
	// Workers is the number of packets handled at once per Serve call
	// (default 256). Replies waiting for their lease's fsync do not hold a
	// worker; a worker waits only for a conflict probe (up to 300 ms).
	// Packets beyond Workers plus a queue of 512 wait in the socket's own
	// queue (Listen: 1 MiB); the kernel drops what does not fit there and
	// Serve counts it (ReasonBusy). A flood does not grow memory.
	Workers int
	// MaxTrackedClients bounds the per-MAC rate-limit table (default 65536).
	MaxTrackedClients int
	// Prober checks that a pool address is unused before it is first offered
	// (when snapshot.DHCP.ConflictProbe is set); nil means an ARP probe on
	// Iface, or no probe when Iface is "".
	Prober Prober
	// Link sends the replies RFC 2131 4.1 wants unicast to a client that
	// has no address yet (Decision.LinkDest); nil: they are broadcast, as
	// with dhcp.broadcast_replies (ListenLink opens it; needs CAP_NET_RAW).
	Link *LinkConn
	// Observer is told the outcome of every packet (metrics); nil: none.
	Observer Observer
}

// Server answers DHCP requests read from the sockets given to Serve. One
// Server can serve several sockets at once (port 67 and 4011); they share
// its lease store, rate limits and probe cache.
type Server struct {
	cfg Config
	log *slog.Logger
	// decide is Decide; export_test.go lets a test replace it to drive the
	// server loop in isolation (a decision that panics).
	decide func(Request, *inventory.Snapshot, LeaseView) Decision
	lim    *limiter
	probes *probeCache
	obs    Observer
	rogue  *rogueLog
	// awaiting bounds the replies waiting for their lease's fsync.
	awaiting chan struct{}
	// ra is set while AnswerRouterSolicits runs (router_advert_watch.go).
	ra atomic.Pointer[raState]
}

// maxAwaiting bounds the replies waiting for the disk at once (a few
// hundred bytes each): at 10,000 commits per second and 100 ms fsyncs,
// 1,000 wait.
const maxAwaiting = 4096

// ignoreLogEvery rate-limits the info line for a board we do not answer:
// one line per MAC per interval is what a user needs to find it.
const ignoreLogEvery = 30 * time.Second

// maxReadErrors is how many read errors in a row end Serve.
const maxReadErrors = 1000

// maxDecideAttempts bounds deciding again after a lease conflict.
const maxDecideAttempts = 4

// NewServer checks cfg and builds a Server.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Snapshot == nil {
		return nil, errors.New("dhcp: server needs a Snapshot source")
	}
	if cfg.Leases == nil {
		return nil, errors.New("dhcp: server needs a lease store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 256
	}
	if cfg.Prober == nil && cfg.Iface != "" {
		cfg.Prober = &ARPProber{Iface: cfg.Iface}
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	return &Server{
		cfg:      cfg,
		obs:      cfg.Observer,
		rogue:    newRogueLog(cfg.Logger, cfg.Observer),
		log:      cfg.Logger,
		decide:   Decide,
		lim:      newLimiter(cfg.MaxTrackedClients),
		probes:   newProbeCache(),
		awaiting: make(chan struct{}, maxAwaiting),
	}, nil
}

// packet is one datagram waiting for a worker.
type packet struct {
	b    []byte
	peer netip.AddrPort
}

// Serve reads requests from conn and answers them until ctx is cancelled,
// then closes conn and returns nil (after the packets in hand are handled).
// The port conn is bound to tells requests to 67 from PXE boot-server
// requests to 4011. Any other error from conn is returned.
func (s *Server) Serve(ctx context.Context, conn net.PacketConn) error {
	port := 0
	if ua, ok := conn.LocalAddr().(*net.UDPAddr); ok {
		port = ua.Port
	}
	// The bridging goroutine: closing conn is the only way to interrupt a
	// blocked ReadFrom. It exits when ctx is done or Serve returns.
	stopClose := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopClose()

	jobs := make(chan packet, 512)
	// pending holds replies waiting for their lease to reach the disk;
	// each exits once its batch is fsynced (see finishDurable).
	var wg, pending sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() {
			for p := range jobs {
				if ctx.Err() != nil {
					continue // shutting down: drain without answering
				}
				s.handleSafe(ctx, &exchange{conn: conn, port: port, pkt: p}, &pending)
			}
		})
	}
	defer func() {
		close(jobs)
		wg.Wait()
		pending.Wait()
	}()

	buf := make([]byte, 65536)
	var waits uint64
	var rd reader
	readErrs := 0
	for {
		n, peer, err := rd.read(conn, buf)
		if before, now := rd.newDrops(); now != before {
			for range now - before {
				s.obs.DHCPPacket("unparsed", "dropped", ReasonBusy)
			}
			if bits.Len32(before) != bits.Len32(now) { // log at 1, 2, 4, 8, ... drops
				s.log.Warn("dhcp server busy, the socket's queue was full: requests dropped", "iface", s.cfg.Iface, "port", port, "dropped", now)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("dhcp: socket closed: %w", err)
			}
			// ICMP errors surface as read errors on Linux UDP sockets:
			// not a reason to stop serving. An error that repeats without
			// a single good read in between is the socket itself failing.
			if readErrs++; readErrs >= maxReadErrors {
				return fmt.Errorf("dhcp: reading port %d: %d errors in a row, last: %w", port, readErrs, err)
			}
			s.log.Debug("dhcp: read error", "iface", s.cfg.Iface, "port", port, "err", err)
			continue
		}
		readErrs = 0
		if !s.admit(buf[:n], port) {
			continue
		}
		p := packet{b: append([]byte(nil), buf[:n]...), peer: peer}
		select {
		case jobs <- p:
		default:
			// Every worker busy and the queue full: wait for room. What
			// arrives meanwhile waits in the socket's own, larger queue
			// (Listen: 1 MiB), and what does not fit there the kernel
			// drops and tells (rd.newDrops). Dropping here instead lost
			// bursts the socket had held: with one CPU, the reader runs
			// until the socket is empty before any worker does.
			if waits++; waits&(waits-1) == 0 { // log at 1, 2, 4, 8, ... waits
				s.log.Info("dhcp server busy, requests wait in the socket's queue", "iface", s.cfg.Iface, "port", port, "waits", waits)
			}
			jobs <- p
		}
	}
}

// reader reads datagrams and keeps count of those the kernel dropped
// because the socket's queue was full, when the socket reports them
// (SO_RXQ_OVFL, set by Listen): the only trace such a drop leaves.
type reader struct {
	oob   [64]byte
	drops uint32 // the socket's drop count as last reported
	seen  uint32 // drops already counted
}

// read reads one datagram from conn, as a UDP socket when it is one:
// ReadMsgUDPAddrPort allocates no *UDPAddr per packet.
func (r *reader) read(conn net.PacketConn, buf []byte) (int, netip.AddrPort, error) {
	uc, ok := conn.(*net.UDPConn)
	if !ok {
		n, addr, err := conn.ReadFrom(buf)
		return n, addrPort(addr), err
	}
	n, oobn, _, ap, err := uc.ReadMsgUDPAddrPort(buf, r.oob[:])
	if err == nil {
		r.control(r.oob[:oobn])
	}
	return n, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), err
}

// control takes the socket's drop count from a datagram's control
// messages. The kernel sends it only once it is not zero.
func (r *reader) control(b []byte) {
	for len(b) > 0 {
		h, data, rest, err := unix.ParseOneSocketControlMessage(b)
		if err != nil {
			return
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SO_RXQ_OVFL && len(data) >= 4 {
			r.drops = binary.NativeEndian.Uint32(data)
		}
		b = rest
	}
}

// newDrops returns the drop count as of the last call and as of now.
func (r *reader) newDrops() (before, now uint32) {
	before, r.seen = r.seen, r.drops
	return before, r.drops
}

// admit applies the limits before the packet is parsed or queued, from the
// raw chaddr, so that a client stuck in a loop or a flood of made-up MACs
// costs a few map lookups, not a parse and a decision, and cannot crowd
// known hosts out of the queue.
func (s *Server) admit(b []byte, port int) bool {
	mac, ok := rawCHAddr(b)
	if !ok {
		return true // not BOOTP-shaped: the parser drops and logs it
	}
	snap := s.cfg.Snapshot()
	if snap == nil {
		return true
	}
	lim := snap.DHCP.Limits
	now := time.Now()
	if !s.lim.allowMAC(string(mac), now, lim) {
		s.obs.DHCPPacket("unparsed", "dropped", ReasonRateClient)
		s.log.Debug("dhcp: request over the per-client rate, dropped", "mac", net.HardwareAddr(mac), "iface", s.cfg.Iface, "port", port)
		return false
	}
	if lim.NewClientRate > 0 && !s.known(snap, mac, now) && !s.lim.allowNew(now, lim) {
		s.obs.DHCPPacket("unparsed", "dropped", ReasonRateNew)
		s.log.Debug("dhcp: new client over the new-client rate, dropped", "mac", net.HardwareAddr(mac), "iface", s.cfg.Iface, "port", port)
		return false
	}
	return true
}

// rawCHAddr returns chaddr from a BOOTP header without parsing the rest
// (RFC 2131 figure 1: hlen at byte 2, chaddr at 28).
func rawCHAddr(b []byte) ([]byte, bool) {
	if len(b) < 236 {
		return nil, false
	}
	hlen := int(b[2])
	if hlen == 0 || hlen > 16 {
		return nil, false
	}
	return b[28 : 28+hlen], true
}

func addrPort(a net.Addr) netip.AddrPort {
	if ua, ok := a.(*net.UDPAddr); ok {
		ap := ua.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}
