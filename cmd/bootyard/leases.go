package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
)

func runLeases(_ context.Context, e *env, args []string) error {
	fset := newFlags(e, "leases", "[-config FILE | FILE] [-all]")
	config := configFlag(fset)
	all := fset.Bool("all", false, "also list expired leases (remembered so a client gets its address back)")
	if help, err := parseConfigFlags(fset, args, config); help || err != nil {
		return err
	}
	snap, err := loadSnapshot(*config)
	if err != nil {
		return reportLoadError(e.stderr, err)
	}
	if snap.DHCP.LeaseFile == "" {
		fmt.Fprintln(e.stdout, "no lease file configured (dhcp.lease_file)")
		return nil
	}
	list, err := leases.Read(snap.DHCP.LeaseFile)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stdout, "no leases yet (%s does not exist)\n", snap.DHCP.LeaseFile)
		return nil
	}
	if err != nil {
		return err
	}
	printLeases(e.stdout, list, time.Now(), *all)
	return nil
}

func printLeases(w io.Writer, list []leases.Lease, now time.Time, all bool) {
	sort.Slice(list, func(i, j int) bool { return list[i].IP.Less(list[j].IP) })
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "IP\tMAC\tSTATE\tEXPIRES\tHOSTNAME\n")
	n := 0
	for _, l := range list {
		expired := !l.Expires.After(now)
		if expired && !all {
			continue
		}
		n++
		exp := l.Expires.Format(time.RFC3339)
		if expired {
			exp += " (expired)"
		} else {
			exp += " (in " + l.Expires.Sub(now).Round(time.Second).String() + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.IP, l.MAC, l.State, exp, l.Hostname)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d lease(s)\n", n)
}
