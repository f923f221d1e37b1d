package leases

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bootyard/bootyard/inventory"
	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func mac(i int) net.HardwareAddr {
	return net.HardwareAddr{0x02, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}
}

func rng(start, end string) inventory.Range {
	return inventory.Range{Start: netip.MustParseAddr(start), End: netip.MustParseAddr(end)}
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func openT(t testing.TB, path string, c *clock) *Store {
	t.Helper()
	s, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustCommit(t testing.TB, s *Store, c Change) {
	t.Helper()
	if err := s.Commit(c); err != nil {
		t.Fatalf("commit %+v: %v", c, err)
	}
}

// allocate does what the server does for a DISCOVER: pick a free address and
// commit an offer, deciding again on conflict.
func allocate(s *Store, r inventory.Range, m net.HardwareAddr, now time.Time, op Op) (netip.Addr, error) {
	for range 100 {
		ip, ok := s.Free(r, m, now, nil)
		if !ok {
			return netip.Addr{}, errors.New("pool exhausted")
		}
		err := s.Commit(Change{Op: op, MAC: m, IP: ip, Expires: now.Add(time.Hour)})
		if errors.Is(err, ErrConflict) {
			continue
		}
		return ip, err
	}
	return netip.Addr{}, errors.New("too many conflicts")
}

func TestFreePrefersPreviousAddressEvenExpired(t *testing.T) {
	c := &clock{t: t0}
	s := openT(t, filepath.Join(t.TempDir(), "leases"), c)
	r := rng("198.51.100.10", "198.51.100.20")
	// Three clients take .10, .11, .12; the second's lease then expires.
	for i := 1; i <= 3; i++ {
		mustCommit(t, s, Change{Op: OpBind, MAC: mac(i), IP: netip.AddrFrom4([4]byte{198, 51, 100, byte(9 + i)}), Expires: t0.Add(time.Minute)})
	}
	later := t0.Add(time.Hour)
	c.Set(later)
	if _, ok := s.ByMAC(mac(2), later); ok {
		t.Fatal("ByMAC returned an expired lease")
	}
	got, ok := s.Free(r, mac(2), later, nil)
	if !ok || got != netip.MustParseAddr("198.51.100.11") {
		t.Fatalf("Free for returning client = %v, %v; want its old 198.51.100.11", got, ok)
	}
	// A new client gets a never-used address, not someone's expired one.
	got, ok = s.Free(r, mac(9), later, nil)
	if !ok || got != netip.MustParseAddr("198.51.100.13") {
		t.Fatalf("Free for new client = %v, %v; want never-used 198.51.100.13", got, ok)
	}
}

func TestFreeSkipsHeldReservedAndDeclined(t *testing.T) {
	c := &clock{t: t0}
	s := openT(t, "", c)
	r := rng("198.51.100.10", "198.51.100.13")
	mustCommit(t, s, Change{Op: OpBind, MAC: mac(1), IP: netip.MustParseAddr("198.51.100.10"), Expires: t0.Add(time.Hour)})
	mustCommit(t, s, Change{Op: OpDecline, MAC: mac(2), IP: netip.MustParseAddr("198.51.100.11"), Expires: t0.Add(time.Hour)})
	reserved := func(a netip.Addr) bool { return a == netip.MustParseAddr("198.51.100.12") }
	got, ok := s.Free(r, mac(2), t0, reserved)
	if !ok || got != netip.MustParseAddr("198.51.100.13") {
		t.Fatalf("Free = %v, %v; want 198.51.100.13 (.10 held, .11 declined, .12 reserved)", got, ok)
	}
	mustCommit(t, s, Change{Op: OpOffer, MAC: mac(2), IP: got, Expires: t0.Add(time.Minute)})
	if got, ok := s.Free(r, mac(3), t0, reserved); ok {
		t.Fatalf("Free on a full range = %v; want exhausted", got)
	}
	// The declined address is quarantined until its expiry, then reusable.
	if l, ok := s.ByIP(netip.MustParseAddr("198.51.100.11"), t0); !ok || l.State != Declined {
		t.Fatalf("ByIP(declined) = %+v, %v", l, ok)
	}
	after := t0.Add(2 * time.Hour)
	got, ok = s.Free(r, mac(3), after, reserved)
	if !ok {
		t.Fatal("nothing free after every lease expired")
	}
	if got == netip.MustParseAddr("198.51.100.12") {
		t.Fatal("Free returned the reserved address")
	}
}

func TestFreeReusesOldestExpired(t *testing.T) {
	c := &clock{t: t0}
	s := openT(t, "", c)
	r := rng("198.51.100.10", "198.51.100.12")
	for i := 0; i < 3; i++ {
		mustCommit(t, s, Change{Op: OpBind, MAC: mac(i), IP: netip.AddrFrom4([4]byte{198, 51, 100, byte(10 + i)}), Expires: t0.Add(time.Duration(3-i) * time.Minute)})
	}
	now := t0.Add(time.Hour)
	got, ok := s.Free(r, mac(99), now, nil)
	if !ok || got != netip.MustParseAddr("198.51.100.12") {
		t.Fatalf("Free = %v, %v; want .12, the lease that expired first", got, ok)
	}
}

func TestCommitConflictAndRelease(t *testing.T) {
	c := &clock{t: t0}
	s := openT(t, "", c)
	ip := netip.MustParseAddr("198.51.100.50")
	mustCommit(t, s, Change{Op: OpOffer, MAC: mac(1), IP: ip, Expires: t0.Add(time.Minute)})
	err := s.Commit(Change{Op: OpOffer, MAC: mac(2), IP: ip, Expires: t0.Add(time.Minute)})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("second client's offer of a held address: err = %v, want ErrConflict", err)
	}
	// A release by someone else is ignored; by the holder it frees the address.
	mustCommit(t, s, Change{Op: OpRelease, MAC: mac(2), IP: ip})
	if _, ok := s.ByIP(ip, t0); !ok {
		t.Fatal("release by a non-holder freed the address")
	}
	mustCommit(t, s, Change{Op: OpBind, MAC: mac(1), IP: ip, Expires: t0.Add(time.Hour)})
	mustCommit(t, s, Change{Op: OpRelease, MAC: mac(1), IP: ip})
	if l, ok := s.ByIP(ip, t0); ok {
		t.Fatalf("address still held after release: %+v", l)
	}
	mustCommit(t, s, Change{Op: OpOffer, MAC: mac(2), IP: ip, Expires: t0.Add(time.Minute)})
	// Moving a client to another address ends its old lease at once.
	ip2 := netip.MustParseAddr("198.51.100.51")
	mustCommit(t, s, Change{Op: OpBind, MAC: mac(2), IP: ip2, Expires: t0.Add(time.Hour)})
	if _, ok := s.ByIP(ip, t0); ok {
		t.Fatal("old address still held after the client moved")
	}
	if l, ok := s.ByMAC(mac(2), t0); !ok || l.IP != ip2 || l.State != Bound {
		t.Fatalf("ByMAC after move = %+v, %v", l, ok)
	}
}

func TestReloadKeepsLeases(t *testing.T) {
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "leases")
	s, err := Open(path, Options{Now: c.Now, CompactEvery: 7})
	if err != nil {
		t.Fatal(err)
	}
	r := rng("198.51.100.10", "198.51.100.200")
	for i := range 30 {
		if _, err := allocate(s, r, mac(i), t0, OpBind); err != nil {
			t.Fatal(err)
		}
	}
	mustCommit(t, s, Change{Op: OpRelease, MAC: mac(3), IP: s.mustByMAC(t, mac(3)).IP})
	mustCommit(t, s, Change{Op: OpDecline, MAC: mac(4), IP: s.mustByMAC(t, mac(4)).IP, Expires: t0.Add(time.Hour)})
	want, s2 := closeAndReopen(t, s, path, c)
	// Compaction ran (CompactEvery 7): the journal holds fewer than all records.
	st, err := os.Stat(path)
	if err != nil || st.Size() == 0 {
		t.Fatalf("no snapshot written by compaction: %v", err)
	}
	// The released client comes back to its address.
	if got, _ := s2.Free(r, mac(3), t0, nil); got != want[3].IP {
		t.Fatalf("released client got %v after reload, want %v", got, want[3].IP)
	}
}

