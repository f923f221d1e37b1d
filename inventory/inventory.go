// Package inventory owns bootyard's one YAML file: the server settings and the
// host inventory. It decodes the file strictly, validates all of it at once
// (every problem reported with its file, line and field), and produces an
// immutable Snapshot that the DHCP and TFTP sides read. Store holds the
// current snapshot and a Watcher replaces it when the file changes; a file
// that fails validation is never applied.
//
// The file format, every key and its default are in docs/configuration.md.
package inventory

import (
	"net/netip"
	"strconv"
	"strings"
)

// Options change how Load and Parse validate.
type Options struct {
	// Generated reports whether name is a file that bootfiles generates for
	// snap (a generated name counts as present under the TFTP root). Nil means
	// nothing is generated.
	Generated func(snap *Snapshot, name string) bool
	// SkipFileChecks turns off the checks that named files exist under the
	// TFTP root (for `bootyard explain` on another machine's config, and tests).
	SkipFileChecks bool
	// Running, when set, is the snapshot being served. The settings that are
	// only read at start-up (sockets, lease file, the TFTP server) keep its
	// values, and the file is validated with them in place, so a reload is
	// checked as it will actually run. Snapshot.RestartNeeded lists each
	// such setting the file changes.
	Running *Snapshot
}

// Errors is every problem found in one file. Load returns it (as error) when
// the file cannot be used.
type Errors []Problem

func (e Errors) Error() string {
	var b strings.Builder
	for i, p := range e {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// String formats the problem as file:line: field: message.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
	}
	if p.Line > 0 {
		b.WriteString(strconv.Itoa(p.Line))
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// New builds a Snapshot from already-checked parts and indexes its hosts. It
// does no validation: Parse uses it after validating, and tests in other
// packages use it to build a snapshot in code. Hosts with an invalid IP are
// not indexed by address.
func New(base Snapshot, profiles []*Profile, hosts []*Host) *Snapshot {
	s := base
	s.profiles = make(map[string]*Profile, len(profiles))
	for _, p := range profiles {
		s.profiles[p.Name] = p
	}
	s.hosts = hosts
	s.byMAC = make(map[string]*Host, len(hosts))
	s.byIP = make(map[netip.Addr]*Host, len(hosts))
	s.byName = make(map[string]*Host, len(hosts))
	for _, h := range hosts {
		s.byMAC[h.MAC.String()] = h
		if h.IP.IsValid() {
			s.byIP[h.IP] = h
		}
		s.byName[h.Name] = h
	}
	return &s
}
