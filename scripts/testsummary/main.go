// Command testsummary turns the JSON stream of `go test -json` into what a
// person wants from a long test run: one line per package as it finishes,
// the full output of every failed test (and only of those), the reasons
// tests were skipped (a missing tool is the usual one), and a closing count
// line "tests: N passed, N failed, N skipped".
//
//	go test -json ./... 2>&1 | go run ./scripts/testsummary
//
// Lines that are not JSON (go command errors on stderr) are passed through.
// It exits 1 when any package or test failed.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one record of `go test -json` (cmd/test2json), including the
// build-output and build-fail actions of Go 1.24 and later.
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	Elapsed     float64
	ImportPath  string
	FailedBuild string
}

// slow is how long a top-level test runs before its end is reported as it
// happens rather than only in its package's line.
const slow = 10 // seconds

// maxLines bounds how much of one failed test's output is printed.
const maxLines = 300

// pkgState collects what a package printed until it finishes.
type pkgState struct {
	all                     []string            // every output line, in order
	tests                   map[string][]string // output per running or failed test
	failedOrder             []string
	passed, failed, skipped int
}

// summary accumulates the whole run.
type summary struct {
	w                       io.Writer
	pkgs                    map[string]*pkgState
	builds                  map[string][]string // build output per import path
	skips                   map[string][]string // reason -> tests
	failures                []string
	passed, failed, skipped int
	pkgFailed               bool
}

func main() {
	s := &summary{
		w:      os.Stdout,
		pkgs:   map[string]*pkgState{},
		builds: map[string][]string{},
		skips:  map[string][]string{},
	}
	if err := s.read(os.Stdin); err != nil {
		fmt.Fprintf(os.Stderr, "testsummary: %v\n", err)
		os.Exit(2)
	}
	s.finish()
	if s.failed > 0 || s.pkgFailed {
		os.Exit(1)
	}
}

// read consumes the stream, printing as packages finish.
func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil {
			fmt.Fprintln(s.w, string(line))
			continue
		}
		s.handle(ev)
	}
	return sc.Err()
}

// pkg returns the state of a package, creating it on first sight.
func (s *summary) pkg(name string) *pkgState {
	p := s.pkgs[name]
	if p == nil {
		p = &pkgState{tests: map[string][]string{}}
		s.pkgs[name] = p
	}
	return p
}

// handle folds one event into the summary.
func (s *summary) handle(ev event) {
	switch ev.Action {
	case "build-output":
		s.builds[ev.ImportPath] = append(s.builds[ev.ImportPath], ev.Output)
		return
	case "build-fail":
		return // reported with the package that failed to build
	}
	p := s.pkg(ev.Package)
	if ev.Action == "output" {
		p.all = append(p.all, ev.Output)
	}
	if ev.Test == "" {
		if ev.Action == "pass" || ev.Action == "fail" || ev.Action == "skip" {
			s.finishPkg(ev, p)
		}
		return
	}
	if (ev.Action == "pass" || ev.Action == "fail") && ev.Elapsed >= slow && !strings.Contains(ev.Test, "/") {
		// Progress for long runs (qemu boots): without it a package
		// of slow tests is silent for many minutes.
		fmt.Fprintf(s.w, "      %s %s.%s %.1fs\n", ev.Action, ev.Package, ev.Test, ev.Elapsed)
	}
	switch ev.Action {
	case "run":
		p.tests[ev.Test] = nil // known to be running, even if silent
	case "output":
		p.tests[ev.Test] = append(p.tests[ev.Test], ev.Output)
	case "pass":
		p.passed++
		s.passed++
		delete(p.tests, ev.Test)
	case "skip":
		p.skipped++
		s.skipped++
		reason := skipReason(p.tests[ev.Test])
		s.skips[reason] = append(s.skips[reason], ev.Package+"."+ev.Test)
		delete(p.tests, ev.Test)
	case "fail":
		p.failed++
		s.failed++
		p.failedOrder = append(p.failedOrder, ev.Test)
		s.failures = append(s.failures, ev.Package+"."+ev.Test)
	}
}

// finishPkg prints a package's result line, preceded on failure by what
// explains it.
func (s *summary) finishPkg(ev event, p *pkgState) {
	switch ev.Action {
	case "skip":
		return // no test files: nothing to say
	case "pass":
		fmt.Fprintf(s.w, "ok    %-55s %6.1fs  %d passed, %d skipped\n", ev.Package, ev.Elapsed, p.passed, p.skipped)
		return
	}
	s.pkgFailed = true
	for _, name := range p.failedOrder {
		printTail(s.w, p.tests[name])
	}
	if ev.FailedBuild != "" {
		printTail(s.w, s.builds[ev.FailedBuild])
	}
	if len(p.failedOrder) == 0 && ev.FailedBuild == "" {
		// A panic, a timeout, a failing TestMain, or output test2json
		// could not tie to a test: show everything the package printed.
		printTail(s.w, p.all)
		var running []string
		for name := range p.tests {
			running = append(running, name)
		}
		sort.Strings(running)
		for _, name := range running {
			fmt.Fprintf(s.w, "    (%s had not finished)\n", name)
		}
	}
	fmt.Fprintf(s.w, "FAIL  %-55s %6.1fs  %d passed, %d failed, %d skipped\n", ev.Package, ev.Elapsed, p.passed, p.failed, p.skipped)
	switch {
	case ev.FailedBuild != "":
		s.failures = append(s.failures, ev.Package+" (build failed)")
	case len(p.failedOrder) == 0:
		// Died outside any test (panic, timeout, TestMain): still a
		// failure, so the closing line never says "0 failed" for it.
		s.failures = append(s.failures, ev.Package+" (package)")
	}
}

// finish prints skip reasons, failures and the closing count line.
func (s *summary) finish() {
	if len(s.skips) > 0 {
		fmt.Fprintln(s.w, "\nskipped:")
		reasons := make([]string, 0, len(s.skips))
		for r := range s.skips {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			tests := s.skips[r]
			shown := strings.Join(tests, ", ")
			if len(tests) > 3 {
				shown = strings.Join(tests[:3], ", ") + fmt.Sprintf(" and %d more", len(tests)-3)
			}
			fmt.Fprintf(s.w, "  %s: %s\n", r, shown)
		}
	}
	if len(s.failures) > 0 {
		fmt.Fprintln(s.w, "\nfailed:")
		for _, f := range s.failures {
			fmt.Fprintf(s.w, "  %s\n", f)
		}
	}
	// Failed tests, plus packages that failed outside any test.
	failed := len(s.failures)
	fmt.Fprintf(s.w, "\ntests: %d passed, %d failed, %d skipped\n", s.passed, failed, s.skipped)
}

// skipReason picks the message a skipped test gave: its last output line
// that is not a "=== RUN" or "--- SKIP" marker, without the file:line prefix.
func skipReason(out []string) string {
	for i := len(out) - 1; i >= 0; i-- {
		l := strings.TrimSpace(out[i])
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		if _, msg, ok := strings.Cut(l, ": "); ok && strings.Contains(l[:len(l)-len(msg)], ".go:") {
			return msg
		}
		return l
	}
	return "(no reason given)"
}

// printTail prints the last maxLines lines of out.
func printTail(w io.Writer, out []string) {
	if len(out) > maxLines {
		fmt.Fprintf(w, "    ... %d earlier lines cut ...\n", len(out)-maxLines)
		out = out[len(out)-maxLines:]
	}
	for _, l := range out {
		fmt.Fprint(w, l)
		if !strings.HasSuffix(l, "\n") {
			fmt.Fprintln(w)
		}
	}
}
