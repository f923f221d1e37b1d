package dhcp

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"

	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"
)

// This file is the decision: what one request gets. Decide (and Explain,
// the same with its Report) is pure; the server commits the lease change it
// returns and sends the reply. Read in this order:
//
//  1. decide, below: is the packet usable and for us, which firmware sent
//     it (identifyFirmware, firmware.go), which host it is, our address.
//  2. The mode: authoritative answers per message type (decide_messages.go);
//     proxyDHCP and the port 4011 boot server answer with boot information
//     only (decide_proxy.go).
//  3. What goes in the reply: the address (decide_address.go), the boot file
//     (decide_bootfile.go), the message and its options (reply_build.go,
//     reply_options.go), and where it is sent (reply_dest.go).
//
// Every request left unanswered says why with a Reason (reasons.go).

// Decide answers one request from the inventory snapshot and the current
// leases. It is pure: it reads snap and lv, never writes, and its result
// depends only on its arguments (req.Now is the clock). The server commits
// Decision.Change and then sends Decision.Reply.
func Decide(req Request, snap *inventory.Snapshot, lv LeaseView) Decision {
	d, _ := Explain(req, snap, lv)
	return d
}

// Explain is Decide with its explanation. Decide calls it; `bootyard
// explain` prints the Report.
func Explain(req Request, snap *inventory.Snapshot, lv LeaseView) (Decision, Report) {
	d := &decider{req: req, m: req.Msg, snap: snap, lv: lv}
	dec := d.decide()
	d.rep.Why = dec.Why
	return dec, d.rep
}

// decider carries one request through the decision; every rule it applies
// is noted in why.
type decider struct {
	req    Request
	m      *dhcpv4.DHCPv4
	snap   *inventory.Snapshot
	lv     LeaseView
	mac    net.HardwareAddr
	server netip.Addr
	giaddr netip.Addr
	ciaddr netip.Addr
	host   *inventory.Host
	// standIn is dhcp.default_profile's stand-in for a MAC not in the
	// inventory (Snapshot.Machine), looked up once; nil without one.
	standIn *inventory.Host
	fw      Firmware
	choice  BootChoice // set by boot(); reported only when a reply is sent
	rep     Report
	why     []string
}

// note adds a line to the decision's explanation; a terse decision keeps
// none. On the path every request takes, call it inside `if
// d.explaining()`: Go boxes its arguments (allocates) before note could
// drop them, and a busy server decides terse.
func (d *decider) note(format string, args ...any) {
	if !d.explaining() {
		return
	}
	d.why = append(d.why, fmt.Sprintf(format, args...))
}

// explaining reports whether the decision keeps its notes (not terse).
func (d *decider) explaining() bool { return !d.req.Terse }

// noteClient notes the client's firmware class and who it is.
func (d *decider) noteClient() {
	d.note("class %s: %s", d.fw.Class, strings.Join(d.fw.Why, "; "))
	switch {
	case d.host != nil:
		d.note("MAC %s is host %s (line %d)", d.mac, d.host.Name, d.host.Line)
	case d.standIn != nil:
		d.note("MAC %s is not in the inventory: it boots dhcp.default_profile %s", d.mac, d.standIn.Profile.Name)
	default:
		d.note("MAC %s is not in the inventory", d.mac)
	}
}

// ignore ends the decision without a reply.
func (d *decider) ignore(level slog.Level, code Reason, format string, args ...any) Decision {
	text := fmt.Sprintf(format, args...)
	d.why = append(d.why, "ignored: "+text)
	return Decision{Reason: code, Ignore: text, Level: level, Why: d.why}
}

