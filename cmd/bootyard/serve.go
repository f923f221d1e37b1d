package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/bootyard/bootyard/bootfiles"
	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/httpboot"
	"github.com/bootyard/bootyard/internal/neigh"
	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/state"
	"github.com/bootyard/bootyard/tftpd"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "[-config FILE | FILE] [-log-format text|json] [-log-level LEVEL]")
	config := configFlag(fs)
	grace := fs.Duration("grace", 30*time.Second, "on SIGINT/SIGTERM, how long TFTP transfers in flight may take to finish")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until bootyard stops (for benchmarks)")
	traceFile := fs.String("trace", "", "write a runtime execution trace to this file until bootyard stops (for latency work: go tool trace)")
	var lf logFlags
	lf.register(fs)
	if help, err := parseConfigFlags(fs, args, config); help || err != nil {
		return err
	}
	log, err := lf.logger(e.stderr)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return errUsage
	}
	snap, err := loadSnapshot(*config)
	if err != nil {
		if lf.json() {
			return logLoadError(log, err)
		}
		return reportLoadError(e.stderr, err)
	}
	for _, w := range snap.Warnings {
		log.Warn("config", "problem", w.String())
	}

	stopProfile, err := record(*cpuProfile, pprof.StartCPUProfile, pprof.StopCPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	stopTrace, err := record(*traceFile, trace.Start, trace.Stop)
	if err != nil {
		return err
	}
	defer stopTrace()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err = serve(ctx, log, *config, snap, *grace, hangups(ctx))
	if err != nil && lf.json() {
		log.Error("bootyard cannot serve", "err", err.Error())
		return errFailed
	}
	return err
}

// record starts a CPU profile or an execution trace writing to path
// (nothing when path is empty); the returned function ends it and closes
// the file.
func record(path string, start func(io.Writer) error, stop func()) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { stop(); f.Close() }, nil
}

// hangups turns SIGHUP into reload requests until ctx ends.
func hangups(ctx context.Context) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	reload := make(chan struct{}, 1)
	go func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				select {
				case reload <- struct{}{}:
				default: // a reload is already pending
				}
			}
		}
	}()
	return reload
}

// serve builds every enabled part once and runs them under one errgroup until
// ctx is cancelled or one of them fails. Every socket is opened before any
// part starts, so a port that cannot be had stops start-up with nothing left
// running.
func serve(ctx context.Context, log *slog.Logger, path string, snap *inventory.Snapshot, grace time.Duration, reload <-chan struct{}, fileOpts ...bootfiles.Option) error {
	store := inventory.NewStore(snap)
	serverIP, err := serverAddress(snap, netip.Addr{})
	if err != nil {
		return err
	}

	// In authoritative mode the lease file is always used, even without a
	// pool at start: a pool added by a reload must keep its leases across a
	// restart. Otherwise the store is memory-only; TFTP still asks it which
	// host a pool address belongs to.
	leaseFile := ""
	if snap.DHCP.Mode == inventory.ModeAuthoritative {
		leaseFile = snap.DHCP.LeaseFile
	}
	// The metrics exist before the lease store, which reports its fsyncs to
	// them; the host lookup the timeline shares with the file servers
	// needs the store, so it is filled in right after.
	// The next-boot one-shots live beside the lease file; the server holds
	// their lock while it runs and hands every part the inventory with
	// them applied (nb.Current).
	nb, unlockState, err := openNextBoots(state.Path(snap.DHCP.LeaseFile), store, log.With("part", "next-boot"))
	if err != nil {
		return err
	}
	defer unlockState()
	hosts := clientHosts{store: nb, neigh: neigh.Table{Device: snap.Interface}}
	obs := newObservability(snap, nb, hosts)
	obs.events.nextBoot = nb
	ls, err := leases.Open(leaseFile, leases.Options{Logger: log.With("part", "leases"), OnFlush: obs.metrics.LeaseFlush})
	if err != nil {
		return fmt.Errorf("lease store: %w", err)
	}
	defer ls.Close()
	hosts.leases = ls
	obs.events.hosts = hosts
	// The one resolver: TFTP and HTTP serve the same names with the same
	// host lookup because they ask the same FS.
	fileOpts = append(fileOpts, bootfiles.ServerIP(serverIP))
	files := bootfiles.New(nb.Current, hosts, log.With("part", "bootfiles"), fileOpts...)
	defer files.Close()

	var parts []func(context.Context) error
	var conns []io.Closer
	fail := func(err error) error {
		for _, c := range conns {
			c.Close()
		}
		return err
	}
	obs.watchPools(store, ls)
	if run, ln, err := obs.listenAdmin(log.With("part", "admin"), snap, nb); err != nil {
		return err
	} else if run != nil {
		conns = append(conns, ln)
		parts = append(parts, run)
	}
	if snap.DHCP.Mode != inventory.ModeOff {
		run, opened, err := buildDHCP(log, snap, nb, ls, serverIP, obs)
		conns = append(conns, opened...)
		if err != nil {
			return fail(err)
		}
		parts = append(parts, run...)
	}
	if snap.TFTP.Enabled {
		run, opened, err := buildTFTP(log, snap, files, serverIP, grace, obs)
		conns = append(conns, opened...)
		if err != nil {
			return fail(err)
		}
		parts = append(parts, run)
	}
	if snap.HTTP.Enabled {
		run, opened, err := buildHTTP(log, snap, files, serverIP, grace, obs, nb)
		conns = append(conns, opened...)
		if err != nil {
			return fail(err)
		}
		parts = append(parts, run)
	}
	watcher := &inventory.Watcher{
		Path:    path,
		Options: loadOptions(),
		Store:   store,
		Log:     log.With("part", "inventory"),
		Reload:  reload,
		Apply:   func(_, next *inventory.Snapshot) { obs.metrics.Reload(true, next.Loaded) },
		Refused: func() { obs.metrics.Reload(false, time.Now()) },
	}
	parts = append(parts, watcher.Run)

	g, gctx := errgroup.WithContext(ctx)
	for _, run := range parts {
		g.Go(func() error { return run(gctx) })
	}
	log.Info("bootyard serving", "version", version, "interface", snap.Interface, "server_ip", serverIP,
		"dhcp", snap.DHCP.Mode, "tftp", snap.TFTP.Enabled, "http", snap.HTTP.Enabled, "hosts", len(snap.Hosts()))
	err = g.Wait()
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		log.Info("bootyard stopped")
		return nil
	}
	return err
}

