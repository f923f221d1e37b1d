package httpboot

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// callbackPrefix is where installer callbacks arrive:
// /_bootyard/callback/<host>/<token>. bootfiles writes these URLs into
// generated files; the prefix is reserved, so no file can shadow it.
const callbackPrefix = "/_bootyard/callback/"

// Callbacks takes installer callbacks. cmd hands the server the next-boot
// state: a callback whose token is the host's armed one-shot's spends it.
type Callbacks interface {
	// Callback reports whether the call was accepted (host and token
	// match an armed one-shot); it logs and records what it did.
	Callback(client netip.Addr, host, token string) bool
}

// callback answers GET or POST /_bootyard/callback/<host>/<token>: 200 when
// accepted, 404 for anything else (a wrong, stale or replayed token says no
// more than a missing page).
func (s *Server) callback(w http.ResponseWriter, r *http.Request, client netip.Addr) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest := strings.TrimPrefix(r.URL.EscapedPath(), callbackPrefix)
	hostEsc, token, ok := strings.Cut(rest, "/")
	host, err := url.PathUnescape(hostEsc)
	if !ok || err != nil || host == "" || token == "" || strings.Contains(token, "/") || s.Callbacks == nil ||
		!s.Callbacks.Callback(client, host, token) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}
