package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log sink the Watcher goroutine writes while the test
// reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond until it holds or a generous bound passes.
func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 20*time.Second {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
	return 0
}

func hostsConfig(iface string, macs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "interface: %s\ndhcp:\n  subnet: 198.51.100.0/24\ntftp: {enabled: false}\nhosts:\n", iface)
	for i, m := range macs {
		fmt.Fprintf(&b, "  - {name: h%d, mac: %s, ip: 198.51.100.%d}\n", i, m, 10+i)
	}
	return b.String()
}

type watchRig struct {
	path    string
	store   *Store
	applied chan [2]*Snapshot
	reload  chan struct{}
	log     *lockedBuffer
	cancel  context.CancelFunc
	done    chan error
}

// startWatcher writes config, loads it as the running snapshot and runs a
// Watcher on it until the test ends.
func startWatcher(t *testing.T, config string, inotify bool) *watchRig {
	t.Helper()
	dir := t.TempDir()
	r := &watchRig{
		path:    filepath.Join(dir, "bootyard.yaml"),
		applied: make(chan [2]*Snapshot, 10),
		reload:  make(chan struct{}),
		log:     &lockedBuffer{},
		done:    make(chan error, 1),
	}
	writeFile(t, r.path, config)
	snap, err := Load(r.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.store = NewStore(snap)
	w := &Watcher{
		Path: r.path, Store: r.store, Reload: r.reload, noInotify: !inotify,
		Log:   slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Apply: func(old, n *Snapshot) { r.applied <- [2]*Snapshot{old, n} },
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- w.Run(ctx) }()
	waitFor(t, "the watcher to start", func() bool { return strings.Contains(r.log.String(), "watching the config file") })
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	return r
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (r *watchRig) nextApply(t *testing.T) (old, n *Snapshot, delay time.Duration) {
	t.Helper()
	start := time.Now()
	select {
	case a := <-r.applied:
		return a[0], a[1], time.Since(start)
	case <-time.After(20 * time.Second):
		t.Fatalf("no reload applied; log:\n%s", r.log)
	}
	return nil, nil, 0
}

// applyWhere waits for an applied snapshot that satisfies ok, passing over
// earlier ones: under load an in-place write can be read half-done and
// applied before the whole file, so a test names the state it waits for.
func (r *watchRig) applyWhere(t *testing.T, what string, ok func(*Snapshot) bool) *Snapshot {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case a := <-r.applied:
			if ok(a[1]) {
				return a[1]
			}
		case <-deadline:
			t.Fatalf("no reload applied %s; log:\n%s", what, r.log)
			return nil
		}
	}
}

func TestWatchAppliesAnEdit(t *testing.T) {
	for _, inotify := range []bool{true, false} {
		t.Run(fmt.Sprintf("inotify=%v", inotify), func(t *testing.T) {
			r := startWatcher(t, hostsConfig("eth0", "52:54:00:00:00:01"), inotify)
			first := r.store.Current()
			writeFile(t, r.path, hostsConfig("eth0", "52:54:00:00:00:01", "52:54:00:00:00:02"))
			old, n, delay := r.nextApply(t)
			t.Logf("edit applied after %v", delay)
			if old != first {
				t.Error("Apply's old is not the snapshot that was serving")
			}
			if r.store.Current() != n {
				t.Error("the Store does not hold the applied snapshot")
			}
			if _, ok := n.HostByName("h1"); !ok {
				t.Errorf("new host missing after reload")
			}
			waitFor(t, "the reload log line", func() bool {
				return strings.Contains(r.log.String(), "hosts_added=1 hosts_removed=0 hosts_changed=0")
			})
		})
	}
}

