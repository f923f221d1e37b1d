package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDoctorUsage: bad flags are usage errors (exit 2) that say what is
// wrong, before anything is sent.
func TestDoctorUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-firmware", "uefi"}, `unknown firmware "uefi"`},
		{[]string{"-mac", "52:54:00:zz:00:01"}, "-mac"},
		{[]string{"-expect-server", "2001:db8::1"}, "want an IPv4 address"},
		{[]string{"-window", "0s"}, "-window"},
		{[]string{"-get", "ftp://198.51.100.2/x"}, `scheme "ftp"`},
		{[]string{"-get", "tftp://198.51.100.2/"}, "no file name"},
		{[]string{"-get", "tftp://198.51.100.2/x", "-blksize", "4"}, "-blksize 4"},
		{[]string{"-get", "http://198.51.100.2/"}, "give -o"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runCmd(t, append([]string{"doctor"}, tc.args...)...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q: want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

// TestDoctorGetLoopback: -get writes the file under its name only when the
// transfer completed; a failed one exits 1 and leaves nothing, not even the
// temporary file.
func TestDoctorGetLoopback(t *testing.T) {
	body := strings.Repeat("kernel", 5000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/vmlinuz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	defer srv.Close()
	dir := t.TempDir()
	dst := filepath.Join(dir, "vmlinuz")
	code, stdout, stderr := runCmd(t, "doctor", "-get", srv.URL+"/vmlinuz", "-o", dst)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != body {
		t.Errorf("written file: %d bytes (%v), want %d", len(b), err, len(body))
	}
	if !strings.Contains(stdout, "written to "+dst) {
		t.Errorf("stdout %q does not say where the file went", stdout)
	}

	missing := filepath.Join(dir, "missing")
	code, stdout, _ = runCmd(t, "doctor", "-get", srv.URL+"/missing", "-o", missing)
	if code != 1 || !strings.Contains(stdout, "file not found") {
		t.Errorf("missing file: exit %d, stdout %q: want 1 and file not found", code, stdout)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %q, want only vmlinuz", names)
	}

	// -o - streams to stdout; the figures go to stderr.
	code, stdout, stderr = runCmd(t, "doctor", "-get", srv.URL+"/vmlinuz", "-o", "-")
	if code != 0 || stdout != body || !strings.Contains(stderr, "sha256 ") {
		t.Errorf("-o -: exit %d, %d bytes on stdout, stderr %q", code, len(stdout), stderr)
	}
}

// TestDoctorNoSuchInterface: a run on an interface that does not exist is an
// error, not a verdict about the network.
func TestDoctorNoSuchInterface(t *testing.T) {
	name := "bynosuch0"
	if _, err := net.InterfaceByName(name); err == nil {
		t.Skipf("interface %s exists here", name)
	}
	code, _, stderr := runCmd(t, "doctor", "-interface", name, "-window", "1s")
	if code != 1 || !strings.Contains(stderr, name) {
		t.Errorf("exit %d, stderr %q: want 1 naming the interface", code, stderr)
	}
}
