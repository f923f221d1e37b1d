package inventory

import (
	"bytes"
	"os"
	"testing"

	"github.com/bootyard/bootyard/firmware"
)

// TestRound1ConfigsStillLoad: "a config that loaded before still loads".
// testdata/round1 holds round 1's config.example.yaml and demo config byte
// for byte (git show 5f7bc30:...); they must load, and mean what they meant,
// whatever the decoder learns later. The demo config as it is today too.
func TestRound1ConfigsStillLoad(t *testing.T) {
	for _, tc := range []struct {
		file  string
		check func(t *testing.T, s *Snapshot)
	}{
		{"testdata/round1/config.example.yaml", func(t *testing.T, s *Snapshot) {
			if s.Interface != "eth0" || s.DHCP.Mode != ModeAuthoritative || s.DHCP.Subnet.String() != "198.51.100.0/24" {
				t.Errorf("interface %q, mode %s, subnet %v", s.Interface, s.DHCP.Mode, s.DHCP.Subnet)
			}
			h, ok := s.HostByName("rock5b-01")
			if !ok || h.Profile == nil || h.Profile.Name != "debian-installer" || h.Profile.Kernel != "debian/linux" {
				t.Errorf("rock5b-01 = %+v", h)
			}
			if s.Boot[firmware.BIOS] != "pxelinux.0" || s.Boot[firmware.UEFIX64] != "grubnetx64.efi" {
				t.Errorf("boot = %v", s.Boot)
			}
		}},
		{"testdata/round1/demo.yaml", checkDemo},
		{"../scripts/demo/bootyard.yaml", checkDemo},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			data = bytes.ReplaceAll(data, []byte("@WORK@"), []byte(t.TempDir()))
			s, err := Parse(tc.file, data, Options{SkipFileChecks: true})
			if err != nil {
				t.Fatalf("no longer loads:\n%v", err)
			}
			tc.check(t, s)
		})
	}
}

func checkDemo(t *testing.T, s *Snapshot) {
	h, ok := s.HostByName("demo-bios")
	if !ok || h.BootFile != "pxelinux.0" || h.Profile == nil || h.Profile.Kernel != "vmlinuz" || h.IP.String() != "198.51.100.10" {
		t.Errorf("demo-bios = %+v", h)
	}
	if _, ok := s.Boot[firmware.UEFIARM64]; ok {
		t.Errorf("uefi-arm64: \"\" no longer removes the class: %v", s.Boot)
	}
}