// closeAndReopen closes s, opens the store at path again and checks that it
// holds what s held; it returns that and the reopened store.
func closeAndReopen(t *testing.T, s *Store, path string, c *clock) ([]Lease, *Store) {
	t.Helper()
	want := s.List()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openT(t, path, c)
	if diff := cmp.Diff(lines(want), lines(s2.List())); diff != "" {
		t.Fatalf("leases after reopen (-before +after):\n%s", diff)
	}
	return want, s2
}

func (s *Store) mustByMAC(t *testing.T, m net.HardwareAddr) Lease {
	t.Helper()
	l, ok := s.ByMAC(m, s.opts.Now())
	if !ok {
		t.Fatalf("no lease for %v", m)
	}
	return l
}

// TestTornJournalTail simulates kill -9 in the middle of a journal write:
// every committed lease survives, the torn record is dropped, and the store
// keeps appending cleanly after it. The journal is torn as this version
// leaves it (half the record written over the preallocated zeros) and as
// versions before 2026-12 did (the file ends half way through the record).
func TestTornJournalTail(t *testing.T) {
	for _, prealloc := range []bool{true, false} {
		t.Run(fmt.Sprintf("preallocated=%v", prealloc), func(t *testing.T) { testTornJournalTail(t, prealloc) })
	}
}

