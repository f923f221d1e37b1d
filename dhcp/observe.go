package dhcp

import (
	"log/slog"
	"net"
	"net/netip"
	"time"
)

// Observer is told what happens to every packet, for metrics. cmd hands the
// server one (the metrics package implements it); nil observes nothing.
// Every label it is given is bounded: message types, outcomes, reason
// classes, firmware classes.
type Observer interface {
	// DHCPPacket is one received packet: msgType is its DHCP message type
	// ("DISCOVER", ..., "BOOTP", or "unparsed"), outcome "replied",
	// "ignored" or "dropped", reason a class ("" when replied).
	DHCPPacket(msgType, outcome, reason string)
	// DHCPReply is one reply decided for a client of firmware class.
	DHCPReply(replyType, class string)
	// RogueServer is evidence of another DHCP server on the segment: its
	// address, its MAC when seen on the wire, and how it was seen.
	RogueServer(how string, server netip.Addr, mac net.HardwareAddr, at time.Time)
	// DHCPExchange is one decided request, with what a person reading a
	// machine's boot timeline needs (MAC, vendor class and file included:
	// never use these as metric labels).
	DHCPExchange(Exchange)
}

// Exchange is one decided request for Observer.DHCPExchange.
type Exchange struct {
	MAC     net.HardwareAddr
	Message string // DISCOVER, REQUEST, ...
	Reply   string // OFFER, ACK, NAK; "" when not answered
	Class   string // firmware class
	Vendor  string // option 60 as sent
	IP      string // yiaddr of the reply
	File    string // boot file offered
	Reason  string // why not answered: the stable code
	Why     string // and in words
	Level   slog.Level
}

type noObserver struct{}

func (noObserver) DHCPPacket(string, string, string)                           {}
func (noObserver) DHCPReply(string, string)                                    {}
func (noObserver) RogueServer(string, netip.Addr, net.HardwareAddr, time.Time) {}
func (noObserver) DHCPExchange(Exchange)                                       {}

// Reason classes of ignored and dropped packets, for Observer.
const (
	ReasonNotForUs     = "not_for_us"   // another server's exchange, proxy traffic, a BOOTREPLY
	ReasonNotAnswered  = "not_answered" // a board we chose not to answer (unknown MAC, no boot file, no pool)
	ReasonUnusable     = "unusable"     // malformed, or a configuration problem
	ReasonRateClient   = "rate_client"  // over dhcp.limits per-client rate
	ReasonRateNew      = "rate_new"     // over dhcp.limits new-client rate
	ReasonBusy         = "busy"         // the socket's receive queue full: the kernel dropped it
	ReasonLeaseFailure = "lease_store"  // the lease could not be written
)

// ignoreReason is the class of an ignore, from how loud the decision says
// it is (see Decision.Level).
func ignoreReason(level slog.Level) string {
	switch {
	case level <= slog.LevelDebug:
		return ReasonNotForUs
	case level <= slog.LevelInfo:
		return ReasonNotAnswered
	default:
		return ReasonUnusable
	}
}
