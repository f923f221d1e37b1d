// Package admin serves the admin listener: Prometheus metrics at /metrics
// today, and the room the status page and the JSON API move into. It is
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
	mux *http.ServeMux
	log *slog.Logger
}

// New returns a Server that serves metrics (a Prometheus handler) at
// /metrics. log may be nil.
func New(metrics http.Handler, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{mux: http.NewServeMux(), log: log}
	s.mux.Handle("GET /metrics", metrics)
	s.mux.HandleFunc("GET /{$}", s.index)
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

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "bootyard admin listener\n\n/metrics  Prometheus metrics")
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
