package main

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
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
