package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/bootyard/bootyard/admin"
	"github.com/bootyard/bootyard/inventory"
)

// runStatus prints what the running server's status page shows, from its
// admin listener: every host with its boot stage, or one host's timeline.
func runStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "status", "[-config FILE | -admin ADDR] [HOST or MAC]")
	config := configFlag(fs)
	addr := fs.String("admin", "", "the admin listener to ask (default: admin.listen of the config file, else "+inventory.DefaultAdminListen+")")
	rest, help, err := parseMixed(fs, args)
	if help || err != nil {
		return err
	}
	if len(rest) > 1 {
		fmt.Fprintln(e.stderr, "bootyard status: at most one HOST")
		return errUsage
	}
	target := *addr
	if target == "" {
		target = inventory.DefaultAdminListen
		opts := loadOptions()
		opts.SkipFileChecks = true
		if snap, err := inventory.Load(*config, opts); err == nil {
			target = snap.Admin.Listen
		}
	}
	if target == "" {
		return fmt.Errorf("the admin listener is off (admin.listen: \"\"): nothing to ask")
	}
	path := "/api/hosts"
	if len(rest) == 1 {
		path += "/" + url.PathEscape(rest[0])
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+target+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("is bootyard serve running? %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s %s", path, resp.Status, body)
	}
	if len(rest) == 1 {
		var h admin.HostStatus
		if err := json.Unmarshal(body, &h); err != nil {
			return err
		}
		printHostTimeline(e.stdout, h)
		return nil
	}
	var hosts []admin.HostStatus
	if err := json.Unmarshal(body, &hosts); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tMAC\tADDRESS\tSTAGE\tLAST SEEN\tLAST EVENT")
	for _, h := range hosts {
		name, stage, last, ev := h.Name, string(h.Stage), "never", ""
		if name == "" {
			name = "(unknown)"
		}
		if stage == "" {
			stage = "not seen"
		}
		if h.Last != nil {
			last = time.Since(*h.Last).Round(time.Second).String() + " ago"
		}
		if h.LastEvent != nil {
			ev = h.LastEvent.Kind + ": " + h.LastEvent.Summary
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, h.MAC, h.IP, stage, last, ev)
	}
	return tw.Flush()
}

func printHostTimeline(w io.Writer, h admin.HostStatus) {
	name := h.Name
	if name == "" {
		name = "(not in the inventory)"
	}
	stage := string(h.Stage)
	if stage == "" {
		stage = "not seen"
	}
	fmt.Fprintf(w, "host:  %s\nmac:   %s\nstage: %s\n", name, h.MAC, stage)
	if len(h.Events) == 0 {
		fmt.Fprintln(w, "nothing seen from this machine yet")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nTIME\tKIND\tSTAGE\tWHAT")
	for _, ev := range h.Events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ev.Time.Local().Format("15:04:05"), ev.Kind, ev.Stage, ev.Summary)
	}
	tw.Flush()
}