// buildDHCP opens the DHCP sockets and returns a runner per socket, and the
// sockets opened so far (also on error, for the caller to close).
func buildDHCP(log *slog.Logger, snap *inventory.Snapshot, store snapshots, ls *leases.Store,
	serverIP netip.Addr, obs *observability) (run []func(context.Context) error, opened []io.Closer, err error) {
	dlog := log.With("part", "dhcp")
	// Replies to a client without an address that leaves the broadcast
	// flag clear go to its MAC (RFC 2131 4.1): that needs a packet socket
	// (CAP_NET_RAW); without one they are broadcast, which clients accept.
	var link *dhcp.LinkConn
	if snap.DHCP.Mode == inventory.ModeAuthoritative && snap.Interface != "" {
		if link, err = dhcp.ListenLink(snap.Interface); err != nil {
			dlog.Warn("replies to clients without an address will be broadcast: no packet socket (needs CAP_NET_RAW)", "err", err)
			link = nil
		} else {
			opened = append(opened, link)
		}
	}
	srv, err := dhcp.NewServer(dhcp.Config{
		Link:     link,
		Snapshot: store.Current,
		Leases:   ls,
		Logger:   dlog,
		Iface:    snap.Interface,
		ServerIP: serverIP,
		Observer: obs.events,
	})
	if err != nil {
		return nil, opened, err
	}
	ports := []int{dhcp.ServerPort}
	if snap.DHCP.Mode == inventory.ModeProxy {
		// PXE clients that got a proxy offer ask the boot server on 4011.
		ports = append(ports, dhcp.BootServerPort)
	}
	for _, port := range ports {
		conn, err := dhcp.Listen(snap.Interface, port)
		if err != nil {
			return nil, opened, err
		}
		opened = append(opened, conn)
		run = append(run, func(ctx context.Context) error { return srv.Serve(ctx, conn) })
	}
	if snap.DHCP.AnswerRouterSolicit {
		// Opt-in: ends iPXE's wait for an IPv6 router on a segment without
		// one (docs/operations.md says when not to turn it on).
		raw, err := dhcp.ListenRouterSolicit(snap.Interface)
		if err != nil {
			return nil, opened, fmt.Errorf("dhcp.answer_router_solicit: %w", err)
		}
		opened = append(opened, raw)
		run = append(run, func(ctx context.Context) error { return srv.AnswerRouterSolicits(ctx, raw) })
	}
	if snap.DHCP.Mode == inventory.ModeAuthoritative {
		// Another server answering on our segment is the classic reason a
		// board boots the wrong thing. Watching needs CAP_NET_RAW; without
		// it bootyard serves anyway and says what it cannot see.
		if raw, err := dhcp.ListenRogue(snap.Interface); err != nil {
			dlog.Warn("cannot watch for other DHCP servers on the segment (needs CAP_NET_RAW)", "err", err)
		} else {
			opened = append(opened, raw)
			run = append(run, func(ctx context.Context) error { return srv.WatchRogues(ctx, raw) })
		}
	}
	return run, opened, nil
}

