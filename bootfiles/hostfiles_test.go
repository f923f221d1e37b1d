package bootfiles

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/inventory"
)

// installInventory loads a config (written beside copies of the example
// templates in docs/installs) with a Debian and an Ubuntu install profile
// and four hosts.
func installInventory(t *testing.T) (*FS, *inventory.Snapshot) {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "tftp")
	for _, f := range []string{"debian/linux", "debian/initrd.gz", "ubuntu/vmlinuz"} {
		writeFile(t, root, f, "x")
	}
	for _, name := range []string{"debian.preseed", "ubuntu-user-data", "ubuntu-meta-data"} {
		b, err := os.ReadFile(filepath.Join("..", "docs", "installs", name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, name, string(b))
	}
	cfg := `
interface: eth0
dhcp:
  subnet: 198.51.100.0/24
  server_ip: 198.51.100.2
  router: 198.51.100.1
  domain: lab.example
  pool: 198.51.100.100-198.51.100.199
  default_profile: debian
tftp: {root: tftp}
http: {enabled: true, port: 8080}
profiles:
  debian:
    kernel: debian/linux
    initrd: debian/initrd.gz
    cmdline: "auto=true priority=critical url={files}/preseed.cfg"
    files: {preseed.cfg: debian.preseed}
    vars: {mirror: deb.example, user: admin, password_hash: "$6$x$y", disk: /dev/sda}
  ubuntu:
    kernel: ubuntu/vmlinuz
    cmdline: "autoinstall ds=nocloud-net;s={files}/"
    files: {user-data: ubuntu-user-data, meta-data: ubuntu-meta-data}
    vars: {user: admin, password_hash: "$6$x$y", disk: /dev/sda}
hosts:
  - {name: node-1, mac: 52:54:00:00:00:01, ip: 198.51.100.11, profile: debian}
  - {name: node-2, mac: 52:54:00:00:00:02, ip: 198.51.100.12, profile: debian}
  - {name: node-3, mac: 52:54:00:00:00:03, ip: 198.51.100.13, profile: debian, vars: {disk: /dev/vda}}
  - {name: node-4, mac: 52:54:00:00:00:04, ip: 198.51.100.14, profile: ubuntu}
`
	path := filepath.Join(dir, "bootyard.yaml")
	writeFile(t, dir, "bootyard.yaml", cfg)
	snap, err := inventory.Load(path, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := New(func() *inventory.Snapshot { return snap }, nil, nil, ServerIP(snap.DHCP.ServerIP))
	t.Cleanup(func() { f.Close() })
	return f, snap
}

// TestAnswerFilesDifferInHostFieldsOnly: the preseed of two hosts of one
// profile is the same file but for the host's own fields (and vars): with
// one host's values swapped for the other's, the bytes are equal.
func TestAnswerFilesDifferInHostFieldsOnly(t *testing.T) {
	f, _ := installInventory(t)
	fields := func(n int) []string {
		d := "0" + string(rune('0'+n))
		return []string{"node-" + d[1:], "52:54:00:00:00:" + d, "198.51.100.1" + d[1:]}
	}
	tests := []struct {
		a, b    int
		file    string
		extra   [][2]string // other values that differ: the host's own vars
		changed int         // lines that differ
	}{
		{1, 2, "preseed.cfg", nil, 5},
		{2, 1, "preseed.cfg", nil, 5},
		{1, 3, "preseed.cfg", [][2]string{{"/dev/sda", "/dev/vda"}}, 7},
	}
	for _, tc := range tests {
		name := func(n int) string { return "hosts/" + fields(n)[0] + "/" + tc.file }
		a, err := read(t, f, netip.MustParseAddr("198.51.100.11"), name(tc.a))
		if err != nil {
			t.Fatal(err)
		}
		b, err := read(t, f, netip.MustParseAddr("198.51.100.11"), name(tc.b))
		if err != nil {
			t.Fatal(err)
		}
		if got := changedLines(string(a), string(b)); got != tc.changed {
			t.Errorf("%s vs %s: %d lines differ, want %d:\n%s\n---\n%s", name(tc.a), name(tc.b), got, tc.changed, a, b)
		}
		swapped := string(a)
		for i, v := range fields(tc.a) {
			swapped = strings.ReplaceAll(swapped, v, fields(tc.b)[i])
		}
		for _, e := range tc.extra {
			swapped = strings.ReplaceAll(swapped, e[0], e[1])
		}
		if swapped != string(b) {
			t.Errorf("%s with %s's host fields is not %s:\n%s\n---\n%s", name(tc.a), name(tc.b), name(tc.b), swapped, b)
		}
	}
}

func changedLines(a, b string) int {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	n := 0
	for i := range max(len(la), len(lb)) {
		if i >= len(la) || i >= len(lb) || la[i] != lb[i] {
			n++
		}
	}
	return n
}

// TestAnswerFilesServed: the rendered files are served under hosts/<host>/
// to any client, are what Render (explain) lists, and fill the generated
// boot files' {files}; other names fall through to the root.
func TestAnswerFilesServed(t *testing.T) {
	f, snap := installInventory(t)
	anyone := netip.MustParseAddr("198.51.100.150")
	b, err := read(t, f, anyone, "/hosts/node-1/preseed.cfg")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"d-i netcfg/get_hostname string node-1\n",
		"d-i netcfg/get_domain string lab.example\n",
		"d-i mirror/http/hostname string deb.example\n",
		"d-i partman-auto/disk string /dev/sda\n",
		"d-i preseed/late_command string wget -q -O /dev/null 'http://198.51.100.2:8080/_bootyard/callback/node-1/none' || true\n",
		"Served at http://198.51.100.2:8080/hosts/node-1/preseed.cfg.",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("preseed lacks %q:\n%s", want, b)
		}
	}
	h, _ := snap.HostByName("node-4")
	files, err := Render(snap, h, snap.DHCP.ServerIP)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, g := range files {
		if strings.HasPrefix(g.Name, "hosts/") {
			listed = append(listed, g.Name)
			served, err := read(t, f, anyone, g.Name)
			if err != nil || string(served) != string(g.Content) {
				t.Errorf("%s: served %q (%v), explain shows %q", g.Name, served, err, g.Content)
			}
		}
		if g.Name == "pxelinux.cfg/01-52-54-00-00-00-04" && !strings.Contains(string(g.Content), "ds=nocloud-net;s=http://198.51.100.2:8080/hosts/node-4/") {
			t.Errorf("{files} not filled in the pxelinux config:\n%s", g.Content)
		}
	}
	if strings.Join(listed, " ") != "hosts/node-4/meta-data hosts/node-4/user-data" {
		t.Errorf("explain lists %v", listed)
	}
	meta, _ := read(t, f, anyone, "hosts/node-4/meta-data")
	if string(meta) != "instance-id: node-4\nlocal-hostname: node-4\n" {
		t.Errorf("meta-data = %q", meta)
	}
	// A machine not in the inventory, served by dhcp.default_profile.
	unk, err := read(t, f, anyone, "hosts/unknown-5254000000aa/preseed.cfg")
	if err != nil || !strings.Contains(string(unk), "get_hostname string unknown-5254000000aa\n") {
		t.Errorf("stand-in's preseed: %v\n%s", err, unk)
	}
	for _, name := range []string{"hosts/node-1/user-data", "hosts/nobody/preseed.cfg", "hosts/node-1", "hosts/node-1/preseed.cfg/x", "hosts/unknown-525400000001/preseed.cfg"} {
		if _, err := read(t, f, anyone, name); !isNotExist(err) {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
}
