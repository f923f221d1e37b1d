package dhcp

import (
	"log/slog"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// proxy answers as a proxyDHCP server (PXE 2.1 2.2.1): another server owns
// the addresses; bootyard only adds boot information. A DISCOVER on port
// 67 gets an OFFER with yiaddr 0.0.0.0, option 60 "PXEClient", option 54
// and the boot file; requests on port 4011 are handled by bootServer.
func (d *decider) proxy() Decision {
	if !d.m.Options.Has(dhcpv4.OptionDHCPMessageType) {
		return d.ignore(slog.LevelDebug, ReasonProxyBOOTP, "BOOTP in proxy mode: a BOOTP client needs an address")
	}
	if t := msgType(d.m); t != dhcpv4.MessageTypeDiscover {
		return d.ignore(slog.LevelDebug, ReasonProxyNotDiscover, "proxy mode answers DISCOVER on port 67 and REQUEST on 4011; %s belongs to the address server", t)
	}
	return d.proxyReply(dhcpv4.MessageTypeOffer)
}

// bootServer answers a REQUEST (or INFORM) sent to the PXE boot server port
// 4011 with an ACK carrying boot information only, to the client's source
// address. Some UEFI ROMs ignore a proxy offer that skips discovery and
// boot only when port 4011 answers. It works the same in every mode.
func (d *decider) bootServer() Decision {
	switch t := msgType(d.m); t {
	case dhcpv4.MessageTypeRequest, dhcpv4.MessageTypeInform:
		return d.proxyReply(dhcpv4.MessageTypeAck)
	default:
		return d.ignore(slog.LevelDebug, ReasonBootServerMessage, "%s on port 4011: the boot server answers REQUEST only", t)
	}
}

// proxyReply is the boot-information-only reply shared by proxy mode and
// the port 4011 boot server.
func (d *decider) proxyReply(typ dhcpv4.MessageType) Decision {
	switch {
	case !d.fw.PXE:
		return d.ignore(slog.LevelDebug, ReasonNotPXE, "not a PXE client (no option 60 PXEClient/HTTPClient, no option 93)")
	case d.fw.UBoot:
		return d.ignore(slog.LevelInfo, ReasonUBootProxy, "U-Boot drops offers whose yiaddr is 0.0.0.0: it cannot boot from proxyDHCP (use dhcp.mode authoritative)")
	case d.host == nil && !d.snap.DHCP.ProxyUnknown:
		return d.ignore(slog.LevelInfo, ReasonProxyUnknownMAC, "unknown MAC %s and dhcp.proxy_unknown is off", d.mac)
	}
	boot, ign := d.boot()
	if ign != nil {
		return *ign
	}
	if boot.File == "" && boot.Local {
		return d.ignore(slog.LevelInfo, ReasonProxyLocalBoot, "%s", boot.Rule)
	}
	if boot.File == "" {
		return d.ignore(slog.LevelInfo, ReasonProxyNoBootFile, "proxy mode has only boot information to give and class %s has no boot file", d.fw.Class)
	}
	r := d.build(replySpec{typ: typ, ciaddr: d.ciaddr, boot: boot})
	return d.reply(r)
}
