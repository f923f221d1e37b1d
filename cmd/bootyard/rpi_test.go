package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// piConfig writes a config with a Pi that has a profile and one that has
// none, and a TFTP root with a firmware file at the root and one in the
// first Pi's folder.
func piConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for name, content := range map[string]string{"start4.elf": "fw", "1a2b3c4d/fixup4.dat": "own", "rpi/Image": "kernel", "bootcode.bin": "bc"} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config := `interface: eth0
dhcp: {mode: proxy, server_ip: 198.51.100.2, lease_file: ` + filepath.Join(dir, "leases") + `}
tftp: {root: ` + root + `}
boot: {bios: "", uefi-x64: "", uefi-arm64: "", ipxe: "", uboot-arm: "", uboot-arm64: ""}
profiles:
  rpi: {kernel: rpi/Image, cmdline: "console=serial0,115200 ip=dhcp"}
hosts:
  - {name: pi4, mac: dc:a6:32:01:36:c2, ip: 198.51.100.41, profile: rpi, rpi_serial: 1a2b3c4d}
  - {name: pi-bare, mac: dc:a6:32:01:36:c3, rpi_serial: 100000000000beef}
  - {name: pc, mac: 52:54:00:00:00:01, profile: rpi}
`
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rowsOf splits each line of out into its words, to compare table rows
// without depending on column widths.
func rowsOf(out string) [][]string {
	var rows [][]string
	for _, l := range strings.Split(out, "\n") {
		rows = append(rows, strings.Fields(l))
	}
	return rows
}

func hasRow(out string, want ...string) bool {
	for _, r := range rowsOf(out) {
		if strings.Join(r, " ") == strings.Join(want, " ") {
			return true
		}
	}
	return false
}

func TestCheckListsPis(t *testing.T) {
	code, out, errOut := runCmd(t, "check", "-config", piConfig(t))
	if code != 0 {
		t.Fatalf("check exited %d\n%s\n%s", code, out, errOut)
	}
	for _, row := range [][]string{
		{"pi4", "1a2b3c4d/", "dc-a6-32-01-36-c2/", "rpi", "generated", "unless", "the", "folder", "has", "its", "own"},
		{"pi-bare", "0000beef/", "dc-a6-32-01-36-c3/", "-", "not", "generated", "(no", "profile", "with", "a", "kernel)"},
	} {
		if !hasRow(out, row...) {
			t.Errorf("check output has no row %q:\n%s", row, out)
		}
	}
	if i := strings.Index(out, "raspberry pi hosts"); i < 0 || strings.Contains(out[i:], "pc ") {
		t.Errorf("the Pi list is missing or lists a host without rpi_serial:\n%s", out)
	}
}

func TestExplainShowsPiFolder(t *testing.T) {
	code, out, errOut := runCmd(t, "explain", "-config", piConfig(t), "-mac", "dc:a6:32:01:36:c2")
	if code != 0 {
		t.Fatalf("explain exited %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"--- 1a2b3c4d/config.txt\n# bootyard: pi4 (dc:a6:32:01:36:c2), profile rpi\n",
		"arm_64bit=1\nkernel=rpi/Image\n",
		"--- 1a2b3c4d/cmdline.txt\nconsole=serial0,115200 ip=dhcp\n",
		"raspberry pi folder 1a2b3c4d/ (also dc-a6-32-01-36-c2/ with TFTP_PREFIX=2):",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	for _, row := range [][]string{
		{"1a2b3c4d/start4.elf", "start4.elf", "at", "the", "TFTP", "root"},
		{"1a2b3c4d/fixup4.dat", "1a2b3c4d/fixup4.dat", "on", "disk"},
		{"1a2b3c4d/config.txt", "generated", "from", "profile", "rpi"},
		{"1a2b3c4d/rpi/Image", "rpi/Image", "at", "the", "TFTP", "root"},
		{"1a2b3c4d/bcm2711-rpi-4-b.dtb", "missing"},
	} {
		if !hasRow(out, row...) {
			t.Errorf("explain output has no row %q:\n%s", row, out)
		}
	}

	// A host that is no Pi gets no folder section.
	_, out, _ = runCmd(t, "explain", "-config", piConfig(t), "-mac", "52:54:00:00:00:01")
	if strings.Contains(out, "raspberry pi folder") {
		t.Errorf("explain shows a Pi folder for a host without rpi_serial:\n%s", out)
	}
}
