package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
)

// Bounds for the waits of a boot. qemu runs without KVM here (TCG): a BIOS
// boot takes ~25 s and a UEFI one ~60 s on an idle machine; the bounds leave
// room for a loaded CI machine and never serve as assertions on speed.
const (
	serverUp  = 30 * time.Second
	bootBound = 300 * time.Second
)

// serverAddr is the boot server's address in every lab.
const serverAddr = "198.51.100.2"

// bootLab is one private boot network: a switch with a server namespace on
// it and a TFTP root holding the boot assets.
type bootLab struct {
	lab    *netlab.Lab
	srv    *netlab.Host
	dir    string // scratch folder: config, leases, OVMF vars
	root   string // TFTP root
	assets string
}

// rootFiles are the assets every TFTP root gets: the boot programs the
// firmware fetches and the kernel + initramfs the generated configs name.
var rootFiles = []string{"pxelinux.0", "ldlinux.c32", "vmlinuz", "initrd.gz", "grubnetx64.efi", "grubhttpx64.efi", "ipxe.efi", "undionly.kpxe"}

// newBootLab builds a lab with the boot server's namespace at 198.51.100.2
// and a TFTP root filled with the assets. It skips (or fails in CI) when
// root, qemu or the other tools are missing.
func newBootLab(t *testing.T, tools ...string) *bootLab {
	t.Helper()
	netlab.Require(t, append([]string{"qemu-system-x86_64"}, tools...)...)
	assets := assetsDir(t)
	dir := t.TempDir()
	b := &bootLab{
		lab:    netlab.New(t),
		dir:    dir,
		root:   filepath.Join(dir, "root"),
		assets: assets,
	}
	b.srv = b.lab.Host("srv", serverAddr+"/24")
	for _, f := range rootFiles {
		copyFile(t, filepath.Join(assets, f), filepath.Join(b.root, f))
	}
	return b
}

// startBootyard writes cfg as the config file and runs `bootyard serve` in
// the server namespace, waiting until its DHCP and TFTP sockets are open.
func (b *bootLab) startBootyard(t *testing.T, cfg string) *netlab.Proc {
	t.Helper()
	path := filepath.Join(b.dir, "bootyard.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := b.srv.Start(t, bootyardBin(t), "serve", "-config", path, "-log-level", "debug")
	if err := p.WaitFor(serverUp, "bootyard serving"); err != nil {
		t.Fatalf("bootyard did not start: %v\n%s", err, p.Output())
	}
	return p
}

// transferred returns the server log line of a completed TFTP read of
// file (bootyard's transfer log: file=NAME ... outcome=ok), or "". The
// logged name may carry a leading folder or "/" (GRUB asks for
// /grub/grub.cfg-01-<mac>), so the logged name must end with file.
func transferred(log, file string) string {
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l := sc.Text()
		if !strings.Contains(l, "outcome=ok") {
			continue
		}
		_, v, ok := strings.Cut(l, " file=")
		if !ok {
			continue
		}
		if strings.HasPrefix(v, `"`) {
			v, _, _ = strings.Cut(v[1:], `"`)
		} else {
			v, _, _ = strings.Cut(v, " ")
		}
		if v == file || strings.HasSuffix(v, "/"+file) {
			return l
		}
	}
	return ""
}

// requireTransferred fails the test when the server never completed a
// read of each named file: the boot must have gone through them. The
// transfer lines are logged (sizes, block sizes and durations on record).
func requireTransferred(t *testing.T, srv *netlab.Proc, files ...string) {
	t.Helper()
	out := srv.Output()
	for _, f := range files {
		l := transferred(out, f)
		if l == "" {
			t.Errorf("server log has no completed transfer of %s", f)
			continue
		}
		if _, rest, ok := strings.Cut(l, " file="); ok {
			l = "file=" + rest
		}
		t.Logf("tftp: %s", l)
	}
}

// adminToken writes an admin token file (for `admin.token_file`, which the
// next-boot write API needs) and returns its path.
func (b *bootLab) adminToken(t *testing.T) string {
	t.Helper()
	path := filepath.Join(b.dir, "admin.token")
	if err := os.WriteFile(path, []byte("e2e-admin-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
