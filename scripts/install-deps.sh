#!/usr/bin/env bash
# install-deps.sh installs the Debian packages the tests need: the union of
# scripts/deps/*.txt (one package per line, '#' comments). Packages already
# installed are skipped, and `apt-get update` runs only when something is
# missing, so a second run costs a few dpkg look-ups. Needs root to install;
# without root it only says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t want < <(sed 's/#.*//' scripts/deps/*.txt | tr -s ' \t' '\n\n' | grep -v '^$' | sort -u)

# check_netem says whether this kernel has the netem qdisc, which tftpd's
# lossy-link lab (TestLossyLink) uses for loss and reordering. It is no
# Debian package but part of the kernel (CONFIG_NET_SCH_NETEM, built in or
# the sch_netem module; the tc command comes with iproute2). The probe adds
# netem to the loopback of a throwaway network namespace, never to a real
# interface. Without netem the lab falls back to nftables (drops) and an HTB
# class (reordering with a delay), so this is a notice, not a failure.
check_netem() {
	if [ "$(id -u)" -ne 0 ] || ! command -v tc >/dev/null || ! command -v ip >/dev/null; then
		echo "deps: netem qdisc: not checked (needs root, ip and tc from iproute2)"
		return 0
	fi
	command -v modprobe >/dev/null && modprobe -q sch_netem 2>/dev/null
	local ns="bootyard-netem-probe-$$" err
	if ! ip netns add "$ns" 2>/dev/null; then
		echo "deps: netem qdisc: not checked (cannot create a network namespace)"
		return 0
	fi
	if err=$(ip netns exec "$ns" tc qdisc add dev lo root netem delay 1ms 2>&1); then
		echo "deps: netem qdisc: available (TestLossyLink uses netem)"
	else
		echo "deps: netem qdisc: MISSING ($err): this kernel has no CONFIG_NET_SCH_NETEM and no sch_netem"
		echo "      module (Debian: part of linux-image-*; modprobe sch_netem). TestLossyLink falls back to"
		echo "      nftables drops and HTB reordering (package nftables, in scripts/deps/tftp.txt)."
	fi
	ip netns del "$ns" 2>/dev/null || true
}

missing=()
for pkg in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$pkg")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#want[@]} packages from scripts/deps/*.txt are installed"
	check_netem
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: not root, not installing: ${missing[*]} (tests needing them will skip)"
	exit 0
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Another apt run (a colleague's install) may hold the lock for a while.
apt_opts=(-q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confold)
# Packages such as tftpd-hpa, dnsmasq or nginx would start a daemon in the
# root namespace on install, listening on the machine's real interfaces. The
# tests run every server in a lab namespace only: keep services from
# starting while installing (policy-rc.d, exit 101), and remove the guard
# again if we put it there.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# bootyard install-deps: no service starts during apt-get install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
fi
trap 'rm -f "$log"; [ "$own_policy" -eq 1 ] && rm -f "$policy"; true' EXIT
if ! { apt-get "${apt_opts[@]}" update && apt-get "${apt_opts[@]}" install "${missing[@]}"; } >"$log" 2>&1 </dev/null; then
	tail -n 40 "$log"
	echo "deps: apt-get failed installing: ${missing[*]}" >&2
	exit 1
fi
echo "deps: installed ${#missing[@]} packages"
check_netem
