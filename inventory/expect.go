package inventory

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bootyard/bootyard/firmware"
)

// x86Classes are the classes every network is assumed to have unless the
// file's firmware: list says otherwise: PCs, in BIOS or UEFI mode, and the
// iPXE they chainload.
var x86Classes = []firmware.Class{firmware.BIOS, firmware.UEFIIA32, firmware.UEFIX64, firmware.UEFIHTTP, firmware.IPXE}

// decodeFirmware reads firmware:, the optional list of the firmware classes
// this network has. Only the check of class defaults uses it: a default the
// user never wrote (grubaa64.efi on an x86-only network) is checked only for
// a class that can come.
func (d *decoder) decodeFirmware(n *yaml.Node) []firmware.Class {
	items := d.list(n, "firmware")
	if items == nil {
		return nil
	}
	out := []firmware.Class{}
	for i, it := range items {
		field := index("firmware", i)
		s := d.str(it, field)
		c := firmware.Class(s)
		if !isClass(c) {
			var names []string
			for _, k := range firmware.Classes() {
				names = append(names, string(k))
			}
			d.addf(it, field, "%q is not a firmware class: use %s", s, strings.Join(names, ", "))
			continue
		}
		out = append(out, c)
	}
	return out
}

// bootWritten lists the classes boot: names in the file.
func (d *decoder) bootWritten() map[firmware.Class]bool {
	w := map[firmware.Class]bool{}
	for _, c := range firmware.Classes() {
		if d.nodes[join("boot", string(c))] != nil {
			w[c] = true
		}
	}
	return w
}

func isClass(c firmware.Class) bool {
	for _, k := range firmware.Classes() {
		if c == k {
			return true
		}
	}
	return false
}

// Expects reports whether clients of class c may come to this server, so
// that a missing default boot file for it deserves a warning. With a
// firmware: list it is that list; without, PCs (bios, uefi-*, ipxe) are
// assumed, a Raspberry Pi when a host has rpi_serial, and U-Boot boards when a
// host or profile names a device tree (fdt, fdtdir). A class given a file
// under boot: is always expected.
func (s *Snapshot) Expects(c firmware.Class) bool {
	if s.bootWritten[c] {
		return true
	}
	if s.Firmware != nil {
		for _, k := range s.Firmware {
			if k == c {
				return true
			}
		}
		return false
	}
	for _, k := range x86Classes {
		if k == c {
			return true
		}
	}
	switch c {
	case firmware.RPi:
		for _, h := range s.hosts {
			if h.RPiSerial != "" {
				return true
			}
		}
	case firmware.UBootARM, firmware.UBootARM64:
		for _, h := range s.hosts {
			if h.FDT != "" || h.FDTDir != "" {
				return true
			}
		}
		for _, p := range s.profiles {
			if p.FDT != "" || p.FDTDir != "" {
				return true
			}
		}
	}
	return false
}
