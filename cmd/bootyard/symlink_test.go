package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// symlinkSetup makes a TFTP root where grubx64.efi and a profile's kernel
// are absolute symlinks to files outside the root, as a Debian user makes
// them with `ln -s /usr/lib/grub/.../grubx64.efi`, and returns the config.
func symlinkSetup(t *testing.T, kernelLinked bool) (path, outside string) {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	outside = filepath.Join(dir, "usr-lib")
	for _, d := range []string{root, outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"grubx64.efi", "vmlinuz"} {
		if err := os.WriteFile(filepath.Join(outside, f), []byte("outside "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(outside, "grubx64.efi"), filepath.Join(root, "grubx64.efi")); err != nil {
		t.Fatal(err)
	}
	kernel := filepath.Join(root, "vmlinuz")
	if kernelLinked {
		err := os.Symlink(filepath.Join(outside, "vmlinuz"), kernel)
		if err != nil {
			t.Fatal(err)
		}
	} else if err := os.WriteFile(kernel, []byte("kernel"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `interface: lo
dhcp:
  mode: authoritative
  server_ip: 198.51.100.2
  subnet: 198.51.100.0/24
tftp:
  root: ` + root + `
boot:
  uefi-x64: grubx64.efi
profiles:
  debian:
    kernel: vmlinuz
hosts:
  - name: node1
    mac: 52:54:00:12:34:56
    ip: 198.51.100.10
    profile: debian
`
	path = filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, outside
}

// TestCheckSymlinkOutOfRoot: check says a link out of the root is a link
// and what to do, instead of "not found" for a file `ls` shows.
func TestCheckSymlinkOutOfRoot(t *testing.T) {
	path, outside := symlinkSetup(t, true)
	code, _, errOut := runCmd(t, "check", path)
	if code != 1 {
		t.Fatalf("check: exit %d, want 1 (the kernel is refused)\n%s", code, errOut)
	}
	for _, want := range []string{
		`"vmlinuz" is refused: vmlinuz is a symbolic link to ` + filepath.Join(outside, "vmlinuz"),
		"copy the file into the root, or use a relative link that stays inside it",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("check lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "not found") {
		t.Errorf("check says not found for a file that is there:\n%s", errOut)
	}

	// A class default stays a warning (a config that loaded still loads),
	// with the same reason.
	path, outside = symlinkSetup(t, false)
	code, out, errOut := runCmd(t, "check", path)
	if code != 0 {
		t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
	}
	want := `"grubx64.efi" is refused: grubx64.efi is a symbolic link to ` + filepath.Join(outside, "grubx64.efi")
	if !strings.Contains(out, want) {
		t.Errorf("check warnings lack %q:\n%s", want, out)
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTransferRecordSymlinkOutOfRoot: a client asking for the linked file
// is refused, and the transfer record says why, through the real TFTP
// server and resolver.
func TestTransferRecordSymlinkOutOfRoot(t *testing.T) {
	path, _ := symlinkSetup(t, false)
	snap, err := loadSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	node1, _ := snap.HostByName("node1")
	c := loopbackTFTP(t, snap, node1, log)
	if _, err := c.Receive("grubx64.efi", "octet"); err == nil {
		t.Fatal("the link out of the root was served")
	}
	const want = "grubx64.efi is a symbolic link out of the TFTP root, which is never followed: copy the file into the root"
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), want) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), want) {
		t.Errorf("transfer record lacks %q:\n%s", want, logs.String())
	}
}
