// Package admin serves the admin listener: Prometheus metrics at /metrics,
// the status page at /, and the JSON API under /api/. It is
// separate from the boot-facing ports (DHCP, TFTP, HTTP) and listens on
// loopback unless the user names another address (admin.listen), so nothing
// here is exposed on the boot LAN by default.
//
// The package knows nothing of the protocol packages: cmd hands it the
// handlers it mounts.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Server is the admin HTTP server. Build it with New, run it with Serve.
type Server struct {
	mux  *http.ServeMux
	log  *slog.Logger
	src  Sources
	stop chan struct{} // closed when Serve stops: ends event streams
}

// New returns a Server that serves metrics (a Prometheus handler) at
// /metrics, and the status page at / and the JSON API under /api/ from
// src. log may be nil.
func New(metrics http.Handler, src Sources, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{mux: http.NewServeMux(), log: log, src: src, stop: make(chan struct{})}
	s.mux.Handle("GET /metrics", metrics)
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.HandleFunc("GET /hosts/{id}", s.hostPage)
	s.mux.HandleFunc("GET /static/page.js", s.pageScript)
	s.mux.HandleFunc("GET /api/hosts", s.apiHosts)
	s.mux.HandleFunc("GET /api/hosts/{id}", s.apiHost)
	s.mux.HandleFunc("GET /api/events", s.apiEvents)
	return s
}

// Handle mounts another handler (the status page, the API) on the admin
// listener. Call it before Serve.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// ServeHTTP makes the Server usable with httptest.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Serve answers on ln until ctx is cancelled, then stops taking
// connections, gives requests in flight up to five seconds, and returns nil.
// It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("admin: %w", err)
	case <-ctx.Done():
	}
	close(s.stop)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin: %w", err)
	}
	return nil
}
