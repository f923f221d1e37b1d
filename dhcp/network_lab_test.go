package dhcp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/internal/netlab"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/insomniacslk/dhcp/iana"
)

// TestLabSecondServerRefused: with no SO_REUSEADDR/SO_REUSEPORT a second
// listener on port 67 of the same interface fails with a message that says
// what is going on, while one listener per interface still works.
func TestLabSecondServerRefused(t *testing.T) {
	netlab.Require(t)
	lab := netlab.New(t)
	seg := lab.Segment("other")
	r := lab.Router("r", seg, "198.51.100.1/24", "203.0.113.1/24")
	err := r.Do(func() error {
		first, err := dhcp.Listen("eth0", 67)
		if err != nil {
			return fmt.Errorf("first listener: %w", err)
		}
		defer first.Close()
		second, err := dhcp.Listen("eth1", 67)
		if err != nil {
			return fmt.Errorf("listener on another interface must work: %w", err)
		}
		defer second.Close()
		for _, iface := range []string{"eth0", ""} {
			dup, err := dhcp.Listen(iface, 67)
			if err == nil {
				dup.Close()
				return fmt.Errorf("a second listener on port 67 (iface %q) was allowed", iface)
			}
			if !strings.Contains(err.Error(), "another DHCP server is already listening on port 67") {
				return fmt.Errorf("unclear error for a busy port: %v", err)
			}
		}
		if _, err := dhcp.Listen("nosuch0", 67); err == nil || !strings.Contains(err.Error(), `"nosuch0" does not exist`) {
			return fmt.Errorf("missing interface: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLabProxyDHCPWithDnsmasq: dnsmasq owns the addresses, bootyard in proxy
// mode adds the boot file. A PXE client (built from the library, sending
// options 60, 93 and 97 like BIOS firmware) gets both offers, takes its
// address from dnsmasq and its boot file from bootyard's port 4011.
func TestLabProxyDHCPWithDnsmasq(t *testing.T) {
	netlab.Require(t, "dnsmasq")
	lab := netlab.New(t)
	srvH := lab.Host("srv", "198.51.100.2/24")
	dns := lab.Host("dns", "198.51.100.3/24")
	pxe := lab.Host("pxe")
	dir := t.TempDir()
	dm := dns.Start(t, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--user=root",
		"--interface=eth0", "--bind-interfaces", "--log-dhcp",
		"--dhcp-range=198.51.100.150,198.51.100.199,255.255.255.0,1h",
		"--dhcp-leasefile="+filepath.Join(dir, "dnsmasq.leases"), "--pid-file="+filepath.Join(dir, "dnsmasq.pid"))
	if err := dm.WaitFor(10*time.Second, "DHCP, IP range"); err != nil {
		t.Fatal(err)
	}
	snap := labSnap(func(s *inventory.Snapshot) {
		s.DHCP.Mode = inventory.ModeProxy
		s.DHCP.Pool = nil
		s.DHCP.ProxyUnknown = true
	})
	serveIn(t, srvH, snap, "", 67, 4011)

	guid := append([]byte{0}, make([]byte, 16)...)
	guid[1] = 0x42
	pxeOpts := []dhcpv4.Modifier{
		dhcpv4.WithOption(dhcpv4.OptClassIdentifier(pxeVendor)),
		dhcpv4.WithOption(dhcpv4.OptClientArch(iana.INTEL_X86PC)),
		dhcpv4.WithGeneric(dhcpv4.OptionClientMachineIdentifier, guid),
	}
	var addrOffer, proxyOffer *dhcpv4.DHCPv4
	var ack *dhcpv4.DHCPv4
	mac := pxe.MAC()
	err := pxe.Do(func() error {
		c, err := nclient4.New("eth0", nclient4.WithTimeout(3*time.Second), nclient4.WithRetry(3))
		if err != nil {
			return err
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		disc, err := dhcpv4.NewDiscovery(mac, pxeOpts...)
		if err != nil {
			return err
		}
		// Collect offers until both servers have answered.
		_, err = c.SendAndRead(ctx, nclient4.DefaultServers, disc, func(m *dhcpv4.DHCPv4) bool {
			if m.MessageType() != dhcpv4.MessageTypeOffer {
				return false
			}
			switch {
			case m.ServerIdentifier().Equal(net.ParseIP("198.51.100.3")):
				addrOffer = m
			case m.ServerIdentifier().Equal(net.ParseIP("198.51.100.2")):
				proxyOffer = m
			}
			return addrOffer != nil && proxyOffer != nil
		})
		if err != nil {
			return fmt.Errorf("offers (address %v, proxy %v): %w", addrOffer != nil, proxyOffer != nil, err)
		}
		l, err := c.RequestFromOffer(ctx, addrOffer, pxeOpts...)
		if err != nil {
			return fmt.Errorf("REQUEST to dnsmasq: %w", err)
		}
		ack = l.ACK
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ip, _ := netip.AddrFromSlice(ack.YourIPAddr.To4())
	if !(netip.MustParseAddr("198.51.100.150").Compare(ip) <= 0 && ip.Compare(netip.MustParseAddr("198.51.100.199")) <= 0) {
		t.Fatalf("dnsmasq acknowledged %v, outside its range", ip)
	}
	if !proxyOffer.YourIPAddr.IsUnspecified() {
		t.Errorf("proxy offer carries yiaddr %v; proxyDHCP must not hand out addresses", proxyOffer.YourIPAddr)
	}
	if got := proxyOffer.ClassIdentifier(); got != "PXEClient" {
		t.Errorf("proxy offer option 60 = %q, want PXEClient", got)
	}
	if proxyOffer.BootFileName != "pxelinux.0" || !proxyOffer.ServerIPAddr.Equal(net.ParseIP("198.51.100.2")) {
		t.Errorf("proxy offer boot file %q next-server %v, want pxelinux.0 from 198.51.100.2", proxyOffer.BootFileName, proxyOffer.ServerIPAddr)
	}

	// Now the PXE boot-server exchange: a REQUEST from the new address,
	// port 68, to bootyard's port 4011, answered to that source.
	if out, err := pxe.Run(t, 5*time.Second, "ip", "addr", "add", ip.String()+"/24", "dev", "eth0"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var bootAck *dhcpv4.DHCPv4
	err = pxe.Do(func() error {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: ip.AsSlice(), Port: 68})
		if err != nil {
			return err
		}
		defer conn.Close()
		req, err := dhcpv4.New(dhcpv4.WithHwAddr(mac), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
			dhcpv4.WithClientIP(ip.AsSlice()), pxeOpts[0], pxeOpts[1], pxeOpts[2])
		if err != nil {
			return err
		}
		to := &net.UDPAddr{IP: net.ParseIP("198.51.100.2"), Port: 4011}
		buf := make([]byte, 1500)
		for range 5 {
			if _, err := conn.WriteTo(req.ToBytes(), to); err != nil {
				return err
			}
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, from, err := conn.ReadFrom(buf)
			if errors.Is(err, context.DeadlineExceeded) || (err != nil && strings.Contains(err.Error(), "timeout")) {
				continue
			}
			if err != nil {
				return err
			}
			m, err := dhcpv4.FromBytes(buf[:n])
			if err != nil {
				return err
			}
			if m.TransactionID != req.TransactionID {
				continue
			}
			if from.(*net.UDPAddr).Port != 4011 {
				return fmt.Errorf("boot-server reply came from port %d, want 4011", from.(*net.UDPAddr).Port)
			}
			bootAck = m
			return nil
		}
		return errors.New("no answer from port 4011")
	})
	if err != nil {
		t.Fatal(err)
	}
	if bootAck.MessageType() != dhcpv4.MessageTypeAck || bootAck.BootFileName != "pxelinux.0" {
		t.Fatalf("port 4011 answered %v with boot file %q, want ACK with pxelinux.0", bootAck.MessageType(), bootAck.BootFileName)
	}
}

// TestLabRelayedClient: udhcpc on a second segment behind ISC dhcrelay gets
// an address from the relayed subnet's pool; the server answers the relay by
// unicast to giaddr port 67.
func TestLabRelayedClient(t *testing.T) {
	netlab.Require(t, "dhcrelay", "udhcpc")
	lab := netlab.New(t)
	far := lab.Segment("far")
	srvH := lab.Host("srv", "198.51.100.2/24")
	relay := lab.Router("relay", far, "198.51.100.1/24", "203.0.113.1/24")
	cli := far.Host("cli")
	srvH.Route("203.0.113.0/24", "198.51.100.1")
	snap := labSnap(func(s *inventory.Snapshot) {
		s.DHCP.Relayed = []inventory.Relayed{{
			Subnet: netip.MustParsePrefix("203.0.113.0/24"),
			Router: netip.MustParseAddr("203.0.113.1"),
			DNS:    []netip.Addr{labDNS},
			Pool:   &inventory.Range{Start: netip.MustParseAddr("203.0.113.100"), End: netip.MustParseAddr("203.0.113.149")},
			Line:   1,
		}}
	})
	run := serveIn(t, srvH, snap, filepath.Join(t.TempDir(), "leases"))
	dir := t.TempDir()
	rp := relay.Start(t, "dhcrelay", "-d", "-4", "-pf", filepath.Join(dir, "dhcrelay.pid"), "-iu", "eth0", "-id", "eth1", "198.51.100.2")
	if err := rp.WaitFor(10*time.Second, "Sending on"); err != nil {
		t.Fatal(err)
	}
	script, log := clientScript(t, dir)
	cli.Start(t, "udhcpc", "-f", "-i", "eth0", "-s", script, "-V", pxeVendor, "-t", "20", "-T", "1", "-A", "1")
	ev, _ := waitEvent(t, log, 0, "bound")
	ip, err := netip.ParseAddr(ev["ip"])
	if err != nil || !netip.MustParsePrefix("203.0.113.0/24").Contains(ip) || ip.As4()[3] < 100 || ip.As4()[3] > 149 {
		t.Fatalf("relayed client got %q, want an address of the relayed pool 203.0.113.100-149", ev["ip"])
	}
	wantEnv(t, ev, map[string]string{"router": "203.0.113.1", "boot_file": "pxelinux.0", "siaddr": "198.51.100.2"})
	if !run.waitLog(t, "dest=203.0.113.1:67") {
		t.Fatal("server log shows no unicast reply to the relay 203.0.113.1:67")
	}
}

// TestLabConflictProbe: a machine squats on the first pool address with a
// static configuration. The server's ARP probe finds it, so the client is
// offered another address and the squatted one is quarantined.
func TestLabConflictProbe(t *testing.T) {
	netlab.Require(t, "udhcpc")
	lab := netlab.New(t)
	srvH := lab.Host("srv", "198.51.100.2/24")
	squatter := lab.Host("squatter", labPool.Start.String()+"/24")
	cli := lab.Host("cli")
	snap := labSnap(func(s *inventory.Snapshot) { s.DHCP.ConflictProbe = true })
	run := serveIn(t, srvH, snap, filepath.Join(t.TempDir(), "leases"))
	script, log := clientScript(t, t.TempDir())
	cli.Start(t, "udhcpc", "-f", "-i", "eth0", "-s", script, "-t", "10", "-T", "1", "-A", "1")
	ev, _ := waitEvent(t, log, 0, "bound")
	got := inPool(t, ev["ip"])
	if got == labPool.Start {
		t.Fatalf("client was given %v, which %s uses", got, squatter.Name)
	}
	l, ok := run.store.ByIP(labPool.Start, time.Now())
	if !ok || l.State != leases.Declined {
		t.Fatalf("squatted address not quarantined: %+v %v", l, ok)
	}
	if !run.waitLog(t, "owner="+squatter.MAC().String()) {
		t.Fatal("server log does not name the squatter's MAC")
	}
}

// TestLabRefusesPortHeldByDnsmasq: another DHCP server process (dnsmasq)
// already serves the interface; bootyard's listener must refuse to start
// rather than share the port.
func TestLabRefusesPortHeldByDnsmasq(t *testing.T) {
	netlab.Require(t, "dnsmasq")
	lab := netlab.New(t)
	h := lab.Host("both", "198.51.100.2/24")
	dir := t.TempDir()
	dm := h.Start(t, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--user=root",
		"--interface=eth0", "--bind-interfaces", "--dhcp-range=198.51.100.150,198.51.100.199,1h",
		"--dhcp-leasefile="+filepath.Join(dir, "dnsmasq.leases"), "--pid-file="+filepath.Join(dir, "dnsmasq.pid"))
	if err := dm.WaitFor(10*time.Second, "DHCP, IP range"); err != nil {
		t.Fatal(err)
	}
	err := h.Do(func() error {
		c, err := dhcp.Listen("eth0", 67)
		if err == nil {
			c.Close()
			return errors.New("bootyard bound port 67 next to a running dnsmasq")
		}
		if !strings.Contains(err.Error(), "another DHCP server is already listening on port 67 on eth0") {
			return fmt.Errorf("unclear error: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
