package inventory

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"time"
)

// Watcher reloads the configuration file while bootyard runs. It notices an
// edit within about a second: inotify on the file's folder (so editors that
// write a new file and rename it over the old one are seen), debounced so a
// file written in several steps is read once, plus a slow stat poll for
// filesystems without inotify (network mounts, some container volumes) and
// symlink swaps. A message on Reload (SIGHUP) reloads at once, even when the
// file did not change (a kernel that was missing may exist now).
//
// A file that fails validation is never applied: the running snapshot keeps
// serving and the log gets one line per problem, with its line. A good file
// is swapped into Store and then passed to Apply.
type Watcher struct {
	// Path is the configuration file.
	Path string
	// Options are the validation options, as for Load.
	Options Options
	// Store holds the snapshot being served; Run swaps each good reload in.
	// Run compares a reload against Store.Current() to log what changed.
	Store *Store
	// Log receives what changed and every problem. Nil discards.
	Log *slog.Logger
	// Reload triggers a reload when something arrives (nil: never).
	Reload <-chan struct{}
	// Apply, if set, is called after each swap with the replaced and the new
	// snapshot, from Run's goroutine.
	Apply func(old, new *Snapshot)
	// Refused, if set, is called after each reload that found problems and
	// kept the old snapshot serving, from Run's goroutine.
	Refused func()
	// Debounce is how long the file must stay quiet after a change before
	// it is read (default 200ms).
	Debounce time.Duration
	// PollInterval is how often the file is stat'ed as a fallback to
	// inotify (default 1s).
	PollInterval time.Duration

	// noInotify makes Run rely on polling alone (tests of the fallback).
	noInotify bool
}

// fileState is what the poll compares to notice a change without reading.
type fileState struct {
	size       int64
	mtime      time.Time
	ino, dev   uint64
	present    bool
	statFailed bool
}

func statFile(path string) fileState {
	fi, err := os.Stat(path)
	if err != nil {
		return fileState{statFailed: true}
	}
	return stateOf(fi)
}

func stateOf(fi os.FileInfo) fileState {
	st := fileState{size: fi.Size(), mtime: fi.ModTime(), present: true}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino, st.dev = uint64(sys.Ino), uint64(sys.Dev)
	}
	return st
}

// Run watches until ctx is cancelled and returns nil then. It returns an
// error only when it cannot start (no Store).
func (w *Watcher) Run(ctx context.Context) error {
	if w.Store == nil {
		return fmt.Errorf("inventory: Watcher for %s has no Store", w.Path)
	}
	log := w.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("file", w.Path)
	debounce, poll := w.Debounce, w.PollInterval
	if debounce <= 0 {
		debounce = 200 * time.Millisecond
	}
	if poll <= 0 {
		poll = time.Second
	}

	r := &reloader{w: w, log: log}
	if cur := w.Store.Current(); cur != nil {
		r.lastSum = cur.sum
	}
	r.lastState = statFile(w.Path)
	r.seeTemplates(true)

	changed := make(chan struct{}, 1)
	inotify := !w.noInotify
	if inotify {
		stop, err := watchFolder(filepath.Dir(w.Path), filepath.Base(w.Path), changed)
		if err != nil {
			log.Warn("cannot watch the config folder; checking the file every poll interval instead", "interval", poll, "err", err)
			inotify = false
		} else {
			defer stop()
		}
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	defer quiet.Stop()

	log.Info("watching the config file for changes", "inotify", inotify, "poll", poll)
	// The file may have changed between the caller's Load and now.
	r.reload(false)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
			quiet.Reset(debounce)
		case <-ticker.C:
			if st := statFile(w.Path); st != r.lastState {
				quiet.Reset(debounce)
			} else if r.templatesSettled() {
				log.Info("an answer-file template changed; reloading")
				r.reload(true)
			}
		case <-quiet.C:
			r.reload(false)
		case <-w.Reload:
			log.Info("reload requested")
			r.reload(true)
		}
	}
}

// reloader is Run's state between reloads.
type reloader struct {
	w         *Watcher
	log       *slog.Logger
	lastSum   [sha256.Size]byte // content last tried, good or bad
	lastState fileState
	// templates are the answer-file templates of the snapshot serving, as
	// they were when last read: a change to one reloads the file.
	templates map[string]fileState
	// changing is the templates' state at the last poll that saw them
	// differ from templates; nil when they did not.
	changing map[string]fileState
}

// seeTemplates records the state of the serving snapshot's templates, so
// the poll notices the next change. loaded takes the state each had when
// it was read (a template edited since is seen at the next poll); else
// their state now (after a reload that failed, a template stays as it is
// until it changes again).
func (r *reloader) seeTemplates(loaded bool) {
	r.templates, r.changing = map[string]fileState{}, nil
	cur := r.w.Store.Current()
	if cur == nil {
		return
	}
	for _, p := range cur.profiles {
		for _, f := range p.Files {
			if loaded {
				r.templates[f.Path] = f.state
			} else {
				r.templates[f.Path] = statFile(f.Path)
			}
		}
	}
}

