package bootfiles

import (
	"net/netip"
	"path"
	"strings"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// templateData is what every template (default or override) is executed
// with. All strings are single-line: control characters, newlines included,
// become spaces, so that no inventory value can add a line to a config file.
type templateData struct {
	Host     string // host name
	MAC      string // aa:bb:cc:dd:ee:ff
	IP       string // the host's address: reserved, else its pool address; "" when unknown
	ServerIP string // the boot server's address; "" when not configured
	Profile  string // profile name
	// Kernel and Initrd are written the way this file's reader resolves
	// them (see docs/bootfiles.md): relative to the boot file's folder for
	// pxelinux.cfg files, "/"-absolute from the TFTP root for GRUB and
	// iPXE, root-relative for U-Boot's tftpboot. Initrd is "" for none.
	Kernel, Initrd string
	// KernelPath and InitrdPath are the profile's paths under the TFTP root,
	// as written in the inventory, without a leading "/".
	KernelPath, InitrdPath string
	// FDT (a device tree file) and FDTDir (a folder of them) are the host's
	// device tree (inventory.Host.DeviceTree), written like Kernel; at most
	// one is set. FDTPath and FDTDirPath are their paths under the root.
	FDT, FDTDir         string
	FDTPath, FDTDirPath string
	// Cmdline is the profile's cmdline followed by the host's.
	Cmdline string
	// Dir is the folder the file was asked from ("" for the root).
	Dir string
	// Menu, Default (the default entry's Name), DefaultIndex and the
	// timeout in three units are set for a profile with a menu (the
	// <kind>-menu templates).
	// Callback is the host's installer callback URL (CallbackURL), "" when
	// bootyard serves no HTTP.
	Callback                                 string
	Menu                                     []menuEntry
	Default                                  string
	DefaultIndex                             int
	TimeoutSeconds, TimeoutMS, TimeoutTenths int
}

func newTemplateData(h *inventory.Host, ip, serverIP netip.Addr, req request) templateData {
	p := h.Profile
	kernel := rootPath(p.Kernel)
	initrd := rootPath(p.Initrd)
	d := templateData{
		Host:       oneLine(h.Name),
		MAC:        h.MAC.String(),
		Profile:    oneLine(p.Name),
		KernelPath: kernel,
		InitrdPath: initrd,
		Cmdline:    p.CmdlineFor(h),
		Dir:        req.dir,
	}
	if ip.IsValid() {
		d.IP = ip.String()
	}
	if serverIP.IsValid() {
		d.ServerIP = serverIP.String()
	}
	d.Kernel, d.Initrd = kernelForm(req, kernel), kernelForm(req, initrd)
	fdt, fdtdir := h.DeviceTree()
	d.FDTPath, d.FDTDirPath = rootPath(fdt), rootPath(fdtdir)
	d.FDT, d.FDTDir = kernelForm(req, d.FDTPath), kernelForm(req, d.FDTDirPath)
	return d
}

// kernelForm writes a root-relative path p the way the reader of a file of
// this kind resolves it; "" stays "".
func kernelForm(req request, p string) string {
	if p == "" {
		return ""
	}
	if strings.Contains(p, "://") {
		// A URL (only iPXE can fetch one) is passed through untouched.
		return p
	}
	switch req.kind {
	case kindPXELinux:
		// PXELINUX prefixes every relative name with its path prefix (the
		// boot file's folder), and U-Boot's `pxe` with the folder of
		// $bootfile (get_relfile; absolute paths are only honoured by
		// sysboot). Neither has an absolute form the other understands
		// (pxelinux's "::name" would be read by U-Boot's tftpboot as
		// "server:name"), so the path is made relative to the folder the
		// config was asked from, which is that same prefix.
		return relTo(req.dir, p)
	case kindIPXE:
		if req.httpBase != "" {
			return req.httpBase + p
		}
		// iPXE resolves "/x" against the script's own URI: same server,
		// from its root.
		return "/" + p
	case kindGRUB:
		// GRUB resolves "/x" against $root, (tftp,<server>) or
		// (http,<server>): the folder of the boot file does not matter.
		return "/" + p
	default:
		// U-Boot's tftpboot sends the name as given: root-relative.
		return p
	}
}

// relTo returns target (a path under the root) relative to folder dir, with
// "../" steps where target is not below dir. bootyard's tftpd resolves ".."
// lexically inside the root, so "boot/../images/x" reaches images/x.
func relTo(dir, target string) string {
	if dir == "" {
		return target
	}
	if rest, ok := strings.CutPrefix(target, dir+"/"); ok {
		return rest
	}
	return strings.Repeat("../", strings.Count(dir, "/")+1) + target
}

// rootPath normalises an inventory path under the TFTP root: no leading
// "/", cleaned, single-line.
func rootPath(p string) string {
	p = strings.TrimSpace(oneLine(p))
	if p == "" || strings.Contains(p, "://") {
		return p
	}
	p = strings.TrimLeft(path.Clean("/"+p), "/")
	return p
}

// oneLine replaces control characters (newlines, tabs, NUL, DEL) with
// spaces. The inventory should refuse them; this is the second line of
// defence that keeps a cmdline from injecting lines into a config.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// grubQuote makes s one GRUB script word. Plain words stay as they are;
// anything else is single-quoted (nothing is special inside GRUB single
// quotes; a quote inside is written close-quote, backslash-quote,
// open-quote).
func grubQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,/:@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// grubArgs writes a kernel command line as arguments of GRUB's `linux`.
// GRUB does not pass its line through: it parses it into words (shell-like
// quoting) and builds the kernel's line again from them, wrapping a word
// that holds a space in double quotes and putting a backslash before any
// quote or backslash (grub_create_loader_cmdline). So the line is first
// split the way the kernel splits it (spaces, with double quotes grouping),
// the double quotes dropped, and each resulting parameter written as one
// single-quoted GRUB word: param="a b" reaches the kernel as "param=a b",
// which it reads as the same thing, and $, ;, { } cannot act as GRUB syntax.
func grubArgs(s string) string {
	f := kernelParams(s)
	for i, w := range f {
		f[i] = grubQuote(w)
	}
	return strings.Join(f, " ")
}

// kernelParams splits a command line into parameters as Linux does
// (next_arg in lib/cmdline.c): spaces separate, except inside double
// quotes; the quotes themselves are dropped.
func kernelParams(s string) []string {
	var out []string
	var b strings.Builder
	inQuote, started := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote, started = !inQuote, true
		case r == ' ' && !inQuote:
			if started {
				out = append(out, b.String())
				b.Reset()
				started = false
			}
		default:
			b.WriteRune(r)
			started = true
		}
	}
	if started {
		out = append(out, b.String())
	}
	return out
}