func TestWatchRejectsAnInvalidEdit(t *testing.T) {
	r := startWatcher(t, hostsConfig("eth0", "52:54:00:00:00:01"), true)
	first := r.store.Current()
	// Two mistakes, on lines 6 and 7.
	writeFile(t, r.path, hostsConfig("eth0", "52:54:00:00:00:01", "52:54:00:00:00:01", "nope"))
	waitFor(t, "the rejection", func() bool { return strings.Contains(r.log.String(), "config not applied") })
	logText := r.log.String()
	for _, want := range []string{
		"bootyard.yaml:7: hosts[1].mac: duplicate MAC 52:54:00:00:00:01",
		`bootyard.yaml:8: hosts[2].mac: \"nope\" is not a MAC address`,
		"problems=2",
	} {
		if !strings.Contains(logText, want) {
			t.Errorf("log lacks %q:\n%s", want, logText)
		}
	}
	if n := strings.Count(logText, "config problem: "); n != 2 {
		t.Errorf("%d problem lines, want one per problem (2)", n)
	}
	select {
	case a := <-r.applied:
		t.Fatalf("invalid file applied: %v", a[1])
	default:
	}
	if r.store.Current() != first {
		t.Fatal("the Store changed after an invalid edit")
	}
	// Fixing the file applies it.
	writeFile(t, r.path, hostsConfig("eth0", "52:54:00:00:00:01", "52:54:00:00:00:03"))
	if _, n, _ := r.nextApply(t); len(n.Hosts()) != 2 {
		t.Errorf("fixed file has %d hosts", len(n.Hosts()))
	}
}

func TestWatchSeesReplaceByRename(t *testing.T) {
	r := startWatcher(t, hostsConfig("eth0", "52:54:00:00:00:01"), true)
	tmp := filepath.Join(filepath.Dir(r.path), ".bootyard.yaml.swp")
	writeFile(t, tmp, hostsConfig("eth0", "52:54:00:00:00:02"))
	if err := os.Rename(tmp, r.path); err != nil {
		t.Fatal(err)
	}
	_, n, delay := r.nextApply(t)
	t.Logf("rename applied after %v", delay)
	if _, ok := n.HostByMAC(mustMAC("52:54:00:00:00:02")); !ok {
		t.Error("renamed-in file not applied")
	}
	// And a second edit still works: the watch is on the folder, not on
	// the inode that was replaced.
	writeFile(t, r.path, hostsConfig("eth0", "52:54:00:00:00:03"))
	if _, n, _ = r.nextApply(t); len(n.Hosts()) != 1 || n.Hosts()[0].MAC.String() != "52:54:00:00:00:03" {
		t.Errorf("second edit after rename: hosts %v", n.Hosts())
	}
}

func TestWatchReloadSignal(t *testing.T) {
	r := startWatcher(t, hostsConfig("eth0", "52:54:00:00:00:01"), true)
	first := r.store.Current()
	// Same bytes: only the signal makes it reload.
	r.reload <- struct{}{}
	_, n, _ := r.nextApply(t)
	if n == first || len(n.Hosts()) != 1 {
		t.Errorf("reload on signal gave %v", n)
	}
}

func TestWatchRestartSettingsKeepRunningValues(t *testing.T) {
	r := startWatcher(t, hostsConfig("eth0", "52:54:00:00:00:01"), true)
	writeFile(t, r.path, hostsConfig("eth1", "52:54:00:00:00:01", "52:54:00:00:00:02"))
	_, n, _ := r.nextApply(t)
	if n.Interface != "eth0" {
		t.Errorf("interface = %q: a live change of the listening interface was applied", n.Interface)
	}
	if len(n.Hosts()) != 2 {
		t.Errorf("the rest of the file was not applied: %d hosts", len(n.Hosts()))
	}
	waitFor(t, "the restart warning", func() bool {
		s := r.log.String()
		return strings.Contains(s, "needs a restart") && strings.Contains(s, "field=interface running=eth0 value_in_file=eth1")
	})

	// The TFTP server is built once: its settings stay until a restart.
	writeFile(t, r.path, strings.Replace(hostsConfig("eth0", "52:54:00:00:00:01"), "tftp: {enabled: false}", "tftp: {enabled: false, retries: 9}", 1))
	n = r.applyWhere(t, "with one host", func(s *Snapshot) bool { return len(s.Hosts()) == 1 })
	if n.TFTP.Retries != DefaultTFTPRetries || len(n.Hosts()) != 1 {
		t.Errorf("retries = %d, hosts = %d: want the running retries and the file's hosts", n.TFTP.Retries, len(n.Hosts()))
	}
	waitFor(t, "the tftp restart warning", func() bool {
		return strings.Contains(r.log.String(), "field=tftp.retries running=5 value_in_file=9")
	})
}

