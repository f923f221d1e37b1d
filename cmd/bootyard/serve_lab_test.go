package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"

	"github.com/bootyard/bootyard/internal/netlab"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// bootyardBinary builds the command once per test run.
func bootyardBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bootyard-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "bootyard")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// labConfig is a config for a bootyard in a lab namespace, without a pool, so
// that only inventory hosts are answered. hosts is the YAML of the hosts list.
func labConfig(dir, hosts string) string {
	return `interface: eth0
dhcp:
  mode: authoritative
  subnet: 198.51.100.0/24
  router: 198.51.100.1
  lease_file: ` + filepath.Join(dir, "leases") + `
  conflict_probe: false
tftp:
  root: ` + filepath.Join(dir, "root") + `
boot: {bios: pxelinux.0}
profiles:
  linux:
    kernel: linux
hosts:
  - name: other
    mac: 52:54:00:00:00:99
    ip: 198.51.100.99
    profile: linux
` + hosts
}

// writeAtomically replaces path the way editors do: a new file renamed over
// the old one, so the watcher must follow the folder, not the inode.
func writeAtomically(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// offer runs one DISCOVER from the client namespace and returns the offered
// address, or an invalid address when no OFFER came.
func offer(t *testing.T, cli *netlab.Host) netip.Addr {
	t.Helper()
	var c *nclient4.Client
	if err := cli.Do(func() (err error) {
		c, err = nclient4.New("eth0", nclient4.WithTimeout(time.Second), nclient4.WithRetry(1))
		return err
	}); err != nil {
		t.Fatalf("dhcp client: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	o, err := c.DiscoverOffer(ctx)
	if err != nil {
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(o.YourIPAddr.To4())
	return a
}

// waitOffer repeats DISCOVERs until the client is offered want, for at most
// bound, and returns how long that took.
func waitOffer(t *testing.T, cli *netlab.Host, want netip.Addr, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var got netip.Addr
	for time.Since(start) < bound {
		if got = offer(t, cli); got == want {
			return time.Since(start)
		}
	}
	t.Fatalf("client not offered %s within %s (last offer: %v)", want, bound, got)
	return 0
}

// TestServeReloadsInventory runs `bootyard serve` in a lab namespace and a
// real DHCP client in another: a host added to the file is answered without a
// restart; an invalid edit is refused with its line in the log and the old
// inventory keeps serving; a later valid edit still applies.
func TestServeReloadsInventory(t *testing.T) {
	netlab.Require(t)
	bin := bootyardBinary(t)
	lab := netlab.New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	cli := lab.Host("cli")
	mac := cli.MAC()

	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"linux", "pxelinux.0"} {
		if err := os.WriteFile(filepath.Join(dir, "root", f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "config.yaml")
	writeAtomically(t, path, labConfig(dir, ""))

	proc := srv.Start(t, bin, "serve", "-config", path, "-log-level", "debug")
	if err := proc.WaitFor(30*time.Second, "bootyard serving"); err != nil {
		t.Fatalf("bootyard did not start: %v\n%s", err, proc.Output())
	}

	// Not in the inventory and no pool: no answer at all.
	if a := offer(t, cli); a.IsValid() {
		t.Fatalf("unknown MAC %s was offered %s", mac, a)
	}

	host := fmt.Sprintf("  - name: client\n    mac: %s\n    ip: 198.51.100.20\n    profile: linux\n", mac)
	writeAtomically(t, path, labConfig(dir, host))
	d := waitOffer(t, cli, netip.MustParseAddr("198.51.100.20"), 20*time.Second)
	t.Logf("added host answered %s after the edit", d.Round(time.Millisecond))

	// A malformed MAC: refused with its line, the old inventory stays.
	bad := labConfig(dir, host) + "  - name: broken\n    mac: 52:54:00:zz:00:01\n    ip: 198.51.100.21\n"
	badLine := 0
	for i, l := range strings.Split(bad, "\n") {
		if strings.Contains(l, "52:54:00:zz") {
			badLine = i + 1
		}
	}
	writeAtomically(t, path, bad)
	if err := proc.WaitFor(20*time.Second, fmt.Sprintf("%s:%d", path, badLine)); err != nil {
		t.Fatalf("invalid edit not reported with its line %d: %v\n%s", badLine, err, proc.Output())
	}
	if a := offer(t, cli); a != netip.MustParseAddr("198.51.100.20") {
		t.Fatalf("after an invalid edit the client got %v, want the old reservation 198.51.100.20", a)
	}

	// A valid edit after the invalid one applies: the watcher is still alive.
	moved := fmt.Sprintf("  - name: client\n    mac: %s\n    ip: 198.51.100.30\n    profile: linux\n", mac)
	writeAtomically(t, path, labConfig(dir, moved))
	d = waitOffer(t, cli, netip.MustParseAddr("198.51.100.30"), 20*time.Second)
	t.Logf("moved reservation answered %s after the edit", d.Round(time.Millisecond))

	if err := proc.Stop(); err != nil {
		t.Logf("stop: %v", err)
	}
	if !strings.Contains(proc.Output(), "bootyard stopped") {
		t.Errorf("bootyard did not stop cleanly on SIGTERM:\n%s", proc.Output())
	}
}
