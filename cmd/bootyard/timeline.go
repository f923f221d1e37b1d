package main

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/bootyard/bootyard/admin"
	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/httpboot"
	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/metrics"
	"github.com/bootyard/bootyard/served"
	"github.com/bootyard/bootyard/tftpd"
	"github.com/bootyard/bootyard/timeline"
)

// bootEvents turns what the protocol servers report into metrics and into
// the per-machine timeline. It is the one observer cmd hands the DHCP and
// TFTP servers: metrics get bounded labels, the timeline gets the MAC, the
// host and the file.
type bootEvents struct {
	*metrics.Metrics
	tl    *timeline.Timeline
	store snapshots
	// nextBoot, when set, is told of whole files fetched (a one-shot
	// without a callback is spent by its kernel).
	nextBoot *nextBoots
	hosts    clientHosts

	mu     sync.Mutex
	rogues map[netip.Addr]admin.Rogue // bounded by dhcp's rogue log
	// tftpInFlight lists the TFTP transfers running now (nil: no TFTP).
	tftpInFlight func() []tftpd.InFlight
}

func newBootEvents(m *metrics.Metrics, tl *timeline.Timeline, store snapshots, hosts clientHosts) *bootEvents {
	return &bootEvents{Metrics: m, tl: tl, store: store, hosts: hosts,
		rogues: map[netip.Addr]admin.Rogue{}}
}

// DHCPExchange is one decided DHCP request: an event on the client's
// timeline.
func (b *bootEvents) DHCPExchange(x dhcp.Exchange) {
	e := timeline.Event{MAC: x.MAC.String(), Kind: "dhcp", Message: x.Message, Reply: x.Reply, Class: x.Class,
		Vendor: x.Vendor, IP: x.IP, File: x.File, Why: x.Why, OK: x.Reply != ""}
	if h, ok := b.store.Current().HostByMAC(x.MAC); ok {
		e.Host = h.Name
	}
	switch {
	case x.Reply == "":
		e.Summary = x.Message + " not answered: " + x.Why
		// Only a board we chose not to answer is a stage; another server's
		// exchange or proxy traffic is not about this machine's boot.
		if x.Level >= 0 { // info and up
			e.Stage = timeline.StageNoAnswer
		}
	default:
		e.Summary = x.Message + " -> " + x.Reply
		if x.IP != "" {
			e.Summary += " " + x.IP
		}
		if x.File != "" {
			e.Summary += " boot file " + x.File
		}
		if x.Reply == "ACK" || x.Reply == "OFFER" {
			e.Stage = timeline.StageAddress
		}
	}
	b.tl.Add(e)
}

// RogueServer feeds the metric and the status page's banner.
func (b *bootEvents) RogueServer(how string, server netip.Addr, mac net.HardwareAddr, at time.Time) {
	b.Metrics.RogueServer(how, at)
	b.mu.Lock()
	defer b.mu.Unlock()
	r := admin.Rogue{Server: server.String(), Last: at}
	if mac != nil {
		r.MAC = mac.String()
	}
	b.rogues[server] = r
}

// TFTPStarted counts the transfer as active; the timeline learns of it when
// it ends (with its name and outcome).
func (b *bootEvents) TFTPStarted() { b.Metrics.TransferStarted("tftp") }

// TFTPDone is one finished TFTP transfer: metrics, and an event on the
// timeline of the machine it was for.
func (b *bootEvents) TFTPDone(s tftpd.Summary) {
	outcome := strings.ReplaceAll(s.Outcome, " ", "_")
	b.Metrics.TransferDone(metrics.Transfer{Proto: "tftp", Outcome: outcome, Upload: s.Upload, Bytes: s.Bytes, Duration: s.Duration,
		Window: s.Window, Retransmits: s.Retransmits})
	b.transferEvent("tftp", s.Client, timeline.Event{File: s.File, BlockSize: s.BlockSize, WindowSize: s.Window, Retransmits: s.Retransmits},
		s.Generated, outcome, s.Bytes, s.Duration)
}

// transferEvent adds a finished transfer to the timeline of the machine at
// client (found as the file servers find hosts: reservation, lease,
// neighbour table), with what it means for the boot.
func (b *bootEvents) transferEvent(proto string, client netip.Addr, e timeline.Event, generated bool, outcome string, n int64, d time.Duration) {
	snap := b.store.Current()
	file := e.File
	e.Kind, e.Bytes, e.Outcome, e.Duration, e.OK = proto, n, outcome, d.Seconds(), outcome == "ok" || outcome == "probe"
	h, ok := b.hosts.HostByIP(client)
	if ok {
		e.MAC, e.Host = h.MAC.String(), h.Name
	} else if mac, ok := b.hosts.neigh.Lookup(client); ok {
		e.MAC = mac.String()
	}
	if e.MAC == "" {
		return // nobody to put it on
	}
	if outcome != "probe" {
		e.Stage = fileStage(snap, h, file, generated)
	}
	if e.OK && b.nextBoot != nil {
		b.nextBoot.fetched(h, file)
	}
	e.Summary = fmt.Sprintf("%s %s (%d bytes)", file, strings.ReplaceAll(outcome, "_", " "), n)
	b.tl.Add(e)
}

