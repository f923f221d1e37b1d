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
	"github.com/bootyard/bootyard/internal/neigh"
	"github.com/bootyard/bootyard/inventory"
)

// TestClientHosts: the TFTP side finds a client's host by reservation, by
// pool lease, or (proxy mode, where neither knows the address) by the MAC
// the kernel's neighbour table holds for it.
func TestClientHosts(t *testing.T) {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	hosts := []*inventory.Host{
		{Name: "reserved", MAC: mac("52:54:00:00:00:01"), IP: netip.MustParseAddr("198.51.100.10")},
		{Name: "pooled", MAC: mac("52:54:00:00:00:02")},
		{Name: "proxied", MAC: mac("52:54:00:00:00:03")},
	}
	store := inventory.NewStore(inventory.New(inventory.Snapshot{}, nil, hosts))
	ls, err := leases.Open("", leases.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	if err := ls.Commit(leases.Change{Op: leases.OpBind, MAC: hosts[1].MAC, IP: netip.MustParseAddr("198.51.100.101"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	arp := filepath.Join(t.TempDir(), "arp")
	if err := os.WriteFile(arp, []byte("IP address       HW type     Flags       HW address            Mask     Device\n"+
		"198.51.100.157   0x1         0x2         52:54:00:00:00:03     *        eth0\n"+
		"198.51.100.158   0x1         0x2         52:54:00:00:00:99     *        eth0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := clientHosts{store: store, leases: ls, neigh: neigh.Table{Path: arp, Device: "eth0"}}
	for ip, want := range map[string]string{
		"198.51.100.10":  "reserved",
		"198.51.100.101": "pooled",
		"198.51.100.157": "proxied",
		"198.51.100.158": "", // a neighbour that is not in the inventory
		"198.51.100.200": "",
	} {
		h, ok := c.HostByIP(netip.MustParseAddr(ip))
		got := ""
		if ok {
			got = h.Name
		}
		if got != want {
			t.Errorf("HostByIP(%s) = %q, want %q", ip, got, want)
		}
	}
}

// TestServerAddress: the one rule for the boot server's address: an
// override (explain's -server-ip) first, then dhcp.server_ip, then the
// interface's first IPv4 address; an interface without one is an error
// that says what to do.
func TestServerAddress(t *testing.T) {
	configured := netip.MustParseAddr("198.51.100.2")
	override := netip.MustParseAddr("203.0.113.9")
	withIP := inventory.New(inventory.Snapshot{Interface: "lo", DHCP: inventory.DHCP{ServerIP: configured}}, nil, nil)
	fromIface := inventory.New(inventory.Snapshot{Interface: "lo"}, nil, nil)
	noIface := inventory.New(inventory.Snapshot{Interface: "by-no-such-if0"}, nil, nil)
	for _, tc := range []struct {
		name     string
		snap     *inventory.Snapshot
		override netip.Addr
		want     netip.Addr
	}{
		{"override wins", withIP, override, override},
		{"configured", withIP, netip.Addr{}, configured},
		{"interface", fromIface, netip.Addr{}, netip.MustParseAddr("127.0.0.1")},
	} {
		got, err := serverAddress(tc.snap, tc.override)
		if err != nil || got != tc.want {
			t.Errorf("%s: serverAddress = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := serverAddress(noIface, netip.Addr{}); err == nil || !strings.Contains(err.Error(), "by-no-such-if0") {
		t.Errorf("missing interface: err %v, want one naming it", err)
	}
}
