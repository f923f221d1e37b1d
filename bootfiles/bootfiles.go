package bootfiles

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// Hosts finds the inventory host that a client address belongs to. cmd wires
// it to the inventory reservations and to the DHCP leases, so that a host
// which takes a pool address (no reserved IP, but a profile) gets its
// generated files too: the lease gives its MAC, the MAC gives the host.
type Hosts interface {
	HostByIP(ip netip.Addr) (*inventory.Host, bool)
}

// FS resolves requested names to content for every transport: a per-host
// generated file when the name is one the client's firmware asks for and the
// client is a host with something to boot, else a regular file under the TFTP
// root, else not found. Its Resolve method is what tftpd's and httpboot's
// resolver interfaces ask for; it is safe for concurrent use.
type FS struct {
	snap  func() *inventory.Snapshot
	hosts Hosts
	log   *slog.Logger
	tmpl  *templates
	// serverIP is the boot server's address that generated files name
	// (U-Boot's `setenv serverip`), resolved once by cmd (see ServerIP).
	serverIP netip.Addr
	// extra are names served from files outside the root (Files).
	extra map[string][]string

	// mu guards the open root. Readers hold it shared while they open a
	// file, so a reload that moves the root never closes it under them;
	// files already open stay valid after the root is closed.
	mu      sync.RWMutex
	rootDir string
	root    *os.Root
	closed  bool
	rootErr error
}

// Option changes how New builds an FS.
type Option func(*FS)

// ServerIP gives the boot server address that generated files use
// (.ServerIP: U-Boot's `setenv serverip`). cmd resolves it once at start-up
// (dhcp.server_ip, else the interface's address) and passes it here and to
// the DHCP side, so both always name the same server. Without it generated
// files leave the address out.
func ServerIP(ip netip.Addr) Option {
	return func(f *FS) { f.serverIP = ip }
}

// New returns an FS that reads the current snapshot through snap on every
// request, so a reload takes effect on the next read (including a new TFTP
// root, which is opened on first use). hosts may be nil: client addresses are
// then looked up in the snapshot's reservations only. log may be nil.
func New(snap func() *inventory.Snapshot, hosts Hosts, log *slog.Logger, opts ...Option) *FS {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &FS{snap: snap, hosts: hosts, log: log, tmpl: defaultTemplates()}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Close closes the TFTP root. Files already handed out stay readable.
func (f *FS) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var err error
	if f.root != nil {
		err = f.root.Close()
		f.root, f.rootDir = nil, ""
	}
	// Final: a transfer still running after Close must not reopen the root
	// and leak it.
	f.closed = true
	return err
}

// Resolve returns the content name stands for when client asks for it. It
// is the one resolver behind every transport: TFTP and HTTP call it with the
// same names and get the same bytes. Generated files come first, then the
// Raspberry Pi folder (the file on disk there, else a generated config.txt
// or cmdline.txt, else the root's file), then the file under the TFTP root.
// Errors wrap fs.ErrNotExist when there is no such file and fs.ErrPermission
// when the name is refused (served.Clean refuses it, or it leads out of the
// root, symlinks included); their text names no server path.
func (f *FS) Resolve(client served.Client, name string) (served.Content, error) {
	clean, err := served.Clean(name)
	if err != nil {
		return served.Content{}, fmt.Errorf("bootfiles: %w: %w", fs.ErrPermission, err)
	}
	snap := f.snap()
	if snap == nil {
		return served.Content{}, fmt.Errorf("bootfiles: %s: no inventory loaded: %w", clean, fs.ErrNotExist)
	}
	client.Addr = client.Addr.Unmap()

	// A file on disk wins for the names GRUB asks every client alike
	// (http.go): grub.cfg, and its module list probes.
	if isGRUBDefault(clean) || isGRUBListProbe(clean) {
		c, err := f.openFile(snap.TFTP.Root, clean)
		if !errors.Is(err, fs.ErrNotExist) {
			return c, err
		}
		if isGRUBListProbe(clean) {
			return emptyFile(snap, clean), nil
		}
	}
	if b, ok, err := f.generated(snap, client, clean); err != nil {
		return served.Content{}, err
	} else if ok {
		return served.Content{Name: clean, Body: served.Bytes(b), Size: int64(len(b)), ModTime: snap.Loaded, Generated: true}, nil
	}
	if b, ok, err := f.hostFile(snap, client, clean); err != nil {
		return served.Content{}, err
	} else if ok {
		return served.Content{Name: clean, Body: served.Bytes(b), Size: int64(len(b)), ModTime: snap.Loaded, Generated: true}, nil
	}

	if c, ok, err := f.openExtra(clean); ok {
		return c, err
	}
	root := snap.TFTP.Root
	if alt, ok := rpiFallback(snap, clean); ok {
		c, err := f.openFile(root, clean)
		if !errors.Is(err, fs.ErrNotExist) {
			return c, err
		}
		if b, ok, err := f.rpiGenerated(snap, client, clean); err != nil {
			return served.Content{}, err
		} else if ok {
			return served.Content{Name: clean, Body: served.Bytes(b), Size: int64(len(b)), ModTime: snap.Loaded, Generated: true}, nil
		}
		f.log.Debug("raspberry pi folder falls back to the root", "client", client.Addr, "file", clean, "fallback", alt)
		return f.openFile(root, alt)
	}
	return f.openFile(root, clean)
}

