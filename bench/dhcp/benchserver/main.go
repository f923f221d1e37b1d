// Command benchserver runs bootyard's DHCP server (package dhcp) with an
// inventory built from flags, for bench/dhcp/run.sh. It exists so that the
// benchmark measures the DHCP server alone (no TFTP, no config reload) and
// does not depend on the YAML format; `bootyard serve` runs the same code.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/inventory"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
}

func run() error {
	iface := flag.String("iface", "veth0", "interface to serve")
	serverIP := flag.String("server-ip", "198.51.100.2", "our address")
	subnet := flag.String("subnet", "198.51.100.0/24", "the interface's own subnet")
	relayed := flag.String("relayed", "198.18.0.0/15", "relayed subnet (perfdhcp acts as a relay)")
	router := flag.String("router", "198.18.0.1", "router of the relayed subnet")
	pool := flag.String("pool", "198.18.0.10-198.18.39.25", "pool of the relayed subnet")
	resv := flag.String("reservations", "", "file of `MAC IP` lines reserved in the inventory")
	leaseFile := flag.String("lease-file", "", "lease file (\"\": memory only)")
	leaseTime := flag.Duration("lease-time", time.Hour, "lease time")
	workers := flag.Int("workers", 0, "worker goroutines per socket (0: default)")
	perRate := flag.Float64("per-client-rate", 0, "dhcp.limits.per_client_rate")
	perBurst := flag.Int("per-client-burst", 0, "dhcp.limits.per_client_burst")
	newRate := flag.Float64("new-client-rate", 0, "dhcp.limits.new_client_rate")
	newBurst := flag.Int("new-client-burst", 0, "dhcp.limits.new_client_burst")
	level := flag.String("log-level", "warn", "log level")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	start, end, ok := strings.Cut(*pool, "-")
	if !ok {
		return fmt.Errorf("-pool wants START-END")
	}
	rg := &inventory.Range{}
	var err error
	if rg.Start, err = netip.ParseAddr(start); err != nil {
		return err
	}
	if rg.End, err = netip.ParseAddr(end); err != nil {
		return err
	}
	base := inventory.Snapshot{
		Interface: *iface,
		DHCP: inventory.DHCP{
			Mode:      inventory.ModeAuthoritative,
			ServerIP:  netip.MustParseAddr(*serverIP),
			Subnet:    netip.MustParsePrefix(*subnet),
			LeaseTime: *leaseTime,
			LeaseFile: *leaseFile,
			Relayed: []inventory.Relayed{{
				Subnet: netip.MustParsePrefix(*relayed),
				Router: netip.MustParseAddr(*router),
				Pool:   rg,
			}},
			Limits: inventory.DHCPLimits{PerClientRate: *perRate, PerClientBurst: *perBurst, NewClientRate: *newRate, NewClientBurst: *newBurst},
		},
		Boot: map[string]string{"bios": "pxelinux.0"},
	}
	var hosts []*inventory.Host
	if *resv != "" {
		f, err := os.Open(*resv)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) != 2 {
				continue
			}
			mac, err := net.ParseMAC(fs[0])
			if err != nil {
				return err
			}
			hosts = append(hosts, &inventory.Host{Name: fmt.Sprintf("h%d", len(hosts)), MAC: mac, IP: netip.MustParseAddr(fs[1]), Line: len(hosts) + 1})
		}
		f.Close()
	}
	snap := inventory.New(base, nil, hosts)

	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	store, err := leases.Open(*leaseFile, leases.Options{Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	srv, err := dhcp.NewServer(dhcp.Config{
		Snapshot: func() *inventory.Snapshot { return snap },
		Leases:   store,
		Logger:   log,
		Iface:    *iface,
		Workers:  *workers,
	})
	if err != nil {
		return err
	}
	conn, err := dhcp.Listen(*iface, dhcp.ServerPort)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "benchserver: serving %s, %d reservations, pool %v-%v\n", *iface, len(hosts), rg.Start, rg.End)
	return srv.Serve(ctx, conn)
}
