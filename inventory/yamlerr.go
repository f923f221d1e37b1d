package inventory

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// indentErrors are yaml.v3 messages that, in a hand-written config, almost
// always mean a line indented one step too far or not far enough.
var indentErrors = []string{
	"mapping values are not allowed in this context",
	"did not find expected key",
	"did not find expected '-' indicator",
	"block sequence entries are not allowed in this context",
	"did not find expected <document start>", // a line left of the first one
}

// plainYAML rewords a yaml.v3 syntax message for someone editing the file
// by hand; line is the line yaml.v3 reported (0 when none). It returns the
// line to report and the text.
func plainYAML(data []byte, line int, msg string) (int, string) {
	msg = strings.TrimPrefix(msg, "yaml: ")
	line = max(line, 0)
	if notText(data) {
		return 0, "not a YAML file: it holds binary data (is this the right file?)"
	}
	if line >= 1 && (msg == "found a tab character that violates indentation" || msg == "found character that cannot start any token" && startsWithTab(data, line)) {
		return line, fmt.Sprintf("YAML syntax: line %d is indented with a tab: YAML indents with spaces only", line)
	}
	for _, e := range indentErrors {
		if msg == e {
			if l := firstBadIndent(data, line); l > 0 {
				line = l
			}
			if line < 1 {
				return 0, "YAML syntax: check the indentation: " + msg
			}
			return line, fmt.Sprintf("YAML syntax: check the indentation of line %d (and the line above): %s", line, msg)
		}
	}
	if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		return aliasLine(data, m[1]), fmt.Sprintf("unknown anchor *%s: define it first with &%s (shared anchors can live under a top-level key that starts with x-, e.g. x-common: &%s)", m[1], m[1], m[1])
	}
	return line, "YAML syntax: " + msg
}

var unknownAnchorRE = regexp.MustCompile(`^unknown anchor '([^']*)' referenced$`)

// notText reports whether data is not text: a NUL or other control byte
// (besides tab, CR, LF), or not UTF-8, in its first 8 KiB.
func notText(data []byte) bool {
	head := data[:min(len(data), 8<<10)]
	for len(head) > 0 {
		r, size := utf8.DecodeRune(head)
		if r == utf8.RuneError && size == 1 && len(head) >= utf8.UTFMax {
			return true
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return true
		}
		head = head[size:]
	}
	return false
}

func lines(data []byte) []string {
	return strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
}

func startsWithTab(data []byte, line int) bool {
	ls := lines(data)
	return line >= 1 && line <= len(ls) && strings.HasPrefix(strings.TrimLeft(ls[line-1], " "), "\t")
}

// aliasLine finds the first line that uses *name, or 0.
func aliasLine(data []byte, name string) int {
	re := regexp.MustCompile(`\*` + regexp.QuoteMeta(name) + `\b`)
	for i, l := range lines(data) {
		code, _, _ := strings.Cut(l, " #")
		if re.MatchString(code) {
			return i + 1
		}
	}
	return 0
}

// firstBadIndent finds, from line from on, the first line whose indentation
// fits no open block: deeper than a key that already has a value, back to
// a depth no block started at, or at a list's depth without "- ". yaml.v3
// reports its parser errors at the start of the enclosing block, which can be
// far above the line to fix. 0 when it finds none.
func firstBadIndent(data []byte, from int) int {
	type level struct {
		indent int
		seq    bool // a list: lines at this depth start with "- "
		shared bool // a list at its key's depth ("hosts:" then "- name: a")
	}
	var stack []level
	open := false // the previous key has no value yet: a deeper block may follow
	for i, l := range lines(data) {
		code, _, _ := strings.Cut(l, " #")
		trimmed := strings.TrimLeft(code, " ")
		if strings.TrimSpace(trimmed) == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasPrefix(trimmed, "---") || strings.HasPrefix(trimmed, "\t") {
			return 0 // not the kind of file this reads
		}
		if strings.Count(code, "[") != strings.Count(code, "]") || strings.Count(code, "{") != strings.Count(code, "}") {
			return 0 // flow style over several lines: not followed here
		}
		ind := len(code) - len(trimmed)
		item := trimmed == "-" || strings.HasPrefix(trimmed, "- ")
		bad := false
		switch {
		case len(stack) == 0 || ind > stack[len(stack)-1].indent:
			bad = len(stack) > 0 && !open
			stack = append(stack, level{ind, item, false})
		default:
			for len(stack) > 0 && stack[len(stack)-1].indent > ind {
				stack = stack[:len(stack)-1]
			}
			if len(stack) == 0 {
				// Left of the file's first line: no block starts there.
				bad = true
				stack = append(stack, level{ind, item, false})
				break
			}
			top := stack[len(stack)-1]
			switch {
			case top.indent != ind:
				bad = true
			case top.seq != item && top.shared:
				// The list at its key's depth ended: a key follows.
				stack[len(stack)-1].seq, stack[len(stack)-1].shared = item, item
			case top.seq != item:
				// "- " at a map's depth is fine only as the first item
				// of a list that is the value of the key above.
				bad = !(item && open)
				stack[len(stack)-1].seq, stack[len(stack)-1].shared = item, item
			}
		}
		if bad && i+1 >= from {
			return i + 1
		}
		if bad {
			return 0 // a line before the reported one: do not guess
		}
		// What follows may be deeper when this line opens a block: a key
		// with nothing after the colon, or a list item.
		rest := trimmed
		if item {
			rest = strings.TrimSpace(strings.TrimPrefix(rest, "-"))
			stack = append(stack, level{ind + 2, false, false})
		}
		open = strings.HasSuffix(strings.TrimSpace(rest), ":") || rest == "" ||
			strings.HasSuffix(strings.TrimSpace(rest), "|") || strings.HasSuffix(strings.TrimSpace(rest), ">")
		if strings.HasSuffix(strings.TrimSpace(rest), "|") || strings.HasSuffix(strings.TrimSpace(rest), ">") {
			return 0 // block scalars: their text may sit at any depth
		}
	}
	return 0
}

// daysRE is a duration in days, as people write a lease time ("1d",
// "7d", "1d12h"); Go's time.ParseDuration has no day unit.
var daysRE = regexp.MustCompile(`^(\d{1,5})d(.*)$`)

// parseDuration is time.ParseDuration plus a leading number of days.
func parseDuration(s string) (time.Duration, error) {
	m := daysRE.FindStringSubmatch(s)
	if m == nil {
		return time.ParseDuration(s)
	}
	days, _ := strconv.Atoi(m[1])
	v := time.Duration(days) * 24 * time.Hour
	if m[2] != "" {
		rest, err := time.ParseDuration(m[2])
		if err != nil || rest < 0 {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		v += rest
	}
	return v, nil
}
