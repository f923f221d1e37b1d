package admin

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/bootyard/bootyard/timeline"
)

// Host is one inventory host as the status page and the API show it.
type Host struct {
	Name    string `json:"name"`
	MAC     string `json:"mac"`
	IP      string `json:"ip,omitempty"`
	Profile string `json:"profile,omitempty"`
	// NextBoot is the armed one-shot, if any (bootyard next-boot).
	NextBoot *NextBootStatus `json:"next_boot,omitempty"`
}

// Pool is one DHCP pool's use.
type Pool struct {
	Name      string `json:"pool"`
	InUse     int    `json:"in_use"`
	Declined  int    `json:"declined"`
	Available int    `json:"free"`
}

// Rogue is another DHCP server seen on the segment.
type Rogue struct {
	Server string    `json:"server"`
	MAC    string    `json:"mac,omitempty"`
	Last   time.Time `json:"last"`
}

// Sources is what the status page and the API read. cmd fills it; every
// function may be nil.
type Sources struct {
	Timeline *timeline.Timeline
	Hosts    func() []Host // the inventory's hosts, in file order
	Pools    func() []Pool
	Rogues   func() []Rogue
	// InFlight lists the transfers running now.
	InFlight func() []Transfer
}

// Transfer is one file transfer running now.
type Transfer struct {
	Proto   string    `json:"proto"`
	MAC     string    `json:"mac,omitempty"`
	Host    string    `json:"host,omitempty"`
	Client  string    `json:"client"`
	File    string    `json:"file"`
	Bytes   int64     `json:"bytes"`
	Size    int64     `json:"size"` // -1: unknown
	Started time.Time `json:"started"`
}

// Percent is how far the transfer got, 0-100; -1 when the size is unknown.
func (t Transfer) Percent() int {
	if t.Size <= 0 {
		return -1
	}
	return int(t.Bytes * 100 / t.Size)
}

// HostStatus is one row of GET /api/hosts: an inventory host (or an
// unknown MAC that asked) with its boot stage.
type HostStatus struct {
	Host
	Known     bool             `json:"known"` // in the inventory
	Stage     timeline.Stage   `json:"stage"`
	Last      *time.Time       `json:"last,omitempty"`
	LastEvent *timeline.Event  `json:"last_event,omitempty"`
	Events    []timeline.Event `json:"events,omitempty"` // GET /api/hosts/{id} only
}

// hosts merges the inventory with the timeline: every inventory host (seen
// or not), then every unknown MAC the timeline has, most recent first.
func (s *Sources) hosts() []HostStatus {
	var out []HostStatus
	byMAC := map[string]int{}
	if s.Hosts != nil {
		for _, h := range s.Hosts() {
			byMAC[h.MAC] = len(out)
			out = append(out, HostStatus{Host: h, Known: true})
		}
	}
	if s.Timeline == nil {
		return out
	}
	for _, m := range s.Timeline.Machines() {
		last, ev := m.Last, m.LastEvent
		if i, ok := byMAC[m.MAC]; ok {
			out[i].Stage, out[i].Last, out[i].LastEvent = m.Stage, &last, &ev
			continue
		}
		out = append(out, HostStatus{Host: Host{MAC: m.MAC, Name: m.Host}, Stage: m.Stage, Last: &last, LastEvent: &ev})
	}
	return out
}

// host finds one host by inventory name or MAC (any case, ':' or '-').
func (s *Sources) host(id string) (HostStatus, bool) {
	mac := ""
	if hw, err := net.ParseMAC(strings.ReplaceAll(id, "-", ":")); err == nil {
		mac = hw.String()
	}
	for _, h := range s.hosts() {
		if (h.Name != "" && h.Name == id) || (mac != "" && h.MAC == mac) {
			if s.Timeline != nil {
				if _, ev, ok := s.Timeline.Machine(h.MAC); ok {
					h.Events = ev
				}
			}
			return h, true
		}
	}
	return HostStatus{}, false
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (s *Server) apiHosts(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, s.src.hosts())
}

func (s *Server) apiHost(w http.ResponseWriter, r *http.Request) {
	h, ok := s.src.host(r.PathValue("id"))
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "{\"error\": \"no host or MAC %s seen or in the inventory\"}\n", jsonString(r.PathValue("id")))
		return
	}
	writeJSON(w, h)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// apiEvents streams every new event as a server-sent event until the client
// goes away or the server stops.
func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok || s.src.Timeline == nil {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch, stop := s.src.Timeline.Subscribe()
	defer stop()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, ": bootyard events\n\n")
	fl.Flush()
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		case <-keepalive.C:
			fmt.Fprint(w, ": keepalive\n\n")
		case e := <-ch:
			b, _ := json.Marshal(e)
			fmt.Fprintf(w, "event: boot\ndata: %s\n\n", b)
		}
		fl.Flush()
	}
}
