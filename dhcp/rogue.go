package dhcp

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/bootyard/bootyard/inventory"
)

// rogueLogEvery rate-limits the warning about one other server.
const rogueLogEvery = 5 * time.Minute

// rogueLog reports other DHCP servers seen on the serving segment: a warn
// line per server at most every rogueLogEvery, and every sighting to the
// Observer. A second server is the classic reason a board boots the wrong
// thing, or nothing.
type rogueLog struct {
	log *slog.Logger
	obs Observer

	mu   sync.Mutex
	last map[netip.Addr]time.Time // bounded: see report
}

func newRogueLog(log *slog.Logger, obs Observer) *rogueLog {
	return &rogueLog{log: log, obs: obs, last: make(map[netip.Addr]time.Time)}
}

// report records one sighting of server (its MAC when known) seen by how.
func (r *rogueLog) report(server netip.Addr, mac net.HardwareAddr, how, detail string, now time.Time) {
	r.obs.RogueServer(how, server, mac, now)
	r.mu.Lock()
	if t, ok := r.last[server]; ok && now.Sub(t) < rogueLogEvery {
		r.mu.Unlock()
		return
	}
	if len(r.last) >= 1024 {
		clear(r.last) // a flood of forged server ids must not grow memory
	}
	r.last[server] = now
	r.mu.Unlock()
	attrs := []any{"server", server, "how", how, "detail", detail}
	if mac != nil {
		attrs = append(attrs, "server_mac", mac.String())
	}
	r.log.Warn("dhcp: another DHCP server is answering on this segment", attrs...)
}

// noticeOtherServer reports a broadcast REQUEST that names another server
// in option 54 (RFC 2131 4.3.2, SELECTING): the client took an offer from a
// server that is not us. Only an authoritative server cares; in proxy mode
// another server owning the addresses is the design.
func (s *Server) noticeOtherServer(snap *inventory.Snapshot, req Request, now time.Time) {
	m := req.Msg
	if snap.DHCP.Mode != inventory.ModeAuthoritative || msgType(m) != dhcpv4.MessageTypeRequest {
		return
	}
	sid := m.ServerIdentifier()
	if sid == nil || sid.IsUnspecified() {
		return
	}
	server, ok := netip.AddrFromSlice(sid.To4())
	if !ok || server == s.cfg.ServerIP || !m.GatewayIPAddr.IsUnspecified() {
		return // ours, or relayed from another segment
	}
	s.rogue.report(server, nil, "request_server_id", "client "+m.ClientHWAddr.String()+" requests an address offered by it", now)
}

// observe tells the Observer what the decision for msg was.
func (s *Server) observe(msg *dhcpv4.DHCPv4, d Decision) {
	name := messageName(msg)
	e := Exchange{MAC: msg.ClientHWAddr, Message: name, Class: string(d.Class),
		Vendor: string(msg.Options.Get(dhcpv4.OptionClassIdentifier)), Level: d.Level}
	if d.Reply == nil {
		s.obs.DHCPPacket(name, "ignored", ignoreReason(d.Level))
		e.Class = string(identifyFirmware(msg).Class)
		e.Reason, e.Why = string(d.Reason), d.Ignore
		s.obs.DHCPExchange(e)
		return
	}
	s.obs.DHCPPacket(name, "replied", "")
	e.Reply, e.File = messageName(d.Reply), d.Reply.BootFileName
	s.obs.DHCPReply(e.Reply, string(d.Class))
	if yi := d.Reply.YourIPAddr; yi != nil && !yi.IsUnspecified() {
		e.IP = yi.String()
	}
	s.obs.DHCPExchange(e)
}
