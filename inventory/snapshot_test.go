package inventory

import (
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func TestDecodeEveryKey(t *testing.T) {
	src := `interface: br-lab
dhcp:
  mode: authoritative
  server_ip: 198.51.100.2
  subnet: 198.51.100.7/24
  router: 198.51.100.1
  dns: 198.51.100.1
  domain: lab.example.net
  lease_time: 12h
  pool: 198.51.100.100 - 198.51.100.199
  lease_file: state/leases
  proxy_unknown: true
  conflict_probe: false
  relayed:
    - subnet: 203.0.113.0/24
      router: 203.0.113.1
      dns: [203.0.113.1, 203.0.113.2]
      pool: 203.0.113.10-203.0.113.19
  options: {42: 198.51.100.1}
  limits: {per_client_rate: 0.5, per_client_burst: 0, new_client_rate: 100, new_client_burst: 7}
tftp:
  enabled: true
  root: /srv/tftp/
  max_block_size: 1428
  max_window: 8
  timeout: 1500ms
  retries: 3
  max_transfers: 0
  max_per_client: 2
  transfer_timeout: 0s
  single_port: true
  uploads: {dir: uploads, max_bytes: 2MiB}
boot:
  bios: undionly.kpxe
  uefi-x64: ""
profiles:
  p:
    kernel: k
    initrd: i
    cmdline: c
    bootfile: b
    pxelinux: {config_file: pxelinux.cfg/p, path_prefix: /p/, reboot_time: 1m}
    options: {12: x}
hosts:
  - name: h1
    mac: 52-54-00-AB-CD-EF
    ip: 203.0.113.5
    profile: p
    bootfile: hb
    cmdline: hc
    options: {13: {uint16: 9}}
    rpi_serial: DEADBEEF
  - {name: h2, mac: 5254.0000.0002}
`
	snap, err := Parse("/etc/bootyard/bootyard.yaml", []byte(src), Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	wantDHCP := DHCP{
		Mode: ModeAuthoritative, ServerIP: a("198.51.100.2"), Subnet: netip.MustParsePrefix("198.51.100.0/24"),
		Router: a("198.51.100.1"), DNS: []netip.Addr{a("198.51.100.1")}, Domain: "lab.example.net",
		LeaseTime: 12 * time.Hour, Pool: &Range{a("198.51.100.100"), a("198.51.100.199")},
		LeaseFile: "/etc/bootyard/state/leases", ProxyUnknown: true,
		Relayed: []Relayed{{
			Subnet: netip.MustParsePrefix("203.0.113.0/24"), Router: a("203.0.113.1"),
			DNS: []netip.Addr{a("203.0.113.1"), a("203.0.113.2")}, Pool: &Range{a("203.0.113.10"), a("203.0.113.19")}, Line: 15,
		}},
		Options:       []DHCPOption{{Code: 42, Value: []byte{198, 51, 100, 1}, Line: 19}},
		Limits:        DHCPLimits{PerClientRate: 0.5, PerClientBurst: 0, NewClientRate: 100, NewClientBurst: 7},
		ConflictProbe: false,
	}
	wantTFTP := TFTP{
		Enabled: true, Root: "/srv/tftp", MaxBlockSize: 1428, MaxWindow: 8, Timeout: 1500 * time.Millisecond, Retries: 3,
		MaxTransfers: 0, MaxPerClient: 2, TransferTimeout: 0, SinglePort: true,
		Uploads: &Uploads{Dir: "/etc/bootyard/uploads", MaxBytes: 2 << 20},
	}
	wantBoot := DefaultBoot()
	wantBoot["bios"] = "undionly.kpxe"
	delete(wantBoot, "uefi-x64")
	wantProfile := &Profile{
		Name: "p", Kernel: "k", Initrd: "i", Cmdline: "c", BootFile: "b",
		PXELinux: PXELinux{ConfigFile: "pxelinux.cfg/p", PathPrefix: "/p/", RebootTime: time.Minute},
		Options:  []DHCPOption{{Code: 12, Value: []byte("x"), Line: 43}}, Line: 37,
	}
	wantHosts := []*Host{
		{Name: "h1", MAC: mustMAC("52:54:00:ab:cd:ef"), IP: a("203.0.113.5"), Profile: wantProfile, BootFile: "hb",
			Cmdline: "hc", Options: []DHCPOption{{Code: 13, Value: []byte{0, 9}, Line: 51}}, RPiSerial: "deadbeef", Line: 45},
		{Name: "h2", MAC: mustMAC("52:54:00:00:00:02"), Line: 53},
	}
	cmpAddr := cmp.Comparer(func(x, y netip.Addr) bool { return x == y })
	cmpPrefix := cmp.Comparer(func(x, y netip.Prefix) bool { return x == y })
	for _, c := range []struct {
		what      string
		want, got any
	}{
		{"interface", "br-lab", snap.Interface},
		{"dhcp", wantDHCP, snap.DHCP},
		{"tftp", wantTFTP, snap.TFTP},
		{"boot", wantBoot, snap.Boot},
		{"profiles", map[string]*Profile{"p": wantProfile}, snap.Profiles()},
		{"hosts", wantHosts, snap.Hosts()},
	} {
		if diff := cmp.Diff(c.want, c.got, cmpAddr, cmpPrefix); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.what, diff)
		}
	}
	if h, ok := snap.HostByMAC(mustMAC("52:54:00:AB:CD:EF")); !ok || h.Name != "h1" {
		t.Errorf("HostByMAC = %v, %v", h, ok)
	}
	if h, ok := snap.HostByIP(a("203.0.113.5")); !ok || h.Name != "h1" {
		t.Errorf("HostByIP = %v, %v", h, ok)
	}
	if !snap.Reserved(a("203.0.113.5")) || snap.Reserved(a("203.0.113.6")) {
		t.Error("Reserved is wrong")
	}
	if got := snap.PoolSize(); got != 110 {
		t.Errorf("PoolSize = %d, want 110", got)
	}
}

