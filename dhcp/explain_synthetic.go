package dhcp

import (
	"encoding/binary"
	"net"
	"net/netip"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/inventory"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"
)

// SyntheticRequest builds the DISCOVER that `bootyard explain -mac M [-arch
// N] [-vendor-class S] [-user-class S]` asks about: chaddr mac, option 93 =
// arch when given, option 60 = vendor and option 77 = user (raw, as iPXE
// sends "iPXE") when not empty. It arrives on port 67 from 0.0.0.0:68; the
// caller sets Now and ServerIP (used when dhcp.server_ip is unset).
func SyntheticRequest(mac net.HardwareAddr, arch *uint16, vendor, user string) Request {
	m := &dhcpv4.DHCPv4{
		OpCode:        dhcpv4.OpcodeBootRequest,
		HWType:        iana.HWTypeEthernet,
		ClientHWAddr:  append(net.HardwareAddr(nil), mac...),
		ClientIPAddr:  net.IPv4zero.To4(),
		YourIPAddr:    net.IPv4zero.To4(),
		ServerIPAddr:  net.IPv4zero.To4(),
		GatewayIPAddr: net.IPv4zero.To4(),
		Options:       dhcpv4.Options{},
	}
	m.SetBroadcast()
	m.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeDiscover))
	if arch != nil {
		m.Options[dhcpv4.OptionClientSystemArchitectureType.Code()] = binary.BigEndian.AppendUint16(nil, *arch)
	}
	if vendor != "" {
		m.UpdateOption(dhcpv4.OptClassIdentifier(vendor))
	}
	if user != "" {
		m.Options[dhcpv4.OptionUserClassInformation.Code()] = []byte(user)
	}
	return Request{Msg: m, Port: ServerPort, Peer: netipUnspecified68}
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
