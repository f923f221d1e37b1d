package main

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bootyard/bootyard/admin"
	"github.com/bootyard/bootyard/bootfiles"
	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
	"github.com/bootyard/bootyard/state"
)

// snapshots is where the parts read the inventory from: the store, or the
// store with the armed next-boot one-shots applied (nextBoots).
type snapshots interface {
	Current() *inventory.Snapshot
}

// nextBoots is the running server's next-boot state: the one writer of the
// state file while serve runs (it holds the file's lock). It hands every
// part the inventory with the armed one-shots applied, so the DHCP decision
// stays pure (the one-shot is in its input) and DHCP, TFTP and HTTP agree.
//
// When "once" is spent: a one-shot whose profile's command line carries
// {callback} is spent when the installer calls back with its token (so an
// installer that fails half-way boots the installer again); any other
// one-shot is spent when the host has fetched the profile's kernel whole.
type nextBoots struct {
	path  string
	store *inventory.Store
	log   *slog.Logger

	// off is set when the state file's lock was held by another process:
	// no one-shots are applied or taken.
	off bool

	mu sync.Mutex
	st state.State
	// version counts changes of st; cache is the overlay computed for a
	// (base snapshot, version) pair. Every packet and file request reads
	// the snapshot, so the common case is two atomic loads, no lock.
	version atomic.Int64
	cache   atomic.Pointer[overlay]
}

// overlay is the inventory with the one-shots of one state version applied.
type overlay struct {
	base    *inventory.Snapshot
	version int64
	snap    *inventory.Snapshot
}

// openNextBoots takes the state file's lock for the server's lifetime and
// loads it; a damaged file is logged and dropped, never fatal. When the
// lock is held by another process the server runs with one-shots off.
func openNextBoots(path string, store *inventory.Store, log *slog.Logger) (*nextBoots, func(), error) {
	unlock, err := state.Lock(path)
	if err != nil {
		// Another bootyard (a second serve, quick mode, a test) uses the
		// same folder: this one serves without one-shots rather than not
		// at all, and says so.
		log.Warn("next-boot off in this server: cannot take the state file's lock (another bootyard uses the same lease_file folder?)", "file", path, "err", err)
		return &nextBoots{path: path, store: store, log: log, off: true, st: state.State{NextBoot: map[string]state.NextBoot{}}}, func() {}, nil
	}
	st, dropped, err := state.Load(path)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	for _, d := range dropped {
		log.Warn("next-boot state: dropped", "file", path, "what", d)
	}
	for _, nb := range st.NextBoot {
		log.Info("next-boot armed", "host", nb.Host, "profile", nb.Profile, "armed", nb.Armed.Format(time.RFC3339))
	}
	return &nextBoots{path: path, store: store, log: log, st: st}, unlock, nil
}

