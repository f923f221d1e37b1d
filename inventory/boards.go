package inventory

import (
	"errors"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bootyard/bootyard/served"
)

// The keys for development boards: the device tree a profile or host boots
// with, and the Raspberry Pi serial that names a Pi's TFTP folder.

// DeviceTree returns the device tree the host boots with: its own fdt or
// fdtdir when it sets either (the pair replaces the profile's, so a host can
// swap its profile's folder for one file), else its profile's. Both are
// paths under the TFTP root as written; at most one is non-empty.
func (h *Host) DeviceTree() (fdt, fdtdir string) {
	if h.FDT != "" || h.FDTDir != "" {
		return h.FDT, h.FDTDir
	}
	if h.Profile != nil {
		return h.Profile.FDT, h.Profile.FDTDir
	}
	return "", ""
}

// deviceTree decodes the fdt and fdtdir keys of the profile or host at p.
// Setting both is refused: U-Boot's PXE code would silently ignore FDTDIR,
// and the other readers have no equivalent of either rule. A URL is refused
// too: every reader of a device tree here fetches it by TFTP.
func (d *decoder) deviceTree(m map[string]*yaml.Node, p string) (fdt, fdtdir string) {
	fdt = d.str(m["fdt"], join(p, "fdt"))
	fdtdir = d.str(m["fdtdir"], join(p, "fdtdir"))
	for _, f := range []struct{ key, v string }{{"fdt", fdt}, {"fdtdir", fdtdir}} {
		if strings.Contains(f.v, "://") {
			d.addf(d.nodes[join(p, f.key)], join(p, f.key), "%q: a device tree is loaded by TFTP: give a path under tftp.root, not a URL", f.v)
		}
	}
	if fdt != "" && fdtdir != "" {
		d.addf(d.nodes[join(p, "fdtdir")], join(p, "fdtdir"), "set fdt (one file) or fdtdir (a folder of them), not both")
	}
	return fdt, fdtdir
}

// checkHostDeviceTree refuses a host's fdt or fdtdir that no generated file
// would use: like its cmdline, it goes into its profile's kernel entry.
func (d *decoder) checkHostDeviceTree(h *Host, p, profile string) {
	for _, f := range []struct{ key, v string }{{"fdt", h.FDT}, {"fdtdir", h.FDTDir}} {
		if f.v == "" {
			continue
		}
		switch {
		case profile == "":
			d.addf(d.nodes[join(p, f.key)], join(p, f.key), "a host's %s goes with its profile's kernel, but this host names no profile", f.key)
		case h.Profile != nil && h.Profile.Kernel == "":
			d.addf(d.nodes[join(p, f.key)], join(p, f.key), "a host's %s goes with its profile's kernel, but profile %q has no kernel", f.key, h.Profile.Name)
		}
	}
}

// rpiSerial accepts the 8 hex digits a Raspberry Pi uses as its TFTP folder
// name, or the 16-digit form /proc/cpuinfo prints (whose last 8 digits are
// the folder name).
func (d *decoder) rpiSerial(n *yaml.Node, path string) string {
	s, ok := d.scalar(n, path)
	if s == nil || !ok {
		return ""
	}
	v := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s.Value), "0x"))
	if len(v) == 16 {
		v = v[8:]
	}
	if len(v) != 8 || strings.Trim(v, "0123456789abcdef") != "" {
		d.addf(s, path, "%q is not a Raspberry Pi serial number (8 hex digits, e.g. 1a2b3c4d)", s.Value)
		return ""
	}
	return v
}

// needFolder checks that name (an fdtdir) is a folder under the TFTP root,
// cleaned as a served name is (served.Clean): relative to the root with or
// without a leading "/", and refused when it climbs above it.
func (d *decoder) needFolder(root *os.Root, rootDir, name, field string) {
	if name == "" {
		return
	}
	clean, err := served.Clean(name)
	if err != nil {
		if errors.Is(err, served.ErrClimbs) {
			d.addf(d.nodes[field], field, "%q goes above the TFTP root with \"..\"", name)
		} else {
			d.addf(d.nodes[field], field, "%q is not a valid folder name (%v)", name, err)
		}
		return
	}
	fi, err := root.Stat(clean)
	switch {
	case err != nil:
		d.addf(d.nodes[field], field, "folder %q not found under the TFTP root %s", name, rootDir)
	case !fi.IsDir():
		d.addf(d.nodes[field], field, "%q is not a folder under the TFTP root %s", name, rootDir)
	}
}
