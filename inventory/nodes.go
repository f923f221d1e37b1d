package inventory

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks a parsed yaml.Node tree by hand instead of letting yaml.v3
// fill structs: that way every value keeps its line, and a bad value is
// recorded as a Problem and the walk goes on, so one run reports every
// mistake in the file instead of stopping at the first.
type decoder struct {
	file     string
	dir      string // the file's folder, relative paths are resolved against it
	problems []Problem
	// budget is how many more nodes the walk may visit. Aliases can make a
	// small file expand to a huge tree (a "billion laughs" file); the budget
	// is a multiple of the nodes actually present, so a legitimate file never
	// hits it and a bomb stops early with one problem.
	budget    int
	exhausted bool
	// noSubnetAt is where an authoritative file without dhcp.subnet is
	// reported (check decides whether it is a problem).
	noSubnetAt *yaml.Node
	// nodes remembers where each decoded field came from, so the checks that
	// run after decoding (duplicates, subnets, files) can report its line.
	nodes map[string]*yaml.Node
	// keys holds the key node of every mapping entry by its field path, so
	// a problem about a missing key inside a section points at the
	// section's own line.
	keys map[string]*yaml.Node
}

// pair is one key: value entry of a mapping.
type pair struct {
	key, val *yaml.Node
}

func (d *decoder) addf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	} else if k := d.keys[field]; k != nil {
		line = k.Line // the key was written, with an empty value
	}
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// spend charges n node visits against the budget and reports false, once
// with a problem, when it is used up.
func (d *decoder) spend(at *yaml.Node, n int) bool {
	if d.exhausted {
		return false
	}
	d.budget -= n
	if d.budget < 0 {
		d.exhausted = true
		d.addf(at, "", "the file's aliases expand to too many values; refusing to expand it")
		return false
	}
	return true
}

// resolve follows aliases to the node they name.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 64 || !d.spend(n, 1) {
			return nil
		}
		n = n.Alias
	}
	return n
}

// countNodes counts the nodes of the tree without following aliases.
func countNodes(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// pairs returns the entries of a mapping node, with YAML merge keys ("<<:
// *defaults") expanded: entries written in the mapping itself win over
// merged ones. A duplicated key is reported (yaml.v3 only rejects those when
// decoding into Go values, not into nodes). ok is false when n is not a
// mapping; null counts as an empty mapping.
func (d *decoder) pairs(n *yaml.Node, path string) (ps []pair, ok bool) {
	n = d.resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "must be a mapping (key: value lines), not %s", describe(n))
		return nil, false
	}
	if !d.spend(n, len(n.Content)) {
		return nil, false
	}
	seen := map[string]*yaml.Node{}
	var merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(v, path)...)
			continue
		}
		k = d.resolve(k)
		if k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.addf(k, path, "a key must be a plain value, not %s", describe(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.addf(k, join(path, k.Value), "key %q appears twice in this mapping (first on line %d)", k.Value, prev.Line)
			continue
		}
		seen[k.Value] = k
		ps = append(ps, pair{k, v})
	}
	for _, p := range merged {
		if _, dup := seen[p.key.Value]; !dup {
			seen[p.key.Value] = p.key
			ps = append(ps, p)
		}
	}
	return ps, true
}

// merge expands the value of a "<<" key: one mapping or a list of them.
func (d *decoder) merge(v *yaml.Node, path string) []pair {
	v = d.resolve(v)
	if v == nil {
		return nil
	}
	var out []pair
	if v.Kind == yaml.SequenceNode {
		if !d.spend(v, len(v.Content)) {
			return nil
		}
		for _, m := range v.Content {
			ps, _ := d.pairs(m, path)
			out = append(out, ps...)
		}
		return out
	}
	ps, _ := d.pairs(v, path)
	return ps
}

// mapping is pairs plus a check that every key is one of allowed; unknown
// keys are reported with the closest allowed key as a suggestion. The
// result maps each known key to its value node.
func (d *decoder) mapping(n *yaml.Node, path string, allowed []string) map[string]*yaml.Node {
	ps, _ := d.pairs(n, path)
	out := make(map[string]*yaml.Node, len(ps))
	for _, p := range ps {
		if path == "" && strings.HasPrefix(p.key.Value, "x-") {
			continue // a top-level x- key holds shared anchors, nothing else
		}
		if !contains(allowed, p.key.Value) {
			d.addf(p.key, join(path, p.key.Value), "%s", unknownKey(p.key.Value, allowed))
			continue
		}
		out[p.key.Value] = p.val
		d.keys[join(path, p.key.Value)] = p.key
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unknownKey words the problem for a key that is not allowed, suggesting the
// closest allowed key when it is near enough to be a typo.
func unknownKey(key string, allowed []string) string {
	best, bestDist := "", 1<<30
	for _, a := range allowed {
		dist := editDistance(strings.ToLower(strings.ReplaceAll(key, "-", "_")), strings.ReplaceAll(a, "-", "_"))
		if dist < bestDist {
			best, bestDist = a, dist
		}
	}
	// Allow about one typo per four letters, at least one.
	if best != "" && bestDist <= max(1, len(best)/4) {
		return fmt.Sprintf("unknown key %q (did you mean %q?)", key, best)
	}
	sorted := append([]string(nil), allowed...)
	sort.Strings(sorted)
	return fmt.Sprintf("unknown key %q (known keys: %s)", key, strings.Join(sorted, ", "))
}

// editDistance is the optimal-string-alignment distance between a and b:
// Levenshtein plus swapping two neighbouring letters, the commonest typo.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	dist := make([][]int, len(ra)+1)
	for i := range dist {
		dist[i] = make([]int, len(rb)+1)
		dist[i][0] = i
	}
	for j := range dist[0] {
		dist[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			dist[i][j] = min(dist[i-1][j]+1, dist[i][j-1]+1, dist[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				dist[i][j] = min(dist[i][j], dist[i-2][j-2]+1)
			}
		}
	}
	return dist[len(ra)][len(rb)]
}

// describe names the kind of a node for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "this"
}

// list returns the elements of a sequence (null is empty).
func (d *decoder) list(n *yaml.Node, path string) []*yaml.Node {
	n = d.resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.addf(n, path, "must be a list, not %s", describe(n))
		return nil
	}
	if !d.spend(n, len(n.Content)) {
		return nil
	}
	return n.Content
}
