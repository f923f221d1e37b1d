package doctor

import (
	"encoding/binary"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// A Firmware is a boot client doctor can act as: the DHCPDISCOVER options it
// sends and what it can fetch a boot file with. The option bytes of the
// captured ones are those of the first DISCOVER in dhcp/testdata/golden (real
// firmware in qemu; firmware_test.go compares them byte for byte); the others
// are derived from a capture, and Source says how.
type Firmware struct {
	// Name is the -firmware value: bootyard's boot class names where one fits.
	Name string
	// Summary is one line for the user.
	Summary string
	// Source is the capture the options come from, or how they were derived.
	Source string

	// Arch is option 93 (RFC 4578 client system architecture).
	Arch uint16
	// VendorClass is option 60.
	VendorClass string
	// UNDI is option 94 (client network interface identifier), nil for none.
	UNDI []byte
	// Params is option 55 in the firmware's order.
	Params []byte
	// MaxSize is option 57.
	MaxSize uint16
	// UserClass is option 77 as sent: iPXE sends the raw string "iPXE", not
	// RFC 3004's length-prefixed form.
	UserClass string
	// Etherboot is option 175, iPXE's feature list, nil for none.
	Etherboot []byte
	// ClientID says option 61 is sent: type 1 (Ethernet) and the MAC.
	ClientID bool
	// MachineID says option 97 is sent: type 0 and a 16-byte UUID, all zero
	// as qemu's firmware sends it.
	MachineID bool

	// TFTP and HTTP say how it fetches a boot file: a URL as the boot file
	// needs HTTP, a plain name needs TFTP.
	TFTP, HTTP bool
	// UEFI marks UEFI PXE and HTTP firmware, which take only offers that
	// carry option 60 PXEClient (or HTTPClient).
	UEFI bool
	// UBoot marks U-Boot, which drops an offer whose yiaddr is 0 and reads
	// the boot file from the BOOTP file field (it never asks for 67).
	UBoot bool
	// IPXE marks iPXE, which loops forever when offered an iPXE binary.
	IPXE bool
}

// The option 55 lists of the captures.
var (
	ipxeParams = []byte{0x01, 0x03, 0x06, 0x07, 0x0c, 0x0f, 0x11, 0x1a, 0x2b, 0x3c, 0x42, 0x43, 0x77,
		0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0xaf, 0xcb}
	ovmfParams = []byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x0d, 0x0f, 0x11, 0x12, 0x16, 0x17, 0x1c,
		0x28, 0x29, 0x2a, 0x2b, 0x32, 0x33, 0x36, 0x3a, 0x3b, 0x3c, 0x42, 0x43, 0x61,
		0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87}
	ubootParams = []byte{0x01, 0x03, 0x06, 0x0c, 0x11}
)

// Firmwares returns every firmware doctor can act as, sorted by name. It
// builds a new slice on each call: there is no package state to change.
func Firmwares() []Firmware {
	fws := []Firmware{
		{
			Name: "ipxe", Summary: "iPXE (BIOS option ROM)", Source: "ipxe-bios-discover.bin",
			Arch: 0, VendorClass: "PXEClient:Arch:00000:UNDI:002001", UNDI: []byte{1, 2, 1},
			Params: ipxeParams, MaxSize: 1472, UserClass: "iPXE", ClientID: true, MachineID: true,
			Etherboot: []byte{0xb1, 0x05, 0x01, 0x80, 0x86, 0x10, 0x0e, 0xeb, 0x03, 0x01, 0x00, 0x00,
				0x17, 0x01, 0x01, 0x22, 0x01, 0x01, 0x13, 0x01, 0x01, 0x11, 0x01, 0x01, 0x27, 0x01, 0x01,
				0x19, 0x01, 0x01, 0x29, 0x01, 0x01, 0x10, 0x01, 0x02, 0x21, 0x01, 0x01, 0x15, 0x01, 0x01,
				0x18, 0x01, 0x01, 0x12, 0x01, 0x01},
			TFTP: true, HTTP: true, IPXE: true,
		},
		{
			Name: "ipxe-efi", Summary: "iPXE (EFI x86-64)", Source: "ipxe-efi-discover.bin",
			Arch: 7, VendorClass: "PXEClient:Arch:00007:UNDI:003010", UNDI: []byte{1, 3, 10},
			Params: ipxeParams, MaxSize: 1472, UserClass: "iPXE", ClientID: true, MachineID: true,
			Etherboot: []byte{0xb1, 0x05, 0x01, 0x1a, 0xf4, 0x10, 0x00, 0xeb, 0x03, 0x01, 0x00, 0x00,
				0x17, 0x01, 0x01, 0x24, 0x01, 0x01, 0x13, 0x01, 0x01, 0x11, 0x01, 0x01, 0x27, 0x01, 0x01,
				0x29, 0x01, 0x01, 0x15, 0x01, 0x01, 0x1b, 0x01, 0x01, 0x12, 0x01, 0x01},
			TFTP: true, HTTP: true, IPXE: true,
		},
		{
			Name: "bios", Summary: "BIOS PXE ROM (not iPXE)",
			Source: "ipxe-bios-discover.bin without options 77 and 175 (what a PXE ROM that is not iPXE sends)",
			Arch:   0, VendorClass: "PXEClient:Arch:00000:UNDI:002001", UNDI: []byte{1, 2, 1},
			Params: ipxeParams, MaxSize: 1472, ClientID: true, MachineID: true,
			TFTP: true,
		},
		{
			Name: "uefi-x64", Summary: "UEFI PXE, x86-64 (EDK2/OVMF)", Source: "ovmf-x64-discover.bin",
			Arch: 7, VendorClass: "PXEClient:Arch:00007:UNDI:003000", UNDI: []byte{1, 3, 0},
			Params: ovmfParams, MaxSize: 1472, MachineID: true,
			TFTP: true, UEFI: true,
		},
		{
			Name: "uefi-arm64", Summary: "UEFI PXE, ARM64 (EDK2)",
			Source: "ovmf-x64-discover.bin with architecture 11 in options 93 and 60",
			Arch:   11, VendorClass: "PXEClient:Arch:00011:UNDI:003000", UNDI: []byte{1, 3, 0},
			Params: ovmfParams, MaxSize: 1472, MachineID: true,
			TFTP: true, UEFI: true,
		},
		{
			Name: "uefi-http", Summary: "UEFI HTTP boot, x86-64 (EDK2 HTTPClient)",
			Source: "ovmf-x64-discover.bin with architecture 16 and option 60 HTTPClient",
			Arch:   16, VendorClass: "HTTPClient:Arch:00016:UNDI:003000", UNDI: []byte{1, 3, 0},
			Params: ovmfParams, MaxSize: 1472, MachineID: true,
			HTTP: true, UEFI: true,
		},
		{
			Name: "uboot-arm64", Summary: "U-Boot, ARM64", Source: "uboot-arm64-discover.bin",
			Arch: 22, VendorClass: "U-Boot.armv8", UNDI: []byte{1, 0, 0},
			Params: ubootParams, MaxSize: 576,
			TFTP: true, UBoot: true,
		},
		{
			Name: "uboot-arm", Summary: "U-Boot, ARM32", Source: "uboot-arm-discover.bin",
			Arch: 21, VendorClass: "U-Boot.armv7", UNDI: []byte{1, 0, 0},
			Params: ubootParams, MaxSize: 576,
			TFTP: true, UBoot: true,
		},
	}
	sort.Slice(fws, func(i, j int) bool { return fws[i].Name < fws[j].Name })
	return fws
}

