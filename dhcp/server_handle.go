package dhcp

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// probeDeclineHold is how long an address found in use by the conflict probe is
// kept out of the pool (the owner may be a device with a static address that
// will not go away, so re-check now and then rather than never).
const probeDeclineHold = 10 * time.Minute

// exchange is one request on its way through the server: where it came
// from, what it says, and what was decided. Serve fills in the socket facts,
// handle the rest in order (parse, snapshot, decide), and the finishing
// steps (commit, send, log) read it: one value instead of ten parameters.
type exchange struct {
	conn net.PacketConn // the socket it arrived on; the reply leaves by it
	port int            // its local port: 67, or 4011 for the PXE boot server
	pkt  packet         // the datagram as read, and its peer
	snap *inventory.Snapshot
	req  Request     // the parsed message with the socket facts: Decide's input
	dec  Decision    // the last decision taken for it
	logs []slog.Attr // mac, xid, iface, type, port: on every line about it (attrs)
}

// attrs returns the attributes every log line about x carries, built on
// the first line: a server logging at warn builds none for a request
// answered without trouble.
func (x *exchange) attrs(iface string) []slog.Attr {
	if x.logs == nil {
		msg := x.req.Msg
		x.logs = []slog.Attr{
			slog.String("mac", msg.ClientHWAddr.String()),
			slog.String("xid", msg.TransactionID.String()),
			slog.String("iface", iface),
			slog.String("type", messageName(msg)),
			slog.Int("port", x.port),
		}
	}
	return x.logs[:len(x.logs):len(x.logs)]
}

// mac is the client's hardware address (once parsed).
func (x *exchange) mac() net.HardwareAddr { return x.req.Msg.ClientHWAddr }

// handleSafe handles one packet; a panic anywhere in it is logged with the
// packet and the server keeps serving.
func (s *Server) handleSafe(ctx context.Context, x *exchange, pending *sync.WaitGroup) {
	defer s.recoverPacket(x)
	s.handle(ctx, x, pending)
}

// recoverPacket logs a panic while handling x (deferred).
func (s *Server) recoverPacket(x *exchange) {
	if r := recover(); r != nil {
		s.log.Error("dhcp: panic handling a request (packet dropped)", "iface", s.cfg.Iface, "port", x.port,
			"peer", x.pkt.peer, "panic", fmt.Sprint(r), "packet", hex.EncodeToString(x.pkt.b), "stack", string(debug.Stack()))
	}
}

// handle is one request from bytes to reply: parse, decide, commit, send
// (the limits were applied before it was queued, in admit).
func (s *Server) handle(ctx context.Context, x *exchange, pending *sync.WaitGroup) {
	p := x.pkt
	msg, code, unusable, err := parsePacket(p.b)
	if err != nil {
		s.obs.DHCPPacket("unparsed", "dropped", ReasonUnusable)
		s.log.Debug("dhcp: malformed packet dropped", "iface", s.cfg.Iface, "port", x.port, "peer", p.peer, "len", len(p.b), "err", err)
		return
	}
	if code != "" {
		s.obs.DHCPPacket("unparsed", "dropped", ReasonUnusable)
		s.log.Warn("dhcp: unusable packet dropped", "iface", s.cfg.Iface, "port", x.port, "peer", p.peer, "reason", code, "why", unusable)
		return
	}
	x.snap = s.cfg.Snapshot()
	if x.snap == nil {
		s.log.Debug("dhcp: no inventory loaded yet, request dropped", "iface", s.cfg.Iface, "port", x.port)
		return
	}
	x.req = Request{Msg: msg, Port: x.port, Peer: p.peer, ServerIP: s.cfg.ServerIP, Now: time.Now(),
		Terse: !s.log.Enabled(ctx, slog.LevelDebug)}
	s.noticeOtherServer(x.snap, x.req, x.req.Now)

	for range maxDecideAttempts {
		x.dec = s.decide(x.req, x.snap, s.cfg.Leases)
		if x.dec.Change == nil {
			s.observe(msg, x.dec)
			s.finish(ctx, x)
			return
		}
		if s.inUse(ctx, x) {
			continue // declined; Free will not offer it again
		}
		if x.dec.Change.Op == leases.OpOffer {
			// An OFFER promises nothing a crash could break: RFC 2131
			// 4.3.1 lets a server forget an offered address, and the ACK
			// that binds it waits for the disk. The hold is journaled
			// lazily, with the next batch somebody waits for: answering now
			// and not waking the writer takes an fsync off every DISCOVER
			// (Kea never stores an offer at all).
			_, err := s.cfg.Leases.CommitAsync(*x.dec.Change)
			if !s.committed(ctx, x, err) {
				if errors.Is(err, leases.ErrConflict) {
					continue
				}
				return
			}
			s.observe(msg, x.dec)
			s.finish(ctx, x)
			return
		}
		err := s.commitDurable(ctx, x, pending)
		if s.committed(ctx, x, err) || !errors.Is(err, leases.ErrConflict) {
			return
		}
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "dhcp: gave up after repeated lease conflicts", x.attrs(s.cfg.Iface)...)
}

