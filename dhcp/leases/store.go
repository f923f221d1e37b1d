package leases

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/bootyard/bootyard/inventory"
)

// ErrConflict is returned by Commit when the address of an offer or bind is
// held by another client by the time the change is committed (two clients
// raced for one free address). The server decides again.
var ErrConflict = errors.New("leases: address is held by another client")

// ErrClosed is returned by Commit after Close.
var ErrClosed = errors.New("leases: store is closed")

// Options tune a Store. The zero value is fine for production use.
type Options struct {
	// Now is the clock used to tell current leases from expired ones when
	// Commit re-checks a conflict; nil means time.Now.
	Now func() time.Time
	// CompactEvery is the number of journal records after which the journal
	// is folded into the snapshot file; 0 means 10000.
	CompactEvery int
	// Logger receives compaction failures (the store keeps working on the
	// journal alone); nil discards them.
	Logger *slog.Logger
	// KeepExpired is how long an expired lease is remembered (so that its
	// client gets the same address back) before compaction forgets it;
	// 0 means 30 days.
	KeepExpired time.Duration
	// OnFlush, when set, is called after each batch of changes is written
	// and fsynced (from the writer goroutine): how many records, how long
	// the write and fsync took, and the error if it failed. For metrics.
	OnFlush func(records int, took time.Duration, err error)
}

// Store holds the leases in memory, indexed by MAC and by address, and keeps
// them on disk in a snapshot file plus an append-only journal (see journal.go).
// It implements the dhcp package's LeaseView. All methods are safe for
// concurrent use.
type Store struct {
	opts Options
	path string // snapshot file; "" for a memory-only store

	mu    sync.RWMutex
	byIP  map[netip.Addr]*record
	byMAC map[string]*record // the last non-declined record each MAC held
	seq   uint64             // orders records for byMAC rebuilds on load
	next  map[inventory.Range]netip.Addr

	j *journal // nil for a memory-only store
}

// record is one address's last known state. There is at most one per address,
// so memory is bounded by the number of addresses ever handed out.
type record struct {
	Lease
	seq uint64
}

