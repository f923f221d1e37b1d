package inventory

import (
	"fmt"
	"testing"

	"github.com/bootyard/bootyard/firmware"
)

// TestFirmwareTableClassesAreAccepted: every class the firmware table can
// give a client is a key boot: accepts, so a class typed wrong in the table
// (which would silently mean "no boot file" for that firmware) fails here.
// The other direction, every accepted class reachable from a real packet,
// is dhcp's TestEveryClassReachable.
func TestFirmwareTableClassesAreAccepted(t *testing.T) {
	seen := map[firmware.Class]string{}
	for _, a := range firmware.Archs() {
		if a.Class != "" {
			seen[a.Class] = fmt.Sprintf("option 93 code %d", a.Code)
		}
	}
	for _, v := range firmware.Vendors() {
		seen[v.Class] = fmt.Sprintf("option 60 %q", v.ID)
	}
	for class, from := range seen {
		file := "f.efi"
		if class == firmware.UEFIHTTP {
			file = "http://198.51.100.2/f.efi"
		}
		src := fmt.Sprintf("interface: eth0\ndhcp: {mode: off}\ntftp: {root: /srv}\nboot:\n  %s: %s\n", class, file)
		snap, err := Parse("t.yaml", []byte(src), Options{SkipFileChecks: true})
		if err != nil {
			t.Errorf("class %q (from %s) is refused under boot:: %v", class, from, err)
			continue
		}
		if snap.Boot[class] != file {
			t.Errorf("class %q (from %s): boot.%s = %q, want %q", class, from, class, snap.Boot[class], file)
		}
	}
}