// Current is the inventory with the armed one-shots applied. A one-shot
// whose host or profile a reload removed is cleared here, with a log line.
func (n *nextBoots) Current() *inventory.Snapshot {
	base := n.store.Current()
	if n.off {
		return base
	}
	if c := n.cache.Load(); c != nil && c.base == base && c.version == n.version.Load() {
		return c.snap
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	over, stale := base.WithNextBoot(armedOf(n.st))
	if len(stale) > 0 {
		for _, h := range stale {
			n.log.Warn("next-boot cleared: the config no longer has its host or profile", "host", h, "profile", n.st.NextBoot[h].Profile)
			delete(n.st.NextBoot, h)
		}
		n.saveLocked()
	}
	n.cache.Store(&overlay{base: base, version: n.version.Load(), snap: over})
	return over
}

// armedOf is a state file's one-shots as the inventory overlay takes them.
func armedOf(st state.State) map[string]inventory.NextBoot {
	armed := make(map[string]inventory.NextBoot, len(st.NextBoot))
	for h, nb := range st.NextBoot {
		armed[h] = inventory.NextBoot{Profile: nb.Profile, Token: nb.Token}
	}
	return armed
}

func (n *nextBoots) saveLocked() error {
	n.version.Add(1)
	if err := state.Save(n.path, n.st); err != nil {
		n.log.Error("next-boot state not saved", "file", n.path, "err", err)
		return err
	}
	return nil
}

// errNextBootOff answers writes to a server running without one-shots.
var errNextBootOff = errors.New("next-boot is off in this server: another bootyard holds the state file's lock")

// Arm implements admin.NextBoots.
func (n *nextBoots) Arm(host, profile string) (admin.NextBootStatus, error) {
	if n.off {
		return admin.NextBootStatus{}, errNextBootOff
	}
	snap := n.store.Current()
	h, ok := snap.HostByName(host)
	if !ok {
		return admin.NextBootStatus{}, fmt.Errorf("no host %q in the inventory: %w", host, admin.ErrNotFound)
	}
	p, ok := snap.Profile(profile)
	if !ok {
		return admin.NextBootStatus{}, fmt.Errorf("no profile %q in the inventory: %w", profile, admin.ErrNotFound)
	}
	armed := *h
	armed.Profile, armed.Local = p, false
	if err := snap.CheckHostFiles(&armed); err != nil {
		return admin.NextBootStatus{}, fmt.Errorf("%w: %w", admin.ErrRefused, err)
	}
	nb := state.NextBoot{Host: host, Profile: profile, Armed: time.Now().UTC().Truncate(time.Second), Token: state.NewToken()}
	n.mu.Lock()
	defer n.mu.Unlock()
	old, had := n.st.NextBoot[host]
	n.st.NextBoot[host] = nb
	if err := n.saveLocked(); err != nil {
		if had {
			n.st.NextBoot[host] = old
		} else {
			delete(n.st.NextBoot, host)
		}
		return admin.NextBootStatus{}, err
	}
	n.log.Info("next-boot armed", "host", host, "profile", profile)
	return admin.NextBootStatus{Profile: profile, Armed: nb.Armed}, nil
}

// Clear implements admin.NextBoots.
func (n *nextBoots) Clear(host string) (bool, error) {
	if n.off {
		return false, errNextBootOff
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	old, ok := n.st.NextBoot[host]
	if !ok {
		return false, nil
	}
	delete(n.st.NextBoot, host)
	if err := n.saveLocked(); err != nil {
		n.st.NextBoot[host] = old
		return false, err
	}
	n.log.Info("next-boot cleared", "host", host, "profile", old.Profile)
	return true, nil
}

// Callback implements httpboot.Callbacks: the installer of host says it is
// done. Only the armed one-shot's own token spends it; anything else changes
// nothing and is logged.
func (n *nextBoots) Callback(client netip.Addr, host, token string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	nb, ok := n.st.NextBoot[host]
	if !ok || subtle.ConstantTimeCompare([]byte(nb.Token), []byte(token)) != 1 {
		n.log.Warn("installer callback refused: no one-shot armed with that token (stale, replayed or misdirected)", "host", host, "client", client)
		return false
	}
	delete(n.st.NextBoot, host)
	if n.saveLocked() != nil {
		n.st.NextBoot[host] = nb
		return false
	}
	n.log.Info("next-boot spent: the installer called back", "host", host, "profile", nb.Profile, "client", client)
	return true
}

// fetched is told of every whole file a host fetched; it spends a
// one-shot without a callback once its kernel has been fetched.
func (n *nextBoots) fetched(h *inventory.Host, file string) {
	if h == nil || h.NextBoot == nil || h.Profile == nil {
		return
	}
	want, err1 := served.Clean(h.Profile.Kernel)
	got, err2 := served.Clean(file)
	if err1 != nil || err2 != nil || want != got || usesCallback(n.store.Current(), h) {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	nb, ok := n.st.NextBoot[h.Name]
	if !ok || nb.Token != h.NextBoot.Token {
		return // already spent, or re-armed since
	}
	delete(n.st.NextBoot, h.Name)
	if n.saveLocked() != nil {
		n.st.NextBoot[h.Name] = nb
		return
	}
	n.log.Info("next-boot spent: the host fetched the profile's kernel", "host", h.Name, "profile", nb.Profile, "kernel", file)
}

// usesCallback reports whether the host's boot waits for the installer
// callback: {callback} is in its command line, or one of its answer files
// holds the callback URL.
func usesCallback(snap *inventory.Snapshot, h *inventory.Host) bool {
	return strings.Contains(h.Cmdline, bootfiles.CallbackPlaceholder) ||
		(h.Profile != nil && strings.Contains(h.Profile.Cmdline, bootfiles.CallbackPlaceholder)) ||
		snap.CallsBack(h)
}

// status is a host's armed one-shot for the API, or nil.
func (n *nextBoots) status(host string) *admin.NextBootStatus {
	n.mu.Lock()
	defer n.mu.Unlock()
	nb, ok := n.st.NextBoot[host]
	if !ok {
		return nil
	}
	return &admin.NextBootStatus{Profile: nb.Profile, Armed: nb.Armed}
}

// sortedNextBoots lists a state's one-shots by host.
func sortedNextBoots(st state.State) []state.NextBoot {
	out := make([]state.NextBoot, 0, len(st.NextBoot))
	for _, nb := range st.NextBoot {
		out = append(out, nb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}