// fileStage says what fetching file means for host's boot: its profile's
// kernel or initrd, a generated config, a boot program (a boot file some
// rule hands out), or nothing.
func fileStage(snap *inventory.Snapshot, h *inventory.Host, file string, generated bool) timeline.Stage {
	if file == "" {
		return ""
	}
	same := func(name string) bool {
		c, err := served.Clean(name)
		return err == nil && c == file
	}
	if generated {
		return timeline.StageConfig
	}
	if h != nil && h.Profile != nil {
		switch {
		case same(h.Profile.Kernel):
			return timeline.StageKernel
		case same(h.Profile.Initrd):
			return timeline.StageInitrd
		case same(h.Profile.BootFile):
			return timeline.StageProgram
		}
	}
	if h != nil && same(h.BootFile) {
		return timeline.StageProgram
	}
	for _, f := range snap.Boot {
		if same(f) {
			return timeline.StageProgram
		}
	}
	return ""
}

// statusSources is what the admin page and API read.
func (b *bootEvents) statusSources(pools func() []metrics.PoolUse) admin.Sources {
	return admin.Sources{
		Timeline: b.tl,
		Hosts: func() []admin.Host {
			var out []admin.Host
			for _, h := range b.store.Current().Hosts() {
				a := admin.Host{Name: h.Name, MAC: h.MAC.String()}
				if h.IP.IsValid() {
					a.IP = h.IP.String()
				}
				if h.Profile != nil {
					a.Profile = h.Profile.Name
				}
				if b.nextBoot != nil {
					a.NextBoot = b.nextBoot.status(h.Name)
				}
				out = append(out, a)
			}
			return out
		},
		Pools: func() []admin.Pool {
			var out []admin.Pool
			for _, p := range pools() {
				out = append(out, admin.Pool{Name: p.Pool, InUse: p.InUse, Declined: p.Declined, Available: p.Available})
			}
			return out
		},
		InFlight: func() []admin.Transfer {
			if b.tftpInFlight == nil {
				return nil
			}
			var out []admin.Transfer
			for _, f := range b.tftpInFlight() {
				x := admin.Transfer{Proto: "tftp", Client: f.Client.String(), File: f.File, Bytes: f.Bytes, Size: f.Size, Started: f.Started}
				if h, ok := b.hosts.HostByIP(f.Client); ok {
					x.MAC, x.Host = h.MAC.String(), h.Name
				} else if mac, ok := b.hosts.neigh.Lookup(f.Client); ok {
					x.MAC = mac.String()
				}
				out = append(out, x)
			}
			return out
		},
		Rogues: func() []admin.Rogue {
			b.mu.Lock()
			defer b.mu.Unlock()
			var out []admin.Rogue
			for _, r := range b.rogues {
				out = append(out, r)
			}
			return out
		},
	}
}

// HTTPStarted counts the request as an active transfer.
func (b *bootEvents) HTTPStarted() { b.Metrics.TransferStarted("http") }

// HTTPDone is one finished HTTP request: metrics by status class, and a
// transfer on the machine's timeline (by the MAC its path named, else its
// address).
func (b *bootEvents) HTTPDone(s httpboot.Summary) {
	outcome := "ok"
	switch {
	case s.Status == 404:
		outcome = "not_found"
	case s.Status == 304:
		outcome = "not_modified"
	case s.Status >= 400:
		outcome = fmt.Sprintf("status_%dxx", s.Status/100)
	}
	b.Metrics.TransferDone(metrics.Transfer{Proto: "http", Outcome: outcome, Bytes: s.Bytes, Duration: s.Duration})
	if s.File == "" || s.Method != "GET" || s.Status == 304 || s.Status == 206 {
		return // a probe (HEAD), a part, or a refused path: not a boot step
	}
	if s.MAC != "" {
		mac, _ := net.ParseMAC(s.MAC)
		snap := b.store.Current()
		h, _ := snap.HostByMAC(mac)
		e := timeline.Event{Kind: "http", MAC: s.MAC, File: s.File, Bytes: s.Bytes, Outcome: outcome,
			Duration: s.Duration.Seconds(), OK: outcome == "ok", Stage: fileStage(snap, h, s.File, s.Generated),
			Summary: fmt.Sprintf("%s %s (%d bytes)", s.File, strings.ReplaceAll(outcome, "_", " "), s.Bytes)}
		if h != nil {
			e.Host = h.Name
		}
		if e.OK && b.nextBoot != nil {
			b.nextBoot.fetched(h, s.File)
		}
		b.tl.Add(e)
		return
	}
	b.transferEvent("http", s.Client, timeline.Event{File: s.File}, s.Generated, outcome, s.Bytes, s.Duration)
}
