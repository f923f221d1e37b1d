package main

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestCLIDocMatchesHelp keeps docs/cli.md in step with the real -h output:
// every command has a section with an example, every flag of its -h is in
// its section, and the section names no flag the command lacks.
func TestCLIDocMatchesHelp(t *testing.T) {
	data, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	flagLine := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	docFlag := regexp.MustCompile("`-([a-z][a-z0-9-]*)")
	var names []string
	for n := range commands() {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		code, out, errOut := runCmd(t, name, "-h")
		if code != 0 || errOut != "" {
			t.Errorf("%s -h: exit %d, stderr %q", name, code, errOut)
			continue
		}
		head := "## `bootyard " + name + "`\n"
		i := strings.Index(doc, head)
		if i < 0 {
			t.Errorf("docs/cli.md has no section %q", strings.TrimSpace(head))
			continue
		}
		section := doc[i+len(head):]
		if j := strings.Index(section, "\n## "); j >= 0 {
			section = section[:j]
		}
		if !strings.Contains(section, "    bootyard "+name) && !strings.Contains(section, "    sudo bootyard "+name) {
			t.Errorf("section %s has no example command line", name)
		}
		has := map[string]bool{}
		for _, m := range flagLine.FindAllStringSubmatch(out, -1) {
			has[m[1]] = true
			if !strings.Contains(section, "`-"+m[1]+"`") {
				t.Errorf("docs/cli.md, %s: flag -%s is not documented", name, m[1])
			}
		}
		for _, m := range docFlag.FindAllStringSubmatch(section, -1) {
			if !has[m[1]] && m[1] != "h" {
				t.Errorf("docs/cli.md, %s: documents -%s, which %s -h does not list", name, m[1], name)
			}
		}
	}
	// And the list of commands at the top names every command.
	for _, name := range names {
		if !strings.Contains(doc, "[`"+name+"`](#bootyard-"+name+")") {
			t.Errorf("the command table of docs/cli.md lacks %s", name)
		}
	}
}