func testTornJournalTail(t *testing.T, prealloc bool) {
	c := &clock{t: t0}
	dir := t.TempDir()
	path := filepath.Join(dir, "leases")
	s, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := rng("198.51.100.10", "198.51.100.200")
	for i := range 20 {
		if _, err := allocate(s, r, mac(i), t0, OpBind); err != nil {
			t.Fatal(err)
		}
	}
	// Commit returned, so these bytes are on disk: copy them as a crash would
	// leave them (no Close), then tear the last record in half.
	crashed := filepath.Join(dir, "crashed")
	j, err := os.ReadFile(path + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	want := s.List()
	s.Close()
	end := bytes.LastIndexByte(j, '\n') + 1
	if prealloc && (len(j) <= end || j[len(j)-1] != 0) {
		t.Fatalf("journal of %d bytes, records end at %d: no preallocated zeros after them", len(j), end)
	}
	last := bytes.LastIndexByte(j[:end-1], '\n') + 1 // the last record's start
	half := last + (end-last)/2
	torn := j[:half]
	if prealloc {
		torn = slices.Concat(j[:half], make([]byte, len(j)-half))
	}
	if err := os.WriteFile(crashed+".journal", torn, 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(crashed, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	got := s2.List()
	if len(got) != len(want)-1 {
		t.Fatalf("after torn tail: %d leases, want %d (all but the torn one)", len(got), len(want)-1)
	}
	if s2.Corrupt() != 0 {
		t.Fatalf("torn tail counted as corruption: %d", s2.Corrupt())
	}
	// The MAC whose record was torn never got its Commit back; it allocates
	// again, and must not be handed an address someone else holds.
	if _, err := allocate(s2, r, mac(19), t0, OpBind); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	s3 := openT(t, crashed, c)
	checkUnique(t, s3.List(), t0)
	if n := len(s3.List()); n != 20 {
		t.Fatalf("after re-allocation and reload: %d leases, want 20", n)
	}
	if s3.Corrupt() != 0 {
		t.Fatalf("records appended after a torn tail are corrupt: %d", s3.Corrupt())
	}
}

// checkUnique fails when an address has two holders or a MAC two current addresses.
func checkUnique(t *testing.T, ls []Lease, now time.Time) {
	t.Helper()
	ips := map[netip.Addr]bool{}
	macs := map[string]netip.Addr{}
	for _, l := range ls {
		if ips[l.IP] {
			t.Errorf("address %v listed twice", l.IP)
		}
		ips[l.IP] = true
		if l.Expires.After(now) && l.State != Declined && l.MAC != nil {
			if prev, ok := macs[l.MAC.String()]; ok {
				t.Errorf("%v holds both %v and %v", l.MAC, prev, l.IP)
			}
			macs[l.MAC.String()] = l.IP
		}
	}
}

func TestConcurrentAllocationNoDuplicates(t *testing.T) {
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "leases")
	s, err := Open(path, Options{Now: c.Now, CompactEvery: 50})
	if err != nil {
		t.Fatal(err)
	}
	r := rng("198.51.100.10", "198.51.100.209") // 200 addresses
	const clients = 150
	var wg sync.WaitGroup
	got := make([]netip.Addr, clients)
	errs := make([]error, clients)
	for i := range clients {
		wg.Go(func() {
			got[i], errs[i] = allocate(s, r, mac(i), t0, OpOffer)
			if errs[i] == nil {
				errs[i] = s.Commit(Change{Op: OpBind, MAC: mac(i), IP: got[i], Expires: t0.Add(time.Hour)})
			}
		})
	}
	wg.Wait()
	seen := map[netip.Addr]int{}
	for i, ip := range got {
		if errs[i] != nil {
			t.Fatalf("client %d: %v", i, errs[i])
		}
		if j, dup := seen[ip]; dup {
			t.Fatalf("clients %d and %d both got %v", j, i, ip)
		}
		seen[ip] = i
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openT(t, path, c)
	ls := s2.List()
	checkUnique(t, ls, t0)
	for i, ip := range got {
		l, ok := s2.ByMAC(mac(i), t0)
		if !ok || l.IP != ip || l.State != Bound {
			t.Fatalf("client %d after reload: %+v %v, want bound %v", i, l, ok, ip)
		}
	}
}

func TestCorruptRecordInMiddleIsSkipped(t *testing.T) {
	c := &clock{t: t0}
	dir := t.TempDir()
	path := filepath.Join(dir, "leases")
	var b []byte
	for i := range 3 {
		b = encodeLine(b, Lease{MAC: mac(i), IP: netip.AddrFrom4([4]byte{198, 51, 100, byte(10 + i)}), State: Bound, Expires: t0.Add(time.Hour)})
	}
	// Flip a byte inside the second record's JSON.
	first := 0
	for b[first] != '\n' {
		first++
	}
	b[first+20] ^= 0x01
	if err := os.WriteFile(path+".journal", b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := openT(t, path, c)
	if s.Corrupt() != 1 {
		t.Fatalf("Corrupt() = %d, want 1", s.Corrupt())
	}
	var ips []string
	for _, l := range s.List() {
		ips = append(ips, l.IP.String())
	}
	if diff := cmp.Diff([]string{"198.51.100.10", "198.51.100.12"}, ips); diff != "" {
		t.Fatal(diff)
	}
}

func TestCommitRejectsBadInput(t *testing.T) {
	s := openT(t, "", &clock{t: t0})
	for _, c := range []Change{
		{Op: OpBind, MAC: mac(1)},
		{Op: 99, MAC: mac(1), IP: netip.MustParseAddr("198.51.100.1")},
		{Op: OpBind, MAC: mac(1), IP: netip.MustParseAddr("2001:db8::1")},
	} {
		if err := s.Commit(c); err == nil {
			t.Errorf("Commit(%+v) = nil, want an error", c)
		}
	}
}

// BenchmarkCommitParallel measures durable commits per second with many
// concurrent clients sharing fsyncs (group commit).
func BenchmarkCommitParallel(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "leases"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	n := 0
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			i := n % (1 << 17) // 198.18.0.0/15: clients come back to their address
			n++
			mu.Unlock()
			ip := netip.AddrFrom4([4]byte{198, 18 + byte(i>>16), byte(i >> 8), byte(i)})
			if err := s.Commit(Change{Op: OpBind, MAC: mac(i), IP: ip, Expires: time.Now().Add(time.Hour)}); err != nil {
				b.Error(fmt.Errorf("commit %d: %w", i, err))
				return
			}
		}
	})
}

// lines formats leases for comparison and readable diffs.
func lines(ls []Lease) []string {
	var out []string
	for _, l := range ls {
		out = append(out, fmt.Sprintf("%v %v %v %v %q", l.IP, l.MAC, l.State, l.Expires.UTC().Format(time.RFC3339Nano), l.Hostname))
	}
	return out
}

func TestProbeDeclineDoesNotClobberLease(t *testing.T) {
	s := openT(t, "", &clock{t: t0})
	ip := netip.MustParseAddr("198.51.100.60")
	mustCommit(t, s, Change{Op: OpBind, MAC: mac(1), IP: ip, Expires: t0.Add(time.Hour)})
	if err := s.Commit(Change{Op: OpDecline, IP: ip, Expires: t0.Add(time.Hour)}); !errors.Is(err, ErrConflict) {
		t.Fatalf("MAC-less decline of a bound address: %v, want ErrConflict", err)
	}
	if l, ok := s.ByMAC(mac(1), t0); !ok || l.IP != ip || l.State != Bound {
		t.Fatalf("lease after refused decline = %+v, %v", l, ok)
	}
}

// FuzzDecodeLine feeds arbitrary lines to the journal parser: it must
// return an error or a lease that encodes back to a line it parses again.
func FuzzDecodeLine(f *testing.F) {
	f.Add(string(encodeLine(nil, Lease{MAC: mac(1), IP: netip.MustParseAddr("198.51.100.1"), State: Bound, Expires: t0})))
	f.Add("00000000 {}")
	f.Add("zzzzzzzz {\"ip\":\"1.2.3.4\"}")
	f.Fuzz(func(t *testing.T, line string) {
		l, err := decodeLine([]byte(line))
		if err != nil {
			return
		}
		enc := encodeLine(nil, l)
		if _, err := decodeLine(enc[:len(enc)-1]); err != nil {
			t.Fatalf("re-encoded line does not parse: %v", err)
		}
	})
}

func TestReofferKeepsBoundLease(t *testing.T) {
	s := openT(t, "", &clock{t: t0})
	ip := netip.MustParseAddr("198.51.100.61")
	mustCommit(t, s, Change{Op: OpBind, MAC: mac(1), IP: ip, Expires: t0.Add(time.Hour)})
	mustCommit(t, s, Change{Op: OpOffer, MAC: mac(1), IP: ip, Expires: t0.Add(time.Minute)})
	l, ok := s.ByMAC(mac(1), t0.Add(30*time.Minute))
	if !ok || l.State != Bound || !l.Expires.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after a re-offer the lease is %+v, %v; want still bound until %v", l, ok, t0.Add(time.Hour))
	}
}

