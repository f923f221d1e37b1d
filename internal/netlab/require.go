package netlab

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Required reports whether lab tests must run rather than skip: CI sets
// BOOTYARD_E2E=1 so that a missing tool is a failure, not a silent skip that
// makes a green run mean nothing.
func Required() bool {
	return os.Getenv("BOOTYARD_E2E") == "1"
}

// Require checks what a lab test needs: root (namespaces and bridges need
// CAP_NET_ADMIN), the ip command, and each of cmds on PATH. When something is
// missing the test is skipped with a message naming it, or failed when
// Required() says the run must not skip.
func Require(t testing.TB, cmds ...string) {
	t.Helper()
	if msg := missing(cmds); msg != "" {
		if Required() {
			t.Fatalf("%s (BOOTYARD_E2E=1: lab tests must run)", msg)
		}
		t.Skipf("%s (install them, or set BOOTYARD_E2E=1 to make this a failure)", msg)
	}
}

// missing returns the message Require reports, or "" when nothing is missing.
func missing(cmds []string) string {
	var lacks []string
	if os.Geteuid() != 0 {
		lacks = append(lacks, "root")
	}
	for _, c := range append([]string{"ip"}, cmds...) {
		if _, err := exec.LookPath(c); err != nil {
			lacks = append(lacks, c)
		}
	}
	if len(lacks) == 0 {
		return ""
	}
	needs := "root and ip"
	if len(cmds) > 0 {
		needs += ", " + strings.Join(cmds, ", ")
	}
	return "needs " + needs + " (missing: " + strings.Join(lacks, ", ") + ")"
}
