package httpboot

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/bootyard/bootyard/inventory"
)

type fakeCallbacks struct {
	host, token string
	calls       int
}

func (f *fakeCallbacks) Callback(_ netip.Addr, host, token string) bool {
	f.calls++
	return host == f.host && token == f.token
}

// TestCallbackRoute: the right host and token get 200, anything else 404,
// and only GET and POST reach the state.
func TestCallbackRoute(t *testing.T) {
	cb := &fakeCallbacks{host: "node 1", token: "0123456789abcdef"}
	s := New(inventory.DefaultHTTP(), nil, nil)
	s.Callbacks = cb
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/_bootyard/callback/node%201/0123456789abcdef", 200},
		{"POST", "/_bootyard/callback/node%201/0123456789abcdef", 200},
		{"GET", "/_bootyard/callback/node%201/wrong", 404},
		{"GET", "/_bootyard/callback/other/0123456789abcdef", 404},
		{"GET", "/_bootyard/callback/node%201", 404},
		{"GET", "/_bootyard/callback/node%201/0123456789abcdef/x", 404},
		{"PUT", "/_bootyard/callback/node%201/0123456789abcdef", 405},
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, rec.Code, tc.want)
		}
	}
	if cb.calls != 4 {
		t.Errorf("state asked %d times, want 4 (well-formed GET/POST only)", cb.calls)
	}
	s.Callbacks = nil
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/_bootyard/callback/node%201/0123456789abcdef", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("without Callbacks: %d, want 404", rec.Code)
	}
}
