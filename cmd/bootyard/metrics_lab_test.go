package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/bootyard/bootyard/internal/netlab"
)

// scrape fetches /metrics from the admin listener inside h's namespace and
// parses the whole exposition with Prometheus' own text parser.
func scrape(t *testing.T, h *netlab.Host) map[string]*dto.MetricFamily {
	t.Helper()
	out, err := h.Run(t, 20*time.Second, "curl", "-sS", "--max-time", "10", "http://127.0.0.1:9867/metrics")
	if err != nil {
		t.Fatalf("scrape: %v\n%s", err, out)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(out))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%s", err, out)
	}
	return fams
}

// value is the sample of family name whose labels include want; 0 when
// there is none yet.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	var sum float64
next:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// uniqueKeys reports the first key that a JSON object repeats, at any depth.
func uniqueKeys(line string) error {
	dec := json.NewDecoder(strings.NewReader(line))
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key := k.(string)
				if seen[key] {
					return fmt.Errorf("key %q twice", key)
				}
				seen[key] = true
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	if err := walk(); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more than one value on the line")
	}
	return nil
}

// checkJSONLines fails for any line of out that is not one JSON object
// with unique keys.
func checkJSONLines(t *testing.T, what, out string) {
	t.Helper()
	n := 0
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		n++
		if !json.Valid([]byte(line)) || !strings.HasPrefix(line, "{") {
			t.Errorf("%s: not one JSON object: %s", what, line)
			continue
		}
		if err := uniqueKeys(line); err != nil {
			t.Errorf("%s: %v: %s", what, err, line)
		}
	}
	if n == 0 {
		t.Errorf("%s: no log lines", what)
	}
}

