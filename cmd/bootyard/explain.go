package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/bootyard/bootyard/bootfiles"
	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/inventory"
)

func runExplain(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "explain", "-mac MAC [-arch CLASS or N] [-vendor-class S] [-user-class S] [-giaddr A [-link-selection A]] [-subnet-selection A] [-config FILE | FILE]")
	config := configFlag(fs)
	macFlag := fs.String("mac", "", "client MAC address (required)")
	archFlag := fs.String("arch", "", "client firmware: a class ("+classNames()+"), sent as a real client of it would, or an option 93 code (e.g. 0 BIOS, 7 UEFI x64, 11 UEFI ARM64, 22 U-Boot ARM64); without it, a known host is shown for every class")
	vendor := fs.String("vendor-class", "", `vendor class, option 60 (e.g. "PXEClient:Arch:00007:UNDI:003000", "U-Boot.armv8")`)
	user := fs.String("user-class", "", `user class, option 77 (e.g. "iPXE")`)
	serverIP := fs.String("server-ip", "", "our address as the client would see it (default: dhcp.server_ip or the interface's address)")
	relay := relayFlags{
		giaddr: fs.String("giaddr", "", "explain the request as relayed by this relay address"),
		link:   fs.String("link-selection", "", "option 82 link-selection sub-option the relay adds (needs -giaddr)"),
		subnet: fs.String("subnet-selection", "", "option 118 subnet selection"),
	}
	if help, err := parseConfigFlags(fs, args, config); help || err != nil {
		return err
	}
	mac, err := net.ParseMAC(*macFlag)
	if err != nil {
		fmt.Fprintf(e.stderr, "-mac %q: %v\n", *macFlag, err)
		fs.Usage()
		return errUsage
	}
	var arch *uint16
	class, byClass := parseClass(*archFlag)
	if *archFlag != "" && !byClass {
		n, err := strconv.ParseUint(*archFlag, 0, 16)
		if err != nil {
			fmt.Fprintf(e.stderr, "-arch %q: want a class (%s) or a number from 0 to 65535\n", *archFlag, classNames())
			return errUsage
		}
		a := uint16(n)
		arch = &a
	}
	// explain answers "what would this client get" for any copy of a
	// config, also on a machine without the TFTP tree: no file checks.
	opts := loadOptions()
	opts.SkipFileChecks = true
	snap, err := inventory.Load(*config, opts)
	if err != nil {
		return reportLoadError(e.stderr, err)
	}
	// An armed next-boot one-shot changes what the host gets: explain
	// applies it as the server does.
	snap, armedNote := withArmedNextBoot(snap)
	req := dhcp.SyntheticRequest(mac, arch, *vendor, *user)
	if byClass {
		if req.Msg, err = classDiscover(class, mac); err != nil {
			return err
		}
		if *vendor != "" {
			req.Msg.UpdateOption(dhcpv4.OptClassIdentifier(*vendor))
		}
		if *user != "" {
			req.Msg.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionUserClassInformation, []byte(*user)))
		}
	}
	req.Now = time.Now()
	req.ServerIP = explainServerIP(snap, *serverIP)
	if err := relay.apply(&req); err != nil {
		fmt.Fprintln(e.stderr, err)
		return errUsage
	}

	// explain never commits anything: it reads the lease file (if any) only
	// to show the address a pool client would get back.
	lv, closeLeases := readOnlyLeases(snap)
	defer closeLeases()
	if h, ok := snap.HostByMAC(mac); ok && *archFlag == "" && *vendor == "" && *user == "" && *relay.giaddr == "" && *relay.subnet == "" {
		// No firmware given: a plain DHCP client would get "not a boot
		// client", which is not what anyone asking about a host wants.
		if err := printClasses(e.stdout, snap, h, req, lv); err != nil {
			return err
		}
		if h.NextBoot != nil {
			fmt.Fprintf(e.stdout, "\nnext boot: %s is armed to boot profile %s once (%s), then its configured behaviour\n", h.Name, h.NextBoot.Profile, armedNote[h.Name])
		}
		if err := printGenerated(e.stdout, snap, mac, h.IP, req.ServerIP, nil); err != nil {
			return err
		}
		printRPiFolder(e.stdout, snap, h)
		return nil
	}
	_, report := dhcp.Explain(req, snap, lv)
	fmt.Fprintln(e.stdout, report.String())
	if h, ok := snap.HostByMAC(mac); ok && h.NextBoot != nil {
		fmt.Fprintf(e.stdout, "\nnext boot: %s is armed to boot profile %s once (%s), then its configured behaviour\n", h.Name, h.NextBoot.Profile, armedNote[h.Name])
	}
	if err := printGenerated(e.stdout, snap, mac, report.Addr, req.ServerIP, &report); err != nil {
		return err
	}
	if h, ok := snap.HostByMAC(mac); ok {
		printRPiFolder(e.stdout, snap, h)
	}
	return nil
}