// generated renders the file clean stands for when it is a generated name
// that applies to this client. ok is false when it does not (the caller
// falls through to the disk).
func (f *FS) generated(snap *inventory.Snapshot, client served.Client, clean string) ([]byte, bool, error) {
	req, ok := matchGenerated(clean, ipxeName(snap))
	if !ok {
		return nil, false, nil
	}
	host, ip, ok := f.hostFor(snap, req, client)
	if !ok {
		return nil, false, nil
	}
	log := f.log.With("client", client.Addr, "file", clean, "host", host.Name, "kind", string(req.kind))
	v, ok := variantOf(host)
	if !ok || !hasVariant(req.kind, v) {
		log.Debug("nothing generated for this host and kind, trying the TFTP root", "variant", string(v))
		return nil, false, nil
	}
	var b []byte
	err := f.withRoot(snap.TFTP.Root, func(r *os.Root) error {
		var err error
		d := hostData(host, v, ip, f.serverIP, httpRequest(req, snap, f.serverIP))
		f.withCallback(&d, host, snap)
		b, err = f.tmpl.render(r, req, v, d)
		return err
	})
	if err != nil {
		log.Error("cannot render generated file", "err", err)
		return nil, false, fmt.Errorf("bootfiles: %s for host %s: %w", clean, host.Name, err)
	}
	log.Debug("serving generated file", "bytes", len(b))
	return b, true, nil
}

// hostFor finds the host a matched request is for, and the address to put
// in its file (the reserved IP, else the asking client's pool address). A
// name that carries a MAC decides by that MAC; otherwise the client's own
// MAC decides when the transport knows it (an HTTP path naming the host),
// else its address does (reservation, lease, neighbour table: Hosts).
func (f *FS) hostFor(snap *inventory.Snapshot, req request, client served.Client) (*inventory.Host, netip.Addr, bool) {
	mac := req.mac
	if req.key == byClient && client.MAC != nil {
		mac = client.MAC
	}
	if mac != nil {
		h, ok := snap.Machine(mac)
		if !ok {
			return nil, netip.Addr{}, false
		}
		if req.hexIP != "" && !(h.IP.Is4() && strings.HasPrefix(hexIP(h.IP.As4()), req.hexIP)) {
			return nil, netip.Addr{}, false
		}
		if h.IP.IsValid() {
			return h, h.IP, true
		}
		if c, ok := f.hostByIP(snap, client.Addr); ok && c == h {
			return h, client.Addr, true
		}
		return h, netip.Addr{}, true
	}
	if !client.Addr.Is4() {
		return nil, netip.Addr{}, false
	}
	h, ok := f.hostByIP(snap, client.Addr)
	if !ok {
		return nil, netip.Addr{}, false
	}
	if req.hexIP != "" && !strings.HasPrefix(hexIP(client.Addr.As4()), req.hexIP) {
		return nil, netip.Addr{}, false
	}
	return h, client.Addr, true
}

// MaxWindow is the TFTP windowsize cap of the host at client's address
// (its own tftp_max_window, else its profile's); 0 when it has none or
// the address is no known host's.
func (f *FS) MaxWindow(client served.Client) int {
	snap := f.snap()
	if snap == nil {
		return 0
	}
	h, ok := f.hostByIP(snap, client.Addr.Unmap())
	if !ok {
		return 0
	}
	return h.MaxWindow()
}

