package dhcp

import (
	"encoding/binary"
	"net"

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