func TestReadLeavesFilesAlone(t *testing.T) {
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "leases")
	s := openT(t, path, c)
	mustCommit(t, s, Change{Op: OpBind, MAC: mac(1), IP: netip.MustParseAddr("198.51.100.70"), Expires: t0.Add(time.Hour)})
	mustCommit(t, s, Change{Op: OpBind, MAC: mac(2), IP: netip.MustParseAddr("198.51.100.71"), Expires: t0.Add(time.Hour)})
	j := path + ".journal"
	b, _ := os.ReadFile(j)
	torn := append(append([]byte(nil), b...), []byte("1234")...)
	if err := os.WriteFile(j, torn, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(lines(s.List()), lines(got)); diff != "" {
		t.Fatalf("Read (-store +read):\n%s", diff)
	}
	after, _ := os.ReadFile(j)
	if string(after) != string(torn) {
		t.Fatal("Read changed the journal")
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Read of a missing store: %v, want ErrNotExist", err)
	}
}

func TestCommitAfterCloseFails(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "leases"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	err = s.Commit(Change{Op: OpBind, MAC: mac(1), IP: netip.MustParseAddr("198.51.100.80"), Expires: time.Now().Add(time.Hour)})
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit after Close = %v, want ErrClosed", err)
	}
}

func TestClosedStoreKeepsItsState(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "leases"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ip := netip.MustParseAddr("198.51.100.81")
	s.Commit(Change{Op: OpBind, MAC: mac(1), IP: ip, Expires: time.Now().Add(time.Hour)})
	if _, ok := s.ByIP(ip, time.Now()); ok {
		t.Fatal("a refused commit changed the in-memory leases")
	}
}

