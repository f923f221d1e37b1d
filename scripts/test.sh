#!/usr/bin/env bash
# Runs the test suite the way `make test` and CI do: go vet, then every
# package except the qemu end-to-end ones under the race detector, then the
# e2e packages one at a time without it (a qemu boot without KVM is slow
# enough already). Output goes through scripts/testsummary: one line per
# package, full output of failed tests only, skip reasons, and a closing
# "tests: N passed, N failed, N skipped" line.
#
# Environment: BOOTYARD_E2E=1 turns skips for missing root/tools into
# failures (CI sets it). GO overrides the go command.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

module=$($GO list -m)
# Everything but ./e2e/...: that tree may not exist yet, and runs on its own.
mapfile -t unit < <($GO list -e ./... | grep -v -E "^${module}/e2e(/|$)")
e2e=()
if [ -d e2e ]; then
	mapfile -t e2e < <($GO list -e ./e2e/... 2>/dev/null || true)
fi

# A vet finding fails the run, but the tests still run: one report shows all.
echo "== go vet ./..."
rc_vet=0
$GO vet ./... || rc_vet=$?

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
summary_bin=$tmp/testsummary
status=$tmp/status # one line per go test run that exited non-zero
$GO build -o "$summary_bin" ./scripts/testsummary

echo "== go test -race (${#unit[@]} packages)${BOOTYARD_E2E:+ BOOTYARD_E2E=$BOOTYARD_E2E}"
rc_unit=0 rc_sum=0
{
	$GO test -json -race -count=1 -timeout 8m "${unit[@]}" || echo "unit $?" >>"$status"
	if [ ${#e2e[@]} -gt 0 ]; then
		echo "== go test e2e (${#e2e[@]} packages, one at a time, no race detector)"
		$GO test -json -count=1 -p 1 -timeout 16m "${e2e[@]}" || echo "e2e $?" >>"$status"
	fi
} 2>&1 | "$summary_bin" || rc_sum=$?
if [ -s "$status" ]; then
	rc_unit=1
	sed 's/^/go test exit status: /' "$status"
fi
if [ "$rc_vet" -ne 0 ]; then
	echo "go vet failed (see above)"
fi
if [ "$rc_vet" -ne 0 ] || [ "$rc_unit" -ne 0 ] || [ "$rc_sum" -ne 0 ]; then
	exit 1
fi
