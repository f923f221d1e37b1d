package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Probe sends disc to dest on conn and collects the offers that answer it
// for window: every server's, one per server (the first it sent), in
// arrival order. nclient4's DiscoverOffer returns at the first offer, which
// hides exactly the second server doctor is looking for, so Probe reads the
// connection itself. A server may miss the first DISCOVER (a port still
// learning, a rate limit), so the DISCOVER is sent again halfway through the
// window, as firmware retransmits it; a server's second offer is dropped.
// Packets that are not an offer for disc (another client's, our own, garbage)
// are logged at debug and dropped.
func Probe(ctx context.Context, conn net.PacketConn, dest net.Addr, disc *dhcpv4.DHCPv4, window time.Duration, log *slog.Logger) ([]Offer, error) {
	start := time.Now()
	end := start.Add(window)
	resend := start.Add(window / 2)
	if _, err := conn.WriteTo(disc.ToBytes(), dest); err != nil {
		return nil, fmt.Errorf("sending DHCPDISCOVER: %w", err)
	}
	var offers []Offer
	seen := map[netip.Addr]bool{}
	buf := make([]byte, 1500)
	for ctx.Err() == nil {
		now := time.Now()
		if !now.Before(end) {
			break
		}
		if !resend.IsZero() && !now.Before(resend) {
			disc.NumSeconds = uint16(now.Sub(start) / time.Second)
			if _, err := conn.WriteTo(disc.ToBytes(), dest); err != nil {
				return offers, fmt.Errorf("sending DHCPDISCOVER again: %w", err)
			}
			resend = time.Time{}
		}
		wake := end
		if !resend.IsZero() {
			wake = resend
		}
		if d, ok := ctx.Deadline(); ok && d.Before(wake) {
			wake = d
		}
		if err := conn.SetReadDeadline(wake); err != nil {
			return offers, err
		}
		n, src, err := conn.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			return offers, fmt.Errorf("reading offers: %w", err)
		}
		m, reason := offerFor(disc, buf[:n])
		if m == nil {
			log.Debug("packet dropped", "from", src, "why", reason)
			continue
		}
		o := newOffer(m, udpIP(src), time.Since(start))
		if seen[o.Server] {
			continue
		}
		seen[o.Server] = true
		offers = append(offers, o)
	}
	return offers, ctx.Err()
}

// offerFor parses b and returns it when it is an OFFER answering disc, or
// nil and why not.
func offerFor(disc *dhcpv4.DHCPv4, b []byte) (*dhcpv4.DHCPv4, string) {
	m, err := dhcpv4.FromBytes(b)
	switch {
	case err != nil:
		return nil, "not DHCP: " + err.Error()
	case m.OpCode != dhcpv4.OpcodeBootReply:
		return nil, "not a reply"
	case m.TransactionID != disc.TransactionID:
		return nil, "another transaction " + m.TransactionID.String()
	case !bytes.Equal(m.ClientHWAddr, disc.ClientHWAddr):
		return nil, "another client " + m.ClientHWAddr.String()
	case m.MessageType() != dhcpv4.MessageTypeOffer:
		return nil, "a " + m.MessageType().String() + ", not an offer"
	}
	return m, ""
}

// Request takes offer for real: it sends fw's REQUEST for it, waits up to
// timeout for the ACK or NAK, and on an ACK releases the address again at
// once when release is set.
func Request(ctx context.Context, conn net.PacketConn, dest net.Addr, fw Firmware, offer Offer, timeout time.Duration, release bool) *LeaseResult {
	res := &LeaseResult{Server: offer.Server}
	req, err := fw.Request(offer.Msg)
	if err != nil {
		res.Err = err
		return res
	}
	if _, err := conn.WriteTo(req.ToBytes(), dest); err != nil {
		res.Err = fmt.Errorf("sending DHCPREQUEST: %w", err)
		return res
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetReadDeadline(deadline); err != nil {
		res.Err = err
		return res
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			res.Err = fmt.Errorf("waiting for the ACK: %w", err)
			return res
		}
		m, err := dhcpv4.FromBytes(buf[:n])
		if err != nil || m.OpCode != dhcpv4.OpcodeBootReply || m.TransactionID != req.TransactionID ||
			!addrOf(m.ServerIdentifier()).IsValid() || addrOf(m.ServerIdentifier()) != offer.Server {
			continue
		}
		switch m.MessageType() {
		case dhcpv4.MessageTypeNak:
			res.Nak, res.NakText = true, m.Message()
			return res
		case dhcpv4.MessageTypeAck:
			res.Addr = addrOf(m.YourIPAddr)
			if release {
				res.Released = sendRelease(conn, dest, req, m) == nil
			}
			return res
		}
	}
}

// sendRelease gives an acknowledged address back. It goes to dest (broadcast)
// like everything else doctor sends: the raw socket has no address of its
// own for a unicast reply path, and servers take a RELEASE from either. It
// carries the REQUEST's client identifier, if any: a server that keyed the
// lease by option 61 finds it only with it.
func sendRelease(conn net.PacketConn, dest net.Addr, req, ack *dhcpv4.DHCPv4) error {
	rel, err := dhcpv4.NewReleaseFromACK(ack, dhcpv4.WithOptionCopied(req, dhcpv4.OptionClientIdentifier))
	if err != nil {
		return err
	}
	_, err = conn.WriteTo(rel.ToBytes(), dest)
	return err
}

// udpIP is the IP of a packet source, nil when it is not a UDP address.
func udpIP(a net.Addr) net.IP {
	if u, ok := a.(*net.UDPAddr); ok {
		return u.IP
	}
	return nil
}