// buildTFTP opens the TFTP socket and returns its runner.
func buildTFTP(log *slog.Logger, snap *inventory.Snapshot, files *bootfiles.FS,
	serverIP netip.Addr, grace time.Duration, obs *observability) (func(context.Context) error, []io.Closer, error) {
	// Bound to the server address, not 0.0.0.0: TFTP needs no broadcast, and
	// each transfer's socket is opened on the address the request hit.
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(serverIP, 69)))
	if err != nil {
		return nil, nil, fmt.Errorf("tftp: listen on %s:69: %w", serverIP, err)
	}
	// The tftp: section as loaded is the server's configuration: it is
	// bound at start-up (a reload that changes it logs "needs a restart").
	srv := tftpd.New(snap.TFTP, files, log.With("part", "tftp"))
	srv.ShutdownGrace = grace
	srv.Observer = obs.events
	obs.events.tftpInFlight = srv.InFlight
	return func(ctx context.Context) error { return srv.Serve(ctx, conn) }, []io.Closer{conn}, nil
}

// buildHTTP opens the HTTP listener on the server address (not on every
// interface) and returns its runner. It serves what the same resolver
// serves TFTP clients, with the same host lookup.
func buildHTTP(log *slog.Logger, snap *inventory.Snapshot, files *bootfiles.FS,
	serverIP netip.Addr, grace time.Duration, obs *observability, cb httpboot.Callbacks) (func(context.Context) error, []io.Closer, error) {
	addr := netip.AddrPortFrom(serverIP, uint16(snap.HTTP.Port))
	ln, err := net.Listen("tcp", addr.String())
	if err != nil {
		return nil, nil, fmt.Errorf("http: listen on %s: %w", addr, err)
	}
	srv := httpboot.New(snap.HTTP, files, log.With("part", "http"))
	srv.ShutdownGrace = grace
	srv.Observer = obs.events
	srv.Callbacks = cb
	run := func(ctx context.Context) error { return srv.Serve(ctx, ln) }
	t := snap.HTTP.TLS
	if t == nil {
		return run, []io.Closer{ln}, nil
	}
	// HTTPS: the same server on its own port, the certificate read again
	// whenever its files change.
	certs, err := httpboot.LoadCerts(t.Cert, t.Key, log.With("part", "https"))
	if err != nil {
		return nil, []io.Closer{ln}, err
	}
	taddr := netip.AddrPortFrom(serverIP, uint16(t.Port))
	tln, err := net.Listen("tcp", taddr.String())
	if err != nil {
		return nil, []io.Closer{ln}, fmt.Errorf("http.tls: listen on %s: %w", taddr, err)
	}
	tsrv := httpboot.New(snap.HTTP, files, log.With("part", "https"))
	tsrv.ShutdownGrace = grace
	tsrv.Observer = obs.events
	tsrv.Callbacks = cb
	both := func(ctx context.Context) error {
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() error { return run(gctx) })
		g.Go(func() error { return tsrv.Serve(gctx, tls.NewListener(tln, certs.TLSConfig())) })
		return g.Wait()
	}
	return both, []io.Closer{ln, tln}, nil
}

// serverAddress is the one place that decides the boot server's address:
// override (explain's -server-ip) when given, else dhcp.server_ip, else the
// first IPv4 address of the configured interface. serve resolves it once at
// start-up and hands the value to the DHCP side (option 54, siaddr, 66) and
// to bootfiles (generated files), so both always name the same server; a
// reload cannot change it (dhcp.server_ip and interface need a restart).
func serverAddress(s *inventory.Snapshot, override netip.Addr) (netip.Addr, error) {
	if override.IsValid() {
		return override, nil
	}
	if s.DHCP.ServerIP.IsValid() {
		return s.DHCP.ServerIP, nil
	}
	v4, err := interfaceIPv4(s.Interface)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(v4) > 0 {
		return v4[0].Addr(), nil
	}
	return netip.Addr{}, fmt.Errorf("interface %q has no IPv4 address: set dhcp.server_ip or give it one", s.Interface)
}

// clientHosts tells bootfiles which inventory host a client address belongs
// to: a reservation, else the host (or dhcp.default_profile's stand-in) whose
// MAC holds a pool lease on it, else the one whose MAC the kernel's
// neighbour table has for it. The last one is
// what makes per-host files work in proxy mode, where another server hands
// out the addresses and neither reservations nor leases know them.
type clientHosts struct {
	store  snapshots
	leases *leases.Store
	neigh  neigh.Table
}

func (c clientHosts) HostByIP(ip netip.Addr) (*inventory.Host, bool) {
	snap := c.store.Current()
	if h, ok := snap.HostByIP(ip); ok {
		return h, true
	}
	// Machine: a MAC that is not in the inventory is the stand-in for
	// dhcp.default_profile, when one is set.
	if l, ok := c.leases.ByIP(ip, time.Now()); ok {
		return snap.Machine(l.MAC)
	}
	if mac, ok := c.neigh.Lookup(ip); ok {
		return snap.Machine(mac)
	}
	return nil, false
}
