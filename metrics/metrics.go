// Package metrics holds bootyard's Prometheus metrics: one Metrics value,
// built once by cmd on a registry of cmd's own (no global registerer, no
// promauto), whose methods are the small observer interfaces the protocol
// packages declare (dhcp.Observer, tftpd and httpboot's record sinks). The
// protocol packages never import Prometheus; they call an interface.
//
// Labels are bounded by construction: message types, outcomes, reason
// classes, firmware classes and pool names from the configuration. No MAC,
// file name or client address is ever a label. docs/metrics.md lists every
// metric.
package metrics

import (
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is every metric bootyard exports. Its methods are safe for
// concurrent use.
type Metrics struct {
	dhcpPackets  *prometheus.CounterVec
	dhcpReplies  *prometheus.CounterVec
	leaseCommits *prometheus.CounterVec
	leaseFsync   prometheus.Histogram
	rogueSeen    *prometheus.CounterVec
	rogueLast    prometheus.Gauge

	transfers   *prometheus.CounterVec
	bytes       *prometheus.CounterVec
	active      *prometheus.GaugeVec
	duration    *prometheus.HistogramVec
	retransmits prometheus.Counter
	windowsize  prometheus.Histogram

	reloads    *prometheus.CounterVec
	lastReload prometheus.Gauge
}

// New builds the metrics and registers them, with build info and the Go
// and process collectors, on reg. version is bootyard's version string.
func New(reg prometheus.Registerer, version string) *Metrics {
	durBuckets := []float64{0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300}
	m := &Metrics{
		dhcpPackets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bootyard_dhcp_packets_total",
			Help: "DHCP packets received, by message type and outcome (replied, ignored, dropped) and, for ignored and dropped, a reason class.",
		}, []string{"type", "outcome", "reason"}),
		dhcpReplies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bootyard_dhcp_replies_total",
			Help: "DHCP replies sent, by reply type and the client's firmware class.",
		}, []string{"type", "class"}),
		leaseCommits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bootyard_dhcp_lease_commits_total",
			Help: "Lease changes written to the journal, by result (ok, error).",
		}, []string{"result"}),
		leaseFsync: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bootyard_dhcp_lease_fsync_seconds",
			Help:    "Time to write and fsync one batch of lease changes (one fsync covers the whole batch).",
			Buckets: []float64{0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1},
		}),
		rogueSeen: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bootyard_dhcp_rogue_server_packets_total",
			Help: "Evidence of another DHCP server on the serving segment, by how it was seen (request_server_id, server_packet).",
		}, []string{"how"}),
		rogueLast: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bootyard_dhcp_rogue_server_last_seen_timestamp_seconds",
			Help: "When another DHCP server was last seen on the serving segment (0: never).",
		}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bootyard_transfers_total",
			Help: "File transfers finished, by protocol (tftp, http) and outcome (ok, probe, failed, busy, ...).",
		}, []string{"proto", "outcome"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bootyard_transfer_bytes_total",
			Help: "File bytes moved, by protocol and direction (sent, received).",
		}, []string{"proto", "direction"}),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bootyard_transfers_active",
			Help: "File transfers running now, by protocol.",
		}, []string{"proto"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bootyard_transfer_duration_seconds",
			Help:    "Duration of finished file transfers, by protocol.",
			Buckets: durBuckets,
		}, []string{"proto"}),
		retransmits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bootyard_tftp_retransmits_total",
			Help: "TFTP DATA packets sent again after a timeout or a duplicate ACK.",
		}),
		windowsize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bootyard_tftp_windowsize",
			Help:    "Negotiated TFTP windowsize of finished transfers (1: lock-step).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bootyard_config_reloads_total",
			Help: "Configuration reloads, by result (applied, refused).",
		}, []string{"result"}),
		lastReload: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bootyard_config_last_applied_timestamp_seconds",
			Help: "When the configuration now serving was loaded (start-up or the last applied reload).",
		}),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "bootyard_build_info",
		Help:        "Always 1; the labels say which bootyard and Go built it.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)
	reg.MustRegister(m.dhcpPackets, m.dhcpReplies, m.leaseCommits, m.leaseFsync, m.rogueSeen, m.rogueLast,
		m.transfers, m.bytes, m.active, m.duration, m.retransmits, m.windowsize,
		m.reloads, m.lastReload, buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// DHCPPacket counts one received packet: msgType is the DHCP message type
// ("DISCOVER", ..., "BOOTP", "unparsed"), outcome replied, ignored or
// dropped, reason a bounded class ("" for replied).
func (m *Metrics) DHCPPacket(msgType, outcome, reason string) {
	m.dhcpPackets.WithLabelValues(msgType, outcome, reason).Inc()
}

// DHCPReply counts one reply sent to a client of firmware class.
func (m *Metrics) DHCPReply(replyType, class string) {
	m.dhcpReplies.WithLabelValues(replyType, class).Inc()
}

// RogueServer records evidence of another DHCP server.
func (m *Metrics) RogueServer(how string, at time.Time) {
	m.rogueSeen.WithLabelValues(how).Inc()
	m.rogueLast.Set(float64(at.UnixNano()) / 1e9)
}

// LeaseFlush records one batch written to the lease journal.
func (m *Metrics) LeaseFlush(records int, took time.Duration, err error) {
	if err != nil {
		m.leaseCommits.WithLabelValues("error").Add(float64(records))
		return
	}
	m.leaseCommits.WithLabelValues("ok").Add(float64(records))
	m.leaseFsync.Observe(took.Seconds())
}

// Reload records a configuration reload; applied is false when the file was
// refused and the old configuration keeps serving.
func (m *Metrics) Reload(applied bool, at time.Time) {
	if !applied {
		m.reloads.WithLabelValues("refused").Inc()
		return
	}
	m.reloads.WithLabelValues("applied").Inc()
	m.lastReload.Set(float64(at.UnixNano()) / 1e9)
}

// Loaded records the configuration loaded at start-up.
func (m *Metrics) Loaded(at time.Time) {
	m.lastReload.Set(float64(at.UnixNano()) / 1e9)
}
