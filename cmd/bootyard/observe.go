package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bootyard/bootyard/admin"
	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/metrics"
	"github.com/bootyard/bootyard/timeline"
)

// observability is what serve builds for operators: the metrics on a
// registry of our own (no global registerer), and the admin listener that
// exports them.
type observability struct {
	reg     *prometheus.Registry
	metrics *metrics.Metrics
	events  *bootEvents // the observer the protocol servers report to
	pools   func() []metrics.PoolUse
}

func newObservability(snap *inventory.Snapshot, store snapshots, hosts clientHosts) *observability {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, version)
	m.Loaded(snap.Loaded)
	tl := timeline.New(timeline.Options{})
	return &observability{reg: reg, metrics: m, events: newBootEvents(m, tl, store, hosts)}
}

// watchPools exports each configured pool's use, read at scrape time from
// the current snapshot and the lease store.
func (o *observability) watchPools(store *inventory.Store, ls *leases.Store) {
	o.pools = func() []metrics.PoolUse {
		snap := store.Current()
		var pools []*inventory.Range
		if snap.DHCP.Pool != nil {
			pools = append(pools, snap.DHCP.Pool)
		}
		for _, r := range snap.DHCP.Relayed {
			if r.Pool != nil {
				pools = append(pools, r.Pool)
			}
		}
		if len(pools) == 0 {
			return nil
		}
		now := time.Now()
		list := ls.List()
		out := make([]metrics.PoolUse, 0, len(pools))
		for _, p := range pools {
			u := metrics.PoolUse{Pool: p.Start.String() + "-" + p.End.String()}
			for _, l := range list {
				if !p.Contains(l.IP) || !l.Expires.After(now) {
					continue
				}
				if l.State == leases.Declined {
					u.Declined++
				} else {
					u.InUse++
				}
			}
			u.Available = max(p.Size()-u.InUse-u.Declined, 0)
			out = append(out, u)
		}
		return out
	}
	metrics.WatchPools(o.reg, o.pools)
}

// listenAdmin opens the admin listener's socket (before anything runs, as
// every socket is) and returns its runner; nil, nil when admin.listen is "".
func (o *observability) listenAdmin(log *slog.Logger, snap *inventory.Snapshot, nb admin.NextBoots) (func(context.Context) error, net.Listener, error) {
	if snap.Admin.Listen == "" {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", snap.Admin.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("admin listener on %s: %w (set admin.listen to another address, or \"\" to turn it off)", snap.Admin.Listen, err)
	}
	srv := admin.New(promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}), o.events.statusSources(o.pools), log)
	if nb != nil {
		srv.EnableNextBoot(nb, snap.Admin.TokenFile)
	}
	log.Info("admin listener", "addr", ln.Addr().String(), "metrics", "http://"+ln.Addr().String()+"/metrics")
	return func(ctx context.Context) error { return srv.Serve(ctx, ln) }, ln, nil
}
