// Package timeline keeps one boot timeline per machine: every DHCP
// exchange, file transfer and lifecycle event of a MAC, in a bounded ring
// per MAC, for a bounded number of MACs (the least recently seen is evicted
// first), and the boot stage derived from them. It answers "why didn't
// board 7 boot?" without grepping logs: the admin listener's page, its JSON
// API and `bootyard status` read it.
//
// It is a leaf: events come in as plain values that cmd builds from what the
// protocol packages report; nothing here knows DHCP or TFTP.
package timeline

import (
	"sort"
	"sync"
	"time"
)

// Stage is how far a machine's boot got.
type Stage string

// The stages, in the order a boot walks them. Failed and Stalled can follow
// any stage before Done.
const (
	StageNone     Stage = ""             // nothing seen yet
	StageAddress  Stage = "address"      // DHCP answered
	StageProgram  Stage = "boot program" // the boot file (pxelinux.0, grubx64.efi, ...) fetched
	StageConfig   Stage = "config"       // a generated per-host config or script fetched
	StageKernel   Stage = "kernel"       // the profile's kernel fetched
	StageInitrd   Stage = "initrd"       // the profile's initrd fetched
	StageDone     Stage = "done"         // kernel and initrd complete, or the installer called back
	StageFailed   Stage = "failed"       // a boot file, kernel or initrd transfer failed
	StageStalled  Stage = "stalled"      // no event for StallAfter after a stage other than done or failed
	StageNoAnswer Stage = "not answered" // DHCP asked, we chose not to answer (why is in the event)
)

// Event is one thing that happened to a machine.
type Event struct {
	Time time.Time `json:"time"`
	MAC  string    `json:"mac"`            // aa:bb:cc:dd:ee:ff
	Host string    `json:"host,omitempty"` // inventory name, "" for an unknown machine
	// Kind is "dhcp", "tftp", "http", "next-boot" or "callback".
	Kind string `json:"kind"`
	// Summary is the one line a person reads ("DISCOVER -> OFFER 198.51.100.20 pxelinux.0").
	Summary string `json:"summary"`
	// Stage is what this event means for the boot ("" when nothing).
	Stage Stage `json:"stage,omitempty"`
	// OK is false for an event that failed (a transfer that did not
	// complete, a request not answered).
	OK bool `json:"ok"`

	// DHCP
	Message string `json:"message,omitempty"` // DISCOVER, REQUEST, ...
	Reply   string `json:"reply,omitempty"`   // OFFER, ACK, NAK; "" when not answered
	Class   string `json:"class,omitempty"`   // firmware class
	Vendor  string `json:"vendor,omitempty"`  // option 60 as sent (from the wire: escape it)
	IP      string `json:"ip,omitempty"`
	Why     string `json:"why,omitempty"` // why not answered
	// Transfers
	File        string  `json:"file,omitempty"`
	Bytes       int64   `json:"bytes,omitempty"`
	Outcome     string  `json:"outcome,omitempty"`
	Duration    float64 `json:"duration_s,omitempty"`
	BlockSize   int     `json:"blksize,omitempty"`
	WindowSize  int     `json:"windowsize,omitempty"`
	Retransmits int     `json:"retransmits,omitempty"`
}

// Options bound a Timeline.
type Options struct {
	// MaxMACs is how many machines are tracked (default 4096); the least
	// recently seen is forgotten first.
	MaxMACs int
	// PerMAC is how many events one machine keeps (default 64).
	PerMAC int
	// StallAfter is how long without an event makes a boot "stalled"
	// (default 120 s).
	StallAfter time.Duration
}

// Timeline is safe for concurrent use.
type Timeline struct {
	opts Options

	mu    sync.Mutex
	byMAC map[string]*machine
	// lru is the sentinel of a ring through every machine by recency:
	// lru.older is the newest machine, lru.newer the oldest. Eviction and every
	// event are O(1), where a scan of MaxMACs machines per new MAC cost a
	// quarter of the DHCP server's CPU under a flood of new clients.
	lru  machine
	seq  uint64
	subs map[chan Event]struct{}
	now  func() time.Time
}

type machine struct {
	mac, host string
	events    []Event // ring: oldest first once full
	next      int
	full      bool
	stage     Stage
	last      time.Time
	seen      uint64 // seq of the last event
	newer     *machine
	older     *machine
	kernel    bool // kernel fetched in the current boot
	initrd    bool
}

// New returns an empty Timeline.
func New(opts Options) *Timeline {
	if opts.MaxMACs <= 0 {
		opts.MaxMACs = 4096
	}
	if opts.PerMAC <= 0 {
		opts.PerMAC = 64
	}
	if opts.StallAfter <= 0 {
		opts.StallAfter = 120 * time.Second
	}
	t := &Timeline{opts: opts, byMAC: make(map[string]*machine), subs: make(map[chan Event]struct{}), now: time.Now}
	t.lru.newer, t.lru.older = &t.lru, &t.lru
	return t
}

