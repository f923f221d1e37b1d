package dhcp

import (
	"fmt"
	"path"
	"strings"

	"github.com/bootyard/bootyard/inventory"
)

// isIPXEBinary reports whether name (a TFTP path or URL) names an iPXE
// build, by base name, case-insensitively (Windows TFTP roots are).
//
// The names are the ones iPXE is built and shipped as. A client that
// already runs iPXE and is handed one of these loads iPXE again, which asks
// DHCP again, forever: the classic chainload loop.
func isIPXEBinary(name string) bool {
	switch strings.ToLower(path.Base(strings.ReplaceAll(name, "\\", "/"))) {
	case "undionly.kpxe", "undionly.kkpxe", "undionly.kkkpxe", "undionly.pxe",
		"ipxe.pxe", "ipxe.kpxe", "ipxe.kkpxe", "ipxe.efi", "snponly.efi", "snp.efi",
		"ipxe.lkrn", "ipxe.usb", "ipxe.iso", "ipxe-x86_64.efi", "ipxe-arm64.efi",
		"ipxe-i386.efi", "ipxe-snponly-x86_64.efi":
		return true
	}
	return false
}

// isURL reports whether a boot file is an http(s) URL, the only kind UEFI
// HTTP boot firmware accepts.
func isURL(name string) bool {
	l := strings.ToLower(name)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// BootChoice is the boot file chosen for one client and the rule that chose it.
type BootChoice struct {
	File string // "" when the client gets no boot options
	Rule string // which rule decided, for explanations
	// Local is true when the host, its profile or its class says "boot from
	// the local disk": File is "" on purpose.
	Local bool
	// Skipped lists candidates passed over, with why.
	Skipped []string
}

// ChooseBootFile picks the boot file of a client whose firmware is c that is
// host h: an inventory host, the stand-in for dhcp.default_profile
// (inventory.Snapshot.Machine), or nil. The order is one switch, most
// specific first, because a person who names a file for one machine means
// it:
//
//  1. host.BootFile, else host local (local: true or bootfile: "")
//  2. host.Profile.BootFile, else profile local
//  3. snap.Boot[class]: the per-firmware default; a class written as ""
//     there has none, so its machines boot from their disks
//
// with one exception applied to every step: a client that already runs iPXE
// never gets an iPXE binary (that is the chainload loop); such a candidate
// is skipped, so iPXE falls through to snap.Boot[firmware.IPXE], its script. A file
// that is not an iPXE binary (pxelinux.0 for qemu's iPXE BIOS ROM) is fine.
// A client that is not a boot client (firmware.None) gets nothing, unless it
// is an inventory host that asks for option 66 or 67 (Firmware.Asks): then
// steps 1 and 2 apply, never step 3, as class defaults are for recognised
// firmware.
func ChooseBootFile(c Firmware, h *inventory.Host, snap *inventory.Snapshot) BootChoice {
	var b BootChoice
	usable := func(what, f string) bool {
		if f == "" {
			return false
		}
		if c.IPXE && isIPXEBinary(f) {
			b.Skipped = append(b.Skipped, fmt.Sprintf("%s %q skipped: the client already runs iPXE and would load it again (chainload loop)", what, f))
			return false
		}
		return true
	}
	var hostFile, profFile string
	var hostName, profName, who string
	var hostLocal, profLocal bool
	if h != nil {
		hostFile, hostName, hostLocal = h.BootFile, h.Name, h.Local
		who = "host " + hostName
		if h.Unknown {
			who = "default profile (MAC not in the inventory)"
		}
		if h.Profile != nil {
			profFile, profName, profLocal = h.Profile.BootFile, h.Profile.Name, h.Profile.Local
		}
	}
	var classFile string
	if snap != nil && c.Boot {
		classFile = snap.Boot[c.Class]
	}
	switch {
	case !c.Boot && !c.Asks:
		b.Rule = "not a boot client: no boot file"
	case !c.Boot && (h == nil || h.Unknown):
		b.Rule = "not a boot client and not in the inventory: no boot file (asking for option 66/67 is enough only for an inventory host)"
	case usable("host "+hostName+" bootfile", hostFile):
		b.File, b.Rule = hostFile, fmt.Sprintf("boot file from host %s", hostName)
	case hostFile == "" && hostLocal:
		b.Local, b.Rule = true, fmt.Sprintf("local boot: host %s boots from its own disk (local: true): no boot file", hostName)
	case usable("profile "+profName+" bootfile", profFile):
		b.File, b.Rule = profFile, fmt.Sprintf("boot file from profile %s of %s", profName, who)
	case hostFile == "" && profFile == "" && profLocal:
		b.Local, b.Rule = true, fmt.Sprintf("local boot: profile %s of %s boots from the local disk (local: true): no boot file", profName, who)
	case usable("boot."+string(c.Class), classFile):
		b.File, b.Rule = classFile, fmt.Sprintf("boot file from boot.%s (firmware class default)", c.Class)
	default:
		b.Rule = fmt.Sprintf("no boot file: no host or profile bootfile and no boot.%s entry (boot.%s: \"\" or a class with no default): it boots from its own disk", c.Class, c.Class)
	}
	return b
}