// decide checks that the packet is usable and for us, identifies the
// client and hands over to the mode.
func (d *decider) decide() Decision {
	m := d.m
	if m == nil {
		return d.ignore(slog.LevelWarn, ReasonNoMessage, "no DHCP message")
	}
	if d.snap == nil {
		return d.ignore(slog.LevelWarn, ReasonNoInventory, "no inventory loaded")
	}
	d.rep.Mode = d.snap.DHCP.Mode
	d.rep.Message = messageName(m)
	if m.OpCode != dhcpv4.OpcodeBootRequest {
		return d.ignore(slog.LevelDebug, ReasonNotRequest, "op %d is not BOOTREQUEST", m.OpCode)
	}
	if code, why := badHardware(m); code != "" {
		return d.ignore(slog.LevelWarn, code, "%s", why)
	}
	d.mac = m.ClientHWAddr
	if d.explaining() { // the report is for explain, never terse
		d.rep.MAC = d.mac.String()
	}
	// Who is asking comes first, so that every ignore below is still
	// explained with the client's class and host.
	d.fw = identifyFirmware(m)
	if !m.Options.Has(dhcpv4.OptionDHCPMessageType) && !d.fw.Boot {
		// RFC 951: a BOOTP client is by definition booting.
		d.fw.Boot = true
		d.fw.Why = append(d.fw.Why, "no option 53: a BOOTP client, treated as a boot client")
	}
	d.rep.Firmware = d.fw
	if h, ok := d.snap.HostByMAC(d.mac); ok {
		d.host = h
		d.rep.Host = h.Name
		if h.Profile != nil {
			d.rep.Profile = h.Profile.Name
		}
	} else if m, ok := d.snap.Machine(d.mac); ok {
		d.standIn = m
		d.rep.Profile = m.Profile.Name
	}
	if d.explaining() {
		d.noteClient()
	}

	if d.snap.DHCP.Mode == inventory.ModeOff || d.snap.DHCP.Mode == "" {
		return d.ignore(slog.LevelDebug, ReasonModeOff, "dhcp.mode is off")
	}
	// cmd resolved the server address once (dhcp.server_ip, else the
	// interface's) and passed it in the request: no second rule here.
	d.server = d.req.ServerIP.Unmap()
	if !d.server.Is4() {
		return d.ignore(slog.LevelWarn, ReasonNoServerAddress, "no IPv4 server address (dhcp.server_ip unset and none known for the interface)")
	}
	d.giaddr = headerAddr(m.GatewayIPAddr)
	d.ciaddr = headerAddr(m.ClientIPAddr)
	if m.Options.Has(dhcpv4.OptionDHCPMessageType) && msgType(m) == dhcpv4.MessageTypeNone {
		return d.ignore(slog.LevelWarn, ReasonBadMessageType, "option 53 is malformed")
	}
	// A request on port 4011 was sent to us by unicast, whatever server it
	// names; on port 67 a foreign option 54 means the client chose another
	// server's offer.
	if v := m.Options.Get(dhcpv4.OptionServerIdentifier); v != nil && d.req.Port != BootServerPort {
		sid, ok := netip.AddrFromSlice(v)
		if !ok || sid.Unmap() != d.server {
			// RFC 2131 4.3.2: the client chose another server's offer.
			return d.ignore(slog.LevelDebug, ReasonOtherServer, "option 54 names server %v, not us (%v)", net.IP(v), d.server)
		}
	}

	if d.req.Port == BootServerPort {
		return d.bootServer()
	}
	switch d.snap.DHCP.Mode {
	case inventory.ModeAuthoritative:
		return d.authoritative()
	case inventory.ModeProxy:
		return d.proxy()
	}
	return d.ignore(slog.LevelWarn, ReasonUnknownMode, "unknown dhcp.mode %q", d.snap.DHCP.Mode)
}

// bootHost is the host whose boot settings apply: the inventory host, else
// the stand-in for dhcp.default_profile (nil without one). Only the boot
// file comes from the stand-in: addresses, limits and the proxy_unknown
// gate still treat the MAC as unknown.
func (d *decider) bootHost() *inventory.Host {
	if d.host != nil {
		return d.host
	}
	return d.standIn
}

// badHardware says why chaddr cannot identify the client, or "". Only
// Ethernet is served: the inventory is keyed by 6-byte MACs.
func badHardware(m *dhcpv4.DHCPv4) (Reason, string) {
	hw := m.ClientHWAddr
	switch {
	case len(hw) == 0:
		return ReasonNoHWAddr, "no client hardware address (hlen 0)"
	case len(hw) >= 16:
		return ReasonHWAddrLength, fmt.Sprintf("hardware address length %d: not Ethernet", len(hw))
	case m.HWType != iana.HWTypeEthernet:
		return ReasonNotEthernet, fmt.Sprintf("hardware type %d is not Ethernet", m.HWType)
	case len(hw) != 6:
		return ReasonHWAddrLength, fmt.Sprintf("hardware address length %d, Ethernet has 6", len(hw))
	case allZero(hw):
		return ReasonZeroMAC, "client MAC is 00:00:00:00:00:00"
	case hw[0]&1 == 1:
		return ReasonGroupMAC, fmt.Sprintf("client MAC %s is a group address", hw)
	}
	return "", ""
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// headerAddr reads a BOOTP header address; anything unreadable is 0.0.0.0.
func headerAddr(ip net.IP) netip.Addr {
	if v4 := ip.To4(); v4 != nil {
		return netip.AddrFrom4([4]byte(v4))
	}
	return netip.IPv4Unspecified()
}

// messageName names the message for reports ("BOOTP" without option 53).
// A busy server names every request and reply a few times (metrics, the
// timeline): the names of the types the library knows are made once.
func messageName(m *dhcpv4.DHCPv4) string {
	if !m.Options.Has(dhcpv4.OptionDHCPMessageType) {
		return "BOOTP"
	}
	t := msgType(m)
	if name := messageNames[t]; name != "" {
		return name
	}
	return strings.ToUpper(t.String())
}

// msgType is m.MessageType() without its allocation (the library reads the
// one byte through a buffer it allocates, a dozen times per exchange): the
// type in option 53, or MessageTypeNone when the option is missing or is
// not one byte long.
func msgType(m *dhcpv4.DHCPv4) dhcpv4.MessageType {
	v := m.Options.Get(dhcpv4.OptionDHCPMessageType)
	if len(v) != 1 {
		return dhcpv4.MessageTypeNone
	}
	return dhcpv4.MessageType(v[0])
}

// messageNames holds messageName's answers for option 53 values 1-18.
var messageNames = func() (names [256]string) {
	for t := dhcpv4.MessageTypeDiscover; t <= 18; t++ {
		names[t] = strings.ToUpper(t.String())
	}
	return names
}()
