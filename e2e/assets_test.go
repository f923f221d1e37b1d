package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bootyard/bootyard/internal/netlab"
)

// assetsDir returns the folder scripts/boot-assets.sh fills (kernel,
// initramfs, pxelinux, iPXE, GRUB, OVMF, U-Boot). A missing cache is built
// when we are root (it needs apt-get); otherwise the test skips, or fails
// under BOOTYARD_E2E=1.
func assetsDir(t *testing.T) string {
	t.Helper()
	script := filepath.Join(env.repo, "scripts", "boot-assets.sh")
	cache := os.Getenv("BOOT_ASSETS")
	if cache == "" {
		cache = filepath.Join(env.repo, ".cache", "boot-assets")
	}
	out := filepath.Join(cache, "out")
	if exec.Command("bash", script, "--check").Run() == nil {
		return out
	}
	if os.Geteuid() != 0 {
		msg := "boot assets missing in " + cache + ": run scripts/boot-assets.sh as root"
		if netlab.Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "BOOT_ASSETS="+cache)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/boot-assets.sh: %v\n%s", err, b)
	}
	return out
}

// copyFile copies src to dst (the TFTP root must hold real files: bootyard
// serves through os.Root, which refuses symlinks that leave the root).
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// token returns a per-run random word for a host, so a marker from another
// host, another test or a stale run can never match.
func token(t *testing.T, host string) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return host + "-" + hex.EncodeToString(b)
}
