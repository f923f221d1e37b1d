package metrics

import "time"

// Transfer is one finished file transfer, as the TFTP and HTTP servers
// record it.
type Transfer struct {
	Proto    string // "tftp" or "http"
	Outcome  string // bounded: ok, probe, failed, busy, not_found, ...
	Upload   bool
	Bytes    int64
	Duration time.Duration
	// TFTP only: the negotiated window (0: not TFTP) and retransmits.
	Window      int
	Retransmits int
}

// TransferStarted counts a transfer as active until TransferDone.
func (m *Metrics) TransferStarted(proto string) {
	m.active.WithLabelValues(proto).Inc()
}

// TransferDone records a finished transfer and takes it off the active
// gauge.
func (m *Metrics) TransferDone(t Transfer) {
	m.active.WithLabelValues(t.Proto).Dec()
	m.transfers.WithLabelValues(t.Proto, t.Outcome).Inc()
	dir := "sent"
	if t.Upload {
		dir = "received"
	}
	m.bytes.WithLabelValues(t.Proto, dir).Add(float64(t.Bytes))
	m.duration.WithLabelValues(t.Proto).Observe(t.Duration.Seconds())
	if t.Window > 0 {
		m.windowsize.Observe(float64(t.Window))
	}
	if t.Retransmits > 0 {
		m.retransmits.Add(float64(t.Retransmits))
	}
}
