package tftpd

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
)

// impairment makes the lab link lossy or out of order at a host's eth0,
// and counts what it dropped. netem is the tool; on a kernel built
// without the netem qdisc (CONFIG_NET_SCH_NETEM, module sch_netem) the same
// conditions are made from nftables (random drop) and an HTB class that
// holds a random share of the packets back (reordering with a delay).
type impairment struct {
	netem bool
}

// newImpairment probes host for the netem qdisc and, failing that, for
// nftables and HTB. With neither the test is skipped, or failed when
// BOOTYARD_E2E=1 says lab tests must run.
func newImpairment(t *testing.T, h *netlab.Host) impairment {
	t.Helper()
	o, err := h.Run(t, 10*time.Second, "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "loss", "1%")
	if err == nil {
		mustRun(t, h, "tc", "qdisc", "del", "dev", "eth0", "root")
		return impairment{netem: true}
	}
	t.Logf("no netem qdisc on this kernel (%s): impairing with nftables and htb instead", strings.TrimSpace(o))
	netlab.Require(t, "nft")
	return impairment{}
}

// apply makes the link from srv to cli lose loss percent (0: none) of the
// UDP packets and, when reorder is true, delay most of them (netem) or a
// quarter of them (htb) by a few milliseconds, so that others overtake
// them. Only the server's packets are hit: the test is about the server's
// retransmits, and a lost ACK leaves recovery to the client's own timer
// (pin/tftp's is seconds long, and it does not acknowledge a block it
// already has).
func (im impairment) apply(t *testing.T, srv, cli *netlab.Host, loss int, reorder bool) {
	t.Helper()
	im.clear(t, srv)
	im.clear(t, cli)
	if im.netem {
		args := []string{"qdisc", "add", "dev", "eth0", "root", "netem"}
		if loss > 0 {
			args = append(args, "loss", fmt.Sprintf("%d%%", loss))
		}
		if reorder {
			// 25% of the packets go at once, the others 5 ms later.
			args = append(args, "delay", "5ms", "reorder", "25%", "50%")
		}
		mustRun(t, srv, "tc", args...)
		return
	}
	// Loss is made on the client's way in: a packet dropped on the way out
	// of a socket fails its send (EPERM), which is not what a lossy link
	// does.
	if loss > 0 {
		nftChain(t, cli, "input", fmt.Sprintf("meta l4proto udp numgen random mod 100 < %d counter drop", loss))
	}
	if reorder {
		// A quarter of the packets go through an 8 Mbit/s class: each is
		// held a millisecond or more while the others overtake it.
		mustRun(t, srv, "tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "10", "r2q", "100000")
		mustRun(t, srv, "tc", "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit")
		mustRun(t, srv, "tc", "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:20", "htb", "rate", "8mbit", "ceil", "8mbit", "burst", "1600b")
		nftChain(t, srv, "output", "meta l4proto udp numgen random mod 100 < 25 meta priority set 1:20")
	}
}

// nftChain adds table inet lossy to h with one chain on hook holding rule.
func nftChain(t *testing.T, h *netlab.Host, hook, rule string) {
	t.Helper()
	table := "table inet lossy {\n chain " + hook + " {\n  type filter hook " + hook +
		" priority 0; policy accept;\n  " + rule + "\n }\n}\n"
	cmd := h.Command(t.Context(), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(table)
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft on %s: %v\n%s", h.Name, err, o)
	}
}

// clear removes every impairment from h.
func (im impairment) clear(t *testing.T, h *netlab.Host) {
	t.Helper()
	h.Run(t, 10*time.Second, "tc", "qdisc", "del", "dev", "eth0", "root")
	if !im.netem {
		h.Run(t, 10*time.Second, "nft", "delete", "table", "inet", "lossy")
	}
}

var (
	tcDropped  = regexp.MustCompile(`dropped (\d+)`)
	nftDropped = regexp.MustCompile(`counter packets (\d+) bytes \d+ drop`)
)

// drops is how many packets the impairment on h dropped: the qdiscs'
// `tc -s` drop counts, plus the nftables drop rule's count.
func (im impairment) drops(t *testing.T, h *netlab.Host) int {
	t.Helper()
	o, err := h.Run(t, 10*time.Second, "tc", "-s", "qdisc", "show", "dev", "eth0")
	if err != nil {
		t.Fatalf("tc -s on %s: %v\n%s", h.Name, err, o)
	}
	n := sumMatches(tcDropped, o)
	if !im.netem {
		if o, err := h.Run(t, 10*time.Second, "nft", "list", "table", "inet", "lossy"); err == nil {
			n += sumMatches(nftDropped, o)
		}
	}
	return n
}

func sumMatches(re *regexp.Regexp, s string) int {
	n := 0
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.Atoi(m[1])
		n += v
	}
	return n
}

func mustRun(t *testing.T, h *netlab.Host, name string, args ...string) {
	t.Helper()
	if o, err := h.Run(t, 10*time.Second, name, args...); err != nil {
		t.Fatalf("%v\n%s", err, o)
	}
}

// TestLossyLink fetches a 2 MiB file at blksize 1468 over a link that loses
// 1% and 5% of the server's packets, and over one that reorders them, with
// atftp (windowsize 1 and 16) and pin/tftp's client (lock-step only: it has
// no windowsize), from a server whose retransmit timeout is 200 ms. Every
// copy must match the file byte for byte, every transfer must end "ok", and
// when the link dropped packets the server's records must count
// retransmits.
func TestLossyLink(t *testing.T) {
	netlab.Require(t, "go", "atftp", "tc")
	root := t.TempDir()
	const size = 2 << 20
	sum := sha256.Sum256(writeFile(t, root, "lossy", size))

	lab := netlab.New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	cli := lab.Host("cli", "198.51.100.3/24")
	// Fixed neighbours: no ARP packet is ever dropped, so every drop the
	// counters show is a TFTP packet.
	mustRun(t, srv, "ip", "neigh", "replace", "198.51.100.3", "lladdr", cli.MAC().String(), "dev", "eth0", "nud", "permanent")
	mustRun(t, cli, "ip", "neigh", "replace", "198.51.100.2", "lladdr", srv.MAC().String(), "dev", "eth0", "nud", "permanent")
	im := newImpairment(t, srv)
	p := startBootyardTFTP(t, srv, "root: "+root+", max_block_size: 1468, timeout: 200ms")

	const host = "198.51.100.2"
	clients := []struct {
		name string
		args []string
	}{
		{"atftp-w1", []string{"atftp", "--option", "blksize 1468", "--option", "windowsize 1"}},
		{"atftp-w16", []string{"atftp", "--option", "blksize 1468", "--option", "tsize 0", "--option", "windowsize 16"}},
		{"pin-tftp", nil},
	}
	out := t.TempDir()
	records := 0
	for _, cond := range []struct {
		name    string
		loss    int
		reorder bool
	}{
		{"loss-1pct", 1, false},
		{"loss-5pct", 5, false},
		{"reorder-delay", 0, true},
	} {
		t.Run(cond.name, func(t *testing.T) {
			start := time.Now()
			im.apply(t, srv, cli, cond.loss, cond.reorder)
			defer im.clear(t, srv)
			defer im.clear(t, cli)
			// The clients fetch at the same time: the link is shared,
			// and the whole lab stays well under two minutes.
			var wg sync.WaitGroup
			for _, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					dst := filepath.Join(out, cond.name+"-"+c.name)
					args := append(append([]string{}, c.args...), "-g", "-r", "lossy", "-l", dst, host)
					if c.args == nil {
						args = []string{"env", pinGetEnv + "=1", os.Args[0], host + ":69", "lossy", dst, "1468"}
					}
					o, err := cli.Run(t, 100*time.Second, args[0], args[1:]...)
					if err != nil {
						t.Errorf("%s: %v\n%s", c.name, err, o)
						return
					}
					got, err := os.ReadFile(dst)
					if err != nil || sha256.Sum256(got) != sum {
						t.Errorf("%s: got %d bytes (%v), content differs from the file", c.name, len(got), err)
					}
				}()
			}
			wg.Wait()
			drops := im.drops(t, srv) + im.drops(t, cli)

			// The server writes each transfer's record when it ends.
			records += len(clients)
			var recs []string
			deadline := time.Now().Add(waitBound)
			for {
				recs = lossyRecords(p.Output())
				if len(recs) >= records || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if len(recs) != records {
				t.Fatalf("server logged %d records for the file, want %d\n%s", len(recs), records, p.Output())
			}
			recs = recs[records-len(clients):]
			retransmits, timeouts := 0, 0
			for _, r := range recs {
				if !strings.Contains(r, "outcome=ok") {
					t.Errorf("transfer not ok: %s", r)
				}
				retransmits += recordCount(r, "retransmits")
				timeouts += recordCount(r, "timeouts")
			}
			for _, r := range recs {
				t.Logf("record: %s", r)
			}
			t.Logf("%s: %d packets dropped, server counted %d retransmits and %d timeouts, %v",
				cond.name, drops, retransmits, timeouts, time.Since(start).Round(time.Millisecond))
			if drops > 0 && retransmits == 0 {
				t.Errorf("the link dropped %d packets but the server's records count no retransmit:\n%s",
					drops, strings.Join(recs, "\n"))
			}
		})
	}
}

// lossyRecords returns the server's transfer records for the file "lossy".
func lossyRecords(log string) []string {
	var recs []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "file=lossy") && strings.Contains(l, "outcome=") {
			recs = append(recs, l)
		}
	}
	return recs
}

// recordCount returns the value of a counter in a record (absent: 0).
func recordCount(rec, key string) int {
	m := regexp.MustCompile(`\b` + key + `=(\d+)`).FindStringSubmatch(rec)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
