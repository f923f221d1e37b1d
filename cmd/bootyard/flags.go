package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
)

// routedOutput is a FlagSet's output. While flags are parsed it holds what
// the flag package prints, so that help a user asked for (-h) can go to
// stdout and help printed after a mistake to stderr; after parsing it writes
// to stderr directly.
type routedOutput struct {
	stdout, stderr io.Writer
	parsing        bool
	buf            bytes.Buffer
}

func (r *routedOutput) Write(p []byte) (int, error) {
	if r.parsing {
		return r.buf.Write(p)
	}
	return r.stderr.Write(p)
}

// flush sends what parsing printed to stdout when help was asked for, to
// stderr otherwise, and ends buffering.
func (r *routedOutput) flush(help bool) {
	r.parsing = false
	w := r.stderr
	if help {
		w = r.stdout
	}
	w.Write(r.buf.Bytes())
	r.buf.Reset()
}

// newFlags returns a FlagSet for a subcommand that reports errors instead of
// exiting; its help goes to stdout when asked for and to stderr after a
// usage error.
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(&routedOutput{stdout: e.stdout, stderr: e.stderr})
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: bootyard %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nExit status: 0 success, 1 failure (problems were printed), 2 command-line mistake.\n")
	}
	return fs
}

// configFlag registers -config, which every command but version takes.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", defaultConfig, "configuration and inventory file")
}

// parseFlags parses args and maps -h to a nil error and other flag errors to
// errUsage. No positional argument is allowed.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	rest, help, err := parseMixed(fs, args)
	if help || err != nil {
		return help, err
	}
	if len(rest) > 0 {
		return false, unexpected(fs, rest)
	}
	return false, nil
}

// parseConfigFlags is parseFlags for commands that read a config file: one
// positional argument, anywhere among the flags, is the file, as if given
// with -config (`bootyard check config.yaml`).
func parseConfigFlags(fs *flag.FlagSet, args []string, config *string) (help bool, err error) {
	rest, help, err := parseMixed(fs, args)
	if help || err != nil {
		return help, err
	}
	switch {
	case len(rest) > 1:
		return false, unexpected(fs, rest[1:])
	case len(rest) == 1 && isFlagSet(fs, "config") && fs.Lookup("config").Value.String() != rest[0]:
		fmt.Fprintf(fs.Output(), "two config files: -config %s and %s\n", fs.Lookup("config").Value, rest[0])
		fs.Usage()
		return false, errUsage
	case len(rest) == 1:
		*config = rest[0]
	}
	return false, nil
}

// parseMixed parses flags that may come after positional arguments (Go's
// flag package stops at the first one), returning the positional ones.
func parseMixed(fs *flag.FlagSet, args []string) (rest []string, help bool, err error) {
	out, _ := fs.Output().(*routedOutput)
	if out != nil {
		out.parsing = true
	}
	for {
		err = fs.Parse(args)
		if err != nil || fs.NArg() == 0 {
			break
		}
		args = fs.Args()
		rest = append(rest, args[0])
		args = args[1:]
	}
	help = errors.Is(err, flag.ErrHelp)
	if out != nil {
		out.flush(help)
	}
	switch {
	case help:
		return nil, true, nil
	case err != nil:
		return nil, false, errUsage
	}
	return rest, false, nil
}

func unexpected(fs *flag.FlagSet, rest []string) error {
	fmt.Fprintf(fs.Output(), "unexpected arguments: %q\n", rest)
	fs.Usage()
	return errUsage
}

func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
