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

func encodeLine(dst []byte, l Lease) []byte {
	d := diskLease{IP: l.IP.String(), State: l.State.String(), Expires: l.Expires.UTC(), Hostname: l.Hostname}
	if l.MAC != nil {
		d.MAC = l.MAC.String()
	}
	js, err := json.Marshal(d)
	if err != nil { // cannot happen: only strings and a time
		panic(err)
	}
	dst = fmt.Appendf(dst, "%08x ", crc32.Checksum(js, castagnoli))
	dst = append(dst, js...)
	return append(dst, '\n')
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
