package dhcp

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// network is the subnet a request is served from: the local segment or
// the dhcp.relayed entry of its relay.
type network struct {
	// label, how and via make its name (see name)
	label  string
	how    string
	via    netip.Addr
	subnet netip.Prefix
	router netip.Addr
	dns    []netip.Addr
	domain string
	pool   *inventory.Range  // nil: reserved hosts only
	routes []inventory.Route // option 121
}

// name says which subnet serves a request and how the request reached it
// ("relayed subnet 198.18.0.0/15 (via 198.18.0.1)") for notes and messages.
// It is built when a line is written, not for every request: formatting it
// was 5% of a busy server's CPU.
func (n network) name() string {
	if n.how == "" {
		return n.label + " " + n.subnet.String()
	}
	return fmt.Sprintf("%s %s (%s %s)", n.label, n.subnet, n.how, n.via)
}

// replySpec is what goes into one reply besides the request it answers.
type replySpec struct {
	typ    dhcpv4.MessageType // MessageTypeNone: a BOOTP reply (no option 53, RFC 1534)
	yiaddr netip.Addr
	ciaddr netip.Addr // echoed in an ACK to RENEWING/INFORM (RFC 2131 table 3)
	net    *network   // address options (1, 3, 6, 15, 12); nil in proxy replies
	lease  time.Duration
	boot   BootChoice
	msg    string // option 56, the reason of a NAK (RFC 2131 4.3.2)
}

// build makes the reply message with every option the firmware needs, then
// shrinks it to the client's maximum message size.
func (d *decider) build(s replySpec) *dhcpv4.DHCPv4 {
	req := d.m
	r := &dhcpv4.DHCPv4{
		OpCode:        dhcpv4.OpcodeBootReply,
		HWType:        req.HWType,
		TransactionID: req.TransactionID,
		Flags:         req.Flags,
		ClientIPAddr:  ipOf(s.ciaddr),
		YourIPAddr:    ipOf(s.yiaddr),
		ServerIPAddr:  net.IPv4zero.To4(),
		GatewayIPAddr: ipOf(d.giaddr),
		ClientHWAddr:  append(net.HardwareAddr(nil), d.mac...),
	}
	o := optionSet{entries: make([]optEntry, 0, 24)} // one allocation for a typical reply
	bootp := s.typ == dhcpv4.MessageTypeNone
	if !bootp {
		t := o.value(1)
		t[0] = byte(s.typ)
		o.set(dhcpv4.OptionDHCPMessageType, t, prioKeep)
		o.set(dhcpv4.OptionServerIdentifier, o.addr(d.server), prioKeep)
	}
	if s.msg != "" {
		o.set(dhcpv4.OptionMessage, []byte(s.msg), prioKeep)
	}
	if s.lease > 0 && !bootp {
		o.set(dhcpv4.OptionIPAddressLeaseTime, o.u32(seconds(s.lease)), prioKeep)
		// RFC 2131 4.4.5 defaults: T1 = 0.5, T2 = 0.875 of the lease.
		o.set(dhcpv4.OptionRenewTimeValue, o.u32(seconds(s.lease/2)), prioTimers)
		o.set(dhcpv4.OptionRebindingTimeValue, o.u32(seconds(s.lease*7/8)), prioTimers)
	}
	if n := s.net; n != nil {
		o.set(dhcpv4.OptionSubnetMask, o.u32(mask(n.subnet)), prioKeep)
		if n.router.Is4() {
			o.set(dhcpv4.OptionRouter, o.addr(n.router), prioRouter)
		}
		if v := classlessRoutes(n.routes, n.router); v != nil {
			o.set(dhcpv4.OptionClasslessStaticRoute, v, prioRouter)
		}
		if dns := ips4(n.dns); len(dns) > 0 {
			o.set(dhcpv4.OptionDomainNameServer, dns, prioDNS)
		}
		if n.domain != "" {
			o.set(dhcpv4.OptionDomainName, []byte(n.domain), prioDomain)
		}
		if d.host != nil && d.host.Name != "" {
			o.set(dhcpv4.OptionHostName, []byte(d.host.Name), prioHostName)
		}
	}
	if s.boot.File != "" {
		d.bootOptions(r, &o, s.boot.File)
	}
	// RFC 6842: echo the client identifier; RFC 3046 2.2: echo the relay
	// agent information to the relay (and only to it).
	if v := req.Options.Get(dhcpv4.OptionClientIdentifier); v != nil {
		o.set(dhcpv4.OptionClientIdentifier, v, prioKeep)
	}
	if isSet(d.giaddr) {
		if v := req.Options.Get(dhcpv4.OptionRelayAgentInformation); v != nil {
			o.set(dhcpv4.OptionRelayAgentInformation, v, prioKeep)
		}
	}
	if s.typ != dhcpv4.MessageTypeNak {
		if v := d.ipxeSettings(); v != nil {
			o.set(dhcpv4.OptionEtherboot, v, prioIPXE)
		}
		d.extraOptions(&o, s.net != nil)
	}
	limit := replyLimit(req)
	for _, w := range o.fit(limit) {
		d.note("%s", w)
	}
	o.apply(r)
	return r
}

