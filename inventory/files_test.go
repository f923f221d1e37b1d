package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/firmware"
	"github.com/google/go-cmp/cmp"
)

// writeTree makes files (path -> contents) under dir.
func writeTree(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loadIn writes config as bootyard.yaml in a new folder that also holds a
// TFTP root "tftp" with files, and loads it.
func loadIn(t *testing.T, config string, opts Options, files ...string) (*Snapshot, []Problem, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "tftp"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeTree(t, filepath.Join(dir, "tftp"), files...)
	path := filepath.Join(dir, "bootyard.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := Load(path, opts)
	var errs Errors
	if err != nil && !errors.As(err, &errs) {
		t.Fatalf("Load: %v", err)
	}
	for i := range errs {
		if errs[i].File != path {
			t.Errorf("problem names file %q, want %q", errs[i].File, path)
		}
		errs[i].File = ""
	}
	return snap, errs, dir
}

const filesHead = "interface: eth0\ndhcp: {mode: off}\ntftp:\n  root: tftp\n"

// allDefaults are the files DefaultBoot names, so tests without boot: get no
// warnings.
var allDefaults = []string{"pxelinux.0", "grubnetx64.efi", "grubaa64.efi", "boot.ipxe", "boot.scr.uimg", "bootcode.bin"}

func TestFileChecks(t *testing.T) {
	config := filesHead +
		"profiles:\n" + // 5
		"  deb:\n" + // 6
		"    kernel: debian/linux\n" + // 7
		"    initrd: debian/initrd.gz\n" + // 8
		"    bootfile: /grub/grubx64.efi\n" + // 9
		"  esc:\n" + // 10
		"    kernel: ../../etc/passwd\n" + // 11
		"  http:\n" + // 12
		"    bootfile: http://198.51.100.2/boot.efi\n" + // 13
		"  dir:\n" + // 14
		"    kernel: debian\n" + // 15
		"hosts:\n" + // 16
		"  - {name: a, mac: 52:54:00:00:00:01, profile: deb, bootfile: 'u-boot\\board.img'}\n" + // 17
		"  - {name: b, mac: 52:54:00:00:00:02, bootfile: missing.img}\n" // 18
	_, got, dir := loadIn(t, config, Options{}, append([]string{"debian/linux", "grub/grubx64.efi", "u-boot/board.img"}, allDefaults...)...)
	root := filepath.Join(dir, "tftp")
	want := []Problem{
		{Line: 8, Field: "profiles.deb.initrd", Msg: `"debian/initrd.gz" not found under the TFTP root ` + root},
		{Line: 11, Field: "profiles.esc.kernel", Msg: `"../../etc/passwd" goes above the TFTP root with ".."`},
		{Line: 15, Field: "profiles.dir.kernel", Msg: `"debian" is not a regular file`},
		{Line: 18, Field: "hosts[1].bootfile", Msg: `"missing.img" not found under the TFTP root ` + root},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestGeneratedFilesCountAsPresent(t *testing.T) {
	config := filesHead + "hosts:\n  - {name: a, mac: 52:54:00:00:00:01, bootfile: pxelinux.cfg/01-52-54-00-00-00-01}\n"
	var asked []string
	gen := func(s *Snapshot, name string) bool {
		asked = append(asked, name)
		_, isHost := s.HostByName("a")
		return isHost && strings.HasPrefix(name, "pxelinux.cfg/")
	}
	snap, got, _ := loadIn(t, config, Options{Generated: gen}, allDefaults...)
	if len(got) != 0 || snap == nil {
		t.Fatalf("problems: %v", got)
	}
	if !contains(asked, "pxelinux.cfg/01-52-54-00-00-00-01") {
		t.Errorf("Generated was asked about %q, not the host's boot file", asked)
	}
	_, got, _ = loadIn(t, config, Options{}, allDefaults...)
	if len(got) != 1 || got[0].Field != "hosts[0].bootfile" {
		t.Errorf("without Generated: problems %v, want one for hosts[0].bootfile", got)
	}
}

func TestMissingClassDefaultIsAWarning(t *testing.T) {
	// firmware: lists uefi-arm64, so its default is checked although the
	// file does not name it under boot:.
	config := filesHead + "firmware: [bios, uefi-arm64]\nboot:\n  bios: undionly.kpxe\n  uefi-x64: \"\"\n  uefi-http: http://198.51.100.2/x.efi\n"
	snap, got, dir := loadIn(t, config, Options{}, "pxelinux.0", "boot.ipxe", "boot.scr.uimg", "bootcode.bin")
	if len(got) != 0 {
		t.Fatalf("problems: %v", got)
	}
	root := filepath.Join(dir, "tftp")
	for i := range snap.Warnings {
		snap.Warnings[i].File = ""
	}
	want := []Problem{
		{Field: "boot.uefi-arm64", Msg: `"grubaa64.efi" not found under the TFTP root ` + root + `: uefi-arm64 clients will fail to boot (this is the default; set boot.uefi-arm64: "" to send no boot file, or list the classes you have under firmware:)`},
		{Line: 7, Field: "boot.bios", Msg: `"undionly.kpxe" not found under the TFTP root ` + root + `: bios clients will fail to boot`},
	}
	if diff := cmp.Diff(want, snap.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	wantBoot := map[firmware.Class]string{
		"bios": "undionly.kpxe", "uefi-arm64": "grubaa64.efi", "uefi-http": "http://198.51.100.2/x.efi",
		"ipxe": "boot.ipxe", "uboot-arm": "boot.scr.uimg", "uboot-arm64": "boot.scr.uimg", "rpi": "bootcode.bin",
	}
	if diff := cmp.Diff(wantBoot, snap.Boot); diff != "" {
		t.Errorf("boot (-want +got):\n%s", diff)
	}
}

func TestFolderChecks(t *testing.T) {
	config := "interface: eth0\ndhcp: {mode: off}\ntftp:\n  root: nowhere\n  uploads: {dir: up}\n"
	_, got, dir := loadIn(t, config, Options{})
	want := []Problem{
		{Line: 4, Field: "tftp.root", Msg: "TFTP root " + filepath.Join(dir, "nowhere") + " does not exist"},
		{Line: 5, Field: "tftp.uploads.dir", Msg: "upload folder " + filepath.Join(dir, "up") + " does not exist"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	// SkipFileChecks is for checking another machine's file: no folders.
	if _, got, _ = loadIn(t, config, Options{SkipFileChecks: true}); len(got) != 0 {
		t.Errorf("with SkipFileChecks: %v", got)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
}

// TestUploadFolderMustNotBeServed: an upload folder that is the TFTP root,
// inside it, or above it would let any client plant boot configs that other
// machines then load.
func TestUploadFolderMustNotBeServed(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want bool // refused
	}{
		{"tftp", true},
		{"tftp/incoming", true},
		{".", true},
		{"uploads", false},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			cfg := filesHead + "  uploads: {dir: " + tc.dir + "}\n"
			_, problems, _ := loadIn(t, cfg, Options{}, append([]string{"incoming/.keep", "../uploads/.keep"}, allDefaults...)...)
			refused := false
			for _, p := range problems {
				if p.Field == "tftp.uploads.dir" && strings.Contains(p.Msg, "overlaps the TFTP root") {
					refused = true
				}
			}
			if refused != tc.want {
				t.Errorf("uploads dir %q: refused = %v, want %v; problems: %v", tc.dir, refused, tc.want, problems)
			}
		})
	}
}

// TestBootFileNameFitsTheFileField: the BOOTP file field holds 127 bytes and
// a NUL; a longer name would reach U-Boot cut short.
func TestBootFileNameFitsTheFileField(t *testing.T) {
	long := strings.Repeat("d/", 63) + "x.efi" // 131 bytes
	cfg := filesHead + "boot: {bios: " + long + "}\nhosts:\n  - {name: a, mac: \"52:54:00:00:00:01\", bootfile: " + long[:127] + "}\n"
	_, problems, _ := loadIn(t, cfg, Options{SkipFileChecks: true})
	want := []Problem{{Line: 5, Field: "boot.bios", Msg: "boot file name is 131 bytes; DHCP carries at most 127"}}
	if diff := cmp.Diff(want, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
