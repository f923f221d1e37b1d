package dhcp_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
	"github.com/bootyard/bootyard/inventory"
)

// pxeVendor makes the test clients look like BIOS PXE firmware, so that they
// get the BIOS boot file and next-server like a booting board would.
const pxeVendor = "PXEClient:Arch:00000:UNDI:002001"

// TestLabDhclient: ISC dhclient gets its reserved address on one host and a
// pool address on another, each with router, DNS, next-server and boot file,
// and renews by unicast (ciaddr set) at T1 and is ACKed.
func TestLabDhclient(t *testing.T) {
	netlab.Require(t, "dhclient")
	lab := netlab.New(t)
	srvH := lab.Host("srv", "198.51.100.2/24")
	res := lab.Host("res")
	dyn := lab.Host("dyn")
	// A short lease makes dhclient renew within the test (T1 = half of it).
	snap := labSnap(func(s *inventory.Snapshot) { s.DHCP.LeaseTime = 8 * time.Second },
		host("res", res.MAC(), "198.51.100.20"))
	run := serveIn(t, srvH, snap, filepath.Join(t.TempDir(), "leases"))

	for _, c := range []struct {
		name   string
		h      *netlab.Host
		wantIP string
	}{{"reserved", res, "198.51.100.20"}, {"pool", dyn, ""}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			script, log := clientScript(t, dir)
			conf := filepath.Join(dir, "dhclient.conf")
			// Our own config file: never the system's /etc/dhcp one.
			err := os.WriteFile(conf, []byte(`send vendor-class-identifier "`+pxeVendor+`";
request subnet-mask, routers, domain-name-servers, broadcast-address;
`), 0o644)
			if err != nil {
				t.Fatal(err)
			}
			c.h.Start(t, "dhclient", "-d", "-v", "-4", "-cf", conf, "-sf", script,
				"-pf", filepath.Join(dir, "dhclient.pid"), "-lf", filepath.Join(dir, "dhclient.leases"), "eth0")
			ev, n := waitEvent(t, log, 0, "BOUND")
			ip := ev["new_ip_address"]
			wantAddress(t, "dhclient", ip, c.wantIP)
			wantEnv(t, ev, map[string]string{
				"new_routers":                "198.51.100.1",
				"new_domain_name_servers":    "198.51.100.53",
				"new_subnet_mask":            "255.255.255.0",
				"new_filename":               "pxelinux.0",
				"new_next_server":            "198.51.100.2",
				"new_dhcp_server_identifier": "198.51.100.2",
			})
			// Renewal: dhclient unicasts a REQUEST with ciaddr = its address
			// to the server at T1; the server ACKs it straight back.
			ren, _ := waitEvent(t, log, n, "RENEW")
			if ren["new_ip_address"] != ip {
				t.Fatalf("renewal changed the address from %s to %s", ip, ren["new_ip_address"])
			}
			if !run.waitLog(t, "dest="+ip+":68") {
				t.Fatalf("no unicast ACK to %s:68 in the server log", ip)
			}
			leases, err := os.ReadFile(filepath.Join(dir, "dhclient.leases"))
			if err != nil || !strings.Contains(string(leases), `filename "pxelinux.0"`) {
				t.Fatalf("dhclient lease file lacks the boot file (%v):\n%s", err, leases)
			}
		})
	}
}

// TestLabUdhcpc: busybox udhcpc gets its reserved address and a pool address
// with next-server (siaddr) and boot file, and renews on SIGUSR1.
func TestLabUdhcpc(t *testing.T) {
	netlab.Require(t, "udhcpc")
	lab := netlab.New(t)
	srvH := lab.Host("srv", "198.51.100.2/24")
	res := lab.Host("res")
	dyn := lab.Host("dyn")
	run := serveIn(t, srvH, labSnap(nil, host("res", res.MAC(), "198.51.100.21")), filepath.Join(t.TempDir(), "leases"))

	for _, c := range []struct {
		name   string
		h      *netlab.Host
		wantIP string
	}{{"reserved", res, "198.51.100.21"}, {"pool", dyn, ""}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			script, log := clientScript(t, dir)
			p := c.h.Start(t, "udhcpc", "-f", "-i", "eth0", "-s", script, "-V", pxeVendor,
				"-p", filepath.Join(dir, "udhcpc.pid"), "-t", "10", "-T", "1", "-A", "1")
			ev, n := waitEvent(t, log, 0, "bound")
			ip := ev["ip"]
			wantAddress(t, "udhcpc", ip, c.wantIP)
			wantEnv(t, ev, map[string]string{
				"router":    "198.51.100.1",
				"dns":       "198.51.100.53",
				"subnet":    "255.255.255.0",
				"siaddr":    "198.51.100.2",
				"boot_file": "pxelinux.0",
				"serverid":  "198.51.100.2",
			})
			// SIGUSR1 makes udhcpc renew now: a unicast REQUEST from its
			// address, ACKed to it.
			if _, err := c.h.Run(t, 5*time.Second, "kill", "-USR1", strconv.Itoa(p.Pid())); err != nil {
				t.Fatal(err)
			}
			ren, _ := waitEvent(t, log, n, "renew")
			if ren["ip"] != ip {
				t.Fatalf("renewal changed the address from %s to %s", ip, ren["ip"])
			}
			if !run.waitLog(t, "dest="+ip+":68") {
				t.Fatalf("no unicast ACK to %s:68 in the server log", ip)
			}
		})
	}
}
