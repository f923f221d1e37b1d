package admin

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// NextBootStatus is a host's armed one-shot as the API shows it.
type NextBootStatus struct {
	Profile string    `json:"profile"`
	Armed   time.Time `json:"armed"`
}

// NextBoots arms and clears next-boot one-shots. cmd implements it with the
// state file; the admin package only checks who may ask.
type NextBoots interface {
	// Arm arms host to boot profile once, replacing any armed one-shot.
	Arm(host, profile string) (NextBootStatus, error)
	// Clear disarms host; ok is false when nothing was armed.
	Clear(host string) (ok bool, err error)
}

// ErrNotFound, wrapped by a NextBoots error, means an unknown host or
// profile: the API answers 404 with the error's text.
var ErrNotFound = errors.New("not found")

// ErrRefused, wrapped by a NextBoots error, means the request is understood
// but cannot be carried out as asked (the profile's answer files do not
// render for that host): the API answers 422 with the error's text.
var ErrRefused = errors.New("refused")

// EnableNextBoot mounts POST and DELETE /api/hosts/{id}/next-boot. Writes
// need "Authorization: Bearer <token>" with the token read from tokenFile
// at each request (so a new token applies at once); with tokenFile "" the
// write API is off (403). Call it before Serve.
func (s *Server) EnableNextBoot(nb NextBoots, tokenFile string) {
	s.mux.HandleFunc("POST /api/hosts/{id}/next-boot", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r, tokenFile) {
			return
		}
		var body struct {
			Profile string `json:"profile"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&body); err != nil || body.Profile == "" {
			http.Error(w, `want a JSON body {"profile": "NAME"}`, http.StatusBadRequest)
			return
		}
		st, err := nb.Arm(r.PathValue("id"), body.Profile)
		if err != nil {
			s.writeError(w, err)
			return
		}
		s.log.Info("next-boot armed through the API", "host", r.PathValue("id"), "profile", body.Profile, "client", r.RemoteAddr)
		writeJSON(w, st)
	})
	s.mux.HandleFunc("DELETE /api/hosts/{id}/next-boot", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r, tokenFile) {
			return
		}
		ok, err := nb.Clear(r.PathValue("id"))
		if err != nil {
			s.writeError(w, err)
			return
		}
		if !ok {
			http.Error(w, "no next-boot armed for that host", http.StatusNotFound)
			return
		}
		s.log.Info("next-boot cleared through the API", "host", r.PathValue("id"), "client", r.RemoteAddr)
		w.WriteHeader(http.StatusNoContent)
	})
}

// authorized checks the bearer token, answering 403 (write API off) or
// 401 (missing or wrong token) itself.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, tokenFile string) bool {
	if tokenFile == "" {
		http.Error(w, "the write API is off: set admin.token_file", http.StatusForbidden)
		return false
	}
	want, err := os.ReadFile(tokenFile)
	token := strings.TrimSpace(string(want))
	if err != nil || len(token) < 16 {
		s.log.Error("admin token file unreadable or shorter than 16 characters: write API refused", "file", tokenFile, "err", err)
		http.Error(w, "the write API has no usable token file", http.StatusForbidden)
		return false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
		s.log.Warn("admin write refused: missing or wrong bearer token", "client", r.RemoteAddr, "path", r.URL.Path)
		w.Header().Set("WWW-Authenticate", `Bearer realm="bootyard"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return false
	}
	return true
}

func (s *Server) writeError(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrNotFound) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if errors.Is(err, ErrRefused) {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	s.log.Error("next-boot", "err", err)
	http.Error(w, fmt.Sprintf("cannot change the next-boot state: %v", err), http.StatusInternalServerError)
}
