// Package neigh looks up the link-layer address the kernel has learned for a
// neighbour on the same segment. bootyard uses it to tie a TFTP request to
// the machine that sent it when neither a reservation nor a lease names the
// client's address: in proxyDHCP mode another server hands out addresses, so
// only the kernel's neighbour table (the client asked for our MAC before it
// sent its request) knows which MAC holds that address.
package neigh

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// Table reads the kernel's IPv4 neighbour table.
type Table struct {
	// Path is the table in /proc/net/arp format; "" means /proc/net/arp
	// (the one of the network namespace the process runs in).
	Path string
	// Device, when set, keeps only entries learned on that interface: the
	// same address may be a different machine on another link (a container
	// bridge, a VPN, another VLAN).
	Device string
}

// completeFlag is ATF_COM: the entry holds a resolved hardware address.
const completeFlag = 0x2

// Lookup returns the MAC of ip, if the kernel has a complete entry for it.
func (t Table) Lookup(ip netip.Addr) (net.HardwareAddr, bool) {
	path := t.Path
	if path == "" {
		path = "/proc/net/arp"
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	return find(f, ip, t.Device)
}

// find scans a /proc/net/arp listing:
//
//	IP address       HW type     Flags       HW address            Mask     Device
//	198.51.100.57    0x1         0x2         52:54:00:12:34:56     *        eth0
func find(r io.Reader, ip netip.Addr, device string) (net.HardwareAddr, bool) {
	want := ip.Unmap().String()
	sc := bufio.NewScanner(r)
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[0] != want || (device != "" && f[5] != device) {
			continue
		}
		flags, err := strconv.ParseUint(f[2], 0, 32)
		if err != nil || flags&completeFlag == 0 {
			continue
		}
		mac, err := net.ParseMAC(f[3])
		if err != nil || isZero(mac) {
			continue
		}
		return mac, true
	}
	return nil, false
}

func isZero(mac net.HardwareAddr) bool {
	for _, b := range mac {
		if b != 0 {
			return false
		}
	}
	return true
}
