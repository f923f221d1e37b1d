package netlab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// staleName matches namespaces made by netlab: "by<pid>-<lab id>-<name>".
var staleName = regexp.MustCompile(`^` + nsPrefix + `([0-9]+)-[0-9a-f]{6}-`)

// teardown stops every process of the lab, then deletes its namespaces (hosts
// first, the switch last). It runs even when the test failed half-way, and
// reports what it could not remove.
func (l *Lab) teardown() {
	l.mu.Lock()
	procs := make([]*Proc, 0, len(l.procs))
	for p := range l.procs {
		procs = append(procs, p)
	}
	hosts := append([]*Host(nil), l.hosts...)
	l.mu.Unlock()

	if l.t.Failed() {
		l.logTopology(hosts)
	}
	for _, p := range procs {
		if err := p.Stop(); err != nil {
			l.t.Errorf("netlab: %v", err)
		}
	}
	for i := len(hosts) - 1; i >= 0; i-- {
		if err := removeNS(hosts[i].NS); err != nil {
			l.t.Errorf("netlab: teardown: %v", err)
		}
	}
}

// logTopology logs each namespace's interfaces and addresses, so a failed
// test's log shows which host ended up with which address (or none).
func (l *Lab) logTopology(hosts []*Host) {
	var b strings.Builder
	for _, h := range hosts {
		out, err := ipOut("-n", h.NS, "-br", "addr")
		if err != nil {
			out = err.Error() + "\n"
		}
		fmt.Fprintf(&b, "%s (%s):\n%s", h.Name, h.NS, out)
	}
	l.t.Logf("netlab: lab at failure:\n%s", b.String())
}

// removeNS kills whatever still runs in a namespace (daemons that forked
// away from the process a test started, or a test's own clients run with
// Command and never waited for) and deletes the namespace. Deleting it
// destroys its veth ends, and with them their peers in the switch.
// Its private /etc folder goes too.
func removeNS(ns string) error {
	var err error
	if _, serr := os.Stat("/run/netns/" + ns); !errors.Is(serr, os.ErrNotExist) {
		killAllIn(ns)
		err = ip("netns", "del", ns)
	}
	if rerr := os.RemoveAll(filepath.Join(etcNetns, ns)); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return err
}

// killAllIn SIGKILLs every process in namespace ns, except this test process,
// whose leader thread may sit there for a moment inside Host.Do.
func killAllIn(ns string) {
	out, err := ipOut("netns", "pids", ns)
	if err != nil {
		return
	}
	var pids []int
	for _, f := range strings.Fields(out) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 1 || pid == os.Getpid() {
			continue
		}
		pids = append(pids, pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	// The processes are not our children (or are reaped by their own
	// waiters), so watch them vanish from /proc, bounded.
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// alive reports whether a process with this pid exists. A zombie counts as
// gone: it holds no namespace and no socket.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// The state follows the command name in parentheses: "pid (comm) S ...".
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}

// sweepStale removes namespaces of labs whose test process no longer exists:
// a test killed by go test -timeout (or ^C) never runs its cleanups, and its
// dnsmasq would otherwise keep answering in a namespace nobody deletes.
// Labs of live processes, including parallel test binaries, are left alone.
func sweepStale(t testing.TB) {
	t.Helper()
	// A namespace, its /etc folder, or both may be left.
	seen := map[string]bool{}
	for _, dir := range []string{"/run/netns", etcNetns} {
		entries, _ := os.ReadDir(dir) // missing: nothing left there
		for _, e := range entries {
			seen[e.Name()] = true
		}
	}
	for name := range seen {
		m := staleName.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || alive(pid) {
			continue
		}
		// Another test binary may be sweeping the same leftovers: losing
		// that race is fine, so the error is only logged.
		if err := removeNS(name); err != nil {
			t.Logf("netlab: sweeping stale namespace %s: %v", name, err)
		}
	}
}