func TestDefaults(t *testing.T) {
	snap, err := Parse("", []byte("interface: eth0\ndhcp: {subnet: 198.51.100.0/24}\ntftp: {root: srv}\n"), Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	want := Snapshot{
		Interface: "eth0",
		DHCP: DHCP{
			Mode: ModeAuthoritative, Subnet: netip.MustParsePrefix("198.51.100.0/24"), LeaseTime: time.Hour,
			LeaseFile: "/var/lib/bootyard/leases", Limits: DefaultLimits(), ConflictProbe: true,
		},
		TFTP: TFTP{
			Enabled: true, Root: "srv", MaxBlockSize: 1468, MaxWindow: 16, Timeout: time.Second, Retries: 5,
			MaxTransfers: 256, MaxPerClient: 8, TransferTimeout: 10 * time.Minute,
		},
		Boot: DefaultBoot(),
	}
	got := Snapshot{Path: snap.Path, Interface: snap.Interface, DHCP: snap.DHCP, TFTP: snap.TFTP, Boot: snap.Boot, Warnings: snap.Warnings}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Snapshot{}), cmp.Comparer(func(x, y netip.Prefix) bool { return x == y }), cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if l := DefaultLimits(); l.PerClientRate == 0 || l.PerClientBurst == 0 || l.NewClientRate == 0 || l.NewClientBurst == 0 {
		t.Errorf("a default limit is 0 (off): %+v", l)
	}
}

func TestThreeMistakesAllReported(t *testing.T) {
	src := `interface: eth0
dhcp:
  subnet: 198.51.100.0/24
  lease_time: forever
tftp: {enabled: false}
profiles:
  deb: {kernel: linux}
hosts:
  - {name: a, mac: 52:54:00:00:00:01, ip: 198.51.100.10, profile: deb}
  - {name: b, mac: 52:54:00:00:00:0g, profile: deb}
  - {name: c, mac: 52:54:00:00:00:03, ip: 198.51.100.10, profile: deb}
`
	_, err := Parse("three.yaml", []byte(src), Options{})
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, p := range errs {
		got = append(got, p.String())
	}
	want := []string{
		`three.yaml:4: dhcp.lease_time: "forever" is not a duration (e.g. 30s, 10m, 1h)`,
		`three.yaml:10: hosts[1].mac: "52:54:00:00:00:0g" is not a MAC address (e.g. 52:54:00:12:34:56)`,
		`three.yaml:11: hosts[2].ip: duplicate IP 198.51.100.10: also reserved by hosts[0] on line 9`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if msg := err.Error(); msg != want[0]+"\n"+want[1]+"\n"+want[2] {
		t.Errorf("Error() = %q", msg)
	}
}

func TestRelativePathsFollowTheConfigFile(t *testing.T) {
	dir := t.TempDir()
	snap, err := Parse(filepath.Join(dir, "sub", "b.yaml"), []byte("interface: eth0\ndhcp: {mode: off, lease_file: ../l}\ntftp: {root: ./t, uploads: {dir: u}}\n"), Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{snap.TFTP.Root, snap.DHCP.LeaseFile, snap.TFTP.Uploads.Dir}
	want := []string{filepath.Join(dir, "sub", "t"), filepath.Join(dir, "l"), filepath.Join(dir, "sub", "u")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

func TestStoreSwap(t *testing.T) {
	a := New(Snapshot{Interface: "a"}, nil, nil)
	b := New(Snapshot{Interface: "b"}, nil, nil)
	st := NewStore(a)
	if st.Current() != a {
		t.Fatal("Current is not the first snapshot")
	}
	if old := st.Swap(b); old != a || st.Current() != b {
		t.Fatal("Swap did not replace the snapshot")
	}
}
