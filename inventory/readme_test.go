package inventory

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEExampleLoads: the config a newcomer copies from the README
// loads, and its host boots the profile the text says it does (an x86-64 PC
// with Debian's amd64 installer from netboot.tar.gz).
func TestREADMEExampleLoads(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, "A minimal config")
	if i < 0 {
		t.Fatal(`README.md has no "A minimal config" example`)
	}
	rest := text[i:]
	start := strings.Index(rest, "```yaml\n")
	if start < 0 {
		t.Fatal("no yaml block after the example's title")
	}
	rest = rest[start+len("```yaml\n"):]
	end := strings.Index(rest, "```")
	s, err := Parse("README.md", []byte(rest[:end]), Options{SkipFileChecks: true})
	if err != nil {
		t.Fatalf("README's example does not load:\n%v", err)
	}
	h, ok := s.HostByName("pc-01")
	if !ok || h.Profile == nil || !strings.Contains(h.Profile.Kernel, "amd64") {
		t.Errorf("README's host and profile do not fit: %+v", h)
	}
}
