package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestHelpStreams: help a user asked for goes to stdout (so `| less` works)
// with exit 0; help printed because of a mistake goes to stderr with exit 2.
func TestHelpStreams(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		stdoutWant string // "" means stdout must be empty
		stderrWant string // "" means stderr must be empty
	}{
		{[]string{"-h"}, 0, "Commands:", ""},
		{[]string{"--help"}, 0, "Commands:", ""},
		{[]string{"help"}, 0, "Commands:", ""},
		{[]string{}, 2, "", "Commands:"},
		{[]string{"help", "check"}, 0, "Usage: bootyard check", ""},
		{[]string{"help", "explain"}, 0, "-vendor-class", ""},
		{[]string{"help", "frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"check", "-h"}, 0, "Usage: bootyard check", ""},
		{[]string{"check", "--help"}, 0, "Exit status: 0 success, 1 failure", ""},
		{[]string{"check", "-nosuchflag"}, 2, "", "Usage: bootyard check"},
		{[]string{"status", "-h"}, 0, "Usage: bootyard status", ""},
		{[]string{"check", "a.yaml", "b.yaml"}, 2, "", `unexpected arguments: ["b.yaml"]`},
		{[]string{"check", "-config", "a.yaml", "b.yaml"}, 2, "", "two config files"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, s := range []struct{ name, got, want string }{{"stdout", out, tc.stdoutWant}, {"stderr", errOut, tc.stderrWant}} {
				if s.want == "" && s.got != "" {
					t.Errorf("%s should be empty, got:\n%s", s.name, s.got)
				}
				if !strings.Contains(s.got, s.want) {
					t.Errorf("%s lacks %q:\n%s", s.name, s.want, s.got)
				}
			}
		})
	}
}

// TestCheckPositionalConfig: `bootyard check FILE` reads FILE, as -config
// FILE does, also with flags after the file.
func TestCheckPositionalConfig(t *testing.T) {
	path := exampleWithFiles(t)
	for _, args := range [][]string{
		{"check", path},
		{"check", "-config", path},
		{"check", "-config=" + path, path},
	} {
		code, out, errOut := runCmd(t, args...)
		if code != 0 || !strings.Contains(out, "config:     "+path) {
			t.Errorf("%q: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	if code, _, errOut := runCmd(t, "check", missing); code != 1 || !strings.Contains(errOut, missing) {
		t.Errorf("check %s: exit %d, stderr %q: want exit 1 naming the file", missing, code, errOut)
	}
	// explain and leases take the file the same way.
	code, out, errOut := runCmd(t, "explain", path, "-mac", "52:54:00:00:00:99")
	if code != 0 || out == "" {
		t.Errorf("explain FILE -mac: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func TestVersionFlags(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, out, errOut := runCmd(t, args...)
		if code != 0 || !strings.HasPrefix(out, "bootyard "+version) || errOut != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// TestVersionString: a plain `go build` (version "dev") shows the module
// version and VCS revision the toolchain recorded; a release build's
// -ldflags version is printed as it is.
func TestVersionString(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/bootyard/bootyard", Version: "v0.3.1-0.20261203065128-d2da8952eea9"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "d2da8952eea996de73a8b8a114f38815503dabc0"},
			{Key: "vcs.time", Value: "2026-12-03T06:51:28Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, tc := range []struct {
		v    string
		bi   *debug.BuildInfo
		want string
	}{
		{"dev", bi, "dev (v0.3.1-0.20261203065128-d2da8952eea9, revision d2da8952eea9 of 2026-12-03T06:51:28Z, with uncommitted changes, go1.26.8)"},
		{"dev", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "dev (go1.26.8)"},
		{"dev", nil, "dev"},
		{"v1.2.0", bi, "v1.2.0"},
	} {
		if got := versionString(tc.v, tc.bi); got != tc.want {
			t.Errorf("versionString(%q) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
