package bootfiles

import (
	"errors"
	"flag"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var (
	serverIP = netip.MustParseAddr("198.51.100.2")
	node1IP  = netip.MustParseAddr("198.51.100.10") // C633640A
	bareIP   = netip.MustParseAddr("198.51.100.11")
	piIP     = netip.MustParseAddr("198.51.100.12")
	oddIP    = netip.MustParseAddr("198.51.100.13")
	poolIP   = netip.MustParseAddr("198.51.100.200")
	strayIP  = netip.MustParseAddr("198.51.100.99") // no host, no lease
)

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// testInventory is the inventory the tests share: one host of each shape a
// generated file depends on.
func testInventory(root string) *inventory.Snapshot {
	debian := &inventory.Profile{
		Name:    "debian",
		Kernel:  "debian/linux",
		Initrd:  "debian/initrd.gz",
		Cmdline: "console=ttyS0 quiet",
	}
	noinitrd := &inventory.Profile{Name: "tiny", Kernel: "/tiny/Image"}
	hosts := []*inventory.Host{
		{Name: "node1", MAC: mustMAC("52:54:00:12:34:56"), IP: node1IP, Profile: debian, Cmdline: "hostname=node1"},
		{Name: "pooled", MAC: mustMAC("52:54:00:aa:bb:cc"), Profile: debian},
		{Name: "bare", MAC: mustMAC("52:54:00:00:00:01"), IP: bareIP},
		{Name: "pi4", MAC: mustMAC("dc:a6:32:01:36:c2"), IP: piIP, RPiSerial: "1a2b3c4d"},
		{Name: "odd", MAC: mustMAC("52:54:00:00:00:0d"), IP: oddIP, Profile: noinitrd,
			Cmdline: "x=$y;reboot {a} b='c d' \"e\" dyndbg=\"file x +p\"\nAPPEND injected\r\n  LABEL evil"},
	}
	return inventory.New(inventory.Snapshot{
		DHCP: inventory.DHCP{ServerIP: serverIP},
		TFTP: inventory.TFTP{Enabled: true, Root: root},
		Boot: map[firmware.Class]string{firmware.IPXE: "boot.ipxe", firmware.BIOS: "undionly.kpxe"},
	}, []*inventory.Profile{debian, noinitrd}, hosts)
}

// leases stands in for cmd's Hosts: inventory reservations, then DHCP
// leases (IP -> MAC -> inventory host).
type leases struct {
	snap   *inventory.Snapshot
	leased map[netip.Addr]net.HardwareAddr
}

func (l leases) HostByIP(ip netip.Addr) (*inventory.Host, bool) {
	if h, ok := l.snap.HostByIP(ip); ok {
		return h, true
	}
	if mac, ok := l.leased[ip]; ok {
		return l.snap.HostByMAC(mac)
	}
	return nil, false
}

// newTestFS returns an FS over a fresh TFTP root and that root.
func newTestFS(t *testing.T) (*FS, string) {
	t.Helper()
	root := t.TempDir()
	snap := testInventory(root)
	hosts := leases{snap: snap, leased: map[netip.Addr]net.HardwareAddr{poolIP: mustMAC("52:54:00:aa:bb:cc")}}
	f := New(func() *inventory.Snapshot { return snap }, hosts, nil, ServerIP(snap.DHCP.ServerIP))
	t.Cleanup(func() { f.Close() })
	return f, root
}

func writeFile(t *testing.T, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// read opens name as client and returns the bytes, checking that the size
// Open reported matches them.
func read(t *testing.T, f *FS, client netip.Addr, name string) ([]byte, error) {
	t.Helper()
	rc, size, err := resolve(f, client, name)
	if err != nil {
		if rc != nil {
			t.Errorf("Open(%s, %q) returned a reader with error %v", client, name, err)
		}
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %q: %v", name, err)
	}
	if size != int64(len(b)) {
		t.Errorf("Open(%s, %q): size %d, read %d bytes", client, name, size, len(b))
	}
	return b, nil
}

// golden compares got with testdata/<file>, rewriting it under -update.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from golden:\n--- got\n%s\n--- want\n%s", file, got, want)
	}
}

func isNotExist(err error) bool   { return errors.Is(err, fs.ErrNotExist) }
func isPermission(err error) bool { return errors.Is(err, fs.ErrPermission) }

// resolve asks f for name as a client at addr would over TFTP (address
// only), in the (reader, size, error) shape the tests read.
func resolve(f *FS, addr netip.Addr, name string) (io.ReadCloser, int64, error) {
	c, err := f.Resolve(served.Client{Addr: addr}, name)
	if err != nil {
		return nil, 0, err
	}
	return c.Body, c.Size, nil
}