// committed reports whether a commit succeeded, and logs why not: a
// conflict (another client got the address meanwhile, the caller decides
// again) at debug, a failing store (no reply is sent) at error.
func (s *Server) committed(ctx context.Context, x *exchange, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, leases.ErrConflict):
		s.log.LogAttrs(ctx, slog.LevelDebug, "dhcp: lease conflict, deciding again", append(x.attrs(s.cfg.Iface), slog.Any("err", err))...)
	default:
		s.log.LogAttrs(ctx, slog.LevelError, "dhcp: lease store failed, no reply sent", append(x.attrs(s.cfg.Iface), slog.Any("err", err))...)
	}
	return false
}

// commitDurable commits x's change and answers x once it is on disk (a
// reply must never promise an address a crash could forget). The worker does
// not wait: it goes back to reading requests, so one fsync serves every
// commit of its batch and throughput is not workers / fsync latency. The
// reply leaves from the lease store's callback goroutine for the batch.
// awaiting bounds the replies waiting for the disk: when it is full the
// worker waits for room, which slows intake instead of growing memory.
func (s *Server) commitDurable(ctx context.Context, x *exchange, pending *sync.WaitGroup) error {
	s.awaiting <- struct{}{}
	pending.Add(1)
	err := s.cfg.Leases.CommitThen(*x.dec.Change, func(err error) {
		defer pending.Done()
		defer func() { <-s.awaiting }()
		defer s.recoverPacket(x)
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "dhcp: lease store failed, no reply sent", append(x.attrs(s.cfg.Iface), slog.Any("err", err))...)
			return
		}
		if ctx.Err() != nil {
			return // shutting down: the socket is closed
		}
		s.observe(x.req.Msg, x.dec)
		s.finish(ctx, x)
	})
	if err != nil {
		<-s.awaiting
		pending.Done()
	}
	return err
}

// known reports whether mac is in the inventory or holds a lease: such
// clients bypass the new-client limit.
func (s *Server) known(snap *inventory.Snapshot, mac net.HardwareAddr, now time.Time) bool {
	if _, ok := snap.HostByMAC(mac); ok {
		return true
	}
	_, ok := s.cfg.Leases.ByMAC(mac, now)
	return ok
}