// Open loads the lease store kept at path (the snapshot file; the journal is
// path + ".journal") and starts its group-commit writer. A missing file is an
// empty store. A torn record at the journal's end (a crash mid-write) is
// dropped. path "" opens a memory-only store that keeps nothing across
// restarts (proxy mode, tests).
func Open(path string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CompactEvery <= 0 {
		opts.CompactEvery = 10000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.KeepExpired <= 0 {
		opts.KeepExpired = 30 * 24 * time.Hour
	}
	s := &Store{
		opts:  opts,
		path:  path,
		byIP:  make(map[netip.Addr]*record),
		byMAC: make(map[string]*record),
		next:  make(map[inventory.Range]netip.Addr),
	}
	if path == "" {
		return s, nil
	}
	j, err := openJournal(path, opts.CompactEvery, s.put)
	if err != nil {
		return nil, err
	}
	s.j = j
	j.onFlush = opts.OnFlush
	j.start(s.compact)
	return s, nil
}

// Close flushes the journal and stops the writer. The store must not be used
// afterwards.
func (s *Store) Close() error {
	if s.j == nil {
		return nil
	}
	return s.j.close()
}

// ByMAC returns the current (unexpired at now) lease of mac. A declined
// address is never returned: the client gave it up.
func (s *Store) ByMAC(mac net.HardwareAddr, now time.Time) (Lease, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byMAC[mac.String()]
	if !ok || !r.Expires.After(now) || r.State == Declined {
		return Lease{}, false
	}
	return r.clone(), true
}

// ByIP returns the current lease holding ip, including a Declined one: a
// quarantined address is held too.
func (s *Store) ByIP(ip netip.Addr, now time.Time) (Lease, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byIP[ip]
	if !ok || !r.Expires.After(now) {
		return Lease{}, false
	}
	return r.clone(), true
}

// Commit applies c and returns once it is on disk (the journal batch holding
// it was fsynced). Offers and binds re-check that no other client holds the
// address now and return ErrConflict if one does; a release of an address the
// client does not hold is a no-op.
func (s *Store) Commit(c Change) error {
	durable, err := s.CommitAsync(c)
	if err != nil {
		return err
	}
	return durable()
}

// CommitAsync is Commit in two steps: it applies c at once (returning
// ErrConflict and the like), and returns durable, which blocks until c is on
// disk. A server sends the reply after durable returns nil, without keeping
// a worker blocked for the fsync meanwhile. An offer is journaled lazily: it
// costs no fsync of its own unless durable is called, and otherwise reaches
// the disk with the next commit that is waited for (a bind, typically its
// client's REQUEST), within a second at the latest.
func (s *Store) CommitAsync(c Change) (durable func() error, err error) {
	b, err := s.commit(c, nil)
	switch {
	case err != nil:
		return nil, err
	case b == nil:
		return noWait, nil
	}
	return func() error { return s.j.wait(b) }, nil
}

// CommitThen is CommitAsync with a callback instead of a wait: when it
// returns nil, then will be called exactly once, with nil once c is on disk
// or with the error that kept it off. With nothing to write (a memory-only
// store, a change that changes nothing) then runs at once, on the caller's
// goroutine; otherwise the callbacks of one batch run in order on a
// goroutine of their own after its fsync, so then should not block for
// long. When CommitThen returns an error, then is not called. An offer with
// a callback is written without waiting for a bind to carry it.
func (s *Store) CommitThen(c Change, then func(error)) error {
	b, err := s.commit(c, then)
	if err != nil {
		return err
	}
	if b == nil {
		then(nil)
	}
	return nil
}

// commit applies c and queues its records, and then when it is set, in the
// journal's current batch, which it returns (nil: nothing to write).
func (s *Store) commit(c Change, then func(error)) (*batch, error) {
	if !c.IP.Is4() {
		return nil, fmt.Errorf("leases: commit %v: not an IPv4 address", c.IP)
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.j != nil && s.j.isClosed() {
		return nil, ErrClosed
	}
	recs, err := s.apply(c, now)
	if err != nil || len(recs) == 0 || s.j == nil {
		return nil, err
	}
	return s.j.append(recs, c.Op == OpOffer, then)
}

func noWait() error { return nil }

// apply checks c against the current state and applies it, returning the
// records to journal. Called with s.mu held.
func (s *Store) apply(c Change, now time.Time) ([]Lease, error) {
	cur, held := s.byIP[c.IP]
	heldByOther := held && cur.Expires.After(now) && (c.MAC == nil || cur.MAC.String() != c.MAC.String())
	switch c.Op {
	case OpOffer, OpBind:
		if heldByOther {
			return nil, fmt.Errorf("%w: %v held by %v until %v", ErrConflict, c.IP, cur.MAC, cur.Expires.Format(time.RFC3339))
		}
		if held && cur.Expires.After(now) && cur.State == Declined {
			return nil, fmt.Errorf("%w: %v is declined until %v", ErrConflict, c.IP, cur.Expires.Format(time.RFC3339))
		}
		var out []Lease
		// One address per client: moving to a new address ends the old
		// lease now, so the old one is free for others at once.
		if old, ok := s.byMAC[c.MAC.String()]; ok && old.IP != c.IP && old.Expires.After(now) && s.byIP[old.IP] == old {
			ended := old.clone()
			ended.Expires = now
			out = append(out, ended)
		}
		st, exp := Offered, c.Expires
		if c.Op == OpBind {
			st = Bound
		} else if held && sameMAC(cur.MAC, c.MAC) && cur.State == Bound && cur.Expires.After(now) {
			// Re-offering a bound client its own address (a client that
			// rebooted and DISCOVERs again) must not shorten its lease to
			// an offer's hold: it keeps the address if it never REQUESTs.
			st, exp = Bound, laterOf(cur.Expires, c.Expires)
		}
		host := c.Hostname
		if host == "" && held && sameMAC(cur.MAC, c.MAC) {
			host = cur.Hostname
		}
		out = append(out, Lease{MAC: slices.Clone(c.MAC), IP: c.IP, State: st, Expires: exp, Hostname: host})
		for _, l := range out {
			s.put(l)
		}
		return out, nil
	case OpRelease:
		if !held || !sameMAC(cur.MAC, c.MAC) || !cur.Expires.After(now) || cur.State == Declined {
			return nil, nil
		}
		ended := cur.clone()
		ended.Expires = now
		s.put(ended)
		return []Lease{ended}, nil
	case OpDecline:
		// The address answers for someone else: quarantine it. Only an
		// address nobody else holds can be declined (RFC 2131 4.3.3: DECLINE
		// comes from the client that was offered it; the server's own
		// conflict probe declines with no MAC and must not clobber a lease
		// committed while it was probing).
		if heldByOther && cur.State != Declined {
			return nil, fmt.Errorf("%w: decline of %v by %v, held by %v", ErrConflict, c.IP, c.MAC, cur.MAC)
		}
		l := Lease{MAC: slices.Clone(c.MAC), IP: c.IP, State: Declined, Expires: c.Expires}
		s.put(l)
		return []Lease{l}, nil
	default:
		return nil, fmt.Errorf("leases: commit: unknown op %d", c.Op)
	}
}

// put installs l as the state of its address and keeps the MAC index right.
// It is also the journal replay function, so it must stay deterministic.
func (s *Store) put(l Lease) {
	if old, ok := s.byIP[l.IP]; ok && old.MAC != nil {
		if k := old.MAC.String(); s.byMAC[k] == old && !sameMAC(old.MAC, l.MAC) {
			delete(s.byMAC, k)
		}
	}
	s.seq++
	r := &record{Lease: l, seq: s.seq}
	s.byIP[l.IP] = r
	if l.MAC == nil {
		return
	}
	k := l.MAC.String()
	if l.State == Declined {
		if prev, ok := s.byMAC[k]; ok && prev.IP == l.IP {
			delete(s.byMAC, k)
		}
		return
	}
	s.byMAC[k] = r
}

// List returns every lease the store remembers (current and expired), sorted
// by address, for `bootyard leases`.
func (s *Store) List() []Lease {
	s.mu.RLock()
	out := make([]Lease, 0, len(s.byIP))
	for _, r := range s.byIP {
		out = append(out, r.clone())
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Lease) int { return a.IP.Compare(b.IP) })
	return out
}

// live returns recs in commit order, forgetting leases that expired more
// than KeepExpired ago (compaction writes them; no lock needed).
func (s *Store) live(recs []*record, now time.Time) []*record {
	out := recs[:0]
	for _, r := range recs {
		if now.Sub(r.Expires) > s.opts.KeepExpired {
			continue
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *record) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	return out
}

func (r *record) clone() Lease {
	l := r.Lease
	l.MAC = slices.Clone(l.MAC)
	return l
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func sameMAC(a, b net.HardwareAddr) bool {
	return a != nil && b != nil && string(a) == string(b)
}

// String names the state for logs and `bootyard leases`.
func (s State) String() string {
	switch s {
	case Offered:
		return "offered"
	case Bound:
		return "bound"
	case Declined:
		return "declined"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Corrupt returns the number of damaged records skipped when the store was
// opened (a torn record at the journal's end, normal after a crash, is not
// counted).
func (s *Store) Corrupt() int {
	if s.j == nil {
		return 0
	}
	return s.j.bad
}
