package inventory

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseLargeInventory parses 10,000 hosts: a reload of a big lab
// must stay well under the debounce-plus-poll budget.
func BenchmarkParseLargeInventory(b *testing.B) {
	var s strings.Builder
	s.WriteString("interface: eth0\ndhcp:\n  subnet: 198.18.0.0/16\ntftp: {enabled: false}\nprofiles:\n  p: {kernel: k}\nhosts:\n")
	for i := range 10000 {
		fmt.Fprintf(&s, "  - {name: h%d, mac: 52:54:00:00:%02x:%02x, ip: 198.18.%d.%d, profile: p}\n", i, i>>8, i&255, 1+i/250, 1+i%250)
	}
	data := []byte(s.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("big.yaml", data, Options{SkipFileChecks: true}); err != nil {
			b.Fatal(err)
		}
	}
}