// templatesSettled reports whether a template changed and then stayed as
// it is for a whole poll interval. A template is not watched by inotify:
// a poll may land in the middle of an editor's write, between the truncate
// and the new text, and an empty template is a valid one. Reloaded then,
// it would be served (and kept, if the new text turned out not to parse)
// instead of the last good one.
func (r *reloader) templatesSettled() bool {
	now := make(map[string]fileState, len(r.templates))
	changed := false
	for path, st := range r.templates {
		now[path] = statFile(path)
		changed = changed || now[path] != st
	}
	if !changed {
		r.changing = nil
		return false
	}
	if maps.Equal(now, r.changing) {
		r.changing = nil
		return true
	}
	r.changing = now
	return false
}

// reload reads, validates and applies the file. Unless forced it does
// nothing when the content is what was last tried (a touch, an editor's
// backup write, a poll that saw only the mtime move).
func (r *reloader) reload(force bool) {
	r.lastState = statFile(r.w.Path)
	data, err := readCapped(r.w.Path)
	if err != nil {
		// Often the moment between an editor's delete and rename: the
		// next event or poll tries again.
		r.log.Warn("cannot read the config file; still serving the previous configuration", "err", err)
		return
	}
	sum := sha256.Sum256(data)
	if !force && sum == r.lastSum {
		return
	}
	r.lastSum = sum
	applied := false
	defer func() { r.seeTemplates(applied) }()
	old := r.w.Store.Current()
	opts := r.w.Options
	opts.Running = old
	snap, err := Parse(r.w.Path, data, opts)
	if err != nil {
		var n int
		if errs, ok := err.(Errors); ok {
			for _, p := range errs {
				r.log.Error("config problem: " + p.String())
			}
			n = len(errs)
		} else {
			r.log.Error("config problem", "err", err)
			n = 1
		}
		r.log.Error("config not applied; still serving the previous configuration", "problems", n)
		if r.w.Refused != nil {
			r.w.Refused()
		}
		return
	}
	for _, k := range snap.RestartNeeded {
		// "value_in_file", not "file": the logger already carries the
		// config path as "file", and a record must not repeat a key.
		r.log.Warn("this change needs a restart of bootyard; the rest of the file is applied", "field", k.Field, "running", k.Running, "value_in_file", k.File)
	}
	r.w.Store.Swap(snap)
	applied = true
	for _, p := range snap.Warnings {
		r.log.Warn("config warning: " + p.String())
	}
	c := diff(old, snap)
	r.log.Info("config reloaded", "hosts_added", c.hostsAdded, "hosts_removed", c.hostsRemoved,
		"hosts_changed", c.hostsChanged, "profiles_changed", c.profilesChanged, "settings_changed", c.settings)
	if r.w.Apply != nil {
		r.w.Apply(old, snap)
	}
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	_, err = io.Copy(&b, io.LimitReader(f, MaxFileSize+1))
	return b.Bytes(), err
}

// keepRunning puts the settings that are bound at start-up (sockets, the
// lease file, the whole TFTP server) in next back to their running values and
// returns each one that the file changed: applying them live would make the
// snapshot disagree with the sockets actually open.
func keepRunning(old *Snapshot, next *Snapshot) []fieldChange {
	var out []fieldChange
	keep := func(name string, was, now any) bool {
		if reflect.DeepEqual(was, now) {
			return false
		}
		out = append(out, fieldChange{name, was, now})
		return true
	}
	if keep("interface", old.Interface, next.Interface) {
		next.Interface = old.Interface
	}
	if keep("dhcp.mode", old.DHCP.Mode, next.DHCP.Mode) {
		next.DHCP.Mode = old.DHCP.Mode
	}
	if keep("dhcp.server_ip", old.DHCP.ServerIP, next.DHCP.ServerIP) {
		next.DHCP.ServerIP = old.DHCP.ServerIP
	}
	if keep("dhcp.lease_file", old.DHCP.LeaseFile, next.DHCP.LeaseFile) {
		next.DHCP.LeaseFile = old.DHCP.LeaseFile
	}
	// Its packet socket is opened at start-up only when it is on.
	if keep("dhcp.answer_router_solicit", old.DHCP.AnswerRouterSolicit, next.DHCP.AnswerRouterSolicit) {
		next.DHCP.AnswerRouterSolicit = old.DHCP.AnswerRouterSolicit
	}
	// The TFTP server is built once at start-up from these settings.
	// The HTTP server and the admin listener are built once at start-up.
	if changed := changedKeys("http", old.HTTP, next.HTTP); len(changed) > 0 {
		out = append(out, changed...)
		next.HTTP = old.HTTP
	}
	if changed := changedKeys("admin", old.Admin, next.Admin); len(changed) > 0 {
		out = append(out, changed...)
		next.Admin = old.Admin
	}
	if changed := changedKeys("tftp", old.TFTP, next.TFTP); len(changed) > 0 {
		out = append(out, changed...)
		next.TFTP = old.TFTP
	}
	return out
}

type fieldChange struct {
	name     string
	was, now any
}
