package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bootyard/bootyard/inventory"
)

// machineProblems compares the configuration with the machine `check` runs
// on: the interface DHCP binds to must exist and have an IPv4 address, and
// dhcp.server_ip must be one of them. Without this, `check` said OK and
// `serve` failed at start-up, over and over under systemd. Each problem
// is returned with the field it concerns.
func machineProblems(s *inventory.Snapshot) []inventory.Problem {
	if s.DHCP.Mode == inventory.ModeOff || s.DHCP.Mode == "" || s.Interface == "" {
		return nil
	}
	prefixes, err := interfaceIPv4(s.Interface)
	switch {
	case errors.Is(err, errNoInterface):
		return []inventory.Problem{{Field: "interface", Msg: fmt.Sprintf("%q does not exist on this machine", s.Interface)}}
	case err != nil:
		return []inventory.Problem{{Field: "interface", Msg: err.Error()}}
	}
	var v4 []string
	has := false
	for _, p := range prefixes {
		v4 = append(v4, p.Addr().String())
		has = has || p.Addr() == s.DHCP.ServerIP
	}
	switch {
	case len(v4) == 0:
		return []inventory.Problem{{Field: "interface", Msg: fmt.Sprintf("%q has no IPv4 address: the DHCP server needs one on it", s.Interface)}}
	case s.DHCP.ServerIP.IsValid() && !has:
		return []inventory.Problem{{Field: "dhcp.server_ip", Msg: fmt.Sprintf("%s is not an address of interface %q (it has %s)", s.DHCP.ServerIP, s.Interface, strings.Join(v4, ", "))}}
	}
	return nil
}

// checkMachine reports machineProblems: errors (and errFailed) with
// -server, where check runs on the server itself (the systemd unit's
// ExecStartPre); otherwise warnings, as the file may be checked on another
// machine than the one that serves it.
func checkMachine(e *env, s *inventory.Snapshot, server bool) error {
	probs := machineProblems(s)
	if !server {
		for _, p := range probs {
			p.Msg += " (a warning: fine if this is not the server; `check -server` on the server makes it an error)"
			s.Warnings = append(s.Warnings, p)
		}
		return nil
	}
	for _, p := range probs {
		fmt.Fprintf(e.stderr, "this machine: %s\n", p)
	}
	if len(probs) > 0 {
		fmt.Fprintf(e.stderr, "%d problem(s) with this machine: `serve` would fail here\n", len(probs))
		return errFailed
	}
	return nil
}
