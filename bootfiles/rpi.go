package bootfiles

import (
	"strings"

	"github.com/bootyard/bootyard/inventory"
)

// rpiFallback handles the Raspberry Pi network boot folders. A Pi 3 asks
// for <serial>/start.elf after bootcode.bin and, when it exists, takes every
// later file from <serial>/; a Pi 4/5 uses its serial (or its MAC written
// dc-a6-32-01-36-c2, or a custom prefix) as the folder and falls back to the
// root itself when start4.elf is not found there. So that one set of
// firmware files at the root serves every Pi, a name whose first element is
// the rpi_serial or dashed MAC of an inventory host is looked up under that
// folder first and, when missing there, at the root: alt is that root name.
// ok is false for any other name. bootcode.bin and bootsig.bin are plain
// root names (bootsig.bin is expected to be missing).
func rpiFallback(snap *inventory.Snapshot, name string) (alt string, ok bool) {
	first, rest, found := strings.Cut(name, "/")
	if !found || rest == "" {
		return "", false
	}
	if mac, ok := parseDashedMAC(first); ok {
		if _, known := snap.HostByMAC(mac); known {
			return rest, true
		}
		return "", false
	}
	if !isLowerHex(strings.ToLower(first)) {
		return "", false
	}
	serial := strings.ToLower(first)
	for _, h := range snap.Hosts() {
		if h.RPiSerial != "" && strings.EqualFold(h.RPiSerial, serial) {
			return rest, true
		}
	}
	return "", false
}
