package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
)

func runCheck(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "check", "[-strict] [-server] [-config FILE | FILE]")
	config := configFlag(fs)
	strict := fs.Bool("strict", false, "fail (exit 1) when there are warnings, not only errors")
	server := fs.Bool("server", false, "this machine is the server: an interface or server_ip it does not have is an error, not a warning")
	if help, err := parseConfigFlags(fs, args, config); help || err != nil {
		return err
	}
	snap, err := loadSnapshot(*config)
	if err != nil {
		return reportLoadError(e.stderr, err)
	}
	if err := checkMachine(e, snap, *server); err != nil {
		return err
	}
	warnings := checkWarnings(snap)
	printSummary(e.stdout, snap, warnings)
	printArmed(e.stdout, snap)
	switch n := len(warnings); {
	case n == 0:
		fmt.Fprintf(e.stdout, "\nOK\n")
	case *strict:
		fmt.Fprintf(e.stdout, "\nFAILED: %s (-strict)\n", plural(n, "warning"))
		return errFailed
	default:
		fmt.Fprintf(e.stdout, "\nOK, %s\n", plural(n, "warning"))
	}
	return nil
}

// checkWarnings is every warning check prints: the inventory's own (files
// missing under the root) and the ones about how clients will fare.
func checkWarnings(s *inventory.Snapshot) []string {
	var out []string
	for _, p := range s.Warnings {
		out = append(out, p.String())
	}
	return append(out, adviceWarnings(s)...)
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// reportLoadError prints every problem of an invalid file, one per line, and
// returns errFailed; other errors are returned as they are.
func reportLoadError(w io.Writer, err error) error {
	var problems inventory.Errors
	if !errors.As(err, &problems) {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(w, "%s\n", p)
	}
	fmt.Fprintf(w, "%d problem(s): the configuration was not applied\n", len(problems))
	return errFailed
}

// printSummary writes the one-screen overview `bootyard check` prints.
func printSummary(w io.Writer, s *inventory.Snapshot, warnings []string) {
	fmt.Fprintf(w, "config:     %s\n", s.Path)
	fmt.Fprintf(w, "interface:  %s\n", s.Interface)
	fmt.Fprintf(w, "dhcp:       %s", s.DHCP.Mode)
	if s.DHCP.Mode != inventory.ModeOff {
		if s.DHCP.Subnet.IsValid() {
			fmt.Fprintf(w, ", subnet %s", s.DHCP.Subnet)
		}
		if s.DHCP.Mode == inventory.ModeProxy {
			fmt.Fprintf(w, ", boot options only (another server hands out addresses)")
		} else if s.DHCP.Pool != nil {
			fmt.Fprintf(w, ", pool %s-%s (%d addresses)", s.DHCP.Pool.Start, s.DHCP.Pool.End, s.DHCP.Pool.Size())
		} else {
			fmt.Fprintf(w, ", no pool (inventory hosts only)")
		}
		for _, r := range s.DHCP.Relayed {
			fmt.Fprintf(w, "\n            relayed %s", r.Subnet)
			if r.Pool != nil {
				fmt.Fprintf(w, ", pool %s-%s (%d addresses)", r.Pool.Start, r.Pool.End, r.Pool.Size())
			}
		}
	}
	fmt.Fprintln(w)
	if s.TFTP.Enabled {
		fmt.Fprintf(w, "tftp:       root %s\n", s.TFTP.Root)
	} else {
		fmt.Fprintf(w, "tftp:       off\n")
	}
	fmt.Fprintf(w, "profiles:   %d\nhosts:      %d\n", len(s.Profiles()), len(s.Hosts()))

	fmt.Fprintf(w, "\nboot files by firmware class (a host's or profile's bootfile wins):\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, c := range firmware.Classes() {
		f, ok := s.Boot[c]
		switch {
		case !ok || f == "":
			f = "(no boot options)"
		case !s.Expects(c) && s.Firmware != nil:
			f += "  (not checked: firmware: does not list " + string(c) + ")"
		case !s.Expects(c):
			f += "  (not checked: no " + string(c) + " machine in the inventory; see firmware:)"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", c, f)
	}
	tw.Flush()

	if len(s.Hosts()) > 0 {
		fmt.Fprintf(w, "\nhosts:\n")
		tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		fmt.Fprintf(tw, "  NAME\tMAC\tIP\tPROFILE\tBOOT FILE\n")
		const maxRows = 20
		for i, h := range s.Hosts() {
			if i == maxRows {
				fmt.Fprintf(tw, "  ... and %d more\n", len(s.Hosts())-maxRows)
				break
			}
			ip := "(pool)"
			if h.IP.IsValid() {
				ip = h.IP.String()
			}
			prof := "-"
			if h.Profile != nil {
				prof = h.Profile.Name
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", h.Name, h.MAC, ip, prof, hostBootFile(s, h))
		}
		tw.Flush()
	}
	printRPiHosts(w, s)
	if len(warnings) > 0 {
		fmt.Fprintf(w, "\nwarnings:\n")
		for _, p := range warnings {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
}

// hostBootFile says which boot file a host gets whatever its firmware: asked
// of the DHCP side's own selection with a class that has no default, so only
// the host's or its profile's bootfile can answer (the order lives in one
// place, dhcp.ChooseBootFile).
func hostBootFile(s *inventory.Snapshot, h *inventory.Host) string {
	if b := dhcp.ChooseBootFile(dhcp.Firmware{Class: firmware.Other, Boot: true}, h, s); b.File != "" {
		return b.File
	}
	return "by firmware class"
}