// LookupFirmware returns the firmware called name.
func LookupFirmware(name string) (Firmware, error) {
	var names []string
	for _, f := range Firmwares() {
		if f.Name == name {
			return f, nil
		}
		names = append(names, f.Name)
	}
	return Firmware{}, fmt.Errorf("unknown firmware %q: want one of %s", name, strings.Join(names, ", "))
}

// PXE reports whether the firmware announces itself as a PXE client (option
// 60 PXEClient...), so a server answering it is expected to say PXEClient too.
func (f Firmware) PXE() bool { return strings.HasPrefix(f.VendorClass, "PXEClient") }

// HTTPClient reports whether the firmware is UEFI HTTP boot (option 60
// HTTPClient...).
func (f Firmware) HTTPClient() bool { return strings.HasPrefix(f.VendorClass, "HTTPClient") }

// Discover builds the DHCPDISCOVER this firmware sends from mac, with the
// broadcast flag set whatever the firmware does: every server's offer must
// reach doctor, which has no address that a unicast offer could use.
func (f Firmware) Discover(mac net.HardwareAddr, xid dhcpv4.TransactionID) (*dhcpv4.DHCPv4, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("MAC %v: want 6 bytes", mac)
	}
	return dhcpv4.New(
		dhcpv4.WithTransactionID(xid),
		dhcpv4.WithHwAddr(mac),
		dhcpv4.WithBroadcast(true),
		dhcpv4.WithMessageType(dhcpv4.MessageTypeDiscover),
		f.options(mac),
	)
}

// Request builds the DHCPREQUEST this firmware sends to take offer.
func (f Firmware) Request(offer *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, error) {
	return dhcpv4.NewRequestFromOffer(offer, dhcpv4.WithBroadcast(true), f.options(offer.ClientHWAddr))
}

// options sets the firmware's own options on a message.
func (f Firmware) options(mac net.HardwareAddr) dhcpv4.Modifier {
	return func(d *dhcpv4.DHCPv4) {
		set := func(code dhcpv4.OptionCode, v []byte) { d.UpdateOption(dhcpv4.OptGeneric(code, v)) }
		set(dhcpv4.OptionParameterRequestList, f.Params)
		set(dhcpv4.OptionMaximumDHCPMessageSize, binary.BigEndian.AppendUint16(nil, f.MaxSize))
		set(dhcpv4.OptionClassIdentifier, []byte(f.VendorClass))
		set(dhcpv4.OptionClientSystemArchitectureType, binary.BigEndian.AppendUint16(nil, f.Arch))
		if f.UNDI != nil {
			set(dhcpv4.OptionClientNetworkInterfaceIdentifier, f.UNDI)
		}
		if f.UserClass != "" {
			set(dhcpv4.OptionUserClassInformation, []byte(f.UserClass))
		}
		if f.Etherboot != nil {
			set(dhcpv4.OptionEtherboot, f.Etherboot)
		}
		if f.ClientID {
			set(dhcpv4.OptionClientIdentifier, append([]byte{1}, mac...))
		}
		if f.MachineID {
			set(dhcpv4.OptionClientMachineIdentifier, make([]byte, 17))
		}
	}
}
