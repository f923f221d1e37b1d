package admin

import (
	"embed"
	"html/template"
	"net/http"
	"time"

	"github.com/bootyard/bootyard/timeline"
)

//go:embed page.tmpl
var pageFS embed.FS

// The page is rendered on the server with html/template, which escapes
// everything that came from the wire (vendor classes, host and file names)
// for the context it lands in; the script only swaps in fresh server-rendered
// HTML when an event arrives. No external assets: it works on a LAN without
// internet.
var pageTmpl = template.Must(template.New("page.tmpl").Funcs(template.FuncMap{
	"ago": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "never"
		}
		return time.Since(*t).Round(time.Second).String() + " ago"
	},
	"clock": func(t time.Time) string { return t.Format("15:04:05") },
	"stageClass": func(s timeline.Stage) string {
		switch s {
		case timeline.StageDone:
			return "ok"
		case timeline.StageFailed, timeline.StageStalled, timeline.StageNoAnswer:
			return "bad"
		case timeline.StageNone:
			return "none"
		}
		return "busy"
	},
	"stageText": func(s timeline.Stage) string {
		if s == timeline.StageNone {
			return "not seen"
		}
		return string(s)
	},
}).ParseFS(pageFS, "page.tmpl"))

type pageData struct {
	Hosts    []HostStatus
	Unknown  []HostStatus // unknown MACs we did not answer
	Pools    []Pool
	Rogues   []Rogue
	InFlight []Transfer
	One      *HostStatus // the host page
	Missing  string      // the host page for an unknown id
}

func (s *Server) page(w http.ResponseWriter, _ *http.Request) {
	d := pageData{}
	for _, h := range s.src.hosts() {
		if !h.Known && h.Stage == timeline.StageNoAnswer {
			d.Unknown = append(d.Unknown, h)
			continue
		}
		d.Hosts = append(d.Hosts, h)
	}
	if s.src.Pools != nil {
		d.Pools = s.src.Pools()
	}
	if s.src.Rogues != nil {
		d.Rogues = s.src.Rogues()
	}
	if s.src.InFlight != nil {
		d.InFlight = s.src.InFlight()
	}
	s.render(w, d)
}

func (s *Server) hostPage(w http.ResponseWriter, r *http.Request) {
	d := pageData{}
	if h, ok := s.src.host(r.PathValue("id")); ok {
		d.One = &h
	} else {
		d.Missing = r.PathValue("id")
		w.WriteHeader(http.StatusNotFound)
	}
	if s.src.Rogues != nil {
		d.Rogues = s.src.Rogues()
	}
	s.render(w, d)
}

func (s *Server) render(w http.ResponseWriter, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Nothing on the page comes from elsewhere: forbid it, so an injection
	// that slipped past escaping still could not load or run anything.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; img-src 'none'")
	if err := pageTmpl.Execute(w, d); err != nil {
		s.log.Warn("admin: rendering the status page", "err", err)
	}
}

// script is the page's only script, served from the listener itself so the
// Content-Security-Policy can forbid inline scripts: on every boot event it
// fetches the page again and swaps in the server-rendered <main>.
const script = `(function () {
  var pending = false;
  function refresh() {
    pending = false;
    fetch(location.href, {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (html) {
      var next = new DOMParser().parseFromString(html, "text/html").querySelector("main");
      var cur = document.querySelector("main");
      if (next && cur) { cur.replaceWith(next); }
    });
  }
  function listen() {
    if (!window.EventSource) { return; }
    var es = new EventSource("/api/events");
    es.addEventListener("boot", function () {
      if (!pending) { pending = true; setTimeout(refresh, 300); }
    });
    setInterval(refresh, 10000); // "ago" and stalled boots move without events
  }
  // After the page has loaded: the stream never ends, and must not hold
  // the load event (or a headless browser's "page is done") back.
  window.addEventListener("load", function () { setTimeout(listen, 0); });
})();
`

func (s *Server) pageScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write([]byte(script))
}
