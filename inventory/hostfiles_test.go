package inventory

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hostFilesHead is a file with HTTP on, one install profile whose preseed
// template is tmpl.preseed in the config's folder, and two hosts.
const hostFilesHead = "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  domain: lab.example\ntftp: {enabled: false}\nhttp: {enabled: true}\n" +
	"profiles:\n  inst:\n    kernel: k\n    cmdline: \"url={files}/preseed.cfg\"\n    files: {preseed.cfg: tmpl.preseed}\n    vars: {disk: /dev/sda, mirror: m.example}\n" +
	"hosts:\n  - {name: a, mac: 52:54:00:00:00:01, ip: 198.51.100.11, profile: inst}\n  - {name: b, mac: 52:54:00:00:00:02, profile: inst, vars: {disk: /dev/vda}}\n"

// loadTemplates writes config and templates (name, content pairs) into a
// new folder and loads the config.
func loadTemplates(t *testing.T, config string, templates ...string) (*Snapshot, []Problem, string) {
	t.Helper()
	dir := t.TempDir()
	for i := 0; i+1 < len(templates); i += 2 {
		if err := os.WriteFile(filepath.Join(dir, templates[i]), []byte(templates[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "bootyard.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := Load(path, Options{SkipFileChecks: true})
	var errs Errors
	if err != nil && !errors.As(err, &errs) {
		t.Fatalf("Load: %v", err)
	}
	for i := range errs {
		errs[i].File = ""
	}
	return snap, errs, dir
}

// TestHostFilesProblems: every way of getting answer files wrong is a
// problem at load, at the files: line, naming the template's own line.
func TestHostFilesProblems(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		template string
		want     []Problem
	}{
		{"good", hostFilesHead, "host {{.Host}} disk {{.Vars.disk}}\n", nil},
		{"missing template", hostFilesHead, "", []Problem{{Line: 11, Field: "profiles.inst.files.preseed.cfg", Msg: "template tmpl.preseed: no such file or directory"}}},
		{"syntax error names its line", hostFilesHead, "one\ntwo {{.Host\n", []Problem{{Line: 11, Field: "profiles.inst.files.preseed.cfg", Msg: "tmpl.preseed:3: unclosed action started at tmpl.preseed:2"}}},
		{"a var one host lacks", hostFilesHead, "line one\n{{.Vars.mirror}} {{.Vars.hostonly}}\n", []Problem{{Line: 11, Field: "profiles.inst.files.preseed.cfg", Msg: `cannot render for host a: tmpl.preseed:2:24: executing "tmpl.preseed" at <.Vars.hostonly>: map has no entry for key "hostonly"`}}},
		{"a field that does not exist", hostFilesHead, "{{.Hostname}}\n", []Problem{{Line: 11, Field: "profiles.inst.files.preseed.cfg", Msg: "can't evaluate field Hostname"}}},
		{"bad file name", strings.Replace(hostFilesHead, "{preseed.cfg: tmpl.preseed}", "{sub/preseed.cfg: tmpl.preseed}", 1), "x", []Problem{{Line: 11, Field: "profiles.inst.files.sub/preseed.cfg", Msg: "one name in the host's folder"}}},
		{"bad var name", strings.Replace(hostFilesHead, "vars: {disk:", "vars: {disk-name: x, disk:", 1), "x", []Problem{{Line: 12, Field: "profiles.inst.vars.disk-name", Msg: "letters, digits and '_'"}}},
		{"var that is a list", strings.Replace(hostFilesHead, "vars: {disk:", "vars: {l: [1, 2], disk:", 1), "x", []Problem{{Line: 12, Field: "profiles.inst.vars.l", Msg: "a var is one value"}}},
		{"files without http", strings.Replace(hostFilesHead, "http: {enabled: true}", "http: {enabled: false}", 1), "x", []Problem{{Line: 10, Field: "profiles.inst.cmdline", Msg: "{files} is a URL of bootyard's HTTP server"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tmpl []string
			if tc.template != "" {
				tmpl = []string{"tmpl.preseed", tc.template}
			}
			_, got, _ := loadTemplates(t, tc.config, tmpl...)
			for i := range got {
				if i < len(tc.want) && strings.Contains(got[i].Msg, tc.want[i].Msg) {
					got[i].Msg = tc.want[i].Msg
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHostFilesRender: what a good file means for each host: the host's
// vars win over the profile's, the network comes from dhcp:, the whole
// file or an error.
func TestHostFilesRender(t *testing.T) {
	snap, problems, _ := loadTemplates(t, hostFilesHead, "tmpl.preseed", "{{.Host}} {{.MAC}} {{.IP}} {{.Netmask}} {{.Domain}} {{.Vars.disk}} {{.Vars.mirror}} {{.Cmdline}}")
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	for _, tc := range []struct{ host, want string }{
		{"a", "a 52:54:00:00:00:01 198.51.100.11 255.255.255.0 lab.example /dev/sda m.example url={files}/preseed.cfg"},
		{"b", "b 52:54:00:00:00:02  255.255.255.0 lab.example /dev/vda m.example url={files}/preseed.cfg"},
	} {
		h, _ := snap.HostByName(tc.host)
		files, from := h.HostFiles()
		if len(files) != 1 || files[0].Name != "preseed.cfg" || from[0].Name != "inst" {
			t.Fatalf("HostFiles(%s) = %v from %v", tc.host, files, from)
		}
		b, err := files[0].Render(snap.FileData(h, from[0], h.IP, h.IP))
		if err != nil || string(b) != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.host, b, err, tc.want)
		}
	}
	h, _ := snap.HostByName("a")
	d := snap.FileData(h, h.Profile, h.IP, h.IP)
	delete(d.Vars, "disk")
	if b, err := h.Profile.Files[0].Render(d); err == nil || b != nil {
		t.Errorf("render without a var: %q, %v; want no bytes and an error", b, err)
	}
}

// TestHostFilesArm: arming a profile whose files do not render for the
// host is refused with the reason; CallsBack sees a callback in a file.
func TestHostFilesArm(t *testing.T) {
	cfg := hostFilesHead + "  - {name: c, mac: 52:54:00:00:00:03}\n" + "  - {name: d, mac: 52:54:00:00:00:04, vars: {need: x}}\n"
	cfg = strings.Replace(cfg, "profiles:\n", "profiles:\n  strict: {kernel: k, files: {f: strict.tmpl}}\n", 1)
	snap, problems, _ := loadTemplates(t, cfg, "tmpl.preseed", "late {{.Callback}}", "strict.tmpl", "{{.Vars.need}}")
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	p, _ := snap.Profile("strict")
	for _, tc := range []struct {
		host string
		ok   bool
	}{{"c", false}, {"d", true}} {
		h, _ := snap.HostByName(tc.host)
		armed := *h
		armed.Profile = p
		err := snap.CheckHostFiles(&armed)
		if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), `no entry for key "need"`)) {
			t.Errorf("arm strict on %s: %v, want ok=%v", tc.host, err, tc.ok)
		}
	}
	a, _ := snap.HostByName("a")
	c, _ := snap.HostByName("c")
	if !snap.CallsBack(a) || snap.CallsBack(c) {
		t.Errorf("CallsBack: a %v (want true), c %v (want false)", snap.CallsBack(a), snap.CallsBack(c))
	}
}

// TestWatcherReloadsTemplates: editing a template reloads the file; a bad
// edit keeps the running snapshot.
func TestWatcherReloadsTemplates(t *testing.T) {
	snap, problems, dir := loadTemplates(t, hostFilesHead, "tmpl.preseed", "v1 {{.Host}}")
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	store := NewStore(snap)
	w := &Watcher{Path: filepath.Join(dir, "bootyard.yaml"), Options: Options{SkipFileChecks: true}, Store: store, PollInterval: 20 * time.Millisecond, Debounce: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	render := func() string {
		s := store.Current()
		h, _ := s.HostByName("a")
		b, err := h.Profile.Files[0].Render(s.FileData(h, h.Profile, h.IP, h.IP))
		if err != nil {
			return err.Error()
		}
		return string(b)
	}
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for render() != want {
			if time.Now().After(deadline) {
				t.Fatalf("rendered %q, want %q", render(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	tmpl := filepath.Join(dir, "tmpl.preseed")
	if err := os.WriteFile(tmpl, []byte("v2 {{.Host}} and more"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("v2 a and more")
	if err := os.WriteFile(tmpl, []byte("v3 {{.Nope}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // several polls: none may apply it
	if got := render(); got != "v2 a and more" {
		t.Fatalf("after a bad edit: %q, want the running v2", got)
	}
	if err := os.WriteFile(tmpl, []byte("v4 {{.MAC}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("v4 52:54:00:00:00:01")
}

// TestDiffCountsTemplateEdits: the reload log counts a profile as changed
// when its template's text changed, and not when only the file was read
// again.
func TestDiffCountsTemplateEdits(t *testing.T) {
	a, _, dir := loadTemplates(t, hostFilesHead, "tmpl.preseed", "v1 {{.Host}}")
	path := filepath.Join(dir, "bootyard.yaml")
	same, err := Load(path, Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	if c := diff(a, same); c.profilesChanged != 0 || c.hostsChanged != 0 {
		t.Errorf("same template: %d profiles, %d hosts changed, want 0", c.profilesChanged, c.hostsChanged)
	}
	if err := os.WriteFile(filepath.Join(dir, "tmpl.preseed"), []byte("v2 {{.Host}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	edited, err := Load(path, Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	if c := diff(a, edited); c.profilesChanged != 1 {
		t.Errorf("edited template: %d profiles changed, want 1", c.profilesChanged)
	}
}

// TestCmdlineFor: the profile's words then the host's, one space apart, on
// one line whatever the YAML held between them; the same line the boot
// files and the answer files' .Cmdline carry.
func TestCmdlineFor(t *testing.T) {
	p := &Profile{Cmdline: "  console=ttyS0\tquiet\n"}
	h := &Host{Cmdline: "ip=dhcp\x01url={files}/preseed.cfg\x7f  auto=true\u2028x"}
	got := p.CmdlineFor(h)
	want := "console=ttyS0 quiet ip=dhcp url={files}/preseed.cfg auto=true x"
	if got != want {
		t.Fatalf("CmdlineFor = %q, want %q", got, want)
	}
	if got := (&Profile{}).CmdlineFor(&Host{}); got != "" {
		t.Fatalf("empty cmdlines joined to %q, want empty", got)
	}
}

// TestTemplateReloadWaitsForASettledFile: a template's change reloads the
// file only once a poll sees it as the poll before did, so that a poll
// landing between an editor's truncate and its write does not serve (and
// keep) an empty template.
func TestTemplateReloadWaitsForASettledFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tmpl")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("v1 {{.Host}}")
	r := &reloader{templates: map[string]fileState{path: statFile(path)}}
	var got []bool
	poll := func() { got = append(got, r.templatesSettled()) }
	poll()    // unchanged
	write("") // truncated: an editor about to write
	poll()    // seen once
	write("v2 {{.Host}} and more")
	poll() // changed again since
	poll() // as the poll before saw it: reload
	if diff := cmp.Diff([]bool{false, false, false, true}, got); diff != "" {
		t.Fatalf("templatesSettled at each poll (-want +got):\n%s", diff)
	}
}
