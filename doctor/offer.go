package doctor

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// An Offer is one DHCPOFFER as doctor received it, with the fields a boot
// depends on.
type Offer struct {
	// Server is the offer's server identifier (option 54), or the packet's
	// source address when it has none.
	Server netip.Addr
	// After is how long after the first DISCOVER the offer arrived.
	After time.Duration
	// YourIP is the address offered (yiaddr); unspecified in a proxyDHCP
	// offer, which only adds boot options.
	YourIP netip.Addr
	// NextServer is siaddr, where PXE firmware fetches the boot file from.
	NextServer netip.Addr
	// File is the BOOTP file field; BootFileOpt is option 67 and TFTPServer
	// option 66.
	File, BootFileOpt, TFTPServer string
	// VendorClass is option 60 of the reply ("PXEClient" for PXE firmware).
	VendorClass string
	// Msg is the offer itself, for a REQUEST.
	Msg *dhcpv4.DHCPv4
}

// newOffer reads an Offer out of a reply received from src.
func newOffer(m *dhcpv4.DHCPv4, src net.IP, after time.Duration) Offer {
	o := Offer{
		After:       after,
		YourIP:      addrOf(m.YourIPAddr),
		NextServer:  addrOf(m.ServerIPAddr),
		File:        trimNUL(m.BootFileName),
		BootFileOpt: trimNUL(m.BootFileNameOption()),
		TFTPServer:  trimNUL(m.TFTPServerName()),
		VendorClass: m.ClassIdentifier(),
		Msg:         m,
	}
	if o.Server = addrOf(m.ServerIdentifier()); !o.Server.IsValid() || o.Server.IsUnspecified() {
		o.Server = addrOf(src)
	}
	return o
}

// addrOf converts an IPv4 address, the zero Addr for nil or garbage.
func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip.To4())
	return a
}

// trimNUL cuts a field at its first NUL: the BOOTP fields are NUL-padded, and
// some servers NUL-terminate option 67 too.
func trimNUL(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// Proxy reports a proxyDHCP offer: no address, only boot options.
func (o Offer) Proxy() bool { return !o.YourIP.IsValid() || o.YourIP.IsUnspecified() }

// BootFile is the boot file fw takes from this offer: U-Boot reads only the
// BOOTP file field (it never asks for option 67); the others prefer option
// 67 and fall back to the field.
func (o Offer) BootFile(fw Firmware) string {
	if fw.UBoot || o.BootFileOpt == "" {
		return o.File
	}
	return o.BootFileOpt
}

// BootServer is where a TFTP boot file is fetched from: siaddr, else option
// 66, else the DHCP server itself (what PXE firmware falls back to).
func (o Offer) BootServer() string {
	switch {
	case o.NextServer.IsValid() && !o.NextServer.IsUnspecified():
		return o.NextServer.String()
	case o.TFTPServer != "":
		return o.TFTPServer
	}
	return o.Server.String()
}

// Target is what fw would fetch for this offer, and false when the offer
// names no boot file.
func (o Offer) Target(fw Firmware) (Target, bool) {
	f := o.BootFile(fw)
	if f == "" {
		return Target{}, false
	}
	if isURL(f) {
		if t, err := ParseTarget(f); err == nil {
			return t, true
		}
	}
	return tftpTarget(o.BootServer(), f), true
}

// Summary is the offer on one line: who, when, what address, what file.
func (o Offer) Summary(fw Firmware) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s after %s: ", o.Server, o.After.Round(time.Millisecond))
	if o.Proxy() {
		b.WriteString("no address (proxyDHCP)")
	} else {
		fmt.Fprintf(&b, "address %s", o.YourIP)
	}
	if o.NextServer.IsValid() && !o.NextServer.IsUnspecified() {
		fmt.Fprintf(&b, ", next-server %s", o.NextServer)
	}
	if o.TFTPServer != "" {
		fmt.Fprintf(&b, ", option 66 %q", o.TFTPServer)
	}
	if o.File != "" {
		fmt.Fprintf(&b, ", file %q", o.File)
	}
	if o.BootFileOpt != "" {
		fmt.Fprintf(&b, ", option 67 %q", o.BootFileOpt)
	}
	if o.File == "" && o.BootFileOpt == "" {
		b.WriteString(", no boot file")
	}
	if o.VendorClass != "" {
		fmt.Fprintf(&b, ", option 60 %q", o.VendorClass)
	} else {
		b.WriteString(", no option 60")
	}
	if o.Msg != nil {
		// PXE discovery control and the PXELINUX options (RFC 5071), which
		// change where the firmware and pxelinux look next.
		if v := o.Msg.Options.Get(dhcpv4.OptionVendorSpecificInformation); v != nil {
			fmt.Fprintf(&b, ", option 43 % x", v)
		}
		if v := o.Msg.Options.Get(dhcpv4.OptionPXELinuxConfigFile); v != nil {
			fmt.Fprintf(&b, ", option 209 %q", trimNUL(string(v)))
		}
		if v := o.Msg.Options.Get(dhcpv4.OptionPXELinuxPathPrefix); v != nil {
			fmt.Fprintf(&b, ", option 210 %q", trimNUL(string(v)))
		}
	}
	return b.String()
}
