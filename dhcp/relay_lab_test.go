package dhcp_test

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// TestLabRelayInsideSubnet: the server lives on 203.0.113.0/24 and serves
// dhcp.subnet 198.51.100.0/24 only through ISC dhcrelay, whose giaddr
// 198.51.100.1 lies inside dhcp.subnet: udhcpc on the far segment gets a
// pool address of dhcp.subnet, and every reply goes by unicast to the
// relay.
func TestLabRelayInsideSubnet(t *testing.T) {
	netlab.Require(t, "dhcrelay", "udhcpc")
	lab := netlab.New(t)
	far := lab.Segment("far")
	srvH := lab.Host("srv", "203.0.113.2/24")
	relay := lab.Router("relay", far, "203.0.113.1/24", "198.51.100.1/24")
	cli := far.Host("cli")
	srvH.Route("198.51.100.0/24", "203.0.113.1")
	snap := labSnap(func(s *inventory.Snapshot) { s.DHCP.ServerIP = netip.MustParseAddr("203.0.113.2") })
	run := serveIn(t, srvH, snap, filepath.Join(t.TempDir(), "leases"))
	ev := relayedClient(t, relay, cli, "203.0.113.2")
	if ip := inPool(t, ev["ip"]); !ip.IsValid() {
		t.Fatalf("relayed client got %q", ev["ip"])
	}
	wantEnv(t, ev, map[string]string{"router": "198.51.100.1", "subnet": "255.255.255.0", "serverid": "203.0.113.2"})
	if !run.waitLog(t, "dest=198.51.100.1:67") {
		t.Fatal("server log shows no unicast reply to the relay 198.51.100.1:67")
	}
}

// TestLabRelaySelectedByAddress: dhcrelay's giaddr 203.0.113.129 lies in
// no configured subnet; the dhcp.relayed entry 203.0.113.0/25 names it in
// relay_addresses, so its clients are served from that entry's pool.
func TestLabRelaySelectedByAddress(t *testing.T) {
	netlab.Require(t, "dhcrelay", "udhcpc")
	lab := netlab.New(t)
	far := lab.Segment("far")
	srvH := lab.Host("srv", "198.51.100.2/24")
	relay := lab.Router("relay", far, "198.51.100.1/24", "203.0.113.129/25")
	cli := far.Host("cli")
	srvH.Route("203.0.113.128/25", "198.51.100.1")
	snap := labSnap(func(s *inventory.Snapshot) {
		s.DHCP.Relayed = []inventory.Relayed{{
			Subnet:         netip.MustParsePrefix("203.0.113.0/25"),
			Router:         netip.MustParseAddr("203.0.113.1"),
			Pool:           &inventory.Range{Start: netip.MustParseAddr("203.0.113.50"), End: netip.MustParseAddr("203.0.113.99")},
			RelayAddresses: []netip.Addr{netip.MustParseAddr("203.0.113.129")},
			Line:           1,
		}}
	})
	run := serveIn(t, srvH, snap, filepath.Join(t.TempDir(), "leases"))
	ev := relayedClient(t, relay, cli, "198.51.100.2")
	ip, err := netip.ParseAddr(ev["ip"])
	if err != nil || ip.As4()[3] < 50 || ip.As4()[3] > 99 || !netip.MustParsePrefix("203.0.113.0/25").Contains(ip) {
		t.Fatalf("client got %q, want an address of the pool 203.0.113.50-99", ev["ip"])
	}
	wantEnv(t, ev, map[string]string{"router": "203.0.113.1", "subnet": "255.255.255.128"})
	if !run.waitLog(t, "dest=203.0.113.129:67") {
		t.Fatal("server log shows no unicast reply to the relay 203.0.113.129:67")
	}
}

// relayedClient starts dhcrelay (upstream eth0, downstream eth1) towards
// server and udhcpc behind it, and returns udhcpc's bound event.
func relayedClient(t *testing.T, relay, cli *netlab.Host, server string) scriptEnv {
	t.Helper()
	dir := t.TempDir()
	rp := relay.Start(t, "dhcrelay", "-d", "-4", "-pf", filepath.Join(dir, "dhcrelay.pid"), "-iu", "eth0", "-id", "eth1", server)
	if err := rp.WaitFor(10*time.Second, "Sending on"); err != nil {
		t.Fatal(err)
	}
	script, log := clientScript(t, dir)
	cli.Start(t, "udhcpc", "-f", "-i", "eth0", "-s", script, "-t", "20", "-T", "1", "-A", "1")
	ev, _ := waitEvent(t, log, 0, "bound")
	return ev
}