// TestMetricsAndRogueServers runs `bootyard serve` in a lab with its admin
// listener, walks real clients through it (udhcpc, atftp) and checks that the
// counters moved by what those clients did, that every line it logged in
// JSON is one object with unique keys (a reload and a transfer included),
// that nothing is reported as another DHCP server while none answers, and
// that dnsmasq answering on the same segment is reported.
func TestMetricsAndRogueServers(t *testing.T) {
	netlab.Require(t, "udhcpc", "atftp", "curl", "dnsmasq")
	bin := bootyardBinary(t)
	lab := netlab.New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	cli := lab.Host("cli", "198.51.100.3/24")

	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("bootyard metrics "), 6000) // 102,000 bytes
	for name, b := range map[string][]byte{"linux": []byte("k"), "pxelinux.0": []byte("p"), "f.bin": payload} {
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := strings.Replace(labConfig(dir, ""), "  conflict_probe: false\n",
		"  conflict_probe: false\n  pool: 198.51.100.100-198.51.100.109\n  rogue_probe: 5s\n", 1)
	path := filepath.Join(dir, "config.yaml")
	writeAtomically(t, path, cfg)

	proc := srv.Start(t, bin, "serve", "-config", path, "-log-format", "json", "-log-level", "debug")
	if err := proc.WaitFor(30*time.Second, "bootyard serving"); err != nil {
		t.Fatalf("bootyard did not start: %v\n%s", err, proc.Output())
	}
	before := scrape(t, srv)
	if value(before, "bootyard_build_info", nil) != 1 {
		t.Errorf("bootyard_build_info missing")
	}
	if got := value(before, "bootyard_dhcp_pool_addresses", map[string]string{"state": "free"}); got != 10 {
		t.Errorf("free pool addresses %v, want 10", got)
	}

	// One DHCP exchange: udhcpc quits once it has a lease (-q), applying
	// nothing (-s /bin/true: the client keeps its static address for TFTP).
	if out, err := cli.Run(t, 60*time.Second, "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-s", "/bin/true",
		"-t", "5", "-T", "2", "-V", "PXEClient:Arch:00000:UNDI:002001"); err != nil {
		t.Fatalf("udhcpc: %v\n%s", err, out)
	}
	// One TFTP transfer.
	dst := filepath.Join(dir, "got.bin")
	if out, err := cli.Run(t, 60*time.Second, "atftp", "--get", "-r", "f.bin", "-l", dst, "198.51.100.2"); err != nil {
		t.Fatalf("atftp: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(dst); err != nil || !bytes.Equal(b, payload) {
		t.Fatalf("atftp got %d bytes (%v), want the file", len(b), err)
	}
	// A reload that is refused, then one that applies.
	writeAtomically(t, path, cfg+"  - name: broken\n    mac: zz\n")
	if err := proc.WaitFor(20*time.Second, "config not applied"); err != nil {
		t.Fatalf("bad reload not reported: %v", err)
	}
	writeAtomically(t, path, cfg+"# edited\n")
	if err := proc.WaitFor(20*time.Second, "config reloaded"); err != nil {
		t.Fatalf("good reload not applied: %v", err)
	}

	var after map[string]*dto.MetricFamily
	delta := func(name string, labels map[string]string) float64 {
		return value(after, name, labels) - value(before, name, labels)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		after = scrape(t, srv)
		if delta("bootyard_transfers_total", map[string]string{"proto": "tftp", "outcome": "ok"}) >= 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	discovers := delta("bootyard_dhcp_packets_total", map[string]string{"type": "DISCOVER", "outcome": "replied"})
	offers := delta("bootyard_dhcp_replies_total", map[string]string{"type": "OFFER", "class": "bios"})
	requests := delta("bootyard_dhcp_packets_total", map[string]string{"type": "REQUEST", "outcome": "replied"})
	acks := delta("bootyard_dhcp_replies_total", map[string]string{"type": "ACK", "class": "bios"})
	if discovers < 1 || offers != discovers || requests != 1 || acks != 1 {
		t.Errorf("dhcp: %v DISCOVERs answered with %v OFFERs, %v REQUESTs with %v ACKs; want >= 1 = and 1, 1", discovers, offers, requests, acks)
	}
	if got := value(after, "bootyard_dhcp_pool_addresses", map[string]string{"state": "in_use"}); got != 1 {
		t.Errorf("pool addresses in use %v, want 1 (udhcpc's lease)", got)
	}
	if got := delta("bootyard_dhcp_lease_commits_total", map[string]string{"result": "ok"}); got < 2 {
		t.Errorf("lease commits %v, want at least the offer and the bind", got)
	}
	if got := delta("bootyard_dhcp_lease_fsync_seconds", nil); got < 1 {
		t.Errorf("fsync histogram count moved by %v, want at least 1", got)
	}
	if got := delta("bootyard_transfers_total", map[string]string{"proto": "tftp", "outcome": "ok"}); got != 1 {
		t.Errorf("tftp transfers ok moved by %v, want 1", got)
	}
	if got := delta("bootyard_transfer_bytes_total", map[string]string{"proto": "tftp", "direction": "sent"}); got != float64(len(payload)) {
		t.Errorf("tftp bytes sent moved by %v, want %d", got, len(payload))
	}
	if got := delta("bootyard_tftp_windowsize", nil); got != 1 {
		t.Errorf("tftp windowsize histogram moved by %v, want 1 (atftp's lock-step transfer)", got)
	}
	if got := delta("bootyard_config_reloads_total", map[string]string{"result": "refused"}); got != 1 {
		t.Errorf("refused reloads moved by %v, want 1", got)
	}
	if got := delta("bootyard_config_reloads_total", map[string]string{"result": "applied"}); got != 1 {
		t.Errorf("applied reloads moved by %v, want 1", got)
	}

	// No other server so far, with probes every 5 s for the whole test.
	if got := value(after, "bootyard_dhcp_rogue_server_packets_total", nil); got != 0 {
		t.Errorf("rogue server reported with none on the segment: %v\n%s", got, proc.Output())
	}
	if strings.Contains(proc.Output(), "another DHCP server") {
		t.Errorf("rogue server logged with none on the segment")
	}

	// dnsmasq answering on the same segment is reported.
	other := lab.Host("other", "198.51.100.5/24")
	dm := other.Start(t, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--user=root",
		"--interface=eth0", "--bind-interfaces", "--dhcp-range=198.51.100.150,198.51.100.199,255.255.255.0,1h",
		"--dhcp-leasefile="+filepath.Join(dir, "dnsmasq.leases"), "--pid-file="+filepath.Join(dir, "dnsmasq.pid"))
	start := time.Now()
	if err := proc.WaitFor(60*time.Second, `"server":"198.51.100.5"`); err != nil {
		t.Fatalf("dnsmasq on the segment not reported within 60 s: %v\n%s\ndnsmasq:\n%s", err, proc.Output(), dm.Output())
	}
	t.Logf("dnsmasq reported %s after it started", time.Since(start).Round(time.Millisecond))
	if got := value(scrape(t, srv), "bootyard_dhcp_rogue_server_packets_total", map[string]string{"how": "server_packet"}); got < 1 {
		t.Errorf("rogue metric %v after the warning, want >= 1", got)
	}

	if err := proc.Stop(); err != nil {
		t.Logf("stop: %v", err)
	}
	checkJSONLines(t, "serve", proc.Output())

	// A start-up error is JSON too.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("interface: eth0\ndhcp: {mode: sideways}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := srv.Run(t, 20*time.Second, bin, "serve", "-config", bad, "-log-format", "json")
	if err == nil {
		t.Fatalf("serve with a bad config exited 0:\n%s", out)
	}
	if !strings.Contains(out, "sideways") {
		t.Errorf("start-up error does not name the bad value:\n%s", out)
	}
	checkJSONLines(t, "start-up error", out)
}
