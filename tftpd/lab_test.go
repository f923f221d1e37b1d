package tftpd

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
	"github.com/bootyard/bootyard/inventory"
)

// buildBootyard builds the bootyard command. The lab runs the server as its
// own process inside the server's namespace: in per-transfer-port mode
// the engine opens a socket for every transfer from its own goroutines,
// which would land in the test process's namespace.
func buildBootyard(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootyard")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/bootyard/bootyard/cmd/bootyard").CombinedOutput()
	if err != nil {
		t.Fatalf("building bootyard: %v\n%s", err, out)
	}
	return bin
}

// startBootyard runs `bootyard serve` with TFTP only on srv (serving root
// from srv's eth0 address, port 69, both transfer limits off) and waits until
// it serves.
func startBootyard(t *testing.T, srv *netlab.Host, root string, maxBlockSize int) *netlab.Proc {
	t.Helper()
	return startBootyardTFTP(t, srv, fmt.Sprintf("root: %s, max_block_size: %d", root, maxBlockSize))
}

// startBootyardTFTP is startBootyard with the tftp section's settings
// given as YAML flow-map entries (both transfer limits are added, off).
func startBootyardTFTP(t *testing.T, srv *netlab.Host, tftp string) *netlab.Proc {
	t.Helper()
	config := filepath.Join(t.TempDir(), "bootyard.yaml")
	yaml := fmt.Sprintf(`interface: eth0
dhcp: {mode: off}
tftp: {%s, max_transfers: 0, max_per_client: 0}
boot: {bios: "", uefi-x64: "", uefi-arm64: "", ipxe: "", uboot-arm: "", uboot-arm64: "", rpi: ""}
`, tftp)
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p := srv.Start(t, buildBootyard(t), "serve", "-config", config, "-log-level", "info")
	if err := p.WaitFor(waitBound, "bootyard serving"); err != nil {
		t.Fatalf("bootyard: %v\n%s", err, p.Output())
	}
	return p
}

// labServer starts bootyard on port 69 of a server host in a new lab and
// returns the lab's client host and the server's process.
func labServer(t *testing.T, root string) (*netlab.Host, *netlab.Proc) {
	t.Helper()
	lab := netlab.New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	cli := lab.Host("cli", "198.51.100.3/24")
	return cli, startBootyard(t, srv, root, inventory.DefaultMaxBlockSize)
}

// TestInteropClients fetches files around every block-size edge with the
// real clients boards and admins use, and checks every byte.
func TestInteropClients(t *testing.T) {
	netlab.Require(t, "go", "atftp", "curl", "busybox", "tftp")
	root := t.TempDir()
	out := t.TempDir()
	sums := map[string][32]byte{}
	small := []string{}
	for _, size := range []int{0, 511, 512, 513, 1468 * 4, 1428 * 3, 8192 * 2, 1<<20 + 7} {
		name := fmt.Sprintf("f%d", size)
		sums[name] = sha256.Sum256(writeFile(t, root, name, size))
		small = append(small, name)
	}
	// 65537 blocks at 512 bytes: the block number wraps to 0.
	sums["wrap"] = sha256.Sum256(writeFile(t, root, "wrap", 65536*512+1))
	withWrap := append(append([]string{}, small...), "wrap")

	cli, srv := labServer(t, root)
	const host = "198.51.100.2"
	type client struct {
		name  string
		cmd   func(file, dst string) []string
		files []string
	}
	atftp := func(opts ...string) func(file, dst string) []string {
		return func(file, dst string) []string {
			args := []string{"atftp"}
			for _, o := range opts {
				args = append(args, "--option", o)
			}
			return append(args, "-g", "-r", file, "-l", dst, host)
		}
	}
	clients := []client{
		{"atftp-plain", atftp(), withWrap},
		{"atftp-512-tsize", atftp("blksize 512", "tsize 0"), withWrap},
		{"atftp-1428", atftp("blksize 1428"), small},
		{"atftp-1428-tsize", atftp("blksize 1428", "tsize 0"), small},
		{"atftp-1468", atftp("blksize 1468"), small},
		{"atftp-1468-tsize", atftp("blksize 1468", "tsize 0"), small},
		// Capped to 1468: the bytes must still match.
		{"atftp-8192", atftp("blksize 8192"), small},
		{"atftp-8192-tsize", atftp("blksize 8192", "tsize 0"), small},
		// What OVMF asks for: windowsize 4 is acknowledged.
		{"atftp-ovmf-options", atftp("blksize 1468", "tsize 0", "windowsize 4"), small},
		// RFC 7440 windows; 64 is capped to max_window (16).
		{"atftp-window-1", atftp("blksize 1468", "windowsize 1"), small},
		{"atftp-window-4", atftp("windowsize 4"), withWrap},
		{"atftp-window-16", atftp("blksize 1468", "tsize 0", "windowsize 16"), small},
		{"atftp-window-64", atftp("blksize 1468", "windowsize 64"), small},
		// curl always sends tsize, blksize and timeout.
		{"curl", func(file, dst string) []string {
			return []string{"curl", "-sS", "--max-time", "100", "-o", dst, "tftp://" + host + "/" + file}
		}, withWrap},
		{"busybox", func(file, dst string) []string {
			return []string{"busybox", "tftp", "-g", "-b", "1468", "-r", file, "-l", dst, host}
		}, small},
		// pin/tftp's client, a second Go implementation: this test
		// binary run again on the client host (see TestMain).
		{"pin-tftp", func(file, dst string) []string {
			return []string{"env", pinGetEnv + "=1", os.Args[0], host + ":69", file, dst}
		}, withWrap},
		// tftp-hpa: plain RFC 1350, 512-byte blocks, no options.
		{"tftp-hpa", func(file, dst string) []string {
			return []string{"tftp", "-m", "binary", host, "-c", "get", file, dst}
		}, withWrap},
	}
	want := 0
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			for _, file := range c.files {
				dst := filepath.Join(out, c.name+"-"+file)
				args := c.cmd(file, dst)
				start := time.Now()
				o, err := cli.Run(t, 120*time.Second, args[0], args[1:]...)
				if err != nil {
					t.Errorf("%s: %v\n%s", file, err, o)
					continue
				}
				got, err := os.ReadFile(dst)
				if err != nil {
					t.Errorf("%s: %v\n%s", file, err, o)
					continue
				}
				if sha256.Sum256(got) != sums[file] {
					t.Errorf("%s: got %d bytes, content differs from the file", file, len(got))
				}
				if file == "wrap" {
					t.Logf("%s: %d bytes in %v", file, len(got), time.Since(start).Round(time.Millisecond))
				}
				os.Remove(dst)
			}
		})
		want += len(c.files)
	}
	// Every fetch is one "ok" record in the server's log.
	if err := srv.Stop(); err != nil {
		t.Logf("stopping bootyard: %v", err)
	}
	log := srv.Output()
	if n := strings.Count(log, "outcome=ok"); n != want && !t.Failed() {
		t.Errorf("server logged %d ok transfers, want %d\n%s", n, want, log)
	}
	// Windows of 4 and 16 were granted; 64 was capped to 16.
	if !strings.Contains(log, "windowsize=4") || !strings.Contains(log, "windowsize=16") || strings.Contains(log, "windowsize=64") {
		t.Errorf("server log: want windowsize 4 and 16 negotiated, never 64\n%s", log)
	}
	// 8192 was asked for and capped; 1428 was asked for and granted.
	if strings.Contains(log, "blksize=8192") || !strings.Contains(log, "blksize=1428") || !strings.Contains(log, "blksize=1468") {
		t.Errorf("server log: want blksize 1428 and 1468 negotiated, never 8192\n%s", log)
	}
}

