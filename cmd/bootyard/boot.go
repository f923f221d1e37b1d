package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bootyard/bootyard/bootfiles"
	"github.com/bootyard/bootyard/inventory"
)

// `bootyard boot` is quick mode: one kernel (and initrds) for every machine
// that asks, without a config file. It writes the config a user would
// have written (-print-config shows it), loads it through the same checks,
// and runs what serve runs, with the kernel and initrds served from where
// they are.

// quickDir is the folder quick mode's own files are served under.
const quickDir = "quick"

// defaultIPXEDir is where Debian's ipxe package puts its binaries.
const defaultIPXEDir = "/usr/lib/ipxe"

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// usageError is a mistake in the command line itself.
type usageError string

func (u usageError) Error() string { return string(u) }

// quickSetup is what quick mode serves, decided before anything listens.
type quickSetup struct {
	iface    string
	addr     netip.Prefix // the interface's IPv4 address and subnet
	mode     inventory.Mode
	pool     string
	kernel   string   // absolute path
	initrds  []string // absolute paths
	cmdline  string
	ipxeDir  string // "" when there is none
	ipxeBIOS string // file names under ipxeDir, "" when missing
	ipxeEFI  string
	dir      string // temporary folder: config and leases
}

func runBoot(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "boot", "-kernel FILE [-initrd FILE]... [-cmdline TEXT] [-interface IF] [-dhcp proxy|authoritative -pool START-END]")
	kernel := fs.String("kernel", "", "the kernel to boot (required)")
	var initrds stringList
	fs.Var(&initrds, "initrd", "an initrd; repeat for several (served as one, concatenated)")
	cmdline := fs.String("cmdline", "", "the kernel command line")
	iface := fs.String("interface", "", "the interface to serve on (default: the one with the default route)")
	mode := fs.String("dhcp", "proxy", "proxy: boot options only, next to the network's DHCP server; authoritative: hand out addresses too (needs -pool)")
	pool := fs.String("pool", "", "authoritative mode: the addresses to hand out, START-END")
	ipxeDir := fs.String("ipxe-dir", defaultIPXEDir, "folder with undionly.kpxe and ipxe.efi, chainloaded by PXE firmware that is not iPXE (Debian: apt install ipxe)")
	printConfig := fs.Bool("print-config", false, "print the equivalent config file for `bootyard serve` and exit")
	var lf logFlags
	lf.register(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	log, err := lf.logger(e.stderr)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return errUsage
	}
	q, err := newQuickSetup(*kernel, initrds, *cmdline, *iface, *mode, *pool, *ipxeDir)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "bootyard boot: %s\n\n", ue)
		fs.Usage()
		return errUsage
	case err != nil:
		fmt.Fprintf(e.stderr, "bootyard boot: %v\n", err)
		return errFailed
	}
	if *printConfig {
		fmt.Fprint(e.stdout, q.yaml(filepath.Join(os.TempDir(), "bootyard-quick")))
		return nil
	}
	q.dir, err = os.MkdirTemp("", "bootyard-quick-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(q.dir)
	path := filepath.Join(q.dir, "config.yaml")
	if err := os.WriteFile(path, []byte(q.yaml(q.dir)), 0o600); err != nil {
		return err
	}
	opts := loadOptions()
	files := q.files()
	gen := opts.Generated
	opts.Generated = func(s *inventory.Snapshot, name string) bool {
		_, ok := files[strings.TrimPrefix(name, "/")]
		return ok || gen(s, name)
	}
	snap, err := inventory.Load(path, opts)
	if err != nil {
		return reportLoadError(e.stderr, err)
	}
	q.describe(e.stdout)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serve(ctx, log, path, snap, 5*time.Second, nil, bootfiles.Files(files))
}

// newQuickSetup checks every input before anything listens.
func newQuickSetup(kernel string, initrds []string, cmdline, iface, mode, pool, ipxeDir string) (*quickSetup, error) {
	q := &quickSetup{cmdline: cmdline, mode: inventory.Mode(mode), pool: pool}
	if kernel == "" {
		return nil, usageError("-kernel is required: the kernel every machine that asks will boot")
	}
	var err error
	if q.kernel, err = regularFile("-kernel", kernel); err != nil {
		return nil, err
	}
	for _, i := range initrds {
		p, err := regularFile("-initrd", i)
		if err != nil {
			return nil, err
		}
		q.initrds = append(q.initrds, p)
	}
	switch q.mode {
	case inventory.ModeProxy:
		if pool != "" {
			return nil, usageError("-pool needs -dhcp authoritative (in proxy mode the network's DHCP server hands out addresses)")
		}
	case inventory.ModeAuthoritative:
		if pool == "" {
			return nil, usageError("-dhcp authoritative needs -pool START-END, the addresses to hand out")
		}
	default:
		return nil, usageError(fmt.Sprintf("-dhcp %q: use proxy or authoritative", mode))
	}
	if iface == "" {
		if iface, err = defaultRouteInterface(); err != nil {
			return nil, fmt.Errorf("no -interface given and %v: name the interface the machines are on", err)
		}
	}
	q.iface = iface
	v4, err := interfaceIPv4(iface)
	if errors.Is(err, errNoInterface) {
		return nil, fmt.Errorf("interface %q does not exist on this machine (%s)", iface, interfaceNames())
	}
	if err != nil {
		return nil, err
	}
	if len(v4) > 0 {
		q.addr = v4[0]
	}
	if !q.addr.IsValid() {
		return nil, fmt.Errorf("interface %q has no IPv4 address: bootyard needs one to serve from", iface)
	}
	if fi, err := os.Stat(ipxeDir); err == nil && fi.IsDir() {
		q.ipxeDir, _ = filepath.Abs(ipxeDir)
		q.ipxeBIOS = firstFile(q.ipxeDir, "undionly.kpxe")
		q.ipxeEFI = firstFile(q.ipxeDir, "snponly.efi", "ipxe.efi")
	}
	return q, nil
}

