// Package httpboot is bootyard's boot-facing HTTP file server: the same
// names as TFTP, resolved by the same resolver for the same client, served
// with full HTTP semantics (Range, conditional requests, HEAD) at wire
// speed, for UEFI HTTP Boot, iPXE and GRUB.
//
// It imports nothing of bootyard's but the inventory's settings and the
// served vocabulary; cmd hands it the resolver (bootfiles).
package httpboot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// Resolver gives the content a client gets for a name: the same resolver
// TFTP asks. Errors wrap fs.ErrNotExist (404) or fs.ErrPermission (403).
type Resolver interface {
	Resolve(client served.Client, name string) (served.Content, error)
}

// Observer is told about every request (metrics, the boot timeline); nil:
// none.
type Observer interface {
	HTTPStarted()
	HTTPDone(Summary)
}

// Summary is one finished request.
type Summary struct {
	Client    netip.Addr
	MAC       string // from a by-mac path; "" otherwise
	Method    string
	File      string // the clean name; "" when the path was refused
	Generated bool
	Status    int
	Bytes     int64 // body bytes written
	Duration  time.Duration
}

// Server serves files over HTTP. Build it with New, run it with Serve.
type Server struct {
	// ShutdownGrace is how long Serve lets requests in flight finish after
	// its context ends (0: 5 s). Set it before Serve.
	ShutdownGrace time.Duration
	// Observer, when set before Serve, is told about every request.
	Observer Observer
	// Callbacks, when set before Serve, takes installer callbacks
	// (/_bootyard/callback/...); without it they are 404.
	Callbacks Callbacks

	cfg   inventory.HTTP
	files Resolver
	log   *slog.Logger
}

// New builds a server with the http: settings of a loaded inventory.
func New(cfg inventory.HTTP, files Resolver, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, files: files, log: log}
}

// Serve answers on ln until ctx is cancelled, then stops taking requests,
// lets those in flight finish for ShutdownGrace, closes the rest and
// returns nil. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		// No WriteTimeout: a multi-GB image over a slow link is normal.
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	ln = limitListener(ln, s.cfg.MaxConns, s.cfg.MaxConnsPerClient, s.log)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("httpboot: %w", err)
	case <-ctx.Done():
	}
	grace := s.ShutdownGrace
	if grace <= 0 {
		grace = 5 * time.Second
	}
	s.log.Info("http stopping: requests in flight may finish", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		s.log.Warn("http shutdown grace expired, closing connections", "grace", grace)
		hs.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("httpboot: %w", err)
	}
	return nil
}

// ServeHTTP answers one request: GET and HEAD of a file, 405 for any other
// method, 400 for a path that can never name a file, 404 for no such file
// (folders included: nothing is ever listed).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	sum := Summary{Method: r.Method}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		sum.Client = ap.Addr().Unmap()
	}
	if s.Observer != nil {
		s.Observer.HTTPStarted()
	}
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("http: panic serving a request", "panic", fmt.Sprint(v), "path", strconv.Quote(r.URL.EscapedPath()))
			if !rec.wrote {
				http.Error(rec, "internal error", http.StatusInternalServerError)
			}
		}
		sum.Status, sum.Bytes, sum.Duration = rec.status, rec.n, time.Since(start)
		s.record(r, sum)
	}()

	if strings.HasPrefix(r.URL.EscapedPath(), callbackPrefix) {
		s.callback(rec, r, sum.Client)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rec.Header().Set("Allow", "GET, HEAD")
		http.Error(rec, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	mac, name, err := mapPath(r.URL.EscapedPath(), r.URL.Path)
	if err != nil {
		http.Error(rec, "bad request path", http.StatusBadRequest)
		return
	}
	if mac != nil {
		sum.MAC = mac.String()
	}
	sum.File = name
	c, err := s.files.Resolve(served.Client{Addr: sum.Client, MAC: mac}, name)
	if err != nil {
		// Fixed texts only: the resolver's errors may name server paths.
		if errors.Is(err, fs.ErrNotExist) {
			http.Error(rec, "file not found", http.StatusNotFound)
		} else {
			http.Error(rec, "access denied", http.StatusForbidden)
		}
		return
	}
	defer c.Body.Close()
	sum.Generated = c.Generated
	// A validator that changes whenever the bytes may: size and time. A
	// generated file's time is its snapshot's load time.
	rec.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, c.Size, c.ModTime.UnixNano()))
	if c.Generated {
		rec.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(rec, r, c.Name, c.ModTime, c.Body)
}

// record logs one line per request, like a TFTP transfer record.
func (s *Server) record(r *http.Request, sum Summary) {
	level := slog.LevelInfo
	if sum.Status >= 400 {
		level = slog.LevelWarn
		if sum.Status == http.StatusNotFound || sum.Status == http.StatusMethodNotAllowed {
			level = slog.LevelInfo
		}
	}
	attrs := []slog.Attr{
		slog.String("client", r.RemoteAddr),
		slog.String("method", r.Method),
		slog.String("path", strconv.Quote(r.URL.EscapedPath())),
		slog.Int("status", sum.Status),
		slog.Int64("bytes", sum.Bytes),
		slog.Duration("duration", sum.Duration),
	}
	if sum.File != "" {
		attrs = append(attrs, slog.String("file", sum.File))
	}
	if sum.MAC != "" {
		attrs = append(attrs, slog.String("mac", sum.MAC))
	}
	if rg := r.Header.Get("Range"); rg != "" {
		attrs = append(attrs, slog.String("range", strconv.Quote(rg)))
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
	if s.Observer != nil {
		s.Observer.HTTPDone(sum)
	}
}

// recorder notes the status and counts the body bytes.
type recorder struct {
	http.ResponseWriter
	status int
	n      int64
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.n += int64(n)
	return n, err
}

// ReadFrom keeps sendfile: ServeContent copies with io.CopyN, which uses
// the ResponseWriter's ReadFrom (net/http's uses sendfile(2) for a file).
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	r.wrote = true
	var n int64
	var err error
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(struct{ io.Writer }{r.ResponseWriter}, src)
	}
	r.n += n
	return n, err
}
