package tftpd

import (
	"strings"
	"testing"

	"github.com/bootyard/bootyard/served"
)

// panicFiles panics for one name and serves the folder otherwise.
type panicFiles struct {
	*rootFiles
	bad string
}

func (f panicFiles) Resolve(client served.Client, name string) (served.Content, error) {
	if name == f.bad {
		panic("boom")
	}
	return f.rootFiles.Resolve(client, name)
}

// TestHandlerPanicIsContained: a panic while serving one request answers
// that client "internal error", is recorded with its cause, and the server
// goes on serving the next request.
func TestHandlerPanicIsContained(t *testing.T) {
	dir := t.TempDir()
	want := writeFile(t, dir, "ok", 700)
	srv := startServer(t, settings(), panicFiles{rootFiles: newRootFiles(t, dir), bad: "bad"})
	srv.waitReady(t)
	_, _, _, err := get(t, srv.addr, "bad", "octet", 0, false)
	if err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("request that panicked: err = %v, want internal error", err)
	}
	rec := srv.log.waitTransfers(t, 1)[0]
	if !strings.Contains(rec.Attrs["cause"]+rec.Attrs["error"], "boom") {
		t.Errorf("record does not name the panic: %v", rec.Attrs)
	}
	got, _, _, err := get(t, srv.addr, "ok", "octet", 0, false)
	if err != nil || string(got) != string(want) {
		t.Fatalf("after the panic: err = %v, %d bytes, want %d", err, len(got), len(want))
	}
}