func (f *FS) hostByIP(snap *inventory.Snapshot, ip netip.Addr) (*inventory.Host, bool) {
	if f.hosts != nil {
		return f.hosts.HostByIP(ip)
	}
	return snap.HostByIP(ip)
}

// openFile opens a regular file under the TFTP root dir. The file is
// returned as is, so the transports stream it instead of reading it whole.
func (f *FS) openFile(dir, name string) (served.Content, error) {
	var c served.Content
	err := f.withRoot(dir, func(r *os.Root) error {
		if r == nil {
			return fmt.Errorf("bootfiles: %s: TFTP root unavailable: %w", name, fs.ErrNotExist)
		}
		// Stat before opening: opening a FIFO or a device would block or
		// have side effects. The second Stat, on the open file, closes the
		// race with a file swapped in between.
		fi, err := r.Stat(name)
		if err != nil {
			if le := served.LinkOutside(r, name); le != nil {
				// Said in the transfer record: `ls` shows the file,
				// so "access denied" alone would mislead.
				return fmt.Errorf("bootfiles: %s: %w: %w", name, fs.ErrPermission, le)
			}
			return rootError(name, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("bootfiles: %s: not a regular file: %w", name, fs.ErrNotExist)
		}
		fl, err := r.Open(name)
		if err != nil {
			return rootError(name, err)
		}
		fi, err = fl.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			fl.Close()
			return fmt.Errorf("bootfiles: %s: not a regular file: %w", name, fs.ErrNotExist)
		}
		c = served.Content{Name: name, Body: fl, Size: fi.Size(), ModTime: fi.ModTime()}
		return nil
	})
	return c, err
}

// withRoot runs fn with the os.Root for dir, opening it first (or again,
// when the configured root changed). r is nil when dir cannot be opened: the
// error is logged once per change and retried on the next request, so a
// root created after start-up is picked up.
func (f *FS) withRoot(dir string, fn func(r *os.Root) error) error {
	f.mu.RLock()
	if f.rootDir == dir && f.root != nil {
		defer f.mu.RUnlock()
		return fn(f.root)
	}
	f.mu.RUnlock()

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return fmt.Errorf("bootfiles: closed: %w", fs.ErrNotExist)
	}
	if f.rootDir != dir || f.root == nil {
		if f.root != nil {
			f.root.Close()
			f.root = nil
		}
		var err error
		if dir == "" {
			err = errors.New("no TFTP root configured")
		} else {
			f.root, err = os.OpenRoot(dir)
		}
		if err != nil && (f.rootDir != dir || f.rootErr == nil || f.rootErr.Error() != err.Error()) {
			f.log.Warn("cannot open TFTP root", "root", dir, "err", err)
		} else if err == nil {
			f.log.Info("serving TFTP root", "root", dir)
		}
		f.rootDir, f.rootErr = dir, err
	}
	// Held exclusively here: fine, opening one file is short.
	return fn(f.root)
}

// rootError maps what os.Root says to the two outcomes a TFTP client can be
// told: not found (including a path through a non-folder) or refused
// (escaping the root through ".." or a symlink, no permission, anything
// else).
func rootError(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("bootfiles: %s: %w", name, fs.ErrNotExist)
	}
	cause := errors.Unwrap(err) // drop os.PathError's "openat name:" prefix
	if cause == nil {
		cause = err
	}
	return fmt.Errorf("bootfiles: %s: %w: %w", name, fs.ErrPermission, cause)
}

// ipxeName is the clean name of the iPXE script, or "" when the snapshot
// hands iPXE something that is not a path under the root (an http:// URL,
// say). It goes through served.Clean like every requested name, so
// `boot: {ipxe: '\boot.ipxe'}` matches a client asking for "\boot.ipxe",
// "/boot.ipxe" or "boot.ipxe" alike.
func ipxeName(snap *inventory.Snapshot) string {
	n := snap.Boot[firmware.IPXE]
	if n == "" || strings.Contains(n, "://") {
		return ""
	}
	clean, err := served.Clean(n)
	if err != nil {
		return ""
	}
	return clean
}

// bootable reports whether a host has something to generate files for.
func bootable(h *inventory.Host) bool {
	return h != nil && h.Profile != nil && strings.TrimSpace(h.Profile.Kernel) != ""
}