// Add records e. An event without a MAC is dropped.
func (t *Timeline) Add(e Event) {
	if e.MAC == "" {
		return
	}
	if e.Time.IsZero() {
		e.Time = t.now()
	}
	t.mu.Lock()
	m := t.byMAC[e.MAC]
	if m == nil {
		var events []Event
		if len(t.byMAC) >= t.opts.MaxMACs {
			events = t.evictLocked()
		}
		if events == nil {
			// Most machines in a busy network log a DHCP exchange or two:
			// start small, append grows a booting machine's list.
			events = make([]Event, 0, min(t.opts.PerMAC, 4))
		}
		m = &machine{mac: e.MAC, events: events}
		t.byMAC[e.MAC] = m
	} else {
		m.unlink()
	}
	// Newest: right after the sentinel, in its older direction.
	m.older, m.newer = t.lru.older, &t.lru
	t.lru.older.newer = m
	t.lru.older = m
	if e.Host != "" {
		m.host = e.Host
	}
	t.seq++
	m.seen, m.last = t.seq, e.Time
	if len(m.events) < t.opts.PerMAC {
		m.events = append(m.events, e)
	} else {
		m.events[m.next] = e
		m.next = (m.next + 1) % t.opts.PerMAC
		m.full = true
	}
	m.advance(e)
	for ch := range t.subs {
		select {
		case ch <- e:
		default: // a slow reader misses events, never blocks a server
		}
	}
	t.mu.Unlock()
}

// advance moves the machine's stage on for e.
func (m *machine) advance(e Event) {
	switch {
	case e.Stage == StageAddress:
		// A new DHCP exchange after a finished or failed boot starts a
		// new boot.
		m.kernel, m.initrd = false, false
		m.stage = StageAddress
	case e.Stage == StageNoAnswer:
		if m.stage == StageNone || m.stage == StageNoAnswer {
			m.stage = StageNoAnswer
		}
	case !e.OK && e.Stage != "":
		m.stage = StageFailed
	case e.Stage == StageKernel:
		m.kernel = true
		m.stage = StageKernel
	case e.Stage == StageInitrd:
		m.initrd = true
		m.stage = StageInitrd
	case e.Stage == StageDone:
		m.stage = StageDone
	case e.Stage != "":
		m.stage = e.Stage
	}
	if m.kernel && m.initrd {
		m.stage = StageDone
	}
}

// evictLocked forgets the least recently seen machine and returns its event
// list, emptied, for the next machine: with more machines than MaxMACs every
// new one would otherwise allocate a list and leave one to the collector.
func (t *Timeline) evictLocked() []Event {
	oldest := t.lru.newer
	if oldest == &t.lru {
		return nil
	}
	oldest.unlink()
	delete(t.byMAC, oldest.mac)
	clear(oldest.events) // no strings kept alive
	return oldest.events[:0]
}

// unlink takes m out of the recency ring.
func (m *machine) unlink() {
	m.newer.older = m.older
	m.older.newer = m.newer
	m.newer, m.older = nil, nil
}

// Machine is one machine's state.
type Machine struct {
	MAC   string    `json:"mac"`
	Host  string    `json:"host,omitempty"`
	Stage Stage     `json:"stage"`
	Last  time.Time `json:"last"`
	// LastEvent is the newest event.
	LastEvent Event `json:"last_event"`
}

// Machines lists every tracked machine, most recently seen first. A boot
// that stopped short of done or failed for StallAfter reads as stalled.
func (t *Timeline) Machines() []Machine {
	now := t.now()
	t.mu.Lock()
	out := make([]Machine, 0, len(t.byMAC))
	for _, m := range t.byMAC {
		out = append(out, t.machineLocked(m, now))
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Last.After(out[j].Last) })
	return out
}

// Machine returns one machine's state and its events, oldest first.
func (t *Timeline) Machine(mac string) (Machine, []Event, bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.byMAC[mac]
	if m == nil {
		return Machine{}, nil, false
	}
	ev := make([]Event, 0, len(m.events))
	if m.full {
		ev = append(ev, m.events[m.next:]...)
		ev = append(ev, m.events[:m.next]...)
	} else {
		ev = append(ev, m.events...)
	}
	return t.machineLocked(m, now), ev, true
}

func (t *Timeline) machineLocked(m *machine, now time.Time) Machine {
	st := m.stage
	switch st {
	case StageDone, StageFailed, StageNoAnswer, StageNone:
	default:
		if now.Sub(m.last) >= t.opts.StallAfter {
			st = StageStalled
		}
	}
	last := m.events[len(m.events)-1]
	if m.full {
		last = m.events[(m.next+len(m.events)-1)%len(m.events)]
	}
	return Machine{MAC: m.mac, Host: m.host, Stage: st, Last: m.last, LastEvent: last}
}

// Len is the number of machines tracked.
func (t *Timeline) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byMAC)
}

// Subscribe returns a channel that receives every event added from now on
// (events are dropped for a reader that falls behind), and a function that
// ends the subscription.
func (t *Timeline) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 64)
	t.mu.Lock()
	t.subs[ch] = struct{}{}
	t.mu.Unlock()
	return ch, func() {
		t.mu.Lock()
		delete(t.subs, ch)
		t.mu.Unlock()
	}
}