// flakyFile fails one WriteAt after writing half of it, as a full disk
// does; with failTruncate, the Truncate that would cut the half away fails
// once too.
type flakyFile struct {
	journalFile
	fail, failTruncate bool
}

func (f *flakyFile) Truncate(n int64) error {
	if f.failTruncate {
		f.failTruncate = false
		return errors.New("input/output error")
	}
	return f.journalFile.Truncate(n)
}

func (f *flakyFile) WriteAt(b []byte, off int64) (int, error) {
	if f.fail {
		f.fail = false
		n, _ := f.journalFile.WriteAt(b[:len(b)/2], off)
		return n, errors.New("no space left on device")
	}
	return f.journalFile.WriteAt(b, off)
}

// TestFailedWriteFailsOnlyItsBatch: a journal write that fails half way fails
// that commit, leaves no half record behind (even when cutting it off fails
// as well), and later commits work and survive a reload.
func TestFailedWriteFailsOnlyItsBatch(t *testing.T) {
	for _, failTruncate := range []bool{false, true} {
		t.Run(fmt.Sprintf("truncate fails=%v", failTruncate), func(t *testing.T) { testFailedWrite(t, failTruncate) })
	}
}

func testFailedWrite(t *testing.T, failTruncate bool) {
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "leases")
	s, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, Change{Op: OpBind, MAC: mac(1), IP: netip.MustParseAddr("198.51.100.90"), Expires: t0.Add(time.Hour)})
	s.j.f = &flakyFile{journalFile: s.j.f, fail: true, failTruncate: failTruncate}
	if err := s.Commit(Change{Op: OpBind, MAC: mac(2), IP: netip.MustParseAddr("198.51.100.91"), Expires: t0.Add(time.Hour)}); err == nil {
		t.Fatal("commit whose write failed returned nil")
	}
	mustCommit(t, s, Change{Op: OpBind, MAC: mac(3), IP: netip.MustParseAddr("198.51.100.92"), Expires: t0.Add(time.Hour)})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openT(t, path, c)
	if s2.Corrupt() != 0 {
		t.Fatalf("half-written record left corruption behind: %d", s2.Corrupt())
	}
	var ips []string
	for _, l := range s2.List() {
		ips = append(ips, l.IP.String())
	}
	if diff := cmp.Diff([]string{"198.51.100.90", "198.51.100.92"}, ips); diff != "" {
		t.Fatalf("leases after reload (-want +got):\n%s", diff)
	}
}

