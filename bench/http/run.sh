#!/usr/bin/env bash
# HTTP benchmark: bootyard's HTTP file server (`bootyard serve` with
# http.enabled) against nginx (Debian nginx-light), same files, same
# namespace pair, in one run.
#
# Two network namespaces joined by one veth pair; both servers run in the
# server namespace pinned to CPU 1 (taskset), every client (curl) in the
# client namespace on CPU 0. Two scenarios:
#   single  one 1 GiB download (median of REPS), MB/s
#   many    CLIENTS concurrent clients each fetching EACH_MB MiB, aggregate MB/s
# and bootyard's peak RSS (VmHWM) after the concurrent run. Needs root,
# iproute2, taskset, curl, go; installs nginx-light if missing (with services
# kept from starting). Not a test: numbers go to stdout.
#
#   sudo bench/http/run.sh
#   REPS=5 CLIENTS=64 BIG_MB=256 bench/http/run.sh
set -euo pipefail

REPS=${REPS:-3}
BIG_MB=${BIG_MB:-1024}
CLIENTS=${CLIENTS:-128}
EACH_MB=${EACH_MB:-16}
SRV_IP=198.18.0.1
CLI_IP=198.18.0.2
HERE=$(cd "$(dirname "$0")" && pwd)

[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 2; }
if ! command -v nginx >/dev/null; then
	echo "# installing nginx-light (services kept from starting)"
	own=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own=1; fi
	DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install nginx-light >/dev/null
	[ "$own" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi
for cmd in ip taskset curl go nginx; do
	command -v "$cmd" >/dev/null || { echo "missing: $cmd" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/httpbench.XXXXXX)
chmod 755 "$WORK"
ROOT=$WORK/root
mkdir -p "$ROOT"
chmod 755 "$ROOT"
NS_S=hbench-$$-srv
NS_C=hbench-$$-cli
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	sleep 0.3
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 130" INT TERM

echo "# building bootyard"
(cd "$HERE/../.." && go build -o "$WORK/bootyard" ./cmd/bootyard)
echo "# files: big ${BIG_MB} MiB, each ${EACH_MB} MiB"
dd if=/dev/urandom of="$ROOT/big" bs=1M count="$BIG_MB" status=none
dd if=/dev/urandom of="$ROOT/each" bs=1M count="$EACH_MB" status=none
chmod 644 "$ROOT"/*

ip netns add "$NS_S"
ip netns add "$NS_C"
ip -n "$NS_S" link add eth0 type veth peer name eth0 netns "$NS_C"
ip -n "$NS_S" addr add $SRV_IP/24 dev eth0
ip -n "$NS_C" addr add $CLI_IP/24 dev eth0
for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; ip -n "$ns" link set eth0 up; done

cat >"$WORK/bootyard.yaml" <<YAML
interface: eth0
dhcp: {mode: off, server_ip: $SRV_IP}
tftp: {root: $ROOT}
http: {enabled: true, port: 8080, max_conns: 0, max_conns_per_client: 0}
admin: {listen: ""}
boot: {bios: "", uefi-x64: "", uefi-arm64: "", uboot-arm: "", uboot-arm64: "", rpi: "", ipxe: ""}
YAML
cat >"$WORK/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 60;
    types { application/octet-stream img; }
    default_type application/octet-stream;
    client_body_temp_path $WORK/nginx-tmp;
    server { listen $SRV_IP:8081; root $ROOT; }
}
NGINX
mkdir -p "$WORK/nginx-tmp"
ip netns exec "$NS_S" taskset -c 1 "$WORK/bootyard" serve -config "$WORK/bootyard.yaml" -log-level warn >"$WORK/bootyard.log" 2>&1 &
PIDS+=($!)
BY_PID=$!
# nginx with one worker, like bootyard on one CPU.
ip netns exec "$NS_S" taskset -c 1 nginx -c "$WORK/nginx.conf" >"$WORK/nginx.log" 2>&1 &
PIDS+=($!)
for port in 8080 8081; do
	for _ in $(seq 100); do
		ip netns exec "$NS_C" curl -s -o /dev/null "http://$SRV_IP:$port/each" && break
		sleep 0.1
	done
done

declare -A PORT=([bootyard]=8080 [nginx]=8081)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

single() { # server -> seconds for one BIG download
	ip netns exec "$NS_C" taskset -c 0 curl -s -o /dev/null -w '%{time_total}\n' "http://$SRV_IP:${PORT[$1]}/big"
}
many() { # server -> seconds for CLIENTS x EACH downloads at once
	local start end
	start=$(date +%s.%N)
	seq "$CLIENTS" | ip netns exec "$NS_C" taskset -c 0 xargs -P "$CLIENTS" -I{} \
		curl -s -o /dev/null --fail "http://$SRV_IP:${PORT[$1]}/each"
	end=$(date +%s.%N)
	echo "$end - $start" | bc -l
}

declare -A S M
for srv in bootyard nginx; do S[$srv]=""; done
for _ in $(seq "$REPS"); do
	for srv in bootyard nginx; do S[$srv]+="$(single "$srv") "; done # alternate: the machine is shared
done
for srv in bootyard nginx; do M[$srv]=$(many "$srv"); done

echo
echo "# single ${BIG_MB} MiB download, median of $REPS (MB/s)"
for srv in bootyard nginx; do
	t=$(echo ${S[$srv]} | tr ' ' '\n' | median)
	printf "%-9s %8.1f MB/s  (%s s; runs: %s)\n" "$srv" "$(echo "$BIG_MB*1.048576/$t" | bc -l)" "$t" "${S[$srv]}"
done
echo "# $CLIENTS clients x ${EACH_MB} MiB at once (aggregate MB/s)"
for srv in bootyard nginx; do
	printf "%-9s %8.1f MB/s  (%.2f s)\n" "$srv" "$(echo "$CLIENTS*$EACH_MB*1.048576/${M[$srv]}" | bc -l)" "${M[$srv]}"
done
echo "# bootyard peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$BY_PID/status 2>/dev/null || echo unknown)"