// extraOptions adds the inventory's extra options, later wins: site (not
// in proxy replies: the address server owns the site's options), profile,
// host.
func (d *decider) extraOptions(o *optionSet, site bool) {
	if site {
		o.addExtras(d.snap.DHCP.Options, prioExtraSite, "dhcp.options", &d.why)
	}
	if h := d.bootHost(); h != nil {
		if p := h.Profile; p != nil {
			o.addExtras(p.Options, prioExtraProfile, "profile "+p.Name, &d.why)
		}
		o.addExtras(h.Options, prioExtraHost, "host "+h.Name, &d.why)
	}
}

// ipxeSettings is option 175 for an iPXE client whose profile sets
// ipxe_options: each setting as a sub-option (code, length, value); nil
// otherwise. Only iPXE reads it.
func (d *decider) ipxeSettings() []byte {
	h := d.bootHost()
	if !d.fw.IPXE || h == nil || h.Profile == nil || len(h.Profile.IPXEOptions) == 0 {
		return nil
	}
	var b []byte
	for _, o := range h.Profile.IPXEOptions {
		b = append(b, o.Code, byte(len(o.Value)))
		b = append(b, o.Value...)
	}
	if len(b) > 255 {
		d.note("profile %s ipxe_options are %d bytes, over the 255 of option 175: not sent", h.Profile.Name, len(b))
		return nil
	}
	return b
}

// bootOptions adds what a boot client needs to find its file.
func (d *decider) bootOptions(r *dhcpv4.DHCPv4, o *optionSet, file string) {
	c := d.fw
	// siaddr and the BOOTP file field: U-Boot asks for neither 66 nor 67
	// (its option 55 is 1,3,6,12,17) and reads only these. ToBytes writes
	// file NUL-terminated (at most 127 bytes + NUL).
	r.ServerIPAddr = ipOf(d.server)
	r.BootFileName = file
	o.set(dhcpv4.OptionBootfileName, []byte(file), prioKeep)
	// Option 66 as text as well as siaddr: the Pi 4 ignores replies without it.
	o.set(dhcpv4.OptionTFTPServerName, []byte(d.server.String()), prioTFTPServer)
	if c.PXE && !c.UBoot {
		// PXE 2.1 2.2.1: a PXE client takes boot information only from a
		// reply that says "PXEClient"; UEFI HTTP boot wants "HTTPClient".
		id := "PXEClient"
		if c.HTTP {
			id = "HTTPClient"
		}
		o.set(dhcpv4.OptionClassIdentifier, []byte(id), prioClassID)
	}
	switch {
	case c.Class == firmware.RPi:
		o.set(dhcpv4.OptionVendorSpecificInformation, rpiVendor(c.RPi == "3"), prioVendor)
	case c.PXE && !c.UBoot && !c.HTTP:
		o.set(dhcpv4.OptionVendorSpecificInformation, pxeSkipDiscovery(), prioVendor)
	}
	if v := d.m.Options.Get(dhcpv4.OptionClientMachineIdentifier); v != nil {
		o.set(dhcpv4.OptionClientMachineIdentifier, v, prioUUID)
	}
	if h := d.bootHost(); h != nil && h.Profile != nil {
		px := h.Profile.PXELinux
		set := false
		if px.ConfigFile != "" {
			o.set(dhcpv4.OptionPXELinuxConfigFile, []byte(px.ConfigFile), prioPXELinux)
			set = true
		}
		if px.PathPrefix != "" {
			o.set(dhcpv4.OptionPXELinuxPathPrefix, []byte(px.PathPrefix), prioPXELinux)
			set = true
		}
		if px.RebootTime > 0 {
			o.set(dhcpv4.OptionPXELinuxRebootTime, o.u32(seconds(px.RebootTime)), prioPXELinux)
			set = true
		}
		if set {
			// RFC 5071 4: PXELINUX honours 209-211 only with the 208 magic.
			o.set(dhcpv4.OptionPXELinuxMagicString, []byte{0xf1, 0x00, 0x74, 0x7e}, prioPXEMagic)
		}
	}
}

