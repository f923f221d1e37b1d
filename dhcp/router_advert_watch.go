package dhcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	rawpacket "github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
)

// How long a machine counts as "being booted by us" after our last reply
// to it, how long an unanswered solicitation waits for our first reply to
// its sender, and the least time between two advertisements to one MAC.
const (
	raBootingFor  = 10 * time.Minute
	raPendingFor  = 5 * time.Second
	raMinInterval = 500 * time.Millisecond
	raMaxMACs     = 4096
)

// ListenRouterSolicit opens the packet socket AnswerRouterSolicits reads
// and writes: whole Ethernet frames on iface, with a kernel filter that
// passes only ICMPv6 router solicitations (needs CAP_NET_RAW).
func ListenRouterSolicit(iface string) (*rawpacket.Conn, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("dhcp: router solicitations: %w", err)
	}
	filter, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2}, // EtherType
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: etherTypeIPv6, SkipTrue: 5},
		bpf.LoadAbsolute{Off: 14 + 6, Size: 1}, // next header
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: icmpv6Proto, SkipTrue: 3},
		bpf.LoadAbsolute{Off: 14 + 40, Size: 1}, // ICMPv6 type
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: icmpv6RouterSolicit, SkipTrue: 1},
		bpf.RetConstant{Val: 1514},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		return nil, fmt.Errorf("dhcp: router solicitations: filter: %w", err)
	}
	c, err := rawpacket.Listen(ifi, rawpacket.Raw, etherTypeIPv6, &rawpacket.Config{Filter: filter})
	if err != nil {
		return nil, fmt.Errorf("dhcp: router solicitations on %s: %w", iface, err)
	}
	return c, nil
}

// raState is what the router-solicitation answerer shares with the
// server's reply path: which MACs we are booting, and solicitations that
// arrived before our first reply to their sender.
type raState struct {
	conn   *rawpacket.Conn
	ourMAC net.HardwareAddr
	ll     netip.Addr

	mu      sync.Mutex
	booting map[string]time.Time    // MAC -> our last reply to it
	pending map[string]pendingSolic // MAC -> its last unanswered solicitation
	sent    map[string]time.Time    // MAC -> our last advertisement to it
}

type pendingSolic struct {
	rs routerSolicit
	at time.Time
}

// AnswerRouterSolicits answers, when dhcp.answer_router_solicit is set, an
// IPv6 router solicitation on the serving interface from a machine we sent
// a DHCP reply to in the last raBootingFor with an advertisement that
// offers nothing (router_advert.go). A solicitation from another MAC is
// ignored, unless we reply to that MAC within raPendingFor: the firmware
// sends its first solicitation together with its DISCOVER. It runs until
// ctx is cancelled and closes conn then; it always returns nil.
func (s *Server) AnswerRouterSolicits(ctx context.Context, conn *rawpacket.Conn) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	ifi, err := net.InterfaceByName(s.cfg.Iface)
	if err != nil || len(ifi.HardwareAddr) != 6 {
		s.log.Warn("dhcp: not answering router solicitations: no Ethernet address", "iface", s.cfg.Iface, "err", err)
		return nil
	}
	st := &raState{conn: conn, ourMAC: ifi.HardwareAddr, ll: interfaceLinkLocal(ifi),
		booting: map[string]time.Time{}, pending: map[string]pendingSolic{}, sent: map[string]time.Time{}}
	s.ra.Store(st)
	defer s.ra.Store(nil)
	buf := make([]byte, 1514)
	failed := 0
	for {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			if failed++; ctx.Err() == nil && (errors.Is(err, net.ErrClosed) || failed >= maxReadErrors) {
				s.log.Warn("dhcp: stopped answering router solicitations", "iface", s.cfg.Iface, "err", err)
			}
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) || failed >= maxReadErrors {
				return nil
			}
			continue
		}
		failed = 0
		rs, ok := parseRouterSolicit(buf[:n])
		if !ok {
			continue
		}
		if snap := s.cfg.Snapshot(); snap == nil || !snap.DHCP.AnswerRouterSolicit {
			continue // off (a reload keeps the value bootyard started with)
		}
		if st.solicited(rs, time.Now()) {
			s.advertise(ctx, st, rs)
		}
	}
}

// solicited records rs and reports whether to answer it now.
func (st *raState) solicited(rs routerSolicit, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	key := string(rs.mac)
	if t, ok := st.booting[key]; !ok || now.Sub(t) > raBootingFor {
		prune(st.pending, raMaxMACs, func(p pendingSolic) bool { return now.Sub(p.at) > raPendingFor })
		st.pending[key] = pendingSolic{rs: rs, at: now}
		return false
	}
	if t, ok := st.sent[key]; ok && now.Sub(t) < raMinInterval {
		return false
	}
	prune(st.sent, raMaxMACs, func(t time.Time) bool { return now.Sub(t) > raMinInterval })
	st.sent[key] = now
	return true
}

// replied records that we sent a DHCP reply to mac, and returns a
// solicitation of mac that was waiting for it.
func (st *raState) replied(mac net.HardwareAddr, now time.Time) (routerSolicit, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	key := string(mac)
	prune(st.booting, raMaxMACs, func(t time.Time) bool { return now.Sub(t) > raBootingFor })
	st.booting[key] = now
	p, ok := st.pending[key]
	if !ok {
		return routerSolicit{}, false
	}
	delete(st.pending, key)
	if now.Sub(p.at) > raPendingFor {
		return routerSolicit{}, false
	}
	st.sent[key] = now
	return p.rs, true
}

// prune makes room for one more entry in m: it removes the stale entries
// when m is full, and an arbitrary one if none is stale.
func prune[V any](m map[string]V, limit int, stale func(V) bool) {
	if len(m) < limit {
		return
	}
	for k, v := range m {
		if stale(v) {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) < limit {
			return
		}
		delete(m, k)
	}
}

// noteBooting is called for every reply sent: with router solicitations
// answered, the client becomes one we answer, and a solicitation it sent
// just before is answered now.
func (s *Server) noteBooting(ctx context.Context, mac net.HardwareAddr, now time.Time) {
	st := s.ra.Load()
	if st == nil || len(mac) != 6 {
		return
	}
	if rs, ok := st.replied(mac, now); ok {
		s.advertise(ctx, st, rs)
	}
}

// advertise sends the advertisement answering rs.
func (s *Server) advertise(ctx context.Context, st *raState, rs routerSolicit) {
	f := routerAdvert(rs, st.ourMAC, st.ll)
	if _, err := st.conn.WriteTo(f, &rawpacket.Addr{HardwareAddr: rs.mac}); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "dhcp: router advertisement not sent", slog.String("mac", rs.mac.String()), slog.Any("err", err))
		return
	}
	if s.lim.shouldLog("ra:"+string(rs.mac), time.Now(), ignoreLogEvery) {
		s.log.LogAttrs(ctx, slog.LevelInfo, "dhcp: answered an IPv6 router solicitation: no IPv6 router here",
			slog.String("mac", rs.mac.String()), slog.String("to", rs.src.String()))
	}
}

// interfaceLinkLocal is ifi's IPv6 link-local address, or the one its MAC
// gives when it has none (IPv6 off on the interface).
func interfaceLinkLocal(ifi *net.Interface) netip.Addr {
	if addrs, err := ifi.Addrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Is6() && !ip.Is4In6() && ip.IsLinkLocalUnicast() {
					return ip
				}
			}
		}
	}
	return linkLocalOf(ifi.HardwareAddr)
}
