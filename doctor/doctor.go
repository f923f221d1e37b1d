package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
)

// Config is one diagnosis run.
type Config struct {
	// Iface is the interface to send on and listen to.
	Iface string
	// Firmware is the boot client to act as.
	Firmware Firmware
	// MAC is the client hardware address in the DISCOVER (chaddr).
	MAC net.HardwareAddr
	// Window is how long offers are collected.
	Window time.Duration
	// Expect is the server that should answer, the zero Addr for any.
	Expect netip.Addr
	// Request takes an offered address for real (REQUEST, then RELEASE).
	Request bool
	// Fetch downloads the offered boot file.
	Fetch        bool
	FetchOptions FetchOptions
	// Sink receives the boot file's bytes as they arrive; nil discards them.
	Sink io.Writer
	// Log gets debug lines (dropped packets).
	Log *slog.Logger
}

// RandomMAC returns a random locally administered unicast MAC, so a run
// without -mac never looks like a real board to a server.
func RandomMAC() (net.HardwareAddr, error) {
	mac := make(net.HardwareAddr, 6)
	if _, err := rand.Read(mac); err != nil {
		return nil, err
	}
	mac[0] = mac[0]&^0x01 | 0x02
	return mac, nil
}

// broadcast is where DISCOVERs and REQUESTs go.
var broadcast = &net.UDPAddr{IP: net.IPv4bcast, Port: dhcpv4.ServerPort}

// Run acts as cfg.Firmware on cfg.Iface: one DISCOVER, the offers of a
// window, the boot file, and (only with cfg.Request) a REQUEST. It prints
// each step to out as it happens and returns what it saw for Analyze. An
// error means the run itself could not happen (no such interface, no
// permission for a raw socket); what the network did wrong is in the Report.
func Run(ctx context.Context, cfg Config, out io.Writer) (Report, error) {
	fw := cfg.Firmware
	r := Report{Firmware: fw, MAC: cfg.MAC, Iface: cfg.Iface, Window: cfg.Window, Expect: cfg.Expect, Chosen: -1}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	fmt.Fprintf(out, "acting as %s (%s) from MAC %s on %s\n", fw.Name, fw.Summary, cfg.MAC, cfg.Iface)
	if cfg.Request {
		fmt.Fprintf(out, "-request: an offered address will be REQUESTed for real, then released\n")
	} else {
		fmt.Fprintf(out, "no REQUEST is sent: no address is taken (-request takes one)\n")
	}

	// A raw socket: the interface may have no address, and a DHCP client
	// on the machine may hold UDP port 68.
	conn, err := nclient4.NewRawUDPConn(cfg.Iface, dhcpv4.ClientPort)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return r, fmt.Errorf("raw socket on %s: %w (doctor needs root or CAP_NET_RAW)", cfg.Iface, err)
		}
		return r, fmt.Errorf("raw socket on %s: %w", cfg.Iface, err)
	}
	defer conn.Close()

	var xid dhcpv4.TransactionID
	if _, err := rand.Read(xid[:]); err != nil {
		return r, err
	}
	disc, err := fw.Discover(cfg.MAC, xid)
	if err != nil {
		return r, err
	}
	fmt.Fprintf(out, "DHCPDISCOVER xid 0x%s, broadcast flag, option 60 %q, 93 %d", hex.EncodeToString(xid[:]), fw.VendorClass, fw.Arch)
	if fw.UserClass != "" {
		fmt.Fprintf(out, ", 77 %q", fw.UserClass)
	}
	fmt.Fprintf(out, ", 55 %v\ncollecting offers for %s\n", fw.Params, cfg.Window)
	r.Offers, err = Probe(ctx, conn, broadcast, disc, cfg.Window, cfg.Log)
	if err != nil {
		return r, err
	}
	fmt.Fprintf(out, "%d offer(s):\n", len(r.Offers))
	for i, o := range r.Offers {
		fmt.Fprintf(out, "  %d. %s\n", i+1, o.Summary(fw))
	}

	r.Chosen, r.ChoiceWhy = ChooseOffer(fw, r.Offers, cfg.Expect)
	if cfg.Request {
		if i := requestOffer(r.Offers, r.Chosen, cfg.Expect); i >= 0 {
			o := r.Offers[i]
			fmt.Fprintf(out, "REQUEST for %s to %s\n", o.YourIP, o.Server)
			r.Lease = Request(ctx, conn, broadcast, fw, o, 3*time.Second, true)
		}
	}
	if r.Chosen < 0 {
		fmt.Fprintf(out, "no boot file to fetch: %s\n", r.ChoiceWhy)
		return r, ctx.Err()
	}
	t, _ := r.Offers[r.Chosen].Target(fw)
	fmt.Fprintf(out, "boot file: %s (offer %d: %s)\n", t, r.Chosen+1, r.ChoiceWhy)
	switch local := ifaceIPv4(cfg.Iface); {
	case !cfg.Fetch:
		r.NoFetch = "-fetch=false"
	case !local.IsValid():
		r.NoFetch = cfg.Iface + " has no IPv4 address to fetch from (doctor takes none; give the interface one)"
	default:
		opts := cfg.FetchOptions
		opts.LocalAddr = local.String()
		sink := cfg.Sink
		if sink == nil {
			sink = io.Discard
		}
		r.Fetch, r.FetchErr = Fetch(ctx, t, sink, opts)
		PrintFetch(out, r.Fetch, r.FetchErr)
	}
	return r, ctx.Err()
}