func regularFile(flagName, p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", flagName, p, errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s %s: not a regular file", flagName, p)
	}
	return abs, nil
}

func firstFile(dir string, names ...string) string {
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && fi.Mode().IsRegular() {
			return n
		}
	}
	return ""
}

// files maps the names quick mode serves to the files behind them.
func (q *quickSetup) files() map[string][]string {
	m := map[string][]string{q.kernelName(): {q.kernel}}
	if len(q.initrds) > 0 {
		m[quickDir+"/initrd"] = q.initrds
	}
	return m
}

func (q *quickSetup) kernelName() string {
	b := filepath.Base(q.kernel)
	if b == "initrd" {
		b = "kernel"
	}
	return quickDir + "/" + b
}

// yaml is the config file quick mode runs on: what a user would write for
// `bootyard serve` to do the same (dir holds the lease file).
func (q *quickSetup) yaml(dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# bootyard boot: %s\n", q.kernel)
	fmt.Fprintf(&b, "interface: %s\ndhcp:\n  mode: %s\n", q.iface, q.mode)
	if q.mode == inventory.ModeAuthoritative {
		fmt.Fprintf(&b, "  subnet: %s\n  pool: %s\n", q.addr.Masked(), q.pool)
	} else {
		b.WriteString("  proxy_unknown: true\n")
	}
	// Its own folder for leases and state: quick mode must not take the
	// lock of a bootyard serve running on the same machine.
	fmt.Fprintf(&b, "  lease_file: %s\n", filepath.Join(dir, "leases"))
	b.WriteString("  default_profile: quick\n")
	root := q.ipxeDir
	if root == "" {
		root = dir
	}
	fmt.Fprintf(&b, "tftp:\n  root: %s\nadmin:\n  listen: \"\"\n", root)
	b.WriteString("boot:\n")
	fmt.Fprintf(&b, "  bios: %q\n  uefi-x64: %q\n  uefi-arm64: \"\"\n  ipxe: boot.ipxe\n", q.ipxeBIOS, q.ipxeEFI)
	fmt.Fprintf(&b, "profiles:\n  quick:\n    kernel: %s\n", q.kernelName())
	if len(q.initrds) > 0 {
		fmt.Fprintf(&b, "    initrd: %s/initrd\n", quickDir)
	}
	if q.cmdline != "" {
		fmt.Fprintf(&b, "    cmdline: %s\n", strconv.Quote(q.cmdline))
	}
	return b.String()
}

// describe prints what quick mode serves and which firmware it can boot.
func (q *quickSetup) describe(w io.Writer) {
	fmt.Fprintf(w, "bootyard boot: %s DHCP on %s (%s)\n", q.mode, q.iface, q.addr.Addr())
	if q.mode == inventory.ModeProxy {
		fmt.Fprintf(w, "  proxyDHCP: your network's DHCP server keeps handing out addresses; bootyard adds boot options\n")
	} else {
		fmt.Fprintf(w, "  handing out %s on %s: make sure no other DHCP server answers there\n", q.pool, q.addr.Masked())
	}
	fmt.Fprintf(w, "serving to every machine that asks:\n")
	fmt.Fprintf(w, "  %-10s %s\n", "kernel", q.kernel)
	for _, i := range q.initrds {
		fmt.Fprintf(w, "  %-10s %s\n", "initrd", i)
	}
	if q.cmdline != "" {
		fmt.Fprintf(w, "  %-10s %s\n", "cmdline", q.cmdline)
	}
	fmt.Fprintf(w, "firmware it can boot:\n")
	fmt.Fprintf(w, "  %-10s yes: the generated iPXE script (qemu's ROMs, iPXE on a USB stick or NIC)\n", "iPXE")
	for _, f := range []struct{ class, file, want string }{
		{"BIOS PXE", q.ipxeBIOS, "undionly.kpxe"},
		{"UEFI x64", q.ipxeEFI, "snponly.efi or ipxe.efi"},
	} {
		if f.file != "" {
			fmt.Fprintf(w, "  %-10s yes: chainloads %s\n", f.class, filepath.Join(q.ipxeDir, f.file))
		} else {
			fmt.Fprintf(w, "  %-10s no: needs iPXE's %s (Debian: apt install ipxe, into %s; or -ipxe-dir)\n", f.class, f.want, defaultIPXEDir)
		}
	}
	if q.mode == inventory.ModeAuthoritative {
		fmt.Fprintf(w, "  %-10s yes: the generated boot.scr.uimg\n", "U-Boot")
	} else {
		fmt.Fprintf(w, "  %-10s no: U-Boot cannot boot from proxyDHCP (use -dhcp authoritative)\n", "U-Boot")
	}
	fmt.Fprintf(w, "  %-10s no: use `bootyard serve` with a config (bootyard boot -print-config writes one to start from)\n", "UEFI ARM64, Raspberry Pi")
	fmt.Fprintf(w, "Ctrl-C stops.\n")
}

// defaultRouteInterface names the interface of the IPv4 default route.
func defaultRouteInterface() (string, error) {
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) > 2 && f[1] == "00000000" {
			return f[0], nil
		}
	}
	return "", errors.New("this machine has no default route")
}

func interfaceNames() string {
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) == 0 {
		return "none found"
	}
	var names []string
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	sort.Strings(names)
	return "interfaces here: " + strings.Join(names, ", ")
}
