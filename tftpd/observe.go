package tftpd

import (
	"net/netip"
	"sort"
	"sync/atomic"
	"time"
)

// Observer is told when each transfer starts and ends, for metrics. cmd
// hands the server one (Server.Observer); nil observes nothing.
type Observer interface {
	TFTPStarted()
	TFTPDone(Summary)
}

// InFlight is one transfer running now, for the status page.
type InFlight struct {
	Client  netip.Addr
	File    string
	Bytes   int64 // sent so far
	Size    int64 // -1: unknown
	Started time.Time
}

// track lists a read transfer in InFlight until it ends.
func (s *Server) track(t *transfer, name string, size int64) {
	t.st.live = new(atomic.Int64)
	s.mu.Lock()
	if s.inflight == nil {
		s.inflight = make(map[*transfer]inflight)
	}
	s.inflight[t] = inflight{file: name, size: size, live: t.st.live}
	s.mu.Unlock()
}

type inflight struct {
	file string
	size int64
	live *atomic.Int64
}

// InFlight lists the read transfers running now, oldest first, with their
// progress.
func (s *Server) InFlight() []InFlight {
	s.mu.Lock()
	out := make([]InFlight, 0, len(s.inflight))
	for t, f := range s.inflight {
		out = append(out, InFlight{Client: t.client.Addr(), File: f.file, Bytes: f.live.Load(), Size: f.size, Started: t.start})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out
}

// Summary is what a finished transfer tells the Observer.
type Summary struct {
	// Client and File are for the boot timeline, never metric labels.
	Client    netip.Addr
	File      string // clean name; "" when the request was refused before
	Generated bool   // the resolver generated the file
	Upload    bool
	Outcome   string // ok, probe, busy, not_found, denied, timeout, failed, ...
	Bytes     int64
	Duration  time.Duration
	// As negotiated, and how many packets went out again.
	BlockSize, Window int
	Retransmits       int
}