// requestOffer picks the offer -request takes: the chosen one when it holds
// an address, else the expected server's, else the first that holds one.
func requestOffer(offers []Offer, chosen int, expect netip.Addr) int {
	if chosen >= 0 && !offers[chosen].Proxy() {
		return chosen
	}
	first := -1
	for i, o := range offers {
		if o.Proxy() {
			continue
		}
		if o.Server == expect {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	return first
}

// ifaceIPv4 is the interface's first IPv4 address, invalid when it has none.
func ifaceIPv4(name string) netip.Addr {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return netip.Addr{}
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
			return p.Addr()
		}
	}
	return netip.Addr{}
}

// PrintFetch prints one download's figures.
func PrintFetch(w io.Writer, f *FetchResult, err error) {
	if err != nil {
		fmt.Fprintf(w, "fetch of %s failed after %d bytes: %v\n", f.Target, f.Bytes, err)
		return
	}
	size := "none"
	if f.Size >= 0 {
		size = fmt.Sprint(f.Size)
	}
	fmt.Fprintf(w, "fetched %s: %d bytes in %s (%s), first data after %s",
		f.Target, f.Bytes, f.Duration.Round(time.Millisecond), Speed(f.Bytes, f.Duration), f.FirstByte.Round(time.Millisecond))
	if f.Target.Scheme == "tftp" {
		fmt.Fprintf(w, ", blocks of %d bytes, tsize %s", f.BlockSize, size)
	} else {
		fmt.Fprintf(w, ", Content-Length %s", size)
	}
	fmt.Fprintf(w, "\nsha256 %s\n", hex.EncodeToString(f.SHA256[:]))
}

// PrintVerdicts prints the verdicts, one a line, and a closing line.
func PrintVerdicts(w io.Writer, vs []Verdict) {
	fmt.Fprintln(w, "verdict:")
	bad := 0
	for _, v := range vs {
		fmt.Fprintf(w, "  %-4s %s\n", v.Level, v.Text)
		if v.Level >= Warn {
			bad++
		}
	}
	switch {
	case Failed(vs):
		fmt.Fprintln(w, "FAILED: the FAIL lines above break or endanger this firmware's boot")
	case bad > 0:
		fmt.Fprintln(w, "passed, with the warnings above")
	default:
		fmt.Fprintln(w, "passed: no problem found")
	}
}
