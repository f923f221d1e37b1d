// Command bootyard is a network-boot server: a DHCPv4 responder, a TFTP server
// and per-host boot files generated from one YAML inventory.
//
//	bootyard serve   -config /etc/bootyard/config.yaml
//	bootyard check   -config config.yaml
//	bootyard explain -config config.yaml -mac 52:54:00:12:34:56 -arch 7
//	bootyard leases  -config config.yaml
//	bootyard doctor  -interface eth0 -firmware uefi-x64 -expect-server 198.51.100.2
//	bootyard version
//
// main is the only place that knows every package and the only place that
// exits: each command returns an error and main turns it into an exit code.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// version is set at build time with -ldflags "-X main.version=..."; without
// it, versionString reads the module version and VCS revision that the Go
// toolchain records in every binary.
var version = "dev"

// defaultConfig is where serve and check look without -config.
const defaultConfig = "/etc/bootyard/config.yaml"

// errUsage marks a command-line mistake: usage was printed, exit 2.
var errUsage = errors.New("usage")

// errFailed marks a failure whose details were already printed: exit 1.
var errFailed = errors.New("failed")

// command is one subcommand of bootyard.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch of the outside world, so tests can run
// commands in-process with their own output buffers.
type env struct {
	stdout, stderr io.Writer
}

func commands() map[string]command {
	return map[string]command{
		"serve":     {"run the DHCP and TFTP servers until SIGINT/SIGTERM (SIGHUP reloads)", runServe},
		"next-boot": {"boot a host into a profile once (install), then back to its configured behaviour", runNextBoot},
		"boot":      {"quick mode: boot one kernel on every machine that asks, no config file", runBoot},
		"check":     {"validate the config and inventory and print a summary", runCheck},
		"explain":   {"show what one client would get, and why", runExplain},
		"leases":    {"list the dynamic DHCP leases", runLeases},
		"status":    {"show each machine's boot stage, or one machine's timeline, from the running server", runStatus},
		"doctor":    {"act as a boot firmware on the LAN and diagnose what answers", runDoctor},
		"version":   {"print the version", runVersion},
	}
}

func main() {
	e := &env{stdout: os.Stdout, stderr: os.Stderr}
	os.Exit(exitCode(run(context.Background(), e, os.Args[1:]), e))
}

func exitCode(err error, e *env) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errFailed):
		return 1
	default:
		fmt.Fprintf(e.stderr, "bootyard: %v\n", err)
		return 1
	}
}

func run(ctx context.Context, e *env, args []string) error {
	cmds := commands()
	if len(args) == 0 {
		usage(e.stderr, cmds)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(e.stdout, cmds)
		return nil
	case "help":
		// "bootyard help check" is "bootyard check -h".
		if len(args) == 1 {
			usage(e.stdout, cmds)
			return nil
		}
		if _, ok := cmds[args[1]]; !ok {
			fmt.Fprintf(e.stderr, "bootyard: unknown command %q\n\n", args[1])
			usage(e.stderr, cmds)
			return errUsage
		}
		return run(ctx, e, []string{args[1], "-h"})
	case "-version", "--version", "-v":
		return runVersion(ctx, e, nil)
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "bootyard: unknown command %q\n\n", args[0])
		usage(e.stderr, cmds)
		return errUsage
	}
	return c.run(ctx, e, args[1:])
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintf(w, "bootyard %s: network-boot server (DHCP, TFTP, generated boot files)\n\n", version)
	fmt.Fprintf(w, "Usage: bootyard <command> [flags]\n\nCommands:\n")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'bootyard help <command>' (or 'bootyard <command> -h') for the flags of a command.\n")
	fmt.Fprintf(w, "Exit status: 0 success, 1 failure (problems were printed), 2 command-line mistake.\n")
}

func runVersion(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "bootyard %s\n", versionString(version, buildInfo()))
	return nil
}
