package metrics

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestDocsListEveryMetric: docs/metrics.md names every metric bootyard
// registers (the Go and process collectors are listed as go_* and
// process_*).
func TestDocsListEveryMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "test")
	WatchPools(reg, func() []PoolUse { return []PoolUse{{Pool: "a-b", InUse: 1, Available: 2}} })
	// Touch every vector so that it shows up in Gather.
	m.DHCPPacket("DISCOVER", "replied", "")
	m.DHCPReply("OFFER", "bios")
	m.RogueServer("server_packet", time.Now())
	m.LeaseFlush(1, time.Millisecond, nil)
	m.TransferStarted("tftp")
	m.TransferDone(Transfer{Proto: "tftp", Outcome: "ok", Bytes: 10, Window: 4, Retransmits: 1})
	m.Reload(true, time.Now())
	m.Reload(false, time.Now())
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fams {
		name := f.GetName()
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		n++
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/metrics.md does not list %s", name)
		}
	}
	if n < 15 {
		t.Errorf("only %d bootyard metrics gathered", n)
	}
}
