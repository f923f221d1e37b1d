package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/state"
)

// runNextBoot arms, clears or lists next-boot one-shots. While serve runs
// (it holds the state file's lock) the change goes through its admin API, so
// the server stays the one writer; otherwise the file is edited under the
// lock.
func runNextBoot(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "next-boot", "[-config FILE] HOST PROFILE | -clear HOST | -list")
	config := configFlag(fs)
	clear := fs.Bool("clear", false, "disarm HOST's one-shot")
	list := fs.Bool("list", false, "list the armed one-shots (the default with no arguments)")
	rest, help, err := parseMixed(fs, args)
	if help || err != nil {
		return err
	}
	switch {
	case *list || (!*clear && len(rest) == 0):
		if len(rest) > 0 {
			return usageErr(e, fs, "-list takes no arguments")
		}
	case *clear && len(rest) != 1:
		return usageErr(e, fs, "-clear takes one HOST")
	case !*clear && len(rest) != 2:
		return usageErr(e, fs, "name a HOST and the PROFILE it boots once")
	}
	snap, err := loadSnapshot(*config)
	if err != nil {
		return reportLoadError(e.stderr, err)
	}
	path := state.Path(snap.DHCP.LeaseFile)
	if *list || (!*clear && len(rest) == 0) {
		return listNextBoots(e, path)
	}
	host := rest[0]
	h, ok := snap.HostByName(host)
	if !ok {
		fmt.Fprintf(e.stderr, "next-boot: no host %q in %s: nothing changed\n", host, *config)
		return errFailed
	}
	profile := ""
	if !*clear {
		profile = rest[1]
		p, ok := snap.Profile(profile)
		if !ok {
			fmt.Fprintf(e.stderr, "next-boot: no profile %q in %s: nothing changed\n", profile, *config)
			return errFailed
		}
		armed := *h
		armed.Profile, armed.Local = p, false
		if err := snap.CheckHostFiles(&armed); err != nil {
			fmt.Fprintf(e.stderr, "next-boot: %v: nothing changed\n", err)
			return errFailed
		}
	}
	unlock, err := state.Lock(path)
	if errors.Is(err, state.ErrLocked) {
		return nextBootAPI(ctx, e, snap, host, profile)
	}
	if err != nil {
		return err
	}
	defer unlock()
	st, dropped, err := state.Load(path)
	if err != nil {
		return err
	}
	for _, d := range dropped {
		fmt.Fprintf(e.stderr, "next-boot: %s: dropped %s\n", path, d)
	}
	if *clear {
		old, ok := st.NextBoot[host]
		if !ok {
			fmt.Fprintf(e.stderr, "next-boot: nothing armed for %s\n", host)
			return errFailed
		}
		delete(st.NextBoot, host)
		if err := state.Save(path, st); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "cleared: %s no longer boots %s next (no server running: %s written)\n", host, old.Profile, path)
		return nil
	}
	st.NextBoot[host] = state.NextBoot{Host: host, Profile: profile, Armed: time.Now().UTC().Truncate(time.Second), Token: state.NewToken()}
	if err := state.Save(path, st); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "armed: %s boots %s once, then its configured behaviour (no server running: %s written)\n", host, profile, path)
	return nil
}

func usageErr(e *env, fs *flag.FlagSet, msg string) error {
	fmt.Fprintf(e.stderr, "next-boot: %s\n\n", msg)
	fs.Usage()
	return errUsage
}

func listNextBoots(e *env, path string) error {
	st, dropped, err := state.Load(path)
	if err != nil {
		return err
	}
	for _, d := range dropped {
		fmt.Fprintf(e.stderr, "next-boot: %s: dropped %s\n", path, d)
	}
	if len(st.NextBoot) == 0 {
		fmt.Fprintln(e.stdout, "no next-boot armed")
		return nil
	}
	for _, nb := range sortedNextBoots(st) {
		fmt.Fprintf(e.stdout, "%s\tboots %s once (armed %s)\n", nb.Host, nb.Profile, nb.Armed.Local().Format(time.DateTime))
	}
	return nil
}

// nextBootAPI makes the change through the running server's admin API.
func nextBootAPI(ctx context.Context, e *env, snap *inventory.Snapshot, host, profile string) error {
	if snap.Admin.Listen == "" || snap.Admin.TokenFile == "" {
		fmt.Fprintf(e.stderr, "next-boot: bootyard serve is running (it holds the state file's lock); to change one-shots while it runs, set admin.listen and admin.token_file and restart it, or stop it first. Nothing changed.\n")
		return errFailed
	}
	tok, err := os.ReadFile(snap.Admin.TokenFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "next-boot: reading admin.token_file: %v\n", err)
		return errFailed
	}
	u := "http://" + snap.Admin.Listen + "/api/hosts/" + url.PathEscape(host) + "/next-boot"
	method, body := http.MethodDelete, []byte(nil)
	if profile != "" {
		method = http.MethodPost
		body, _ = json.Marshal(map[string]string{"profile": profile})
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(e.stderr, "next-boot: the running server's admin API at %s: %v\n", snap.Admin.Listen, err)
		return errFailed
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 300 {
		fmt.Fprintf(e.stderr, "next-boot: the server said %s: %s", resp.Status, msg)
		return errFailed
	}
	if profile == "" {
		fmt.Fprintf(e.stdout, "cleared: %s (by the running server)\n", host)
	} else {
		fmt.Fprintf(e.stdout, "armed: %s boots %s once, then its configured behaviour (by the running server)\n", host, profile)
	}
	return nil
}

// withArmedNextBoot applies the state file's armed one-shots to snap, as
// the server does, for explain and check; notes says when each was armed.
func withArmedNextBoot(snap *inventory.Snapshot) (*inventory.Snapshot, map[string]string) {
	st, _, err := state.Load(state.Path(snap.DHCP.LeaseFile))
	if err != nil || len(st.NextBoot) == 0 {
		return snap, nil
	}
	notes := map[string]string{}
	for h, nb := range st.NextBoot {
		notes[h] = "armed " + nb.Armed.Local().Format(time.DateTime)
	}
	over, _ := snap.WithNextBoot(armedOf(st))
	return over, notes
}

// printArmed lists the armed one-shots for check.
func printArmed(w io.Writer, snap *inventory.Snapshot) {
	st, dropped, err := state.Load(state.Path(snap.DHCP.LeaseFile))
	if err != nil {
		fmt.Fprintf(w, "\nnext-boot: %v\n", err)
		return
	}
	for _, d := range dropped {
		fmt.Fprintf(w, "\nnext-boot: the state file is damaged, the server will drop %s\n", d)
	}
	if len(st.NextBoot) == 0 {
		return
	}
	fmt.Fprintf(w, "\nnext-boot one-shots armed:\n")
	for _, nb := range sortedNextBoots(st) {
		fmt.Fprintf(w, "  %s boots %s once (armed %s)", nb.Host, nb.Profile, nb.Armed.Local().Format(time.DateTime))
		_, hok := snap.HostByName(nb.Host)
		_, pok := snap.Profile(nb.Profile)
		if !hok || !pok {
			fmt.Fprintf(w, ": its host or profile is gone from the config, the server will clear it")
		}
		fmt.Fprintln(w)
	}
}