// TestInteropErrors: real clients get the fixed error texts and no file.
func TestInteropErrors(t *testing.T) {
	netlab.Require(t, "go", "atftp")
	root := t.TempDir()
	writeFile(t, root, "etc/passwd", 10)
	cli, _ := labServer(t, root)
	for _, tc := range []struct{ name, want string }{
		{"missing", "file not found"},
		{"../etc/passwd", "access denied"},
		{"a/../../b", "access denied"},
	} {
		dst := filepath.Join(t.TempDir(), "out")
		o, err := cli.Run(t, 30*time.Second, "atftp", "-g", "-r", tc.name, "-l", dst, "198.51.100.2")
		if err == nil {
			t.Errorf("%s: atftp succeeded, want an error\n%s", tc.name, o)
		}
		if !strings.Contains(o, tc.want) {
			t.Errorf("%s: output %q, want %q", tc.name, o, tc.want)
		}
	}
}

// TestInteropJumbo: with the cap raised to 8192 on a 9000-byte MTU link,
// atftp gets 8192-byte blocks, and the bytes still match.
func TestInteropJumbo(t *testing.T) {
	netlab.Require(t, "go", "atftp")
	root := t.TempDir()
	sum := sha256.Sum256(writeFile(t, root, "big", 8192*100+1))
	lab := netlab.New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	cli := lab.Host("cli", "198.51.100.3/24")
	// Every link of the lab (bridge, its ports, both hosts' eth0) to MTU 9000.
	setMTU := `for l in $(ls /sys/class/net); do [ "$l" = lo ] || ip link set "$l" mtu 9000 || exit 1; done`
	for _, h := range []*netlab.Host{lab.Switch(), srv, cli} {
		if o, err := h.Run(t, 10*time.Second, "sh", "-c", setMTU); err != nil {
			t.Fatalf("mtu on %s: %v\n%s", h.Name, err, o)
		}
	}
	p := startBootyard(t, srv, root, 8192)
	dst := filepath.Join(t.TempDir(), "out")
	if o, err := cli.Run(t, 60*time.Second, "atftp", "--option", "blksize 8192", "--option", "tsize 0", "-g", "-r", "big", "-l", dst, "198.51.100.2"); err != nil {
		t.Fatalf("atftp: %v\n%s", err, o)
	}
	got, err := os.ReadFile(dst)
	if err != nil || sha256.Sum256(got) != sum {
		t.Fatalf("got %d bytes (%v): content differs", len(got), err)
	}
	p.Stop()
	if log := p.Output(); !strings.Contains(log, "blksize=8192") {
		t.Errorf("want blksize 8192 negotiated\n%s", log)
	}
}
