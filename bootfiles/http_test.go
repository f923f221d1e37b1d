package bootfiles

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// newHTTPTestFS is newTestFS with http.enabled on at port.
func newHTTPTestFS(t *testing.T, port int) (*FS, string) {
	t.Helper()
	root := t.TempDir()
	snap := testInventory(root)
	snap.HTTP = inventory.DefaultHTTP()
	snap.HTTP.Enabled, snap.HTTP.Port = true, port
	hosts := leases{snap: snap, leased: map[netip.Addr]net.HardwareAddr{poolIP: mustMAC("52:54:00:aa:bb:cc")}}
	f := New(func() *inventory.Snapshot { return snap }, hosts, nil, ServerIP(snap.DHCP.ServerIP))
	t.Cleanup(func() { f.Close() })
	return f, root
}

// TestIPXEOverHTTP: with http.enabled the iPXE script names kernel and
// initrd by URL of our HTTP server, so iPXE fetches them over HTTP even
// when the script itself came by TFTP; without it they stay "/"-paths.
func TestIPXEOverHTTP(t *testing.T) {
	for _, tc := range []struct {
		port           int
		kernel, initrd string
	}{
		{80, "kernel http://198.51.100.2/debian/linux initrd=initrd", "initrd --name initrd http://198.51.100.2/debian/initrd.gz"},
		{8080, "kernel http://198.51.100.2:8080/debian/linux initrd=initrd", "initrd --name initrd http://198.51.100.2:8080/debian/initrd.gz"},
	} {
		f, _ := newHTTPTestFS(t, tc.port)
		b, err := read(t, f, node1IP, "boot.ipxe")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.kernel+" ") || !strings.Contains(string(b), tc.initrd+"\n") {
			t.Errorf("port %d: script does not fetch by HTTP URL:\n%s", tc.port, b)
		}
	}
	f, _ := newTestFS(t)
	b, err := read(t, f, node1IP, "boot.ipxe")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "http://") || !strings.Contains(string(b), "kernel /debian/linux") {
		t.Errorf("http off: script should keep root paths:\n%s", b)
	}
	// GRUB's paths resolve against (http,SERVER) by themselves: no URL.
	f, _ = newHTTPTestFS(t, 80)
	g, err := read(t, f, node1IP, "grub/grub.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(g), "linux /debian/linux") {
		t.Errorf("grub.cfg over HTTP:\n%s", g)
	}
}

// TestGRUBDefaultAndProbes: a grub.cfg on disk wins over the generated
// one; GRUB's module list probes get an empty file, never a 404 (30 s
// each over HTTP), unless the file is on disk.
func TestGRUBDefaultAndProbes(t *testing.T) {
	f, root := newTestFS(t)
	writeFile(t, root, "static/grub.cfg", "disk grub\n")
	writeFile(t, root, "grub/x86_64-efi/fs.lst", "ext2\n")
	tests := []struct {
		name, want string
		found      bool
	}{
		{"static/grub.cfg", "disk grub\n", true},
		{"grub/x86_64-efi/fs.lst", "ext2\n", true},
		{"grub/x86_64-efi/command.lst", "", true},
		{"grub/x86_64-efi/crypto.lst", "", true},
		{"grub/x86_64-efi/terminal.lst", "", true},
		{"arm64-efi/command.lst", "", true},
		{"grub/x86_64-efi/other.lst", "", false},
		{"grub/fonts/command.lst", "", false},
		{"grub/x86_64-efi/linux.mod", "", false},
	}
	for _, tc := range tests {
		b, err := read(t, f, strayIP, tc.name)
		switch {
		case !tc.found:
			if !isNotExist(err) {
				t.Errorf("%s: %q, %v; want not found", tc.name, b, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case string(b) != tc.want:
			t.Errorf("%s = %q, want %q", tc.name, b, tc.want)
		}
	}
}

// TestIPXEMenuOverHTTP: every entry of an iPXE menu takes the HTTP URLs.
func TestIPXEMenuOverHTTP(t *testing.T) {
	snap := lifecycleInventory(t, t.TempDir())
	snap.HTTP = inventory.DefaultHTTP()
	snap.HTTP.Enabled = true
	f := New(func() *inventory.Snapshot { return snap }, nil, nil, ServerIP(serverIP))
	t.Cleanup(func() { f.Close() })
	ipxe, err := resolveText(t, f, served.Client{MAC: mustMAC("52:54:00:00:00:0d")}, "boot.ipxe")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"kernel http://198.51.100.2/inst/vmlinuz initrd=initrd auto=true hostname=menu\ninitrd --name initrd http://198.51.100.2/inst/initrd.gz\n",
		"kernel http://198.51.100.2/rescue/vmlinuz hostname=menu\n",
	} {
		if !strings.Contains(ipxe, want) {
			t.Errorf("iPXE menu lacks %q:\n%s", want, ipxe)
		}
	}
}
