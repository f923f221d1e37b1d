package dhcp

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/bootyard/bootyard/firmware"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Firmware is what identifyFirmware concluded about the firmware that sent
// a request.
type Firmware struct {
	// Class is one of firmware.Classes(), firmware.None or firmware.Other.
	Class firmware.Class
	// Boot reports that the client is network-booting and wants a boot file.
	Boot bool
	// PXE reports a PXE client (option 60 PXEClient/HTTPClient or option 93
	// present): the only clients proxyDHCP answers (PXE spec 2.1, 2.2.1).
	PXE bool
	// IPXE reports that the client is already iPXE (it must never be sent
	// an iPXE binary: that is the chainload loop).
	IPXE bool
	// UBoot reports U-Boot's own DHCP (it drops offers with yiaddr 0).
	UBoot bool
	// HTTP reports UEFI HTTP boot firmware: it needs a URL as boot file.
	HTTP bool
	// RPi is the Raspberry Pi generation when known ("3" for the b8:27:eb
	// ROMs, "4"/"5" from option 97), "" otherwise.
	RPi string
	// Asks reports that option 55 lists 66 or 67: the client reads a boot
	// file when offered one, whatever its class (udhcpc in a recovery
	// initramfs, Linux ip=dhcp loaders, vendor boot loaders). It gets a host
	// or profile boot file, never a class default.
	Asks bool
	// Arch lists every code of option 93 as sent.
	Arch []uint16
	// Why says which option decided, in order.
	Why []string
}

// identifyFirmware names the firmware that sent m. Rules are tried in order and the
// first that matches decides, because later evidence is less specific:
//
//  1. iPXE (option 77 "iPXE" or option 175): iPXE also sends the option 93
//     of the machine it runs on, but what it needs is an iPXE script.
//  2. U-Boot's own DHCP (option 60 "U-Boot..."): arch from option 93 21/22,
//     else from the vendor-class suffix.
//  3. TI AM335x boot ROM/SPL (option 60 "AM335x ..."): ARM32 U-Boot chain;
//     barebox (option 60 "barebox..."): Other.
//  4. Raspberry Pi: option 97 "RPi4"/"RPi5", or a Pi MAC prefix on a PXE
//     client (the Pi ROM says arch 0 and would otherwise look like a PC).
//  5. UEFI HTTP boot (option 60 "HTTPClient" or an HTTP arch code).
//  6. Option 93, every element (RFC 4578 2.1 allows a list).
//  7. Option 60 "PXEClient:Arch:NNNNN", parsed leniently (decimal, or hex
//     as U-Boot's EFI stack writes it).
//  8. Anything else: firmware.None, not a boot client.
//
// What each option 93 code and option 60 value means is firmware's table;
// the order in which the evidence is weighed is here.
func identifyFirmware(m *dhcpv4.DHCPv4) Firmware {
	var c Firmware
	o := m.Options
	vendor := string(o.Get(dhcpv4.OptionClassIdentifier))
	user := o.Get(dhcpv4.OptionUserClassInformation)
	raw93 := o.Get(dhcpv4.OptionClientSystemArchitectureType)
	for i := 0; i+1 < len(raw93); i += 2 {
		c.Arch = append(c.Arch, uint16(raw93[i])<<8|uint16(raw93[i+1]))
	}
	if len(raw93)%2 == 1 {
		c.Why = append(c.Why, fmt.Sprintf("option 93 has odd length %d: trailing byte ignored", len(raw93)))
	}
	pxeVendor := strings.HasPrefix(vendor, "PXEClient")
	httpVendor := strings.HasPrefix(vendor, "HTTPClient")
	c.PXE = pxeVendor || httpVendor || o.Has(dhcpv4.OptionClientSystemArchitectureType)
	if len(c.Arch) > 0 {
		c.Why = append(c.Why, "option 93 lists "+archList(c.Arch))
	}
	archClass, archCode, archOK := classFromArch(c.Arch)
	mac := strings.ToLower(net.HardwareAddr(m.ClientHWAddr).String())
	rpiMAC := ""
	// Raspberry Pi Foundation / Raspberry Pi Trading OUIs: b8:27:eb is the
	// Pi 1-3 range, the others Pi 4 and later.
	for _, p := range []string{"b8:27:eb", "dc:a6:32", "e4:5f:01", "28:cd:c1", "d8:3a:dd", "2c:cf:67"} {
		if strings.HasPrefix(mac, p) {
			rpiMAC = p
		}
	}
	uuid := o.Get(dhcpv4.OptionClientMachineIdentifier)
	for _, code := range m.ParameterRequestList() {
		if n := code.Code(); n == 66 || n == 67 {
			c.Asks = true
		}
	}

	set := func(class firmware.Class, why string) Firmware {
		c.Class, c.Boot = class, class.Boot()
		c.Why = append(c.Why, why)
		return c
	}
	switch {
	case bytes.Contains(user, []byte("iPXE")):
		c.IPXE = true
		return set(firmware.IPXE, `option 77 (user class) contains "iPXE": the client is iPXE`)
	case o.Has(dhcpv4.OptionEtherboot):
		c.IPXE = true
		return set(firmware.IPXE, "option 175 (iPXE features) present: the client is iPXE")
	case strings.HasPrefix(vendor, "U-Boot"):
		c.UBoot = true
		if archOK && (archClass == firmware.UBootARM || archClass == firmware.UBootARM64) {
			return set(archClass, fmt.Sprintf("option 60 %q is U-Boot; option 93 code %d says %s", vendor, archCode, archClass))
		}
		if v, ok := firmware.LookupVendor(vendor); ok {
			return set(v.Class, fmt.Sprintf("option 60 %q is %s", vendor, v.What))
		}
		return set(firmware.Other, fmt.Sprintf("option 60 %q is U-Boot without an ARM architecture (x86 and RISC-V builds send no option 93): no class default, host or profile boot file only", vendor))
	case strings.HasPrefix(vendor, "AM335x"):
		v, _ := firmware.LookupVendor(vendor)
		return set(v.Class, fmt.Sprintf("option 60 %q is %s", vendor, v.What))
	case strings.HasPrefix(vendor, "barebox"):
		// barebox's environment sets "barebox-<hostname>"
		// (global.dhcp.vendor_id); no arch in it, no option 93.
		return set(firmware.Other, fmt.Sprintf("option 60 %q is barebox: no class default, host or profile boot file only", vendor))
	case bytes.HasPrefix(uuid, []byte("RPi4")) || bytes.HasPrefix(uuid, []byte("RPi5")):
		c.RPi = string(uuid[3:4])
		return set(firmware.RPi, fmt.Sprintf("option 97 starts with %q: Raspberry Pi %s", uuid[:4], c.RPi))
	case archOK && archClass == firmware.RPi:
		return set(firmware.RPi, "option 93 code 41 is the Raspberry Pi rpiboot ROM")
	case rpiMAC != "" && c.PXE && (len(c.Arch) == 0 || (archOK && archClass == firmware.BIOS)):
		if rpiMAC == "b8:27:eb" {
			c.RPi = "3"
		}
		return set(firmware.RPi, fmt.Sprintf("MAC prefix %s is Raspberry Pi and the client is a PXE client with arch 0", rpiMAC))
	case httpVendor:
		c.HTTP = true
		return set(firmware.UEFIHTTP, `option 60 starts with "HTTPClient": UEFI HTTP boot`)
	case archOK:
		a, _ := firmware.LookupArch(archCode)
		c.HTTP = a.HTTP
		return set(archClass, fmt.Sprintf("option 93 code %d (%s) is %s", archCode, a.Name, archClass))
	case len(c.Arch) > 0:
		return set(firmware.Other, fmt.Sprintf("option 93 code %d (%s) has no bootyard class: host or profile boot file only", c.Arch[0], firmware.ArchName(c.Arch[0])))
	case pxeVendor:
		code, how, ok := vendorArch(vendor)
		if !ok {
			return set(firmware.Other, fmt.Sprintf("option 60 %q has no readable arch: host or profile boot file only", vendor))
		}
		a, known := firmware.LookupArch(code)
		if !known || a.Class == "" {
			return set(firmware.Other, fmt.Sprintf("option 60 %q: arch %d (%s, %s) has no bootyard class", vendor, code, firmware.ArchName(code), how))
		}
		c.HTTP = a.HTTP
		return set(a.Class, fmt.Sprintf("no option 93; option 60 %q: arch %d (%s, %s) is %s", vendor, code, a.Name, how, a.Class))
	}
	if c.Asks {
		c.Why = append(c.Why, "option 55 asks for option 66/67: gets a host or profile boot file")
	}
	if vendor != "" {
		return set(firmware.None, fmt.Sprintf("option 60 %q and no option 93: not a boot client", vendor))
	}
	return set(firmware.None, "no option 60, 77, 93 or 175: not a boot client")
}