// inUse runs the conflict probe before a pool address is first offered to a
// client (dnsmasq does the same with ICMP). When someone else answers for the
// address it is declined in the store and true is returned so that the
// caller decides again. The probe runs outside any lock; only this worker
// waits for it.
func (s *Server) inUse(ctx context.Context, x *exchange) bool {
	snap, c, now := x.snap, x.dec.Change, x.req.Now
	if !snap.DHCP.ConflictProbe || s.cfg.Prober == nil || c.Op != leases.OpOffer {
		return false
	}
	// Only our own segment can be probed: relayed subnets are behind a router.
	if !snap.DHCP.Subnet.IsValid() || !snap.DHCP.Subnet.Contains(c.IP) {
		return false
	}
	if l, ok := s.cfg.Leases.ByIP(c.IP, now); ok && string(l.MAC) == string(c.MAC) {
		return false // re-offer of the client's own address
	}
	attrs := x.attrs(s.cfg.Iface)
	owner, used, err := s.probes.probe(ctx, s.cfg.Prober, c.IP, now)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "dhcp: conflict probe failed, offering without it", append(attrs, slog.String("ip", c.IP.String()), slog.Any("err", err))...)
		return false
	}
	if !used || string(owner) == string(c.MAC) {
		return false
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "dhcp: pool address answers ARP, marked declined", append(attrs, slog.String("ip", c.IP.String()), slog.String("owner", owner.String()))...)
	err = s.cfg.Leases.Commit(leases.Change{Op: leases.OpDecline, IP: c.IP, Expires: now.Add(probeDeclineHold)})
	if err != nil && !errors.Is(err, leases.ErrConflict) { // a conflict: someone got it meanwhile, decide again anyway
		s.log.LogAttrs(ctx, slog.LevelError, "dhcp: lease store failed", append(attrs, slog.Any("err", err))...)
	}
	return true
}

// finish sends the reply, or logs why there is none.
func (s *Server) finish(ctx context.Context, x *exchange) {
	d := x.dec
	if d.Reply == nil {
		if d.Level >= slog.LevelInfo && !s.lim.shouldLog(string(x.mac()), x.req.Now, ignoreLogEvery) {
			return
		}
		if s.log.Enabled(ctx, d.Level) {
			if x.req.Terse {
				// Decided without notes: decide again with them for the
				// line (rare: rate-limited per MAC above; Decide only reads).
				full := x.req
				full.Terse = false
				d.Why = s.decide(full, x.snap, s.cfg.Leases).Why
			}
			s.log.LogAttrs(ctx, d.Level, "dhcp: not answered: "+d.Ignore, append(x.attrs(s.cfg.Iface), slog.String("reason", string(d.Reason)), slog.Any("why", d.Why))...)
		}
		return
	}
	dest := d.Dest
	if !dest.IsValid() {
		s.log.LogAttrs(ctx, slog.LevelError, "dhcp: decision has a reply but no destination", x.attrs(s.cfg.Iface)...)
		return
	}
	dest, err := s.send(x, d)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "dhcp: send failed", append(x.attrs(s.cfg.Iface), slog.String("dest", dest.String()), slog.Any("err", err))...)
		return
	}
	s.noteBooting(ctx, x.mac(), x.req.Now)
	if s.log.Enabled(ctx, d.Level) {
		a := append(x.attrs(s.cfg.Iface),
			slog.String("reply", msgType(d.Reply).String()),
			slog.String("dest", dest.String()))
		if yi := d.Reply.YourIPAddr; yi != nil && !yi.IsUnspecified() {
			a = append(a, slog.String("ip", yi.String()))
		}
		if f := d.Reply.BootFileName; f != "" {
			a = append(a, slog.String("file", f))
		}
		if s.log.Enabled(ctx, slog.LevelDebug) {
			a = append(a, slog.Any("why", d.Why))
		}
		s.log.LogAttrs(ctx, d.Level, "dhcp: reply sent", a...)
	}
}

var _ LeaseView = (*leases.Store)(nil)

// parsePacket is the server's one bytes-to-message step. err means
// malformed (drop, debug); a code says why a well-formed packet cannot be
// answered (drop, warn), unusable in words.
func parsePacket(b []byte) (m *dhcpv4.DHCPv4, code Reason, unusable string, err error) {
	// The library clamps hlen to 16 while parsing, so check the raw byte:
	// a longer hardware address is not something we can answer.
	if len(b) > 2 && b[2] > 16 {
		return nil, ReasonHWAddrLength, fmt.Sprintf("hardware address length %d exceeds 16", b[2]), nil
	}
	m, err = dhcpv4.FromBytes(b)
	if err != nil {
		return nil, "", "", fmt.Errorf("malformed DHCP packet (%d bytes): %w", len(b), err)
	}
	return m, "", "", nil
}
