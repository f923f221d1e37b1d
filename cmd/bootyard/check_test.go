package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
)

// runCmd runs bootyard in-process with args and returns its exit code and
// output, as a user at a terminal would see them.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb}
	code = exitCode(run(context.Background(), e, args), e)
	return code, out.String(), errb.String()
}

// exampleWithFiles copies config.example.yaml into a temp folder whose TFTP
// root holds every file the example names, and returns the copy's path.
func exampleWithFiles(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "tftproot")
	// The example is written for a real machine; point its paths at the
	// temp folder and keep everything else as users read it.
	text := regexp.MustCompile(`(?m)^(\s*root:).*$`).ReplaceAllString(string(data), "${1} "+root)
	text = regexp.MustCompile(`(?m)^(\s*lease_file:).*$`).ReplaceAllString(text, "${1} "+filepath.Join(dir, "leases"))
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// Its answer-file templates, relative to the file as in the repository.
	if err := os.CopyFS(filepath.Join(dir, "docs", "installs"), os.DirFS("../../docs/installs")); err != nil {
		t.Fatal(err)
	}
	snap, err := inventory.Parse(path, []byte(text), inventory.Options{SkipFileChecks: true})
	if err != nil {
		t.Fatalf("example does not parse: %v", err)
	}
	var names []string
	for _, f := range snap.Boot {
		names = append(names, f)
	}
	for _, p := range snap.Profiles() {
		names = append(names, p.Kernel, p.Initrd, p.BootFile)
	}
	for _, h := range snap.Hosts() {
		names = append(names, h.BootFile)
	}
	for _, n := range names {
		if n == "" {
			continue
		}
		f := filepath.Join(root, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("placeholder "+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckExampleConfig(t *testing.T) {
	path := exampleWithFiles(t)
	code, out, errOut := runCmd(t, "check", "-config", path)
	if code != 0 {
		t.Fatalf("check exited %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	snap, err := inventory.Load(path, loadOptions())
	if err != nil {
		t.Fatal(err)
	}
	// The summary names every host and every firmware class.
	for _, h := range snap.Hosts() {
		if !strings.Contains(out, h.Name) || !strings.Contains(out, h.MAC.String()) {
			t.Errorf("summary does not list host %s (%s):\n%s", h.Name, h.MAC, out)
		}
		// A host's own bootfile wins for every firmware: the summary says so.
		if h.BootFile != "" && !regexp.MustCompile(`(?m)`+regexp.QuoteMeta(h.MAC.String())+`.*\s`+regexp.QuoteMeta(h.BootFile)+`\s*$`).MatchString(out) {
			t.Errorf("summary does not show host %s's bootfile %s:\n%s", h.Name, h.BootFile, out)
		}
	}
	for _, c := range firmware.Classes() {
		if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(string(c)) + `\s`).MatchString(out) {
			t.Errorf("summary has no line for firmware class %s:\n%s", c, out)
		}
	}
	if !strings.Contains(out, "OK") {
		t.Errorf("summary does not end with OK:\n%s", out)
	}
}

func TestCheckReportsEveryMistakeWithItsLine(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(root, "debian"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"debian/linux", "debian/initrd.gz"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config := `interface: eth0
dhcp:
  mode: authoritative
  subnet: 198.51.100.0/24
  router: 198.51.100.1
  lease_file: ` + filepath.Join(dir, "leases") + `
tftp:
  root: ` + root + `
boot: {}
profiles:
  debian:
    kernel: debian/linux
    initrd: debian/initrd.gz
hosts:
  - name: a
    mac: 52:54:00:00:00:01
    ip: 198.51.100.10
    profile: debian
  - name: b
    mac: 52:54:00:00:00:zz
    ip: 198.51.100.11
    profile: debian
  - name: c
    mac: 52:54:00:00:00:03
    ip: 198.51.100.12
    profile: debain
  - name: d
    mac: 52:54:00:00:00:04
    ip: 203.0.113.9
    profile: debian
`
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "check", "-config", path)
	if code != 1 {
		t.Fatalf("check exited %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// Each mistake is reported at its own line: the malformed MAC, the
	// unknown profile and the address outside the subnet.
	lineOf := func(text string) string {
		for i, l := range strings.Split(config, "\n") {
			if strings.Contains(l, text) {
				return fmt.Sprintf(":%d:", i+1)
			}
		}
		t.Fatalf("config has no line with %q", text)
		return ""
	}
	for _, want := range []struct{ line, field string }{
		{lineOf("00:00:zz"), "hosts[1].mac"},
		{lineOf("profile: debain"), "hosts[2].profile"},
		{lineOf("203.0.113.9"), "hosts[3].ip"},
	} {
		found := false
		for _, l := range strings.Split(errOut, "\n") {
			if strings.Contains(l, path+want.line) && strings.Contains(l, want.field) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem reported at %s for %s; stderr:\n%s", want.line, want.field, errOut)
		}
	}
	if out != "" {
		t.Errorf("check printed a summary for an invalid file:\n%s", out)
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, 2, "Commands:"},
		{[]string{"-h"}, 0, "Commands:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"serve", "-h"}, 0, "-config"},
		{[]string{"check", "-h"}, 0, "-config"},
		{[]string{"explain", "-h"}, 0, "-vendor-class"},
		{[]string{"leases", "-h"}, 0, "-all"},
		{[]string{"version", "-h"}, 0, "Usage: bootyard version"},
		{[]string{"check", "-nosuchflag"}, 2, "flag provided but not defined"},
		{[]string{"explain", "-mac", "nope", "-config", "x"}, 2, `-mac "nope"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if !strings.Contains(out+errOut, tc.want) {
				t.Errorf("output lacks %q:\n%s%s", tc.want, out, errOut)
			}
		})
	}
}