func TestWatchReturnsOnCancel(t *testing.T) {
	r := startWatcher(t, hostsConfig("eth0", "52:54:00:00:00:01"), true)
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		r.done <- nil // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestWatcherApplyGetsOldAndNew: Apply sees the snapshot it replaces and
// the new one, and Run returns nil on cancel.
func TestWatcherApplyGetsOldAndNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "b.yaml")
	writeFile(t, path, hostsConfig("eth0", "52:54:00:00:00:01"))
	type pair struct{ old, n *Snapshot }
	applied := make(chan pair, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &lockedBuffer{}
	go func() {
		snap, err := Load(path, Options{})
		if err != nil {
			done <- err
			return
		}
		w := &Watcher{Path: path, Store: NewStore(snap), Log: slog.New(slog.NewTextHandler(logs, nil)),
			Apply: func(old, n *Snapshot) { applied <- pair{old, n} }}
		done <- w.Run(ctx)
	}()
	waitFor(t, "the watcher to start", func() bool { return strings.Contains(logs.String(), "watching the config file") })
	writeFile(t, path, hostsConfig("eth0", "52:54:00:00:00:01", "52:54:00:00:00:02"))
	var got pair
	select {
	case got = <-applied:
	case <-time.After(20 * time.Second):
		t.Fatalf("no reload; log:\n%s", logs)
	}
	if got.old == nil || len(got.old.Hosts()) != 1 || len(got.n.Hosts()) != 2 {
		t.Fatalf("Apply got %v over %v", got.n, got.old)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestReloadIsCheckedWithRunningSettings: the settings a reload cannot
// change are put back before validation, so a file that is only valid with
// its own (unapplied) values is refused instead of applied half-checked.
func TestReloadIsCheckedWithRunningSettings(t *testing.T) {
	running, err := Parse("", []byte(`interface: eth0
dhcp:
  mode: authoritative
  server_ip: 198.51.100.2
  subnet: 198.51.100.0/24
tftp: {enabled: false}
hosts:
  - {name: a, mac: "52:54:00:00:00:01", ip: 198.51.100.10}
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		field      string // a problem must name this field
	}{
		{"proxy without a subnet, while authoritative runs", `interface: eth0
dhcp:
  mode: proxy
  server_ip: 198.51.100.2
tftp: {enabled: false}
hosts:
  - {name: a, mac: "52:54:00:00:00:01", ip: 198.51.100.10}
`, "dhcp.mode"},
		{"the running server address given to a host", `interface: eth0
dhcp:
  mode: authoritative
  server_ip: 198.51.100.3
  subnet: 198.51.100.0/24
tftp: {enabled: false}
hosts:
  - {name: a, mac: "52:54:00:00:00:01", ip: 198.51.100.2}
`, "hosts[0].ip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// On its own the file is fine ...
			if _, err := Parse("", []byte(tc.file), Options{}); err != nil {
				t.Fatalf("file invalid on its own: %v", err)
			}
			// ... but not with the running settings in place.
			_, err := Parse("", []byte(tc.file), Options{Running: running})
			var ps Errors
			if !errors.As(err, &ps) {
				t.Fatalf("reload accepted: err = %v", err)
			}
			found := false
			for _, p := range ps {
				found = found || p.Field == tc.field
			}
			if !found {
				t.Errorf("no problem for %s in:\n%v", tc.field, err)
			}
		})
	}
}
