package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// buildInfo returns what the Go toolchain recorded in this binary, or nil.
func buildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// versionString is what `bootyard version` prints: the -ldflags version of a
// release build as it is; for a plain `go build` or `go install` it adds the
// module version and the VCS revision the toolchain recorded, so a bug report
// says which source the binary came from.
func versionString(v string, bi *debug.BuildInfo) string {
	if v != "dev" || bi == nil {
		return v
	}
	var parts []string
	if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
		parts = append(parts, mv)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		r := "revision " + rev
		if t := settings["vcs.time"]; t != "" {
			r += " of " + t
		}
		if settings["vcs.modified"] == "true" {
			r += ", with uncommitted changes"
		}
		parts = append(parts, r)
	}
	if bi.GoVersion != "" {
		parts = append(parts, bi.GoVersion)
	}
	if len(parts) == 0 {
		return v
	}
	return fmt.Sprintf("%s (%s)", v, strings.Join(parts, ", "))
}