// TestOfferIsJournaledLazily: an offer's hold costs no fsync of its own. It
// reaches the disk with the next commit somebody waits for, when its own
// durable is called, or after lazyFlush; a crash before then loses only the
// offer, which RFC 2131 4.3.1 allows.
func TestOfferIsJournaledLazily(t *testing.T) {
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "leases")
	flushes := make(chan int, 16)
	s, err := Open(path, Options{Now: c.Now, OnFlush: func(n int, _ time.Duration, err error) {
		if err == nil {
			flushes <- n
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.j.lazyFlush = time.Hour // only a waited-for commit writes the batch here
	exp := t0.Add(time.Hour)

	// The offer alone: nobody waits, nothing is written. The bind of
	// another client that follows carries it in the same batch.
	if _, err := s.CommitAsync(Change{Op: OpOffer, MAC: mac(1), IP: netip.MustParseAddr("198.51.100.10"), Expires: exp}); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, Change{Op: OpBind, MAC: mac(2), IP: netip.MustParseAddr("198.51.100.11"), Expires: exp})
	if n := <-flushes; n != 2 {
		t.Fatalf("first batch written held %d records, want the offer and the bind (2)", n)
	}

	// An offer whose durable is called is written without a bind.
	durable, err := s.CommitAsync(Change{Op: OpOffer, MAC: mac(3), IP: netip.MustParseAddr("198.51.100.12"), Expires: exp})
	if err != nil {
		t.Fatal(err)
	}
	if err := durable(); err != nil {
		t.Fatal(err)
	}
	if n := <-flushes; n != 1 {
		t.Fatalf("waited-for offer: batch of %d records, want 1", n)
	}

	// With a short bound, an offer nobody waits for reaches the disk alone.
	s.j.mu.Lock()
	s.j.lazyFlush = 10 * time.Millisecond
	s.j.mu.Unlock()
	if _, err := s.CommitAsync(Change{Op: OpOffer, MAC: mac(4), IP: netip.MustParseAddr("198.51.100.13"), Expires: exp}); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-flushes:
		if n != 1 {
			t.Fatalf("lazy offer flushed in a batch of %d records, want 1", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("an offer nobody waited for never reached the disk")
	}
	want, _ := closeAndReopen(t, s, path, c)
	if len(want) != 4 {
		t.Fatalf("%d leases before reopen, want the 4 committed", len(want))
	}
}

// TestCommitThen: the callback runs once per commit, after its batch is on
// disk, with the batch's error; at once when there is nothing to write; and
// not at all when the commit itself is refused.
func TestCommitThen(t *testing.T) {
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "leases")
	events := make(chan string, 64)
	s, err := Open(path, Options{Now: c.Now, OnFlush: func(n int, _ time.Duration, err error) {
		events <- fmt.Sprintf("flush %d err=%v", n, err != nil)
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	exp := t0.Add(time.Hour)
	then := func(name string) func(error) {
		return func(err error) { events <- fmt.Sprintf("then %s err=%v", name, err != nil) }
	}
	next := func() string {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(30 * time.Second):
			t.Fatal("no flush or callback within 30 s")
			return ""
		}
	}

	if err := s.CommitThen(Change{Op: OpBind, MAC: mac(1), IP: netip.MustParseAddr("198.51.100.20"), Expires: exp}, then("bind")); err != nil {
		t.Fatal(err)
	}
	if got := []string{next(), next()}; !cmp.Equal(got, []string{"flush 1 err=false", "then bind err=false"}) {
		t.Fatalf("events %q, want the flush, then the callback", got)
	}
	// A release by a client that holds nothing writes nothing: the callback
	// runs at once.
	if err := s.CommitThen(Change{Op: OpRelease, MAC: mac(9), IP: netip.MustParseAddr("198.51.100.20")}, then("no-op")); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "then no-op err=false" {
		t.Fatalf("no-op commit: %q, want its callback at once", got)
	}
	// A refused commit (another client holds the address): no callback.
	err = s.CommitThen(Change{Op: OpBind, MAC: mac(2), IP: netip.MustParseAddr("198.51.100.20"), Expires: exp}, then("refused"))
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("bind of a held address: %v, want ErrConflict", err)
	}
	// An offer is written for a callback too, without a bind to carry it.
	s.j.mu.Lock()
	s.j.lazyFlush = time.Hour
	s.j.mu.Unlock()
	if err := s.CommitThen(Change{Op: OpOffer, MAC: mac(3), IP: netip.MustParseAddr("198.51.100.21"), Expires: exp}, then("offer")); err != nil {
		t.Fatal(err)
	}
	if got := []string{next(), next()}; !cmp.Equal(got, []string{"flush 1 err=false", "then offer err=false"}) {
		t.Fatalf("events %q, want the offer's flush, then its callback", got)
	}
	// A failed write reaches the callback.
	s.j.f = &flakyFile{journalFile: s.j.f, fail: true}
	if err := s.CommitThen(Change{Op: OpBind, MAC: mac(4), IP: netip.MustParseAddr("198.51.100.22"), Expires: exp}, then("failed")); err != nil {
		t.Fatal(err)
	}
	if got := []string{next(), next()}; !cmp.Equal(got, []string{"flush 1 err=true", "then failed err=true"}) {
		t.Fatalf("events %q, want the failed flush, then its callback with the error", got)
	}
	select {
	case e := <-events:
		t.Fatalf("unexpected event %q (the refused commit's callback?)", e)
	default:
	}

	mem, err := Open("", Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ran := false
	if err := mem.CommitThen(Change{Op: OpBind, MAC: mac(5), IP: netip.MustParseAddr("198.51.100.23"), Expires: exp}, func(err error) { ran = err == nil }); err != nil || !ran {
		t.Fatalf("memory store: err %v, callback ran %v; want nil and at once", err, ran)
	}
}

// TestLazyAppendWakesNoWriter checks the journal itself, with this test in
// the writer's place (openJournal starts no writer): a lazy record leaves
// no wake-up and arms the bound instead; a lazy record with a callback, an
// ordinary record, and a wait for a lazy batch each wake the writer.
func TestLazyAppendWakesNoWriter(t *testing.T) {
	j, err := openJournal(filepath.Join(t.TempDir(), "leases"), 100, func(Lease) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.f.Close() })
	j.lazyFlush = time.Hour
	rec := func(i int) []Lease {
		return []Lease{{MAC: mac(i), IP: netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), State: Offered, Expires: t0}}
	}
	woken := func() bool {
		select {
		case <-j.kick:
			return true
		default:
			return false
		}
	}

	b, err := j.append(rec(1), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if woken() {
		t.Fatal("a lazy record woke the writer")
	}
	if b.timer == nil {
		t.Fatal("a lazy record armed no bound")
	}
	if _, err := j.append(rec(2), true, func(error) {}); err != nil || !woken() {
		t.Fatalf("a lazy record with a callback: err %v, writer not woken", err)
	}
	if _, err := j.append(rec(3), false, nil); err != nil || !woken() {
		t.Fatalf("an ordinary record: err %v, writer not woken", err)
	}

	waited := make(chan error, 1)
	go func() { waited <- j.wait(b) }()
	select {
	case <-j.kick:
	case <-time.After(30 * time.Second):
		t.Fatal("waiting for a lazy batch did not wake the writer")
	}
	if err := j.flush(); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
}
