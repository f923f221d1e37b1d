// Package docs holds the tests that keep docs/*.md true to the tree.
package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/bootyard/bootyard/"

// backticked finds `spans` in markdown.
var backticked = regexp.MustCompile("`([^`\n]+)`")

// pathLike reports whether a backticked span names a file or folder of the
// tree: no spaces, and a slash or a file extension.
func pathLike(s string) bool {
	if strings.ContainsAny(s, " :*<>") || strings.HasPrefix(s, "-") {
		return false
	}
	return strings.Contains(s, "/") || regexp.MustCompile(`\.(go|md|yaml|sh)$`).MatchString(s)
}

func readArchitecture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestArchitecturePathsExist: every file and package the map names is in
// the tree, so a rename or removal cannot leave the map pointing nowhere.
func TestArchitecturePathsExist(t *testing.T) {
	doc := readArchitecture(t)
	n := 0
	for _, m := range backticked.FindAllStringSubmatch(doc, -1) {
		p := m[1]
		if !pathLike(p) {
			continue
		}
		n++
		if _, err := os.Stat(filepath.Join("..", filepath.FromSlash(p))); err != nil {
			t.Errorf("docs/architecture.md names `%s`, which does not exist", p)
		}
	}
	if n < 10 {
		t.Fatalf("only %d paths found in docs/architecture.md: is the scan broken?", n)
	}
}

// TestArchitectureNamesExist: every `pkg.Name` the map mentions is declared
// at the top level of that package (a function, type, variable or constant).
func TestArchitectureNamesExist(t *testing.T) {
	doc := readArchitecture(t)
	qualified := regexp.MustCompile(`^([a-z]+)\.([A-Z]\w*)$`)
	dirs := packageDirs(t)
	n := 0
	for _, m := range backticked.FindAllStringSubmatch(doc, -1) {
		q := qualified.FindStringSubmatch(m[1])
		if q == nil {
			continue
		}
		var dir string
		for _, d := range dirs {
			if filepath.Base(d) == q[1] {
				dir = d
			}
		}
		if dir == "" {
			t.Errorf("docs/architecture.md names `%s`: no package %q", m[1], q[1])
			continue
		}
		n++
		if !declares(t, dir, q[2]) {
			t.Errorf("docs/architecture.md names `%s`, which %s/ does not declare", m[1], dir)
		}
	}
	if n == 0 {
		t.Fatal("no pkg.Name found in docs/architecture.md: is the scan broken?")
	}
}

// TestArchitectureImports: the table of packages names every package of the
// module (but tests, tools and benches), and each imports only what its row
// allows.
func TestArchitectureImports(t *testing.T) {
	rows := importTable(t, readArchitecture(t))
	for _, dir := range packageDirs(t) {
		allowed, ok := rows[dir+"/"]
		if !ok {
			t.Errorf("package %s/ is not in the table of docs/architecture.md", dir)
			continue
		}
		if slices.Contains(allowed, "everything") {
			continue
		}
		for _, imp := range imports(t, dir) {
			if imp != dir && !slices.Contains(allowed, imp+"/") {
				t.Errorf("%s/ imports %s/, which docs/architecture.md does not allow (allowed: %v)", dir, imp, allowed)
			}
		}
	}
}

// importTable reads the rows "| `pkg/` | owns | `a/`, `b/` |".
func importTable(t *testing.T, doc string) map[string][]string {
	t.Helper()
	rows := map[string][]string{}
	for _, line := range strings.Split(doc, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		pkg := strings.Trim(strings.TrimSpace(cells[1]), "`")
		var allowed []string
		for _, m := range backticked.FindAllStringSubmatch(cells[3], -1) {
			allowed = append(allowed, m[1])
		}
		if strings.Contains(cells[3], "everything") {
			allowed = append(allowed, "everything")
		}
		rows[pkg] = allowed
	}
	if len(rows) < 5 {
		t.Fatalf("found %d rows in the package table of docs/architecture.md: is the scan broken?", len(rows))
	}
	return rows
}

// packageDirs lists, relative to the repository root, every folder holding
// non-test Go files, except tools (scripts/), benches and the e2e suite.
func packageDirs(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("..", p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch {
			case rel == ".":
			case strings.HasPrefix(d.Name(), "."), d.Name() == "testdata",
				rel == "scripts", rel == "bench", rel == "e2e", rel == "docs":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			dir := filepath.ToSlash(filepath.Dir(rel))
			if !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// parseDir parses the non-test Go files of dir (relative to the root).
func parseDir(t *testing.T, dir string, mode parser.Mode) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", filepath.FromSlash(dir), "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	fset := token.NewFileSet()
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, mode)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// imports lists the module's packages dir imports, relative to the root.
func imports(t *testing.T, dir string) []string {
	var out []string
	for _, f := range parseDir(t, dir, parser.ImportsOnly) {
		for _, s := range f.Imports {
			p := strings.Trim(s.Path.Value, `"`)
			if rel, ok := strings.CutPrefix(p, module); ok && !slices.Contains(out, rel) {
				out = append(out, rel)
			}
		}
	}
	return out
}

// declares reports whether dir declares name at the top level.
func declares(t *testing.T, dir, name string) bool {
	for _, f := range parseDir(t, dir, parser.SkipObjectResolution) {
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.Name == name {
					return true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if s.Name.Name == name {
							return true
						}
					case *ast.ValueSpec:
						for _, id := range s.Names {
							if id.Name == name {
								return true
							}
						}
					}
				}
			}
		}
	}
	return false
}
