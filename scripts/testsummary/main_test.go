package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stream is a shortened real `go test -json` run: one passing package with
// a skipped test, one with a failing test, one that failed to build, one
// that panicked outside a test, and a non-JSON line from the go command.
const stream = `{"Action":"run","Package":"ex/a","Test":"TestOK"}
{"Action":"output","Package":"ex/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"pass","Package":"ex/a","Test":"TestOK","Elapsed":0.1}
{"Action":"run","Package":"ex/a","Test":"TestBoot"}
{"Action":"output","Package":"ex/a","Test":"TestBoot","Output":"    boot_test.go:1: kernel booted\n"}
{"Action":"pass","Package":"ex/a","Test":"TestBoot","Elapsed":42.5}
{"Action":"run","Package":"ex/a","Test":"TestLab"}
{"Action":"output","Package":"ex/a","Test":"TestLab","Output":"    lab_test.go:12: needs root and ip, dnsmasq (missing: dnsmasq)\n"}
{"Action":"output","Package":"ex/a","Test":"TestLab","Output":"--- SKIP: TestLab (0.00s)\n"}
{"Action":"skip","Package":"ex/a","Test":"TestLab","Elapsed":0}
{"Action":"pass","Package":"ex/a","Elapsed":0.5}
{"Action":"run","Package":"ex/b","Test":"TestBad"}
{"Action":"output","Package":"ex/b","Test":"TestBad","Output":"    b_test.go:7: got 1, want 2\n"}
{"Action":"output","Package":"ex/b","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"ex/b","Test":"TestBad","Elapsed":0}
{"Action":"fail","Package":"ex/b","Elapsed":0.2}
{"ImportPath":"ex/c [ex/c.test]","Action":"build-output","Output":"c.go:3:1: undefined: x\n"}
{"ImportPath":"ex/c [ex/c.test]","Action":"build-fail"}
{"Action":"fail","Package":"ex/c","Elapsed":0,"FailedBuild":"ex/c [ex/c.test]"}
{"Action":"run","Package":"ex/d","Test":"TestHang"}
{"Action":"output","Package":"ex/d","Output":"panic: boom\n"}
{"Action":"fail","Package":"ex/d","Elapsed":0.1}
go: warning: something from the go command
`

func TestSummary(t *testing.T) {
	var out bytes.Buffer
	s := &summary{w: &out, pkgs: map[string]*pkgState{}, builds: map[string][]string{}, skips: map[string][]string{}}
	if err := s.read(strings.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	s.finish()
	got := out.String()

	for _, want := range []string{
		"ok    ex/a ",
		"      pass ex/a.TestBoot 42.5s\n",
		"2 passed, 1 skipped",
		"    b_test.go:7: got 1, want 2\n--- FAIL: TestBad (0.00s)\nFAIL  ex/b ",
		"c.go:3:1: undefined: x\nFAIL  ex/c ",
		"panic: boom\n    (TestHang had not finished)\nFAIL  ex/d ",
		"go: warning: something from the go command\n",
		"needs root and ip, dnsmasq (missing: dnsmasq): ex/a.TestLab\n",
		"  ex/b.TestBad\n  ex/c (build failed)\n  ex/d (package)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	// Passing tests' output is not shown.
	if strings.Contains(got, "=== RUN   TestOK") || strings.Contains(got, "kernel booted") {
		t.Errorf("output of a passing test was printed:\n%s", got)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if diff := cmp.Diff("tests: 2 passed, 3 failed, 1 skipped", lines[len(lines)-1]); diff != "" {
		t.Errorf("closing line (-want +got):\n%s", diff)
	}
	if !s.pkgFailed {
		t.Error("pkgFailed = false after failed packages")
	}
}

func TestSkipReason(t *testing.T) {
	for _, tc := range []struct {
		name string
		out  []string
		want string
	}{
		{"file prefix cut", []string{"=== RUN   TestX\n", "    x_test.go:9: needs root\n", "--- SKIP: TestX (0.00s)\n"}, "needs root"},
		{"no prefix", []string{"short mode\n"}, "short mode"},
		{"colon in message kept", []string{"    x_test.go:9: missing: dnsmasq\n"}, "missing: dnsmasq"},
		{"nothing", []string{"--- SKIP: TestX (0.00s)\n"}, "(no reason given)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, skipReason(tc.out)); diff != "" {
				t.Errorf("skipReason (-want +got):\n%s", diff)
			}
		})
	}
}