// explainServerIP picks the server address explain assumes, by serve's
// rule with the flag as the override; zero when none can be had here (explain
// on another machine's config without -server-ip).
func explainServerIP(snap *inventory.Snapshot, flagValue string) netip.Addr {
	override, _ := netip.ParseAddr(flagValue)
	a, _ := serverAddress(snap, override)
	return a
}

// readOnlyLeases loads the lease file (if any) into a memory-only store, so
// that explain shows the address a pool client would get back without ever
// writing to the live files.
func readOnlyLeases(snap *inventory.Snapshot) (dhcp.LeaseView, func()) {
	list, err := leases.Read(snap.DHCP.LeaseFile)
	if err != nil || len(list) == 0 {
		return dhcp.NoLeases{}, func() {}
	}
	mem, err := leases.Open("", leases.Options{})
	if err != nil {
		return dhcp.NoLeases{}, func() {}
	}
	// Replayed oldest first, so each client ends with the lease it holds
	// now: a later commit for the same MAC replaces its earlier address.
	sort.Slice(list, func(i, j int) bool { return list[i].Expires.Before(list[j].Expires) })
	ops := map[leases.State]leases.Op{leases.Offered: leases.OpOffer, leases.Bound: leases.OpBind, leases.Declined: leases.OpDecline}
	for _, l := range list {
		// Commit can only fail on a conflict, which a stored file cannot hold.
		_ = mem.Commit(leases.Change{Op: ops[l.State], MAC: l.MAC, IP: l.IP, Expires: l.Expires, Hostname: l.Hostname})
	}
	return mem, func() { mem.Close() }
}

// printGenerated lists the per-host files bootfiles would generate for the
// client and their contents: with rep (one firmware's answer), only those
// that firmware will fetch; without, all of them.
func printGenerated(w io.Writer, snap *inventory.Snapshot, mac net.HardwareAddr, addr, serverIP netip.Addr, rep *dhcp.Report) error {
	h, ok := snap.Machine(mac)
	if !ok {
		return nil
	}
	if h.Unknown {
		fmt.Fprintf(w, "\n%s is not in the inventory: it boots dhcp.default_profile %s as %s\n", mac, h.Profile.Name, h.Name)
	}
	files, err := bootfiles.Render(snap, h, serverIP)
	if err != nil {
		return fmt.Errorf("rendering files for %s: %w", h.Name, err)
	}
	files, answers := splitAnswers(files)
	defer printAnswers(w, h, answers)
	if len(files) == 0 {
		fmt.Fprintf(w, "\nno generated files for %s (no profile with a kernel, a menu or local boot)\n", h.Name)
		return nil
	}
	if rep != nil {
		var fetched []bootfiles.GeneratedFile
		names, known := fetchedFiles(snap, h, rep.Firmware.Class, rep.Boot.File, files)
		for _, f := range files {
			if !known || (rep.Boot.File != "" && contains(names, f.Name)) {
				fetched = append(fetched, f)
			}
		}
		if len(fetched) == 0 {
			fmt.Fprintf(w, "\n%s fetches none of the %d files generated for %s (explain without -arch lists them)\n", rep.Firmware.Class, len(files), h.Name)
			return nil
		}
		if len(fetched) < len(files) {
			fmt.Fprintf(w, "\n(%d more generated for %s are for other firmware: explain without -arch lists them)\n", len(files)-len(fetched), h.Name)
		}
		files = fetched
	}
	by := "TFTP"
	if snap.HTTP.Enabled {
		// GRUB over HTTP asks for grub.cfg: the same content as its MAC name.
		by = "TFTP and HTTP, the GRUB file also as grub.cfg,"
	}
	fmt.Fprintf(w, "\ngenerated files for %s (served by %s to %s):\n", h.Name, by, clientAddrText(h, addr))
	for _, f := range files {
		printFile(w, f.Name, f.Content)
	}
	return nil
}

// splitAnswers separates a host's answer files (hosts/<host>/...) from
// the files its firmware fetches: they are fetched by the installer,
// whatever the firmware, and served to any client.
func splitAnswers(files []bootfiles.GeneratedFile) (generated, answers []bootfiles.GeneratedFile) {
	for _, f := range files {
		if strings.HasPrefix(f.Name, bootfiles.HostFilesDir+"/") {
			answers = append(answers, f)
		} else {
			generated = append(generated, f)
		}
	}
	return generated, answers
}

func printAnswers(w io.Writer, h *inventory.Host, answers []bootfiles.GeneratedFile) {
	if len(answers) == 0 {
		return
	}
	fmt.Fprintf(w, "\nanswer files for %s (served by TFTP and HTTP to any client; {files} in a cmdline is their folder's URL):\n", h.Name)
	for _, f := range answers {
		printFile(w, f.Name, f.Content)
	}
}

func clientAddrText(h *inventory.Host, addr netip.Addr) string {
	switch {
	case h.IP.IsValid():
		return h.IP.String()
	case addr.IsValid():
		return addr.String()
	default:
		return "its leased address"
	}
}

// isText reports whether b looks like printable text.
func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