// classFromArch picks the first element of option 93 that has a bootyard
// class (RFC 4578: the list is in the client's order of preference).
func classFromArch(archs []uint16) (class firmware.Class, code uint16, ok bool) {
	for _, a := range archs {
		if info, known := firmware.LookupArch(a); known && info.Class != "" {
			return info.Class, a, true
		}
	}
	return "", 0, false
}

// vendorArch reads the arch field of "PXEClient:Arch:AAAAA:UNDI:MMMmmm".
// PXE 2.1 says decimal; U-Boot's EFI stack writes hex ("0000b"), so a field
// that is not decimal is tried as hex.
func vendorArch(v string) (code uint16, how string, ok bool) {
	parts := strings.Split(v, ":")
	for i := 0; i+1 < len(parts); i++ {
		if !strings.EqualFold(parts[i], "Arch") {
			continue
		}
		s := strings.TrimSpace(parts[i+1])
		if n, err := strconv.ParseUint(s, 10, 16); err == nil {
			return uint16(n), "decimal", true
		}
		if n, err := strconv.ParseUint(s, 16, 16); err == nil {
			return uint16(n), "read as hex", true
		}
		return 0, "", false
	}
	return 0, "", false
}

// archList formats option 93 codes with their names.
func archList(archs []uint16) string {
	s := make([]string, len(archs))
	for i, a := range archs {
		s[i] = fmt.Sprintf("%d (%s)", a, firmware.ArchName(a))
	}
	return "[" + strings.Join(s, ", ") + "]"
}
