package main

import (
	"strings"
	"testing"
)

// TestExplainRelaySelection: -giaddr, -link-selection and -subnet-selection
// shape the request as a relay would, and the subnet: line says which
// subnet serves it and what selected it.
func TestExplainRelaySelection(t *testing.T) {
	path, _ := explainConfig(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
		code int
	}{
		{"no relay", nil, "subnet:   local subnet 198.51.100.0/24, selected by no giaddr", 0},
		{"relay inside dhcp.subnet", []string{"-giaddr", "198.51.100.1"}, "subnet:   subnet 198.51.100.0/24 (via relay 198.51.100.1), selected by giaddr 198.51.100.1", 0},
		{"link-selection", []string{"-giaddr", "203.0.113.1", "-link-selection", "198.51.100.9"}, "selected by option 82 link-selection 198.51.100.9", 0},
		{"option 118", []string{"-subnet-selection", "198.51.100.9"}, "selected by option 118 subnet selection 198.51.100.9", 0},
		{"unknown relay", []string{"-giaddr", "203.0.113.1"}, "ignored: relayed from 203.0.113.1: neither dhcp.subnet nor any dhcp.relayed subnet", 0},
		{"link-selection without a relay", []string{"-link-selection", "198.51.100.9"}, "give -giaddr too", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, append([]string{"explain", "-config", path, "-mac", "52:54:00:12:34:56", "-arch", "0"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s%s", code, tc.code, tc.want, out, errOut)
			}
		})
	}
}
