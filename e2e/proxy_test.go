package e2e

import (
	"path/filepath"
	"testing"
)

// TestProxyDHCP puts bootyard next to another DHCP server that hands out
// addresses only (dnsmasq, no boot options, like a home router): bootyard in
// proxy mode adds the boot options, and a BIOS and a UEFI machine still boot
// their per-host configs (UEFI through iPXE, see below). The hosts have no
// reserved address in bootyard's inventory: the router decides addresses,
// bootyard knows them by MAC.
func TestProxyDHCP(t *testing.T) {
	b := newBootLab(t, "dnsmasq")
	b.startRouter(t)

	bios := machine{name: "px1", mac: "52:54:00:90:00:01", fw: fwBIOS}
	uefi := machine{name: "px2", mac: "52:54:00:90:00:02", fw: fwUEFI}
	tb, tu := token(t, "px1"), token(t, "px2")
	// GRUB 2.06 (Debian) cannot boot from proxyDHCP: its efinet driver takes
	// the TFTP server from the address server's ACK (siaddr; dnsmasq puts its
	// own address there) and never looks at the firmware's proxy offer, so it
	// asks the router for its config and hangs. UEFI machines chainload iPXE
	// instead, which does its own proxyDHCP. iPXE then asks for the plain
	// boot.ipxe: bootyard has no lease for the address the router gave, and
	// finds the host through the kernel's neighbour table.
	boot := x86Boot()
	boot["uefi-x64"] = "ipxe.efi"
	boot["ipxe"] = "boot.ipxe"
	cfg := labConfig{
		mode:     "proxy",
		boot:     boot,
		profiles: map[string]string{"marker": "vmlinuz"},
		hosts: []labHost{
			{name: "px1", mac: bios.mac, profile: "marker", token: tb, bootfile: "pxelinux.0"},
			{name: "px2", mac: uefi.mac, profile: "marker", token: tu},
		},
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	qb := b.boot(t, bios)
	qb.waitMarker(t, tb)
	qu := b.boot(t, uefi)
	qu.waitMarker(t, tu)
	requireTransferred(t, srv, "pxelinux.0", pxelinuxName(bios.mac), "ipxe.efi", "boot.ipxe")
}

// startRouter runs dnsmasq at 198.51.100.3 handing out addresses only (no
// boot options), like a home router, for the proxyDHCP tests.
func (b *bootLab) startRouter(t *testing.T) {
	t.Helper()
	router := b.lab.Host("router", "198.51.100.3/24")
	router.Start(t, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
		"--interface=eth0", "--bind-interfaces", "--log-dhcp",
		"--dhcp-range=198.51.100.150,198.51.100.199,255.255.255.0,1h",
		"--dhcp-leasefile="+filepath.Join(b.dir, "router.leases"),
		"--pid-file="+filepath.Join(b.dir, "router.pid"))
}
