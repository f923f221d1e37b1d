package dhcp

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Lease timings the decision proposes.
const (
	// offerHold keeps an offered pool address for the client long enough to
	// REQUEST it (OVMF collects offers for ~4 s, iPXE for up to ~10 s).
	offerHold = 60 * time.Second
	// declineHold quarantines an address a client found in use
	// (RFC 2131 4.3.3: the server MUST mark it not available).
	declineHold = 10 * time.Minute
	// defaultLease applies when dhcp.lease_time is not set.
	defaultLease = time.Hour
)

// authoritative serves addresses and boot options (dhcp.mode authoritative).
func (d *decider) authoritative() Decision {
	n, sel, ok := d.network()
	if ok && d.explaining() {
		d.rep.Subnet = n.name() + ", selected by " + sel.String()
	}
	switch {
	case !ok && sel.by != "giaddr" && sel.by != "local":
		return d.ignore(slog.LevelInfo, ReasonUnknownLink, "%s names %s: neither dhcp.subnet nor any dhcp.relayed subnet contains it", sel.by, sel.addr)
	case !ok && isSet(d.giaddr):
		return d.ignore(slog.LevelInfo, ReasonUnknownRelay, "relayed from %s: neither dhcp.subnet nor any dhcp.relayed subnet contains it, and no relay_addresses names it", d.giaddr)
	case !ok:
		return d.ignore(slog.LevelWarn, ReasonNoSubnet, "dhcp.subnet is not set")
	case d.explaining():
		d.note("served from the %s, selected by %s", n.name(), sel)
	}
	if !d.m.Options.Has(dhcpv4.OptionDHCPMessageType) {
		return d.bootp(n)
	}
	switch t := msgType(d.m); t {
	case dhcpv4.MessageTypeDiscover:
		return d.discover(n)
	case dhcpv4.MessageTypeRequest:
		return d.request(n)
	case dhcpv4.MessageTypeDecline:
		return d.decline(n)
	case dhcpv4.MessageTypeRelease:
		return d.release()
	case dhcpv4.MessageTypeInform:
		return d.inform(n)
	default:
		return d.ignore(slog.LevelDebug, ReasonNotClient, "%s is not a client message", t)
	}
}

// leaseTime is dhcp.lease_time or the default.
func (d *decider) leaseTime() time.Duration {
	if lt := d.snap.DHCP.LeaseTime; lt > 0 {
		return lt
	}
	return defaultLease
}

// boot chooses the boot file and applies the UEFI HTTP rule: such firmware
// rejects a TFTP name (EDK2 ignores the offer), so its boot file must be a
// URL. An http(s) URL in the inventory is passed as it is; a file name
// becomes the URL at which our own HTTP server serves it
// (http://SERVER[:PORT]/<name>) when http.enabled is on, and without it the
// client is not answered. A non-nil Decision is the ignore to return.
func (d *decider) boot() (BootChoice, *Decision) {
	b := ChooseBootFile(d.fw, d.bootHost(), d.snap)
	d.choice = b
	if d.explaining() {
		for _, s := range b.Skipped {
			d.note("%s", s)
		}
		d.note("%s", b.Rule)
	}
	if d.fw.HTTP && b.File != "" && !isURL(b.File) {
		if !d.snap.HTTP.Enabled {
			dec := d.ignore(slog.LevelInfo, ReasonHTTPNeedsURL, "UEFI HTTP boot client needs an http:// boot file URL: %q is a file name and http.enabled is off", b.File)
			return b, &dec
		}
		u := d.snap.HTTP.UEFIURL(d.server, b.File)
		d.note("UEFI HTTP boot: %q is served by our HTTP server as %s", b.File, u)
		b.File = u
		d.choice.File = u
	}
	if d.fw.HTTP && !isURL(b.File) && !b.Local {
		dec := d.ignore(slog.LevelInfo, ReasonHTTPNeedsURL, "UEFI HTTP boot client needs an http:// boot file URL (got %q)", b.File)
		return b, &dec
	}
	return b, nil
}

// discover answers DHCPDISCOVER with an OFFER (RFC 2131 4.3.1).
func (d *decider) discover(n network) Decision {
	ip, reserved, ign := d.offerAddress(n)
	if ign != nil {
		return *ign
	}
	boot, ign := d.boot()
	if ign != nil {
		return *ign
	}
	r := d.build(replySpec{typ: dhcpv4.MessageTypeOffer, yiaddr: ip, net: &n, lease: d.leaseTime(), boot: boot})
	dec := d.reply(r)
	switch l, ok := d.lv.ByMAC(d.mac, d.req.Now); {
	case reserved:
		// The inventory is the record of a reservation: nothing to store.
	case ok && l.State == leases.Bound && l.IP == ip:
		// Already bound: an Offered hold would shorten the lease.
	default:
		dec.Change = &leases.Change{Op: leases.OpOffer, MAC: d.mac, IP: ip, Expires: d.req.Now.Add(offerHold), Hostname: d.m.HostName()}
	}
	return dec
}

