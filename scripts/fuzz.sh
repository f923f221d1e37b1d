#!/usr/bin/env bash
# fuzz.sh runs every native fuzz target (func FuzzXxx) of the module for
# FUZZTIME each (default 20s), one at a time: go test -fuzz takes a single
# target in a single package. A failing input is written by go test to the
# package's testdata/fuzz/FuzzXxx/ folder; commit it as a regression test
# once fixed.
#
# Usage: scripts/fuzz.sh [package pattern...]   (default ./...)
# Env:   FUZZTIME (20s), GO (go)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20s}
patterns=("$@")
[ ${#patterns[@]} -gt 0 ] || patterns=(./...)

# Only packages whose test files mention a fuzz target: listing tests
# compiles a test binary, which is slow to do for every package.
mapfile -t candidates < <($GO list -f '{{.ImportPath}}{{range .TestGoFiles}} {{$.Dir}}/{{.}}{{end}}{{range .XTestGoFiles}} {{$.Dir}}/{{.}}{{end}}' "${patterns[@]}" |
	while read -r pkg files; do
		[ -n "$files" ] || continue
		# shellcheck disable=SC2086 # file names are space-separated on purpose
		if grep -q -E '^func Fuzz[A-Z0-9_]' $files; then echo "$pkg"; fi
	done)

passed=0 failed=0
failures=()
for pkg in "${candidates[@]}"; do
	mapfile -t targets < <($GO test -list '^Fuzz' "$pkg" | grep -E '^Fuzz' || true)
	for target in "${targets[@]}"; do
		echo "== $target in $pkg for $FUZZTIME"
		if $GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			failures+=("$pkg.$target")
		fi
	done
done

if [ $((passed + failed)) -eq 0 ]; then
	echo "fuzz: no fuzz targets found in ${patterns[*]}"
fi
if [ ${#failures[@]} -gt 0 ]; then
	printf 'fuzz target failed: %s\n' "${failures[@]}"
fi
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