// TestLabRelaySelectionOptions: option 82 link-selection (RFC 3527) and
// option 118 (RFC 3011), which no packaged client or relay here sends, in
// raw relayed DISCOVERs from an agent at 198.51.100.7 (inside dhcp.subnet):
// each selects the relayed subnet 203.0.113.0/24, and the OFFER comes back
// to the agent on port 67 with option 82 echoed.
func TestLabRelaySelectionOptions(t *testing.T) {
	netlab.Require(t)
	lab := netlab.New(t)
	srvH := lab.Host("srv", "198.51.100.2/24")
	agent := lab.Host("agent", "198.51.100.7/24")
	snap := labSnap(func(s *inventory.Snapshot) {
		s.DHCP.Relayed = []inventory.Relayed{{
			Subnet: netip.MustParsePrefix("203.0.113.0/24"),
			Router: netip.MustParseAddr("203.0.113.1"),
			Pool:   &inventory.Range{Start: netip.MustParseAddr("203.0.113.100"), End: netip.MustParseAddr("203.0.113.149")},
			Line:   1,
		}}
	})
	run := serveIn(t, srvH, snap, filepath.Join(t.TempDir(), "leases"))
	var conn *net.UDPConn
	if err := agent.Do(func() (err error) {
		conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(198, 51, 100, 7), Port: 67})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	circuit := []byte{1, 4, 'p', 'o', 'r', 't'}
	for _, c := range []struct {
		name string
		opts dhcpv4.Options
	}{
		{"option 82 link-selection", dhcpv4.Options{82: append(append([]byte{}, circuit...), 5, 4, 203, 0, 113, 0x41)}},
		{"option 118", dhcpv4.Options{118: {203, 0, 113, 0x42}, 82: circuit}},
	} {
		t.Run(c.name, func(t *testing.T) {
			mac := net.HardwareAddr{0x02, 0, 0, 0, 0x77, byte(len(c.name))}
			m, err := dhcpv4.NewDiscovery(mac)
			if err != nil {
				t.Fatal(err)
			}
			m.GatewayIPAddr = net.IPv4(198, 51, 100, 7).To4()
			m.HopCount = 1
			for code, v := range c.opts {
				m.Options[code] = v
			}
			var reply *dhcpv4.DHCPv4
			for try := 0; try < 5 && reply == nil; try++ {
				if _, err := conn.WriteToUDP(m.ToBytes(), &net.UDPAddr{IP: net.IPv4(198, 51, 100, 2), Port: 67}); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 1500)
				_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
				for {
					n, _, err := conn.ReadFromUDP(buf)
					if err != nil {
						break
					}
					r, err := dhcpv4.FromBytes(buf[:n])
					if err == nil && r.TransactionID == m.TransactionID {
						reply = r
						break
					}
				}
			}
			if reply == nil {
				t.Fatalf("no reply at the agent 198.51.100.7:67\nserver log:\n%s", run.logs)
			}
			y, _ := netip.AddrFromSlice(reply.YourIPAddr.To4())
			if reply.MessageType() != dhcpv4.MessageTypeOffer || y.As4()[3] < 100 || y.As4()[3] > 149 || !netip.MustParsePrefix("203.0.113.0/24").Contains(y) {
				t.Fatalf("%s of %v, want an OFFER from the relayed pool 203.0.113.100-149", reply.MessageType(), y)
			}
			if r := reply.Options.Get(dhcpv4.OptionRouter); !net.IP(r).Equal(net.IPv4(203, 0, 113, 1)) {
				t.Fatalf("router %v, want the relayed subnet's 203.0.113.1", net.IP(r))
			}
			if got := reply.Options.Get(dhcpv4.OptionRelayAgentInformation); string(got) != string(c.opts[82]) {
				t.Fatalf("option 82 echoed as % x, want % x", got, c.opts[82])
			}
		})
	}
}

// TestLabDhclientClasslessRoutes: dhclient asks for option 121 and Debian's
// rfc3442 exit hook (shipped with isc-dhcp-client) installs what it
// received: the configured route and the default route via the router that
// the server adds because a client that reads 121 ignores option 3.
func TestLabDhclientClasslessRoutes(t *testing.T) {
	const hook = "/etc/dhcp/dhclient-exit-hooks.d/rfc3442-classless-routes"
	netlab.Require(t, "dhclient")
	if _, err := os.Stat(hook); err != nil {
		t.Fatalf("isc-dhcp-client's %s is missing: %v", hook, err)
	}
	lab := netlab.New(t)
	srvH := lab.Host("srv", "198.51.100.2/24")
	cli := lab.Host("cli")
	snap := labSnap(func(s *inventory.Snapshot) {
		s.DHCP.Routes = []inventory.Route{{To: netip.MustParsePrefix("203.0.113.0/24"), Via: netip.MustParseAddr("198.51.100.254")}}
	})
	serveIn(t, srvH, snap, filepath.Join(t.TempDir(), "leases"))
	dir := t.TempDir()
	script, log := clientScript(t, dir)
	// The lab script configures the address; the hook then adds the routes.
	wrapper := filepath.Join(dir, "routes.sh")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\n"+script+"\n. "+hook+"\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "dhclient.conf")
	if err := os.WriteFile(conf, []byte("option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;\n"+
		"request subnet-mask, routers, rfc3442-classless-static-routes;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cli.Start(t, "dhclient", "-d", "-v", "-4", "-cf", conf, "-sf", wrapper,
		"-pf", filepath.Join(dir, "pid"), "-lf", filepath.Join(dir, "leases"), "eth0")
	ev, _ := waitEvent(t, log, 0, "BOUND")
	if got, want := ev["new_rfc3442_classless_static_routes"], "24 203 0 113 198 51 100 254 0 198 51 100 1"; got != want {
		t.Fatalf("dhclient read option 121 as %q, want %q", got, want)
	}
	var routes string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, err := cli.Run(t, 10*time.Second, "ip", "-4", "route", "show", "dev", "eth0")
		if err != nil {
			t.Fatal(err)
		}
		routes = out
		if strings.Contains(routes, "203.0.113.0/24 via 198.51.100.254") && strings.Contains(routes, "default via 198.51.100.1") {
			return
		}
	}
	t.Fatalf("routes in the client's namespace:\n%s\nwant 203.0.113.0/24 via 198.51.100.254 and default via 198.51.100.1", routes)
}