// hushQuote makes s one word for U-Boot's hush shell: single quotes, in
// which $ and ; are literal; a quote inside is closed, escaped and
// reopened as for GRUB.
func hushQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// GeneratedFile is one per-host file bootfiles serves without it being on
// disk.
type GeneratedFile struct {
	// Name is the TFTP name, relative to the root (the form a client at
	// the root asks for; the same file answers under any folder where the
	// kind allows one).
	Name string
	// Content is the exact bytes served.
	Content []byte
}

// Render lists every file generated for host, in the order firmware asks
// for them (PXELINUX/U-Boot pxe, GRUB, iPXE, U-Boot script, then a Pi's
// config.txt and cmdline.txt), with the bytes it would be served: what
// `bootyard explain` prints. Each candidate name goes
// through the same lookup Resolve uses, with the host as the client (its MAC,
// and its reserved IP), so explain lists exactly the names the transports
// serve it. Names that depend on the client's address are listed for the
// reserved IP only (a host on a pool address gets them for its lease).
// Template overrides under snap.TFTP.Root are honoured when the root can be
// opened. A host with no profile or no kernel has none: nil, nil.
func Render(snap *inventory.Snapshot, host *inventory.Host, serverIP netip.Addr) ([]GeneratedFile, error) {
	if snap == nil || !generates(host) {
		return nil, nil
	}
	f := New(func() *inventory.Snapshot { return snap }, nil, nil, ServerIP(serverIP))
	defer f.Close()

	mac := dashedMAC(host.MAC)
	names := []string{"pxelinux.cfg/01-" + mac}
	if host.IP.Is4() {
		names = append(names, "pxelinux.cfg/"+hexIP(host.IP.As4()))
	}
	names = append(names, "grub.cfg-01-"+mac)
	if host.IP.Is4() {
		names = append(names, "grub.cfg-"+hexIP(host.IP.As4()))
	}
	if n := ipxeName(snap); n != "" {
		names = append(names, n)
	}
	names = append(names, strings.ReplaceAll(mac, "-", "")+".ipxe", "boot.scr.uimg", "boot.scr")

	client := served.Client{Addr: host.IP, MAC: host.MAC}
	seen := make(map[string]bool)
	var out []GeneratedFile
	for _, name := range names {
		if seen[name] {
			continue // the iPXE name under boot: is also another generated name
		}
		seen[name] = true
		b, ok, err := f.generated(snap, client, name)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, GeneratedFile{Name: name, Content: b})
		}
	}
	pi, err := f.rpiRender(host, client)
	if err != nil {
		return nil, err
	}
	answers, err := f.renderHostFiles(snap, host)
	if err != nil {
		return nil, err
	}
	return append(append(out, pi...), answers...), nil
}

// Generated reports whether bootfiles generates name for at least one host
// of snap, so that the inventory validator counts a boot file such as the
// iPXE script or boot.scr.uimg as present although it is not on disk. name
// is cleaned by served.Clean first, as a request for it would be. Names tied
// to an address count when a host reserves a matching address or takes a
// pool address.
func Generated(snap *inventory.Snapshot, name string) bool {
	if snap == nil {
		return false
	}
	clean, err := served.Clean(name)
	if err != nil {
		return false
	}
	req, ok := matchGenerated(clean, ipxeName(snap))
	if !ok {
		return false
	}
	if req.key == byMAC {
		h, ok := snap.Machine(req.mac)
		return ok && generates(h)
	}
	for _, h := range snap.Hosts() {
		if !generates(h) {
			continue
		}
		if req.hexIP == "" || !h.IP.IsValid() {
			return true
		}
		if h.IP.Is4() && strings.HasPrefix(hexIP(h.IP.As4()), req.hexIP) {
			return true
		}
	}
	return false
}