// request answers DHCPREQUEST (RFC 2131 4.3.2). The client's state decides
// which address it asks for: SELECTING and INIT-REBOOT name it in option
// 50, RENEWING and REBINDING in ciaddr. An address that is not the client's
// or not on this network gets a NAK; a client we have no record of and no
// pool to serve gets silence (RFC 2131 4.3.2 INIT-REBOOT: "MUST remain
// silent"), so another server on the segment can answer it.
func (d *decider) request(n network) Decision {
	var want netip.Addr
	var state string
	switch opt := d.requested(); {
	case d.m.Options.Has(dhcpv4.OptionServerIdentifier) && opt.IsValid():
		want, state = opt, "SELECTING"
	case opt.IsValid():
		want, state = opt, "INIT-REBOOT"
	case isSet(d.ciaddr):
		want, state = d.ciaddr, "RENEWING/REBINDING"
	default:
		return d.ignore(slog.LevelWarn, ReasonRequestNoAddress, "REQUEST names no address (no option 50, no ciaddr)")
	}
	if d.explaining() {
		d.note("REQUEST in %s state for %s", state, want)
	}
	res, reserved := d.reservation(n)
	switch {
	case reserved && want != res:
		return d.nak("%s is not yours: host %s reserves %s", want, d.host.Name, res)
	case reserved:
		d.note("address %s: reservation of host %s", want, d.host.Name)
	case !n.subnet.Contains(want):
		if n.pool == nil && d.host == nil {
			return d.noPool()
		}
		return d.nak("%s is not on the %s", want, n.name())
	case n.pool == nil:
		return d.noPool()
	case !d.poolUsable(n, want):
		return d.nak("%s is not an address of the pool %s-%s", want, n.pool.Start, n.pool.End)
	case d.heldByOther(want):
		return d.nak("%s is leased to another client", want)
	default:
		d.note("address %s: pool lease", want)
	}
	boot, ign := d.boot()
	if ign != nil {
		return *ign
	}
	r := d.build(replySpec{typ: dhcpv4.MessageTypeAck, yiaddr: want, ciaddr: d.ciaddr, net: &n, lease: d.leaseTime(), boot: boot})
	dec := d.reply(r)
	if !reserved {
		dec.Change = &leases.Change{Op: leases.OpBind, MAC: d.mac, IP: want, Expires: d.req.Now.Add(d.leaseTime()), Hostname: d.m.HostName()}
	}
	return dec
}

// decline quarantines an address the client found in use (RFC 2131 4.3.3).
// No reply is sent.
func (d *decider) decline(n network) Decision {
	ip := d.requested()
	if !ip.IsValid() {
		return d.ignore(slog.LevelWarn, ReasonDeclineNoAddress, "DECLINE without option 50")
	}
	if h, ok := d.snap.HostByIP(ip); ok {
		return d.ignore(slog.LevelWarn, ReasonDeclineReserved, "%s declined %s, reserved for host %s: another machine is using that address", d.mac, ip, h.Name)
	}
	if !d.poolUsable(n, ip) || d.heldByOther(ip) {
		return d.ignore(slog.LevelInfo, ReasonDeclineNotItsOwn, "%s declined %s, which is not its pool address", d.mac, ip)
	}
	dec := d.ignore(slog.LevelWarn, ReasonDeclined, "DECLINE gets no reply: %s is in use by another machine, quarantined for %s", ip, declineHold)
	dec.Change = &leases.Change{Op: leases.OpDecline, MAC: d.mac, IP: ip, Expires: d.req.Now.Add(declineHold)}
	return dec
}

// release frees the client's pool lease (RFC 2131 4.3.4). No reply.
func (d *decider) release() Decision {
	ip := d.ciaddr
	if l, ok := d.lv.ByIP(ip, d.req.Now); ok && bytes.Equal(l.MAC, d.mac) && l.State == leases.Bound {
		dec := d.ignore(slog.LevelDebug, ReasonReleased, "RELEASE gets no reply: lease of %s ends", ip)
		dec.Change = &leases.Change{Op: leases.OpRelease, MAC: d.mac, IP: ip}
		return dec
	}
	return d.ignore(slog.LevelDebug, ReasonReleaseNoLease, "RELEASE of %s: no lease of this client holds it", ip)
}

// inform answers DHCPINFORM with an ACK carrying configuration but no
// address and no lease time (RFC 2131 4.3.5), sent to ciaddr. It is given
// to the clients this server would give an address to.
func (d *decider) inform(n network) Decision {
	if !isSet(d.ciaddr) || !n.subnet.Contains(d.ciaddr) {
		return d.ignore(slog.LevelDebug, ReasonInformOffSubnet, "INFORM from %s, not on the %s", d.ciaddr, n.name())
	}
	if _, ok := d.reservation(n); !ok && n.pool == nil {
		return d.noPool()
	}
	boot, ign := d.boot()
	if ign != nil {
		return *ign
	}
	r := d.build(replySpec{typ: dhcpv4.MessageTypeAck, ciaddr: d.ciaddr, net: &n, boot: boot})
	return d.reply(r)
}

// bootp answers a BOOTP request (no option 53: TI AM335x ROM, old PXE
// ROMs) with a BOOTREPLY without option 53 (RFC 1534 2). Only reserved
// hosts: a pool address would need an infinite lease (RFC 1534 3).
func (d *decider) bootp(n network) Decision {
	ip, ok := d.reservation(n)
	if !ok {
		if d.host == nil {
			return d.ignore(slog.LevelInfo, ReasonBOOTPUnknown, "BOOTP from unknown MAC %s: BOOTP gets reserved addresses only", d.mac)
		}
		return d.ignore(slog.LevelInfo, ReasonBOOTPNoReservation, "BOOTP from host %s, which reserves no address here: BOOTP gets reserved addresses only", d.host.Name)
	}
	if v := strings.TrimSpace(d.m.ClassIdentifier()); strings.HasPrefix(v, "AM335x") {
		d.note("TI AM335x: the ROM, the SPL and U-Boot each need their own file; they share the host's boot file here")
	}
	d.note("address %s: reservation of host %s", ip, d.host.Name)
	boot, ign := d.boot()
	if ign != nil {
		return *ign
	}
	r := d.build(replySpec{typ: dhcpv4.MessageTypeNone, yiaddr: ip, ciaddr: d.ciaddr, net: &n, boot: boot})
	return d.reply(r)
}
