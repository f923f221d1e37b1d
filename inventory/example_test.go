package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/bootyard/bootyard/firmware"
)

// loadExample parses config.example.yaml with its tftp.root pointed at
// testdata/tftproot, which holds a placeholder for every file it names.
func loadExample(t *testing.T) *Snapshot {
	t.Helper()
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("testdata/tftproot")
	if err != nil {
		t.Fatal(err)
	}
	old := []byte("root: /srv/bootyard")
	if !bytes.Contains(data, old) {
		t.Fatalf("config.example.yaml no longer has %q; update this test", old)
	}
	data = bytes.Replace(data, old, []byte("root: "+root), 1)
	snap, err := Parse("../config.example.yaml", data, Options{})
	if err != nil {
		t.Fatalf("config.example.yaml does not load:\n%v", err)
	}
	return snap
}

func TestExampleConfigLoads(t *testing.T) {
	snap := loadExample(t)
	if len(snap.Warnings) != 0 {
		t.Errorf("warnings: %v", snap.Warnings)
	}
	h, ok := snap.HostByName("rock5b-01")
	if !ok || h.Profile == nil || h.Profile.Kernel != "debian/linux" {
		t.Fatalf("rock5b-01 = %+v", h)
	}
	if b, ok := snap.HostByName("board-7"); !ok || b.BootFile != "u-boot/board7.img" {
		t.Errorf("board-7 = %+v", b)
	}
	if got := snap.PoolSize(); got != 100 {
		t.Errorf("PoolSize = %d, want 100", got)
	}
}

// TestDocsNameEveryKey keeps docs/configuration.md and config.example.yaml
// in step with the keys the decoder accepts.
func TestDocsNameEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	for _, c := range firmware.Classes() {
		classes = append(classes, string(c))
	}
	var keys []string
	for _, list := range [][]string{topKeys, dhcpKeys, relayKeys, limitKeys, tftpKeys, uploadKeys, profileKeys, pxeKeys, hostKeys, menuKeys, classes} {
		keys = append(keys, list...)
	}
	for _, k := range keys {
		if !bytes.Contains(doc, []byte(k+"`")) {
			t.Errorf("docs/configuration.md does not document %q", k)
		}
		if !bytes.Contains(example, []byte(k+":")) {
			t.Errorf("config.example.yaml does not show %q", k)
		}
	}
}

func TestExampleLoadsAsWritten(t *testing.T) {
	// As a user copies it: /srv/bootyard need not exist to check syntax.
	snap, err := Load("../config.example.yaml", Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Interface != "eth0" || snap.DHCP.Subnet.String() != "198.51.100.0/24" || snap.TFTP.Root != "/srv/bootyard" {
		t.Errorf("interface %q, subnet %v, root %q", snap.Interface, snap.DHCP.Subnet, snap.TFTP.Root)
	}
}
