package main

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
)

// explainConfig writes a small config with one reserved host and a pool.
func explainConfig(t *testing.T) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	root := filepath.Join(dir, "root")
	for _, f := range []string{"debian/linux", "debian/initrd.gz", "pxelinux.0", "ipxe.efi"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config := `interface: eth0
dhcp:
  mode: authoritative
  server_ip: 198.51.100.2
  subnet: 198.51.100.0/24
  router: 198.51.100.1
  pool: 198.51.100.100-198.51.100.110
  lease_file: ` + filepath.Join(dir, "leases") + `
tftp:
  root: ` + root + `
boot:
  bios: pxelinux.0
  uefi-x64: ipxe.efi
  ipxe: boot.ipxe
profiles:
  debian:
    kernel: debian/linux
    initrd: debian/initrd.gz
    cmdline: console=ttyS0 bootyard.token=rock
hosts:
  - name: rock5b-01
    mac: 52:54:00:12:34:56
    ip: 198.51.100.10
    profile: debian
`
	path = filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

func TestExplain(t *testing.T) {
	path, _ := explainConfig(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string // every string must appear in the output
	}{
		{"bios host gets pxelinux and its generated config",
			[]string{"-mac", "52:54:00:12:34:56", "-arch", "0"},
			[]string{"rock5b-01", "198.51.100.10", "pxelinux.0", "pxelinux.cfg/01-52-54-00-12-34-56", "bootyard.token=rock"}},
		{"uefi host gets the uefi-x64 file",
			[]string{"-mac", "52:54:00:12:34:56", "-arch", "7"},
			[]string{"uefi-x64", "ipxe.efi"}},
		{"ipxe never gets ipxe again",
			[]string{"-mac", "52:54:00:12:34:56", "-arch", "7", "-user-class", "iPXE"},
			[]string{"boot.ipxe", "#!ipxe"}},
		{"unknown MAC takes a pool address",
			[]string{"-mac", "52:54:00:aa:bb:cc", "-arch", "0"},
			[]string{"198.51.100.100"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, append([]string{"explain", "-config", path}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestExplainCommitsNothing: explain reads the lease file to show a returning
// client its old address, but never writes it.
func TestExplainCommitsNothing(t *testing.T) {
	path, dir := explainConfig(t)
	leaseFile := filepath.Join(dir, "leases")
	mac, _ := net.ParseMAC("52:54:00:aa:bb:cc")
	ls, err := leases.Open(leaseFile, leases.Options{})
	if err != nil {
		t.Fatal(err)
	}
	old := netip.MustParseAddr("198.51.100.105")
	if err := ls.Commit(leases.Change{Op: leases.OpBind, MAC: mac, IP: old, Expires: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := ls.Close(); err != nil {
		t.Fatal(err)
	}
	before := snapshotFiles(t, dir)

	code, out, errOut := runCmd(t, "explain", "-config", path, "-mac", mac.String())
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, old.String()) {
		t.Errorf("returning client not shown its previous address %s:\n%s", old, out)
	}
	if after := snapshotFiles(t, dir); after != before {
		t.Errorf("explain changed the lease files:\nbefore %s\nafter  %s", before, after)
	}
}

// snapshotFiles describes the lease files' names and contents.
func snapshotFiles(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	matches, _ := filepath.Glob(filepath.Join(dir, "leases*"))
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(filepath.Base(m) + "=" + string(data) + ";")
	}
	return b.String()
}

func TestLeasesLists(t *testing.T) {
	path, dir := explainConfig(t)
	if code, out, _ := runCmd(t, "leases", "-config", path); code != 0 || !strings.Contains(out, "no leases yet") {
		t.Errorf("empty store: exit %d, output %q", code, out)
	}
	ls, err := leases.Open(filepath.Join(dir, "leases"), leases.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	mac1, _ := net.ParseMAC("52:54:00:00:00:01")
	mac2, _ := net.ParseMAC("52:54:00:00:00:02")
	for _, c := range []leases.Change{
		{Op: leases.OpBind, MAC: mac1, IP: netip.MustParseAddr("198.51.100.101"), Expires: now.Add(time.Hour), Hostname: "alpha"},
		{Op: leases.OpBind, MAC: mac2, IP: netip.MustParseAddr("198.51.100.102"), Expires: now.Add(-time.Hour)},
	} {
		if err := ls.Commit(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := ls.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "leases", "-config", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "198.51.100.101") || !strings.Contains(out, "alpha") || !strings.Contains(out, "bound") {
		t.Errorf("current lease missing:\n%s", out)
	}
	if strings.Contains(out, "198.51.100.102") {
		t.Errorf("expired lease listed without -all:\n%s", out)
	}
	_, out, _ = runCmd(t, "leases", "-config", path, "-all")
	if !strings.Contains(out, "198.51.100.102") || !strings.Contains(out, "expired") {
		t.Errorf("-all does not list the expired lease:\n%s", out)
	}
}

// TestExplainShowsTheCurrentLease: a client that moved from one pool address
// to another is explained with the address it holds now, not the old one.
func TestExplainShowsTheCurrentLease(t *testing.T) {
	path, dir := explainConfig(t)
	mac, _ := net.ParseMAC("52:54:00:aa:bb:cd")
	ls, err := leases.Open(filepath.Join(dir, "leases"), leases.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	// Held .109 earlier (expired), holds .101 now: the older lease sorts
	// after the newer by address, the order Read returns them in.
	for _, c := range []leases.Change{
		{Op: leases.OpBind, MAC: mac, IP: netip.MustParseAddr("198.51.100.109"), Expires: now.Add(-time.Hour)},
		{Op: leases.OpBind, MAC: mac, IP: netip.MustParseAddr("198.51.100.101"), Expires: now.Add(time.Hour)},
	} {
		if err := ls.Commit(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := ls.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "explain", "-config", path, "-mac", mac.String())
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "198.51.100.101") {
		t.Errorf("explain does not show the current lease 198.51.100.101:\n%s", out)
	}
}

// TestExplainHTTPBoot: with http.enabled, explain shows the URL a UEFI
// HTTP Boot client gets and the iPXE script's HTTP URLs.
func TestExplainHTTPBoot(t *testing.T) {
	path, _ := explainConfig(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "  ipxe: boot.ipxe\n", "  ipxe: boot.ipxe\n  uefi-http: pxelinux.0\n", 1) + "http: {enabled: true, port: 8080}\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-arch", "16", "-vendor-class", "HTTPClient:Arch:00016:UNDI:003001"},
			[]string{"bootfile: http://198.51.100.2:8080/pxelinux.0"}},
		{[]string{"-arch", "0", "-user-class", "iPXE"},
			[]string{"kernel http://198.51.100.2:8080/debian/linux", "initrd --name initrd http://198.51.100.2:8080/debian/initrd.gz"}},
	} {
		code, out, errOut := runCmd(t, append([]string{"explain", "-config", path, "-mac", "52:54:00:12:34:56"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	}
}
