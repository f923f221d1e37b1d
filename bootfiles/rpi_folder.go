package bootfiles

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// RPiFile is one name a Raspberry Pi asks for in its folder and where its
// bytes come from.
type RPiFile struct {
	// Name is the name inside the folder (config.txt, start4.elf, the
	// profile's kernel path, ...).
	Name string
	// Source is one of the RPi* sources below.
	Source RPiSource
}

// RPiSource is where a file of a Pi's folder is served from, in the order
// Resolve tries them.
type RPiSource string

// The places a file of a Pi's folder can come from.
const (
	RPiInFolder  RPiSource = "in the folder" // <folder>/<name> on disk: wins
	RPiGenerated RPiSource = "generated"     // config.txt or cmdline.txt from the profile
	RPiAtRoot    RPiSource = "at the root"   // <name> at the TFTP root (the fallback)
	RPiMissing   RPiSource = "missing"       // nowhere: the Pi gets "file not found"
	RPiRefused   RPiSource = "refused"       // e.g. a symlink leading out of the root
	RPiUnknown   RPiSource = "not checked"   // the TFTP root cannot be read here
)

// rpiFirmware are the files a Pi 4 reads from its folder before the
// kernel: the firmware, then its two text files. A Pi 5 has its firmware in
// the EEPROM and starts at config.txt.
func rpiFirmware() []string {
	return []string{"start4.elf", "fixup4.dat", "config.txt", "cmdline.txt"}
}

// rpiDTBs are the Pi 4 B and Pi 5 B device trees the firmware asks for when
// config.txt names no device_tree.
func rpiDTBs() []string { return []string{"bcm2711-rpi-4-b.dtb", "bcm2712-rpi-5-b.dtb"} }

// RPiFolder says what each file of a Pi host's folder resolves to, asking
// Resolve itself with the host as the client, so the answer is what TFTP
// serves: the file in the folder on disk, else a generated config.txt or
// cmdline.txt (a host with a profile with a kernel), else the root's file.
// It lists the firmware files, the profile's kernel, initrd and device tree
// (or the Pi 4/5 DTBs), then any other file found in the folder. folder is
// the host's rpi_serial; "" and nil for a host without one.
func RPiFolder(snap *inventory.Snapshot, h *inventory.Host) (folder string, files []RPiFile) {
	if snap == nil || h == nil || h.RPiSerial == "" {
		return "", nil
	}
	folder = h.RPiSerial
	f := New(func() *inventory.Snapshot { return snap }, nil, nil)
	defer f.Close()
	rootOK := false
	if fi, err := os.Stat(snap.TFTP.Root); err == nil && fi.IsDir() {
		rootOK = true
	}

	names := rpiFirmware()
	fdt := ""
	if bootable(h) {
		for _, p := range []string{h.Profile.Kernel, h.Profile.Initrd} {
			if p = rootPath(p); p != "" {
				names = append(names, p)
			}
		}
		fdt, _ = h.DeviceTree()
	}
	if fdt != "" {
		names = append(names, rootPath(fdt))
	} else {
		names = append(names, rpiDTBs()...)
	}
	if rootOK {
		seen := map[string]bool{}
		for _, n := range names {
			seen[n] = true
		}
		// folder is 8 hex digits (inventory checks rpi_serial): a plain
		// folder name under the root.
		entries, _ := os.ReadDir(filepath.Join(snap.TFTP.Root, folder))
		var extra []string
		for _, e := range entries {
			if e.Type().IsRegular() && !seen[e.Name()] {
				extra = append(extra, e.Name())
			}
		}
		sort.Strings(extra)
		names = append(names, extra...)
	}

	client := served.Client{Addr: h.IP, MAC: h.MAC}
	for _, n := range names {
		files = append(files, RPiFile{Name: n, Source: f.rpiSource(client, folder, n, rootOK)})
	}
	return folder, files
}

func (f *FS) rpiSource(client served.Client, folder, name string, rootOK bool) RPiSource {
	c, err := f.Resolve(client, path.Join(folder, name))
	switch {
	case err == nil:
		c.Body.Close()
		if c.Generated {
			return RPiGenerated
		}
		if !rootOK {
			return RPiUnknown
		}
		if c.Name == name {
			return RPiAtRoot
		}
		return RPiInFolder
	case !rootOK:
		return RPiUnknown
	case errors.Is(err, fs.ErrPermission):
		return RPiRefused
	}
	return RPiMissing
}
