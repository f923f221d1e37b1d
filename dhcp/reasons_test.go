package dhcp

import (
	"os"
	"regexp"
	"testing"
)

// TestReasonsDocumented: every reason code is in the table of docs/dhcp.md
// that users read to find what a "not answered" line means, and no two
// constants share a code.
func TestReasonsDocumented(t *testing.T) {
	src, err := os.ReadFile("reasons.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/dhcp.md")
	if err != nil {
		t.Fatal(err)
	}
	codes := regexp.MustCompile(`Reason = "([a-z0-9-]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(codes) < 30 {
		t.Fatalf("found %d reason codes in reasons.go: is the scan broken?", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if seen[c[1]] {
			t.Errorf("reason code %q is used twice", c[1])
		}
		seen[c[1]] = true
		if !regexp.MustCompile("`" + c[1] + "`").Match(doc) {
			t.Errorf("reason code %q is not documented in docs/dhcp.md", c[1])
		}
	}
}
