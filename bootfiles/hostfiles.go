package bootfiles

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// HostFilesDir is the folder each host's answer files are served under,
// over TFTP and HTTP alike: hosts/<host name>/<file> (a machine served by
// dhcp.default_profile is hosts/unknown-<mac hex>/<file>).
const HostFilesDir = "hosts"

// FilesPlaceholder, written in a cmdline, becomes the URL of the host's
// folder of answer files (no trailing slash): url={files}/preseed.cfg.
const FilesPlaceholder = "{files}"

// hostFileName splits a clean name into the host and file of an answer
// file, if it has that form.
func hostFileName(clean string) (host, file string, ok bool) {
	rest, ok := strings.CutPrefix(clean, HostFilesDir+"/")
	if !ok {
		return "", "", false
	}
	host, file, ok = strings.Cut(rest, "/")
	if !ok || host == "" || file == "" || strings.Contains(file, "/") {
		return "", "", false
	}
	return host, file, true
}

// hostByName finds a host by the name its folder carries, the stand-ins of
// dhcp.default_profile included.
func hostByName(snap *inventory.Snapshot, name string) (*inventory.Host, bool) {
	if h, ok := snap.HostByName(name); ok {
		return h, true
	}
	hexMAC, ok := strings.CutPrefix(name, "unknown-")
	mac, err := hex.DecodeString(hexMAC)
	if !ok || err != nil || len(mac) != 6 {
		return nil, false
	}
	h, ok := snap.Machine(net.HardwareAddr(mac))
	if !ok || !h.Unknown || h.Name != name {
		return nil, false
	}
	return h, true
}

// hostFile renders the answer file clean names, when it is one: ok is false
// when the name is not of that form or the host serves no such file (the
// caller falls through to the disk). A template that fails gives an error
// and no bytes: never half a file.
func (f *FS) hostFile(snap *inventory.Snapshot, client served.Client, clean string) ([]byte, bool, error) {
	name, file, ok := hostFileName(clean)
	if !ok {
		return nil, false, nil
	}
	h, ok := hostByName(snap, name)
	if !ok {
		return nil, false, nil
	}
	files, from := h.HostFiles()
	for i, hf := range files {
		if hf.Name != file {
			continue
		}
		ip := h.IP
		if !ip.IsValid() {
			if c, ok := f.hostByIP(snap, client.Addr); ok && c.Name == h.Name {
				ip = client.Addr
			}
		}
		b, err := hf.Render(f.fileData(snap, h, from[i], ip))
		if err != nil {
			f.log.Error("cannot render answer file", "client", client.Addr, "file", clean, "host", h.Name, "template", hf.Template, "err", err)
			return nil, false, fmt.Errorf("bootfiles: %s for host %s: %w", clean, h.Name, err)
		}
		f.log.Debug("serving answer file", "client", client.Addr, "file", clean, "host", h.Name, "bytes", len(b))
		return b, true, nil
	}
	return nil, false, nil
}

// fileData is what host h's answer files from profile p are rendered with.
func (f *FS) fileData(snap *inventory.Snapshot, h *inventory.Host, p *inventory.Profile, ip netip.Addr) inventory.FileData {
	d := snap.FileData(h, p, ip, f.serverIP)
	base := f.httpBase(snap)
	d.HTTP = base
	d.Callback = CallbackURL(base, h)
	d.Files = filesURL(base, h)
	d.Cmdline = fillPlaceholders(d.Cmdline, d.Callback, d.Files)
	return d
}

// httpBase is the snapshot's HTTP server at the server address, without
// a trailing slash; "" without HTTP.
func (f *FS) httpBase(snap *inventory.Snapshot) string {
	if !snap.HTTP.Enabled || !f.serverIP.Is4() {
		return ""
	}
	return strings.TrimSuffix(snap.HTTP.URL(f.serverIP, ""), "/")
}

// filesURL is the URL of host h's folder of answer files; "" without HTTP.
func filesURL(base string, h *inventory.Host) string {
	if base == "" || h == nil {
		return ""
	}
	return base + "/" + HostFilesDir + "/" + h.Name
}

// fillPlaceholders replaces {callback} and {files} in a command line.
func fillPlaceholders(s, callback, files string) string {
	return strings.NewReplacer(CallbackPlaceholder, callback, FilesPlaceholder, files).Replace(s)
}

// renderHostFiles lists host h's answer files with their bytes, for
// Render (explain).
func (f *FS) renderHostFiles(snap *inventory.Snapshot, h *inventory.Host) ([]GeneratedFile, error) {
	files, from := h.HostFiles()
	var out []GeneratedFile
	for i, hf := range files {
		b, err := hf.Render(f.fileData(snap, h, from[i], h.IP))
		if err != nil {
			return nil, fmt.Errorf("answer file %s: %w", hf.Name, err)
		}
		out = append(out, GeneratedFile{Name: HostFilesDir + "/" + h.Name + "/" + hf.Name, Content: b})
	}
	return out, nil
}
