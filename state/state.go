// Package state keeps bootyard's own small state beside the lease file:
// today the next-boot one-shots ("boot this host into that profile once").
// It is the one writer of that file's format: the server while it runs,
// `bootyard next-boot` under the file's lock while it does not. Writes are
// crash-safe (temp file, fsync, rename, fsync of the folder), so after a
// crash or kill -9 the file holds either the old or the new state, whole.
package state

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// FileName is the state file's name, in the lease file's folder.
const FileName = "next-boot.json"

// maxSize bounds what Load reads: a state file is a few hundred bytes per
// armed host.
const maxSize = 4 << 20

// NextBoot is one armed one-shot.
type NextBoot struct {
	Host    string    `json:"host"`
	Profile string    `json:"profile"`
	Armed   time.Time `json:"armed"`
	// Token is the per-boot secret the installer callback must present.
	Token string `json:"token"`
}

// State is the whole file.
type State struct {
	NextBoot map[string]NextBoot `json:"next_boot"` // by host name
}

// fileFormat is the file: a version, so a later bootyard can tell.
type fileFormat struct {
	Version  int        `json:"version"`
	NextBoot []NextBoot `json:"next_boot"`
}

// Path is the state file for a lease file path (its folder).
func Path(leaseFile string) string {
	return filepath.Join(filepath.Dir(leaseFile), FileName)
}

// NewToken returns a fresh per-boot token (128 random bits, hex).
func NewToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail on Linux
	return hex.EncodeToString(b)
}

// Load reads the state file. A missing file is an empty state. A file that
// cannot be parsed, or entries that are unusable, are dropped: the server
// must start and serve configured behaviour, so Load returns what it kept
// and, in dropped, what it did not and why (the caller logs it). err is
// only for a file that exists but cannot be read.
func Load(path string) (s State, dropped []string, err error) {
	s = State{NextBoot: map[string]NextBoot{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil, nil
	}
	if err != nil {
		return s, nil, fmt.Errorf("state: %w", err)
	}
	if len(b) > maxSize {
		return s, []string{fmt.Sprintf("the whole file: %d bytes, more than %d", len(b), maxSize)}, nil
	}
	var f fileFormat
	if err := json.Unmarshal(b, &f); err != nil {
		return s, []string{fmt.Sprintf("the whole file: not valid (%v); %d bytes", err, len(b))}, nil
	}
	if f.Version != 1 {
		return s, []string{fmt.Sprintf("the whole file: version %d, this bootyard reads 1", f.Version)}, nil
	}
	for _, nb := range f.NextBoot {
		switch {
		case nb.Host == "" || nb.Profile == "" || len(nb.Token) < 16:
			dropped = append(dropped, fmt.Sprintf("an entry without host, profile or token (%q -> %q)", nb.Host, nb.Profile))
		case s.NextBoot[nb.Host].Host != "":
			dropped = append(dropped, fmt.Sprintf("a second entry for host %s", nb.Host))
		default:
			s.NextBoot[nb.Host] = nb
		}
	}
	return s, dropped, nil
}

// Save writes s to path crash-safely: a temp file in the same folder,
// fsync, rename over path, fsync of the folder. The folder is created if
// needed.
func Save(path string, s State) error {
	f := fileFormat{Version: 1, NextBoot: make([]NextBoot, 0, len(s.NextBoot))}
	for _, nb := range s.NextBoot {
		f.NextBoot = append(f.NextBoot, nb)
	}
	sort.Slice(f.NextBoot, func(i, j int) bool { return f.NextBoot[i].Host < f.NextBoot[j].Host })
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up on error
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("state: writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("state: fsync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("state: fsync %s: %w", dir, err)
	}
	return nil
}

// ErrLocked is returned by Lock when another process holds the lock: a
// running server, which must then be asked through its API.
var ErrLocked = errors.New("state: locked by another process (is bootyard serve running?)")

// Lock takes the state file's lock (path + ".lock", flock) without
// waiting. The server holds it as long as it runs; `bootyard next-boot`
// holds it while it edits the file with no server running. The lock dies
// with its process, kill -9 included.
func Lock(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("state: lock %s: %w", f.Name(), err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
