package leases

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/netip"
	"os"
	"time"
)

// On disk a store is two files (three during a compaction) of one line format:
//
//	path          the snapshot, replaced whole by compaction (temp file, fsync,
//	              rename, fsync of the folder), so it is always complete
//	path.journal  records appended since the snapshot, one per change
//	path.journal.old  while a compaction writes the next snapshot (or after
//	              a crash during one): the journal before it, read between
//	              the two (compact.go)
//
// Each line is "<crc32c of the JSON, 8 hex digits> <JSON record>\n". A record
// is the full new state of one address, not a delta, so replaying the journal
// over the snapshot is idempotent: a crash between the snapshot rename and the
// journal truncation replays records the snapshot already holds, harmlessly.
// A line without its newline or with a bad checksum at the end of the journal
// is a write torn by a crash: it is dropped and the file cut back to the last
// good line, so that the next append does not follow garbage.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// diskLease is the JSON form of a Lease.
type diskLease struct {
	MAC      string    `json:"mac,omitempty"`
	IP       string    `json:"ip"`
	State    string    `json:"state"`
	Expires  time.Time `json:"expires"`
	Hostname string    `json:"hostname,omitempty"`
}

// encodeLine appends l's line to dst. It writes what json.Marshal of a
// diskLease writes (encodeLineJSON, which the tests compare it with) without
// reflection: it runs under the store's lock for every commit.
func encodeLine(dst []byte, l Lease) []byte {
	start := len(dst)
	dst = append(dst, "00000000 "...) // checksum, filled in below
	js := len(dst)
	dst = append(dst, '{')
	if l.MAC != nil {
		dst = append(dst, `"mac":"`...)
		dst = appendMAC(dst, l.MAC)
		dst = append(dst, `",`...)
	}
	dst = append(dst, `"ip":"`...)
	dst = l.IP.AppendTo(dst)
	dst = append(dst, `","state":"`...)
	dst = append(dst, l.State.String()...)
	dst = append(dst, `","expires":`...)
	dst, _ = l.Expires.UTC().AppendText(append(dst, '"'))
	dst = append(dst, '"')
	if l.Hostname != "" {
		dst = append(dst, `,"hostname":`...)
		dst = appendJSONString(dst, l.Hostname)
	}
	dst = append(dst, '}')
	sum := crc32.Checksum(dst[js:], castagnoli)
	hex.Encode(dst[start:start+8], []byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	return append(dst, '\n')
}

// appendMAC is net.HardwareAddr.String without its allocation.
func appendMAC(dst []byte, mac []byte) []byte {
	const digits = "0123456789abcdef"
	for i, b := range mac {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, digits[b>>4], digits[b&0xf])
	}
	return dst
}

// appendJSONString appends s as encoding/json writes it: plain letters,
// digits and most punctuation as they are, anything else through
// json.Marshal (escapes, HTML-safe forms, invalid UTF-8).
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			js, err := json.Marshal(s)
			if err != nil { // cannot happen for a string
				panic(err)
			}
			return append(dst, js...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// decodeLine parses one line without its newline.
func decodeLine(line []byte) (Lease, error) {
	if len(line) < 10 || line[8] != ' ' {
		return Lease{}, errors.New("short line")
	}
	var sum [4]byte
	if _, err := hex.Decode(sum[:], line[:8]); err != nil {
		return Lease{}, fmt.Errorf("checksum: %w", err)
	}
	js := line[9:]
	want := uint32(sum[0])<<24 | uint32(sum[1])<<16 | uint32(sum[2])<<8 | uint32(sum[3])
	if crc32.Checksum(js, castagnoli) != want {
		return Lease{}, errors.New("checksum mismatch")
	}
	var d diskLease
	if err := json.Unmarshal(js, &d); err != nil {
		return Lease{}, err
	}
	ip, err := netip.ParseAddr(d.IP)
	if err != nil || !ip.Is4() {
		return Lease{}, fmt.Errorf("bad ip %q", d.IP)
	}
	l := Lease{IP: ip, Expires: d.Expires, Hostname: d.Hostname}
	if d.MAC != "" {
		if l.MAC, err = net.ParseMAC(d.MAC); err != nil {
			return Lease{}, err
		}
	}
	switch d.State {
	case "offered":
		l.State = Offered
	case "bound":
		l.State = Bound
	case "declined":
		l.State = Declined
	default:
		return Lease{}, fmt.Errorf("bad state %q", d.State)
	}
	return l, nil
}

// readLines applies every good line of r to apply and returns the offset just
// past the last good line and the number of bad lines seen before it.
func readLines(r io.Reader, apply func(Lease)) (good int64, bad int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var off int64
	pendingBad := 0
	for {
		line, rerr := br.ReadBytes('\n')
		off += int64(len(line))
		if len(line) > 0 && line[len(line)-1] == '\n' {
			if l, derr := decodeLine(bytes.TrimSuffix(line, []byte("\n"))); derr == nil {
				apply(l)
				good = off
				bad += pendingBad
				pendingBad = 0
			} else {
				pendingBad++
			}
		}
		if rerr == io.EOF {
			return good, bad, nil
		}
		if rerr != nil {
			return good, bad, rerr
		}
	}
}

// Read returns the leases stored at path (snapshot, then the journal being
// folded if any, then the journal) without changing any file, so it is safe
// while a server has them open (for `bootyard leases`). The files are opened
// newest first (journal, journal.old, snapshot), so that a compaction running
// meanwhile cannot hide records between them; they are read oldest first. A
// torn or corrupt line is skipped.
func Read(path string) ([]Lease, error) {
	s := &Store{byIP: make(map[netip.Addr]*record), byMAC: make(map[string]*record)}
	names := []string{path + ".journal", path + ".journal.old", path}
	files := make([]*os.File, len(names))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	found := false
	for i, p := range names {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("leases: %w", err)
		}
		files[i], found = f, true
	}
	if !found {
		return nil, fmt.Errorf("leases: %s: %w", path, os.ErrNotExist)
	}
	for i := len(files) - 1; i >= 0; i-- {
		if files[i] == nil {
			continue
		}
		if _, _, err := readLines(files[i], s.put); err != nil {
			return nil, fmt.Errorf("leases: read %s: %w", names[i], err)
		}
	}
	return s.List(), nil
}
