package metrics

import "github.com/prometheus/client_golang/prometheus"

// PoolUse is one address pool's use, read at scrape time.
type PoolUse struct {
	Pool      string // the range as configured, "198.51.100.100-198.51.100.199"
	InUse     int    // offered or bound, not expired
	Declined  int
	Available int // the rest of the range
}

// poolCollector reads the pools' use at scrape time, so the figures are
// never stale and no lease operation pays for them.
type poolCollector struct {
	read func() []PoolUse
	desc *prometheus.Desc
}

// WatchPools registers a collector that calls read at each scrape.
func WatchPools(reg prometheus.Registerer, read func() []PoolUse) {
	reg.MustRegister(&poolCollector{read: read, desc: prometheus.NewDesc(
		"bootyard_dhcp_pool_addresses",
		"Addresses of each DHCP pool by state (in_use: offered or bound; declined; free).",
		[]string{"pool", "state"}, nil)})
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.read() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(p.InUse), p.Pool, "in_use")
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(p.Declined), p.Pool, "declined")
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(p.Available), p.Pool, "free")
	}
}
