package admin

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type fakeNextBoots struct{ armed map[string]string }

func (f *fakeNextBoots) Arm(host, profile string) (NextBootStatus, error) {
	if host != "node1" || profile != "installer" {
		return NextBootStatus{}, fmt.Errorf("unknown host or profile: %w", ErrNotFound)
	}
	f.armed[host] = profile
	return NextBootStatus{Profile: profile}, nil
}

func (f *fakeNextBoots) Clear(host string) (bool, error) {
	_, ok := f.armed[host]
	delete(f.armed, host)
	return ok, nil
}

// TestNextBootAPI: writes need the token; without a token file the API is
// off; a refused write changes nothing.
func TestNextBootAPI(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	const token = "s3cret-token-0123456789"
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	nb := &fakeNextBoots{armed: map[string]string{}}
	s := New(http.NotFoundHandler(), Sources{}, nil)
	s.EnableNextBoot(nb, tokenFile)
	off := New(http.NotFoundHandler(), Sources{}, nil)
	off.EnableNextBoot(nb, "")
	do := func(srv *Server, method, path, auth, body string) int {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code
	}
	const arm = `{"profile": "installer"}`
	for _, tc := range []struct {
		srv                      *Server
		method, path, auth, body string
		want                     int
		armed                    bool
	}{
		{off, "POST", "/api/hosts/node1/next-boot", "Bearer " + token, arm, 403, false},
		{s, "POST", "/api/hosts/node1/next-boot", "", arm, 401, false},
		{s, "POST", "/api/hosts/node1/next-boot", "Bearer wrong", arm, 401, false},
		{s, "POST", "/api/hosts/ghost/next-boot", "Bearer " + token, arm, 404, false},
		{s, "POST", "/api/hosts/node1/next-boot", "Bearer " + token, `{}`, 400, false},
		{s, "POST", "/api/hosts/node1/next-boot", "Bearer " + token, arm, 200, true},
		{s, "DELETE", "/api/hosts/node1/next-boot", "Bearer wrong", "", 401, true},
		{s, "DELETE", "/api/hosts/node1/next-boot", "Bearer " + token, "", 204, false},
		{s, "DELETE", "/api/hosts/node1/next-boot", "Bearer " + token, "", 404, false},
	} {
		if got := do(tc.srv, tc.method, tc.path, tc.auth, tc.body); got != tc.want {
			t.Errorf("%s %s (auth %q) = %d, want %d", tc.method, tc.path, tc.auth, got, tc.want)
		}
		if _, armed := nb.armed["node1"]; armed != tc.armed {
			t.Errorf("after %s %s (auth %q): armed %v, want %v", tc.method, tc.path, tc.auth, armed, tc.armed)
		}
	}
}
