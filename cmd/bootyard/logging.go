package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/bootyard/bootyard/inventory"
)

// logFlags are the logging flags every long-running command takes.
type logFlags struct {
	format string
	level  string
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.format, "log-format", "text", "log format: text or json")
	fs.StringVar(&l.level, "log-level", "info", "log level: debug, info, warn or error")
}

// json reports whether logs are JSON lines: then start-up and config errors
// go to the log as records too, not as plain text a pipeline cannot parse.
func (l *logFlags) json() bool { return strings.EqualFold(l.format, "json") }

// logLoadError logs a config that does not load, one record per problem,
// and returns errFailed (the problems are already reported).
func logLoadError(log *slog.Logger, err error) error {
	var problems inventory.Errors
	if !errors.As(err, &problems) {
		log.Error("cannot load the configuration", "err", err)
		return errFailed
	}
	for _, p := range problems {
		log.Error("config problem", "config_file", p.File, "line", p.Line, "field", p.Field, "problem", p.Msg)
	}
	log.Error("the configuration was not applied", "problems", len(problems))
	return errFailed
}

// logger builds the process logger. It is created once in main's commands
// and handed to every part; no package logs through a global.
func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(l.format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		// A duration is written as seconds (a number), not Go's
		// nanosecond integer: what a log pipeline can read without knowing
		// Go. Text logs keep "1.5s", which time.ParseDuration reads.
		opts.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindDuration {
				return slog.Float64(a.Key, a.Value.Duration().Seconds())
			}
			return a
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("-log-format %q: want text or json", l.format)
	}
}
