package inventory

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest configuration file Load reads. A real inventory
// of thousands of hosts is well under a megabyte; the cap keeps a wrong path
// (a disk image, /dev/zero) from eating memory.
const MaxFileSize = 16 << 20

// Load reads and validates the file at path. When the file cannot be read the
// error wraps the os error (errors.Is(err, fs.ErrNotExist) works); when it
// was read but is not valid the error is Errors, every problem found.
func Load(path string, opts Options) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("inventory: reading %s: %w", path, err)
	}
	return Parse(path, data, opts)
}

// Parse validates data as the contents of the file at path (path names the
// file in problems and is the folder relative paths are resolved against;
// "" means the current folder). It never panics, whatever data holds; the
// error, if any, is Errors.
func Parse(path string, data []byte, opts Options) (snap *Snapshot, err error) {
	defer func() {
		// A bug in the checks below must not take down a running server
		// on reload: report it as a problem and keep the old snapshot.
		if v := recover(); v != nil {
			snap = nil
			err = Errors{{File: path, Msg: fmt.Sprintf("%s while checking the file: %v", internalError, v)}}
		}
	}()
	if len(data) > MaxFileSize {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("the file is larger than %d MiB", MaxFileSize>>20)}}
	}
	doc, problems := parseYAML(path, data)
	if len(problems) > 0 {
		return nil, problems
	}
	dir := "."
	if path != "" {
		dir = filepath.Dir(path)
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	d := &decoder{file: path, nodes: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}, budget: 4*countNodes(doc) + 10000}
	r := d.decodeFile(doc, dir)
	var kept []fieldChange
	if opts.Running != nil && len(d.problems) == 0 {
		kept = keepRunning(opts.Running, &r.base)
	}
	if !d.exhausted {
		d.check(r)
	}
	if len(d.problems) > 0 {
		for _, k := range kept {
			// Say why a check may refer to a value the file does not hold.
			d.problems = append(d.problems, Problem{File: path, Field: k.name,
				Msg: fmt.Sprintf("changed from %v to %v, which needs a restart: the file was checked with the running value", k.was, k.now)})
		}
		return nil, sorted(d.problems)
	}
	snap = New(r.base, r.profiles, r.hosts)
	for _, k := range kept {
		snap.RestartNeeded = append(snap.RestartNeeded, SettingChange{k.name, fmt.Sprint(k.was), fmt.Sprint(k.now)})
	}
	snap.Path = path
	// Whole seconds: HTTP's Last-Modified has no finer unit, and a
	// generated file's If-Modified-Since must match it exactly.
	snap.Loaded = time.Now().Truncate(time.Second)
	snap.sum = sha256.Sum256(data)
	warnings := d.checkFiles(snap, opts)
	d.checkHostFiles(snap)
	if len(d.problems) > 0 {
		return nil, sorted(d.problems)
	}
	if len(warnings) > 0 {
		snap.Warnings = sorted(warnings)
	}
	return snap, nil
}

func sorted(ps []Problem) Errors {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	return Errors(ps)
}

// parserErrors are the yaml.v3 parser messages whose line is 0-based.
var parserErrors = []string{
	"did not find expected <document start>", "did not find expected node content",
	"did not find expected key", "did not find expected '-' indicator",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// internalError starts the problem reported for a panic in bootyard's own
// checks (the fuzz test looks for it).
const internalError = "internal error (please report it)"

// parseYAML parses the one document of the file into nodes.
func parseYAML(path string, data []byte) (root *yaml.Node, problems Errors) {
	defer func() {
		// yaml.v3 has known panics on some malformed input; a bad file
		// must be a reported problem, never a crash of a running server.
		if v := recover(); v != nil {
			root = nil
			problems = Errors{{File: path, Msg: fmt.Sprintf("cannot read the file: the YAML parser failed (%v)", v)}}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{File: path, Msg: "the file is empty"}}
		}
		return nil, Errors{yamlProblem(path, data, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, Errors{yamlProblem(path, data, err)}
		}
		return nil, Errors{{File: path, Line: extra.Line, Msg: "a second YAML document (after ---): put everything in one"}}
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return &doc, nil
}

// yamlProblem turns a yaml.v3 syntax error ("yaml: line 3: ...") into a
// Problem with its line.
func yamlProblem(path string, data []byte, err error) Problem {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		// yaml.v3 numbers lines from 0 in parser errors (but from 1 in
		// scanner errors); the parser's messages are these.
		for _, p := range parserErrors {
			if m[2] == p {
				line++
				break
			}
		}
		line, text := plainYAML(data, line, m[2])
		return Problem{File: path, Line: line, Msg: text}
	}
	line, text := plainYAML(data, 0, msg)
	return Problem{File: path, Line: line, Msg: text}
}
