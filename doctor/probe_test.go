package doctor

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// fakeServers answers each DISCOVER that reaches conn with what replies
// returns, until conn is closed.
func fakeServers(conn net.PacketConn, replies func(d *dhcpv4.DHCPv4, n int) [][]byte) {
	buf := make([]byte, 1500)
	for n := 0; ; n++ {
		k, from, err := conn.ReadFrom(buf)
		if err != nil {
			return
		}
		d, err := dhcpv4.FromBytes(buf[:k])
		if err != nil {
			continue
		}
		for _, r := range replies(d, n) {
			conn.WriteTo(r, from)
		}
	}
}

// offerFrom builds a reply to d (an OFFER unless mods say otherwise).
func offerFrom(d *dhcpv4.DHCPv4, server, yiaddr, file string, mods ...dhcpv4.Modifier) []byte {
	m, err := dhcpv4.NewReplyFromRequest(d, append([]dhcpv4.Modifier{
		dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer),
		dhcpv4.WithServerIP(net.ParseIP(server)),
		dhcpv4.WithYourIP(net.ParseIP(yiaddr)),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.ParseIP(server))),
		func(m *dhcpv4.DHCPv4) { m.BootFileName = file },
	}, mods...)...)
	if err != nil {
		return nil // fails the test: an offer goes missing
	}
	return m.ToBytes()
}

// TestProbeCollectsEveryOffer: over loopback, two "servers" answer the first
// DISCOVER and one answers the resent one again; garbage, another client's
// offer and an ACK arrive too. Probe returns exactly one offer per server,
// in arrival order, and runs for its whole window.
func TestProbeCollectsEveryOffer(t *testing.T) {
	srv, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	discovers := make(chan int, 10)
	go fakeServers(srv, func(d *dhcpv4.DHCPv4, n int) [][]byte {
		discovers <- n
		other := *d
		other.ClientHWAddr = net.HardwareAddr{2, 9, 9, 9, 9, 9}
		out := [][]byte{
			[]byte("not dhcp at all"),
			offerFrom(&other, "198.51.100.8", "198.51.100.88", "x"),
			offerFrom(d, "198.51.100.9", "198.51.100.99", "x", dhcpv4.WithMessageType(dhcpv4.MessageTypeAck)),
			offerFrom(d, "198.51.100.3", "198.51.100.150", "other.efi"),
		}
		if n == 0 {
			out = append(out, offerFrom(d, "198.51.100.2", "0.0.0.0", "grubx64.efi",
				dhcpv4.WithOption(dhcpv4.OptClassIdentifier("PXEClient"))))
		}
		return out
	})

	fw, _ := LookupFirmware("uefi-x64")
	disc, err := fw.Discover(net.HardwareAddr{2, 0, 0, 0, 0, 1}, dhcpv4.TransactionID{9, 8, 7, 6})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	offers, err := Probe(context.Background(), cli, srv.LocalAddr(), disc, time.Second, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("Probe returned after %v, before its window ended", d)
	}
	if len(discovers) != 2 {
		t.Errorf("%d DISCOVERs reached the servers, want 2 (the first and one resend)", len(discovers))
	}
	var got []string
	for _, o := range offers {
		got = append(got, o.Server.String()+" "+o.YourIP.String()+" "+o.File+" "+o.VendorClass)
	}
	want := []string{"198.51.100.3 198.51.100.150 other.efi ", "198.51.100.2 0.0.0.0 grubx64.efi PXEClient"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("offers:\n%q\nwant:\n%q", got, want)
	}
	if len(offers) == 2 && !offers[1].Proxy() {
		t.Error("an offer with yiaddr 0.0.0.0 is not reported as proxyDHCP")
	}
}

// TestProbeStopsOnCancel: a cancelled context ends the window early.
func TestProbeStopsOnCancel(t *testing.T) {
	cli, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	fw, _ := LookupFirmware("bios")
	disc, _ := fw.Discover(net.HardwareAddr{2, 0, 0, 0, 0, 1}, dhcpv4.TransactionID{1})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Probe(ctx, cli, cli.LocalAddr(), disc, time.Minute, slog.New(slog.DiscardHandler))
	if err == nil {
		t.Error("no error from a cancelled probe")
	}
	if time.Since(start) > 30*time.Second {
		t.Error("Probe ran on long after its context ended")
	}
}

func TestRequestOffer(t *testing.T) {
	a := Offer{Server: netip.MustParseAddr("198.51.100.3"), YourIP: netip.MustParseAddr("198.51.100.150")}
	b := Offer{Server: netip.MustParseAddr("198.51.100.2"), YourIP: netip.MustParseAddr("198.51.100.120")}
	proxy := Offer{Server: netip.MustParseAddr("198.51.100.2"), YourIP: zero}
	for _, tc := range []struct {
		name   string
		offers []Offer
		chosen int
		expect netip.Addr
		want   int
	}{
		{"the chosen one", []Offer{a, b}, 1, netip.Addr{}, 1},
		{"chosen is a proxy: the address server", []Offer{a, proxy}, 1, netip.Addr{}, 0},
		{"none chosen, expected first", []Offer{a, b}, -1, b.Server, 1},
		{"only proxies", []Offer{proxy}, 0, netip.Addr{}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := requestOffer(tc.offers, tc.chosen, tc.expect); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}