// pxeSkipDiscovery is option 43 with PXE sub-option 6 (discovery control)
// = 8: "the boot file is in this reply, skip boot-server discovery", closed
// by the End tag that some UEFI firmware insists on.
func pxeSkipDiscovery() []byte { return []byte{6, 1, 8, 0xff} }

// rpiVendor is option 43 for the Raspberry Pi boot ROM, which wants a PXE
// boot menu entry named "Raspberry Pi Boot": sub-option 6 = 3, sub-option
// 10 (menu prompt) = timeout 0 + "PXE", sub-option 9 (boot menu) = type 0,
// description length, description; End.
//
// The Pi 3 (not 3B+) ROM compares the description with a length bug and
// only matches "Raspberry Pi Boot" followed by three spaces, so the
// b8:27:eb ROMs get that variant; every later model gets the plain string
// that the Raspberry Pi documentation configures in dnsmasq.
func rpiVendor(pi3 bool) []byte {
	desc := "Raspberry Pi Boot"
	if pi3 {
		desc += "   "
	}
	b := []byte{6, 1, 3, 10, 4, 0, 'P', 'X', 'E', 9, byte(3 + len(desc)), 0, 0, byte(len(desc))}
	b = append(b, desc...)
	return append(b, 0xff)
}

// nak refuses a REQUEST (RFC 2131 4.3.2): yiaddr, ciaddr and siaddr zero,
// only 53, 54, 56 and the echoed 61/82.
func (d *decider) nak(format string, args ...any) Decision {
	msg := fmt.Sprintf(format, args...)
	d.note("NAK: %s", msg)
	r := d.build(replySpec{typ: dhcpv4.MessageTypeNak, msg: msg})
	if isSet(d.giaddr) {
		// RFC 2131 4.3.2: through a relay, ask it to broadcast the NAK.
		r.SetBroadcast()
	}
	dest, _ := replyDest(d.req.Port, d.req.Peer, d.giaddr, d.ciaddr, true)
	return Decision{Reply: r, Dest: dest, Class: d.fw.Class, Level: slog.LevelInfo, Why: d.why}
}

// reply finishes a decision that sends r.
func (d *decider) reply(r *dhcpv4.DHCPv4) Decision {
	dest, bc := replyDest(d.req.Port, d.req.Peer, d.giaddr, d.ciaddr, false)
	dest, link, _ := linkUnicast(dest, bc, false, d.m, headerAddr(r.YourIPAddr), d.snap.DHCP.BroadcastReplies)
	d.rep.Boot = d.choice
	d.rep.Boot.File = r.BootFileName
	if y := headerAddr(r.YourIPAddr); isSet(y) {
		d.rep.Addr = y
	}
	switch {
	case !d.explaining():
	case link != nil:
		d.note("reply %s to %v at %s (broadcast flag clear)", messageName(r), dest, link)
	default:
		d.note("reply %s to %v", messageName(r), dest)
	}
	return Decision{Reply: r, Dest: dest, LinkDest: link, Class: d.fw.Class, Level: slog.LevelInfo, Why: d.why}
}

// ipOf is the 4-byte header form of an address (0.0.0.0 when invalid).
func ipOf(a netip.Addr) net.IP {
	if !a.Is4() {
		return net.IPv4zero.To4()
	}
	b := a.As4()
	return net.IP(b[:])
}
