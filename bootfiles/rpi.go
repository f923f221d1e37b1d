package bootfiles

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
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

// The Raspberry Pi's own boot files, generated in its folder from its
// profile. A Pi 4/5 reads config.txt (which kernel, which initramfs, 64-bit
// or not, which device tree) and then cmdline.txt (the kernel command line)
// from its folder after the firmware.
const (
	kindRPiConfig  kind = "rpi-config"  // <folder>/config.txt
	kindRPiCmdline kind = "rpi-cmdline" // <folder>/cmdline.txt
)

// rpiKind is the generated kind of a file name directly in a Pi's folder.
func rpiKind(file string) (kind, bool) {
	switch file {
	case "config.txt":
		return kindRPiConfig, true
	case "cmdline.txt":
		return kindRPiCmdline, true
	}
	return "", false
}

// rpiHost finds the Pi whose TFTP folder is folder: a host with an
// rpi_serial, by that serial (EEPROM TFTP_PREFIX=0, the default) or by its
// MAC written dc-a6-32-01-36-c2 (TFTP_PREFIX=2). Hosts without rpi_serial
// get no generated Pi files: the serial is what marks a host as a Pi.
func rpiHost(snap *inventory.Snapshot, folder string) (*inventory.Host, bool) {
	if mac, ok := parseDashedMAC(folder); ok {
		h, ok := snap.HostByMAC(mac)
		return h, ok && h.RPiSerial != ""
	}
	for _, h := range snap.Hosts() {
		if h.RPiSerial != "" && strings.EqualFold(h.RPiSerial, folder) {
			return h, true
		}
	}
	return nil, false
}

// rpiRequest decides whether name is config.txt or cmdline.txt directly in
// the folder of an inventory Pi. The folder names the host, whoever asks,
// as a MAC in a pxelinux.cfg name does.
func rpiRequest(snap *inventory.Snapshot, name string) (request, *inventory.Host, bool) {
	folder, file, ok := strings.Cut(name, "/")
	if !ok {
		return request{}, nil, false
	}
	k, ok := rpiKind(file)
	if !ok {
		return request{}, nil, false
	}
	h, ok := rpiHost(snap, folder)
	if !ok {
		return request{}, nil, false
	}
	return request{kind: k, key: byMAC, mac: h.MAC, dir: folder}, h, true
}

// rpiGenerated renders a Pi's config.txt or cmdline.txt. Resolve asks only
// after the Pi's folder on disk had no such file, so a file the user put in
// the folder wins; the root's config.txt (the one a copied boot partition
// brings) does not.
func (f *FS) rpiGenerated(snap *inventory.Snapshot, client served.Client, clean string) ([]byte, bool, error) {
	req, h, ok := rpiRequest(snap, clean)
	if !ok || !bootable(h) {
		return nil, false, nil
	}
	ip := h.IP
	if c, ok := f.hostByIP(snap, client.Addr); !ip.IsValid() && ok && c == h {
		ip = client.Addr
	}
	var b []byte
	err := f.withRoot(snap.TFTP.Root, func(r *os.Root) error {
		var err error
		b, err = f.tmpl.render(r, req, plainBoot, newTemplateData(h, ip, f.serverIP, req))
		return err
	})
	log := f.log.With("client", client.Addr, "file", clean, "host", h.Name, "kind", string(req.kind))
	if err != nil {
		log.Error("cannot render generated file", "err", err)
		return nil, false, fmt.Errorf("bootfiles: %s for host %s: %w", clean, h.Name, err)
	}
	log.Debug("serving generated file", "bytes", len(b))
	return b, true, nil
}

// rpiRender lists the Pi files Render shows for h: config.txt and
// cmdline.txt in its serial folder, through Resolve, when what Resolve
// serves is the generated file (not one the user put in the folder).
func (f *FS) rpiRender(h *inventory.Host, client served.Client) ([]GeneratedFile, error) {
	if h.RPiSerial == "" {
		return nil, nil
	}
	var out []GeneratedFile
	for _, file := range []string{"config.txt", "cmdline.txt"} {
		c, err := f.Resolve(client, h.RPiSerial+"/"+file)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			continue
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(c.Body)
		c.Body.Close()
		if err != nil {
			return nil, err
		}
		if c.Generated {
			out = append(out, GeneratedFile{Name: c.Name, Content: b})
		}
	}
	return out, nil
}
