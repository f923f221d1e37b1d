package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
)

// The doctor lab: bootyard on .2, dnsmasq on .3, tftp-hpa or busybox httpd
// on .4, doctor's client on .50. Only the servers a test starts answer.
const (
	bootyardAddr = "198.51.100.2"
	dnsmasqAddr  = "198.51.100.3"
	plainAddr    = "198.51.100.4"
)

// bootFile writes size random bytes to dir/name and returns their sha256 in
// hex, as doctor prints it.
func bootFile(t *testing.T, dir, name string, size int) string {
	t.Helper()
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// fileSum is the sha256 of a file doctor wrote, "" when it is missing.
func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// startBootyardDHCP runs `bootyard serve` on srv answering any client from a
// pool, with boot files from root, and waits until it serves.
func startBootyardDHCP(t *testing.T, srv *netlab.Host, root string) *netlab.Proc {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	yaml := fmt.Sprintf(`interface: eth0
dhcp:
  mode: authoritative
  subnet: 198.51.100.0/24
  router: 198.51.100.1
  pool: 198.51.100.100-198.51.100.149
  lease_file: %s
  conflict_probe: false
tftp:
  root: %s
boot: {bios: pxelinux.0, uefi-x64: grubx64.efi}
`, filepath.Join(dir, "leases"), root)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p := srv.Start(t, bootyardBinary(t), "serve", "-config", cfg, "-log-level", "debug")
	if err := p.WaitFor(30*time.Second, "bootyard serving"); err != nil {
		t.Fatalf("bootyard did not start: %v", err)
	}
	return p
}

// startDnsmasq runs dnsmasq on h as DHCP server (a pool of its own) and
// TFTP server of root, offering bootfile to everyone. It returns the
// process and its lease file's path.
func startDnsmasq(t *testing.T, h *netlab.Host, root, bootfile string, extra ...string) (*netlab.Proc, string) {
	t.Helper()
	dir := t.TempDir()
	leases := filepath.Join(dir, "dnsmasq.leases")
	args := append([]string{}, "--no-daemon", "--conf-file=/dev/null", "--port=0", "--user=root",
		"--interface=eth0", "--bind-interfaces", "--log-dhcp", "--no-ping",
		"--dhcp-range=198.51.100.150,198.51.100.199,255.255.255.0,1h",
		"--dhcp-boot="+bootfile, "--enable-tftp", "--tftp-root="+root,
		"--dhcp-leasefile="+leases, "--pid-file="+filepath.Join(dir, "dnsmasq.pid"))
	p := h.Start(t, "dnsmasq", append(args, extra...)...)
	if err := p.WaitFor(10*time.Second, "TFTP root is"); err != nil {
		t.Fatal(err)
	}
	return p, leases
}

// doctorRun runs bootyard doctor in cli and returns its output and whether
// it exited 0.
func doctorRun(t *testing.T, cli *netlab.Host, args ...string) (string, bool) {
	t.Helper()
	out, err := cli.Run(t, 90*time.Second, bootyardBinary(t), append([]string{"doctor"}, args...)...)
	if err != nil && strings.Contains(err.Error(), "timed out") {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("bootyard doctor %s:\n%s", strings.Join(args, " "), out)
	return out, err == nil
}

// wantLines fails t for each wanted text that out lacks.
func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
}

// TestDoctorTwoServers: bootyard and dnsmasq both answer on one LAN. doctor,
// acting as UEFI x64 with -expect-server naming bootyard, lists both offers,
// flags dnsmasq's (it offers a boot file too), fetches bootyard's boot file
// intact, exits 1 and takes no address from either.
func TestDoctorTwoServers(t *testing.T) {
	netlab.Require(t, "go", "dnsmasq")
	lab := netlab.New(t)
	srv := lab.Host("srv", bootyardAddr+"/24")
	dns := lab.Host("dns", dnsmasqAddr+"/24")
	cli := lab.Host("cli", "198.51.100.50/24")

	byRoot, dmRoot := t.TempDir(), t.TempDir()
	want := bootFile(t, byRoot, "grubx64.efi", 300_001)
	bootFile(t, dmRoot, "other.efi", 1000)
	by := startBootyardDHCP(t, srv, byRoot)
	dm, _ := startDnsmasq(t, dns, dmRoot, "other.efi")

	dst := filepath.Join(t.TempDir(), "fetched.efi")
	out, ok := doctorRun(t, cli, "-interface", "eth0", "-firmware", "uefi-x64", "-mac", "52:54:00:d0:c7:01",
		"-window", "5s", "-expect-server", bootyardAddr, "-o", dst)
	if ok {
		t.Error("doctor exited 0 with a second server offering a boot file")
	}
	wantLines(t, out,
		"no REQUEST is sent",
		"2 offer(s):",
		bootyardAddr+" after",
		dnsmasqAddr+" after",
		"two DHCP servers answered",
		"FAIL "+dnsmasqAddr+" is not the expected server "+bootyardAddr+" but offers boot file tftp://"+dnsmasqAddr+"/other.efi",
		"boot file: tftp://"+bootyardAddr+"/grubx64.efi (offer",
		"fetched tftp://"+bootyardAddr+"/grubx64.efi: 300001 bytes",
		"blocks of 1468 bytes, tsize 300001",
		"sha256 "+want,
		"ok   boot file grubx64.efi fetched from "+bootyardAddr,
	)
	if got := fileSum(t, dst); got != want {
		t.Errorf("written file sha256 %q, want %q", got, want)
	}
	// No REQUEST: both servers saw the DISCOVER, neither a REQUEST.
	if o := by.Output(); !strings.Contains(o, "type=DISCOVER") || strings.Contains(o, "type=REQUEST") {
		t.Errorf("bootyard's log: want a DISCOVER and no REQUEST:\n%s", o)
	}
	if o := dm.Output(); !strings.Contains(o, "DHCPDISCOVER") || strings.Contains(o, "DHCPREQUEST") {
		t.Errorf("dnsmasq's log: want a DISCOVER and no REQUEST:\n%s", o)
	}
}

// TestDoctorDnsmasqAlone: doctor needs nothing of bootyard. Against dnsmasq
// alone, as BIOS PXE, it lists the one offer, fetches its boot file intact
// and passes; with -request it takes the address and releases it again.
func TestDoctorDnsmasqAlone(t *testing.T) {
	netlab.Require(t, "go", "dnsmasq")
	lab := netlab.New(t)
	dns := lab.Host("dns", dnsmasqAddr+"/24")
	cli := lab.Host("cli", "198.51.100.50/24")
	root := t.TempDir()
	want := bootFile(t, root, "pxelinux.0", 46_000)
	_, leases := startDnsmasq(t, dns, root, "pxelinux.0")

	dst := filepath.Join(t.TempDir(), "pxelinux.0")
	out, ok := doctorRun(t, cli, "-firmware", "bios", "-o", dst, "-request", "-mac", "52:54:00:d0:c7:02")
	if !ok {
		t.Error("doctor failed against a working dnsmasq")
	}
	wantLines(t, out,
		"1 offer(s):",
		dnsmasqAddr+" after",
		"fetched tftp://"+dnsmasqAddr+"/pxelinux.0: 46000 bytes",
		"sha256 "+want,
		"acknowledged by "+dnsmasqAddr+"; released again",
		"passed",
	)
	if got := fileSum(t, dst); got != want {
		t.Errorf("written file sha256 %q, want %q", got, want)
	}
	// dnsmasq writes its lease file on the ACK and again on the RELEASE:
	// the MAC must be gone once the release is processed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(leases)
		if !strings.Contains(string(b), "52:54:00:d0:c7:02") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dnsmasq still holds doctor's lease after the RELEASE:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDoctorBootFileVerdicts: what a misconfigured server looks like to
// doctor. dnsmasq names a file its TFTP root lacks: "not found". dnsmasq
// offers a URL: UEFI PXE cannot fetch it; UEFI HTTP boot, to which dnsmasq
// answers with option 60 HTTPClient, fetches it from busybox httpd intact.
func TestDoctorBootFileVerdicts(t *testing.T) {
	netlab.Require(t, "go", "dnsmasq", "busybox")
	root := t.TempDir()
	want := bootFile(t, root, "efi/ipxe.efi", 70_000)
	url := "http://" + plainAddr + "/efi/ipxe.efi"

	t.Run("not-found", func(t *testing.T) {
		lab := netlab.New(t)
		dns := lab.Host("dns", dnsmasqAddr+"/24")
		cli := lab.Host("cli", "198.51.100.50/24")
		startDnsmasq(t, dns, root, "missing.0")
		out, ok := doctorRun(t, cli, "-firmware", "bios", "-window", "2s")
		if ok {
			t.Error("doctor exited 0 for a missing boot file")
		}
		wantLines(t, out, "FAIL boot file missing.0 not found on "+dnsmasqAddr)
	})

	lab := netlab.New(t)
	dns := lab.Host("dns", dnsmasqAddr+"/24")
	web := lab.Host("web", plainAddr+"/24")
	cli := lab.Host("cli", "198.51.100.50/24")
	web.Start(t, "busybox", "httpd", "-f", "-p", plainAddr+":80", "-h", root)
	waitListening(t, web, "tcp:80")
	startDnsmasq(t, dns, root, url, "--dhcp-option-force=tag:http,60,HTTPClient",
		"--dhcp-vendorclass=set:http,HTTPClient")

	out, ok := doctorRun(t, cli, "-firmware", "uefi-x64", "-window", "2s")
	if ok {
		t.Error("doctor exited 0: a URL offered to UEFI PXE")
	}
	wantLines(t, out, "but uefi-x64 speaks only TFTP")

	dst := filepath.Join(t.TempDir(), "ipxe.efi")
	out, ok = doctorRun(t, cli, "-firmware", "uefi-http", "-window", "2s", "-o", dst)
	if !ok {
		t.Error("doctor failed: UEFI HTTP boot against a server set up for it")
	}
	wantLines(t, out, "option 60 \"HTTPClient\"", "fetched "+url+": 70000 bytes", "Content-Length 70000", "sha256 "+want)
	if got := fileSum(t, dst); got != want {
		t.Errorf("written file sha256 %q, want %q", got, want)
	}
}

// TestDoctorGet: -get downloads files intact from tftp-hpa's in.tftpd, from
// busybox httpd and from bootyard, across block edges; a missing file fails
// and leaves nothing under the output name.
func TestDoctorGet(t *testing.T) {
	netlab.Require(t, "go", "in.tftpd", "busybox")
	lab := netlab.New(t)
	plain := lab.Host("plain", plainAddr+"/24")
	srv := lab.Host("srv", bootyardAddr+"/24")
	cli := lab.Host("cli", "198.51.100.50/24")

	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	sizes := []int{0, 511, 512, 1468 * 3, 100_003}
	sums := map[string]string{}
	for _, n := range sizes {
		name := fmt.Sprintf("dir/f%d", n)
		sums[name] = bootFile(t, root, name, n)
	}
	plain.Start(t, "in.tftpd", "--foreground", "--listen", "--address", plainAddr+":69",
		"--user", "root", "--secure", "--verbose", root)
	plain.Start(t, "busybox", "httpd", "-f", "-v", "-p", plainAddr+":80", "-h", root)
	startTFTPOnly(t, srv, root)
	// in.tftpd and httpd print nothing when ready: wait for their ports.
	for _, p := range []string{"udp:69", "tcp:80"} {
		waitListening(t, plain, p)
	}

	out := t.TempDir()
	for _, tc := range []struct {
		name, base string
		args       []string
	}{
		{"tftp-hpa", "tftp://" + plainAddr + "/", nil},
		{"tftp-hpa-512", "tftp://" + plainAddr + "/", []string{"-blksize", "0", "-tsize=false"}},
		{"busybox-httpd", "http://" + plainAddr + "/", nil},
		{"bootyard", "tftp://" + bootyardAddr + "/", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name, want := range sums {
				dst := filepath.Join(out, tc.name+"-"+filepath.Base(name))
				args := append([]string{"-get", tc.base + name, "-o", dst}, tc.args...)
				o, ok := doctorRun(t, cli, args...)
				if !ok {
					t.Errorf("%s: doctor failed", name)
					continue
				}
				if got := fileSum(t, dst); got != want {
					t.Errorf("%s: written file sha256 %q, want %q", name, got, want)
				}
				wantLines(t, o, "sha256 "+want)
			}
			dst := filepath.Join(out, tc.name+"-missing")
			o, ok := doctorRun(t, cli, "-get", tc.base+"missing", "-o", dst)
			if ok {
				t.Error("a missing file: doctor exited 0")
			}
			wantLines(t, o, "file not found")
			if _, err := os.Stat(dst); err == nil {
				t.Error("a missing file left an output file behind")
			}
		})
	}
}

// startTFTPOnly runs bootyard serve as a TFTP server only.
func startTFTPOnly(t *testing.T, srv *netlab.Host, root string) *netlab.Proc {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "bootyard.yaml")
	yaml := fmt.Sprintf("interface: eth0\ndhcp: {mode: off}\ntftp: {root: %s}\n"+
		"boot: {bios: \"\", uefi-x64: \"\", uefi-arm64: \"\", ipxe: \"\", uboot-arm: \"\", uboot-arm64: \"\", rpi: \"\"}\n", root)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p := srv.Start(t, bootyardBinary(t), "serve", "-config", cfg)
	if err := p.WaitFor(30*time.Second, "bootyard serving"); err != nil {
		t.Fatalf("bootyard did not start: %v", err)
	}
	return p
}

// waitListening waits until a socket listens on proto:port in h ("udp:69").
func waitListening(t *testing.T, h *netlab.Host, what string) {
	t.Helper()
	proto, port, _ := strings.Cut(what, ":")
	flag := map[string]string{"udp": "-uln", "tcp": "-tln"}[proto]
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := h.Run(t, 5*time.Second, "ss", flag)
		if err == nil && strings.Contains(out, ":"+port+" ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s in %s:\n%s", what, h.Name, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
