package dhcp

import (
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Request is one received DHCP message with what the socket knows about it.
type Request struct {
	Msg *dhcpv4.DHCPv4
	// Port is the local port it arrived on: 67, or 4011 for PXE boot-server
	// (proxyDHCP) requests.
	Port int
	// Peer is the source address and port of the datagram.
	Peer netip.AddrPort
	// ServerIP is our address on the arrival interface (option 54, siaddr,
	// 66), as cmd resolved it once at start-up (dhcp.server_ip, else the
	// interface's address). The decision uses it as it is.
	ServerIP netip.Addr
	Now      time.Time
	// Terse skips the notes of Decision.Why (the server sets it when its
	// log level would not print them): Why then holds only the "ignored:"
	// line of a request not answered. The decision is the same.
	Terse bool
}

// LeaseView is the read side of the lease store that Decide needs.
type LeaseView interface {
	// ByMAC returns the current (unexpired at now) lease of mac.
	ByMAC(mac net.HardwareAddr, now time.Time) (leases.Lease, bool)
	// ByIP returns the current lease holding ip.
	ByIP(ip netip.Addr, now time.Time) (leases.Lease, bool)
	// Free returns an address of r that no current lease holds and for which
	// skip returns false, preferring the address mac held last (even an
	// expired one). ok is false when the range is exhausted.
	Free(r inventory.Range, mac net.HardwareAddr, now time.Time, skip func(netip.Addr) bool) (ip netip.Addr, ok bool)
}

// NoLeases is a LeaseView with no leases, for `bootyard explain` when the
// lease file is not at hand: pool clients are shown the first address of
// the pool that the decision does not skip.
type NoLeases struct{}

// ByMAC reports no lease.
func (NoLeases) ByMAC(net.HardwareAddr, time.Time) (leases.Lease, bool) { return leases.Lease{}, false }

// ByIP reports no lease.
func (NoLeases) ByIP(netip.Addr, time.Time) (leases.Lease, bool) { return leases.Lease{}, false }

// Free returns the first address of r that skip allows.
func (NoLeases) Free(r inventory.Range, _ net.HardwareAddr, _ time.Time, skip func(netip.Addr) bool) (netip.Addr, bool) {
	for a, n := r.Start, 0; a.IsValid() && r.Contains(a) && n < 1<<16; a, n = a.Next(), n+1 {
		if !skip(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// Broadcast reports that Dest is the limited broadcast, sent on the arrival
// interface.
func (d Decision) Broadcast() bool { return d.Dest.Addr() == limitedBroadcast }

// Decision is what to do with one request.
type Decision struct {
	// Reply is the message to send; nil means ignore the request.
	Reply *dhcpv4.DHCPv4
	// Dest is where Reply goes (RFC 2131 4.1).
	Dest netip.AddrPort
	// LinkDest is set when Dest is yiaddr of a client without an address
	// yet: the reply is a frame to this Ethernet address (reply_unicast.go),
	// since no ARP can resolve Dest.
	LinkDest net.HardwareAddr
	// Change is the lease change to commit before Reply is sent; nil for none.
	// It can be set when Reply is nil: DECLINE and RELEASE get no answer
	// (RFC 2131 4.3.3, 4.3.4) but still change the lease store.
	Change *leases.Change
	// Reason is the stable code of why the request gets no reply (when
	// Reply is nil); Ignore says it in words for logs and explain.
	Reason Reason
	Ignore string
	// Class is the firmware class of the client a reply is for (metrics
	// label it so without identifying the client a second time).
	Class firmware.Class
	// Level is how loud the decision is worth logging: for an ignore, debug
	// for packets that are not for us (another server id, proxy traffic),
	// info for a board we chose not to answer (unknown MAC, no boot file),
	// warn for an unusable packet or a configuration problem; for a reply,
	// info.
	Level slog.Level
	// Why lists, in order, the rules that produced the decision (for logs
	// and `bootyard explain`).
	Why []string
}
