package inventory

import (
	"os"
	"path"

	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/served"
)

// pxelinuxNeeds is what PXELINUX 5 and later load from their own folder
// before they read any config: without ldlinux.c32 beside pxelinux.0 a BIOS
// machine stops at "Failed to load ldlinux.c32", after DHCP and TFTP both
// worked, so nothing in the server log says why.
const pxelinuxNeeds = "ldlinux.c32"

// checkSyslinux warns, for every pxelinux.0 (or lpxelinux.0) the file names
// that is present under the root, when ldlinux.c32 is not beside it.
func (d *decoder) checkSyslinux(root *os.Root, rootDir string, snap *Snapshot) (warnings []Problem) {
	type named struct{ name, field string }
	var names []named
	if f, ok := snap.Boot[firmware.BIOS]; ok && snap.Expects(firmware.BIOS) {
		names = append(names, named{f, "boot.bios"})
	}
	for _, p := range snap.profiles {
		names = append(names, named{p.BootFile, join(join("profiles", p.Name), "bootfile")})
	}
	for i, h := range snap.hosts {
		names = append(names, named{h.BootFile, join(index("hosts", i), "bootfile")})
	}
	seen := map[string]bool{}
	for _, n := range names {
		clean, err := served.Clean(n.name)
		if err != nil || seen[clean] {
			continue
		}
		if b := path.Base(clean); b != "pxelinux.0" && b != "lpxelinux.0" {
			continue
		}
		seen[clean] = true
		if fi, err := root.Stat(clean); err != nil || !fi.Mode().IsRegular() {
			continue // reported as missing already
		}
		dir := path.Dir(clean)
		need := path.Join(dir, pxelinuxNeeds)
		if fi, err := root.Stat(need); err == nil && fi.Mode().IsRegular() {
			continue
		}
		where := "the TFTP root " + rootDir
		if dir != "." {
			where = dir + "/ under the TFTP root " + rootDir
		}
		warnings = append(warnings, Problem{File: d.file, Line: lineOf(d.nodes[n.field]), Field: n.field,
			Msg: "\"" + n.name + "\": " + pxelinuxNeeds + " is not in " + where + ": PXELINUX loads it first and BIOS machines stop at \"Failed to load ldlinux.c32\"; copy it from the same syslinux version (Debian: /usr/lib/syslinux/modules/bios/ldlinux.c32)"})
	}
	return warnings
}
