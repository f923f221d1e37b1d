#!/usr/bin/env bash
# TFTP benchmark: bootyard (`bootyard serve`, TFTP only) against tftpd-hpa,
# dnsmasq and atftpd, with one client (atftp) for every server, in one run,
# and the C ping-pong ceiling (pingpong.c) beside them.
#
# Two network namespaces joined by one veth pair (MTU 9000, so 8192-byte
# blocks fit without IP fragmentation for every server). Where server and
# clients run is PLACEMENT (see place()). Needs root, iproute2, taskset,
# atftp, in.tftpd (tftpd-hpa), dnsmasq, cc, go, and apt-get to fetch atftpd's
# .deb (unpacked, never installed: it conflicts with tftpd-hpa). Not a test:
# numbers go to stdout, a summary with the ratios at the end.
#
#   sudo bench/tftp/run.sh                           # everything
#   REPS=5 CLIENTS=64 bench/tftp/run.sh              # knobs, see below
#   SERVERS="atftpd bootyard" PLACEMENT=pinned PROFILE=1 bench/tftp/run.sh
set -euo pipefail

REPS=${REPS:-3}                    # single-transfer runs per configuration (median kept)
SIZES=${SIZES-"512 1468 8192"}     # blksize for lock-step single transfers ("" for none)
WINDOWS=${WINDOWS-"4 16"}          # windowsize for windowed single transfers ("" for none)
WIN_BLKSIZE=${WIN_BLKSIZE:-1468}   # blksize of the windowed transfers
BIG_MB=${BIG_MB:-64}               # single-transfer file
CLIENTS=${CLIENTS:-128}            # concurrent clients ("0" for no parallel phase)
EACH_MB=${EACH_MB:-16}             # file each concurrent client fetches
CONC_BLKSIZE=${CONC_BLKSIZE:-1468} # blksize of the concurrent clients
SERVERS=${SERVERS:-"tftpd-hpa dnsmasq atftpd bootyard"}
PLACEMENT=${PLACEMENT:-"pinned spread"} # one or more of: pinned spread onecpu
CEILING=${CEILING:-1}              # also time the C ping-pong (lock-step sizes)
PROFILE=${PROFILE:-1}              # also profile bootyard (separate runs, not timed)
DNSMASQ_TFTP_MAX=${DNSMASQ_TFTP_MAX:-1000}
ATFTPD_DEB_DIR=${ATFTPD_DEB_DIR:-/var/cache/bootyard-bench} # where atftpd's .deb is kept
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-600}
BOOTYARD_FLAGS=${BOOTYARD_FLAGS:-"-log-level error"} # e.g. "-log-level info": a record per transfer
LOGDIR=${LOGDIR:-}                 # if set, the servers' logs are copied there at the end

CLI_IP=198.18.0.2
HERE=$(cd "$(dirname "$0")" && pwd)
C_SERVERS="tftpd-hpa dnsmasq atftpd"

need=(ip taskset atftp cmp cc go flock)
for name in $SERVERS; do
	case $name in
	tftpd-hpa) need+=(in.tftpd) ;;
	dnsmasq) need+=(dnsmasq) ;;
	atftpd) need+=(apt-get dpkg-deb) ;;
	bootyard) ;;
	*) echo "unknown server $name (tftpd-hpa dnsmasq atftpd bootyard)" >&2; exit 2 ;;
	esac
done
for cmd in "${need[@]}"; do
	command -v "$cmd" >/dev/null || { echo "missing: $cmd" >&2; exit 2; }
done
for pl in $PLACEMENT; do
	case $pl in pinned | spread | onecpu) ;; *) echo "PLACEMENT: pinned, spread or onecpu, not $pl" >&2; exit 2 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs (server and clients are pinned apart)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/tftpbench.XXXXXX)
chmod 755 "$WORK"
ROOT=$WORK/root
# What the clients write goes to RAM (tmpfs): 128 x 16 MiB written to disk
# per parallel run left gigabytes of dirty pages whose writeback throttled
# the clients of the next server's run (dnsmasq's aggregate went from 25.8
# to 48.2 MB/s between two quiet runs with the order of servers changed).
OUT=$(mktemp -d /dev/shm/tftpbench-out.XXXXXX)
RES=$WORK/results # one line per measurement, read by summary()
mkdir -p "$ROOT" "$OUT"
chmod 755 "$ROOT"
: >"$RES"
NS_S=tbench-$$-srv
NS_C=tbench-$$-cli
SAMPLER_PID=
declare -A IP=([tftpd-hpa]=198.18.0.11 [dnsmasq]=198.18.0.12 [bootyard]=198.18.0.13
	[bootyard-profiled]=198.18.0.14 [atftpd]=198.18.0.15 [ceiling]=198.18.0.16)
declare -A PID=()

# Server CPU time is read from a cgroup per server: tftpd-hpa forks one
# process per transfer and ignores SIGCHLD, so its children's time never
# reaches its own /proc/PID/stat (cutime/cstime count only waited-for
# children). cgroup v1's cpuacct where mounted, else cgroup v2's cpu.stat.
if [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
	CG=/sys/fs/cgroup/cpuacct/tbench-$$
	cg_ns() { cat "$CG/$1/cpuacct.usage"; }
elif CG2=$(findmnt -n -t cgroup2 -o TARGET | head -n1) && [ -n "$CG2" ]; then
	CG=$CG2/tbench-$$
	cg_ns() { awk '/^usage_usec/{printf "%d\n", $2 * 1000}' "$CG/$1/cpu.stat"; }
else
	echo "needs a cgroup v1 cpuacct or a cgroup v2 mount (server CPU per GiB)" >&2
	exit 2
fi

cleanup() {
	if [ -n "$SAMPLER_PID" ]; then kill "$SAMPLER_PID" 2>/dev/null || true; fi
	for pid in "${PID[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	sleep 0.5
	if [ -n "$LOGDIR" ]; then mkdir -p "$LOGDIR" && cp "$WORK"/*.log "$LOGDIR"/ 2>/dev/null; fi
	for d in "$CG"/*/; do rmdir "$d" 2>/dev/null || true; done
	rmdir "$CG" 2>/dev/null || true
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	rm -rf "$WORK" "$OUT"
}
trap cleanup EXIT
trap "exit 130" INT TERM

# shellcheck source-path=SCRIPTDIR source=servers.sh
. "$HERE/servers.sh"
ATFTPD='' ATFTPD_DEB=''
if [[ " $SERVERS " == *" atftpd "* ]]; then unpack_atftpd; fi

echo "# building bootyard and pingpong"
(cd "$HERE/../.." && go build -o "$WORK/bootyard" ./cmd/bootyard)
cc -O2 -Wall -o "$WORK/pingpong" "$HERE/pingpong.c"

echo "# files: big ${BIG_MB} MiB, each ${EACH_MB} MiB"
dd if=/dev/urandom of="$ROOT/big" bs=1M count="$BIG_MB" status=none
dd if=/dev/urandom of="$ROOT/each" bs=1M count="$EACH_MB" status=none
dd if=/dev/urandom of="$ROOT/small" bs=1K count=64 status=none
chmod 644 "$ROOT"/*

# The veth pair is created inside the server namespace, its peer moved
# straight into the client's: the root namespace never sees it.
ip netns add "$NS_S"
ip netns add "$NS_C"
ip -n "$NS_S" link add eth0 mtu 9000 type veth peer name eth0 netns "$NS_C"
ip -n "$NS_C" link set eth0 mtu 9000
ip -n "$NS_C" addr add $CLI_IP/24 dev eth0
for ns in "$NS_S" "$NS_C"; do
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
done

# place PLACEMENT: the CPUs of servers (SRV_CPUS) and clients (CLI_CPUS).
#   pinned: server on CPU 1, every client on CPU 0 (run.sh's default since
#           round 1: a server can never use more than one CPU);
#   spread: nothing pinned, the scheduler spreads server and clients over
#           all CPUs (a multi-threaded server may use several);
#   onecpu: server and client both on CPU 1 (every packet is a context
#           switch on one CPU, the 2026-12-02 hand run's lock-step setup).
place() {
	local all
	all=0-$(($(nproc) - 1))
	case $1 in
	pinned) SRV_CPUS=1 CLI_CPUS=0 ;;
	spread) SRV_CPUS=$all CLI_CPUS=$all ;;
	onecpu) SRV_CPUS=1 CLI_CPUS=1 ;;
	esac
	PL=$1
}

# fetch SERVER BLKSIZE FILE DST [WINDOW]: one atftp run on
# CLI_CPUS in the client namespace (the ceiling: one pingpong get of FILE's
# size; DST untouched).
fetch() {
	local opts=(--option "blksize $2")
	if [ -n "${5:-}" ]; then opts+=(--option "windowsize $5"); fi
	local run=(ip netns exec "$NS_C" taskset -c "$CLI_CPUS" timeout "$CLIENT_TIMEOUT")
	if [ "$1" = ceiling ]; then
		"${run[@]}" "$WORK/pingpong" get "${IP[ceiling]}" 69 "$2" "$(stat -c %s "$ROOT/$3")" >/dev/null
		return
	fi
	"${run[@]}" atftp "${opts[@]}" -g -r "$3" -l "$4" "${IP[$1]}" >/dev/null 2>&1
}

# negotiated SERVER BLKSIZE WINDOW: the options the server's OACK accepted
# (atftp --trace on a 64 KiB file, whose OACK line ends in backspaces); a
# server that ignores windowsize runs lock-step.
negotiated() {
	local oack
	oack=$(ip netns exec "$NS_C" timeout 60 atftp --trace --option "blksize $2" --option "windowsize $3" \
		-g -r small -l "$OUT/small" "${IP[$1]}" 2>&1 | grep -m1 'received OACK' | tr -d '\b' |
		sed 's/.*OACK <\(.*\)>.*/\1/; s/[,[:space:]]*$//' || true)
	case $oack in
	*windowsize*) echo "$oack" ;;
	"") echo "no OACK" ;;
	*) echo "$oack (windowsize ignored: lock-step)" ;;
	esac
}

now_ns() { date +%s%N; }
cpu_ms() { echo $(($(cg_ns "$1") / 1000000)); }
median() { tr ' ' '\n' | grep -v -e FAIL -e '^$' | sort -g | awk '{a[NR]=$1} END{print (NR ? a[int((NR+1)/2)] : "FAIL")}'; }

# single PHASE BLKSIZE [WINDOW]: REPS fetches of big per server, alternating
# servers; prints the median MB/s and server CPU per GiB, and records them.
single() {
	local phase=$1 size=$2 win=${3:-} name t0 t1 ms c0 names=$SERVERS cfg=$2
	declare -A runs=() cpu=() ok=() # CPU ms and count of the good fetches
	[ -n "$win" ] && cfg="${size}w$win"
	[ "$phase" = single ] && [ "$CEILING" = 1 ] && names="$names ceiling"
	for _ in $(seq "$REPS"); do
		for name in $names; do
			rm -f "$OUT/big"
			c0=$(cpu_ms "$name")
			t0=$(now_ns)
			if ! fetch "$name" "$size" big "$OUT/big" "$win"; then
				echo "$name $cfg: fetch failed" >&2
				runs[$name]="${runs[$name]:-} FAIL"
				continue
			fi
			t1=$(now_ns)
			if [ "$name" != ceiling ] && ! cmp -s "$ROOT/big" "$OUT/big"; then
				echo "$name $cfg: bytes differ" >&2
				runs[$name]="${runs[$name]:-} FAIL"
				continue
			fi
			cpu[$name]=$((${cpu[$name]:-0} + $(cpu_ms "$name") - c0))
			ok[$name]=$((${ok[$name]:-0} + 1))
			ms=$(((t1 - t0) / 1000000))
			runs[$name]="${runs[$name]:-} $(awk -v mb="$BIG_MB" -v ms="$ms" 'BEGIN{printf "%.1f", mb*1.048576*1000/ms}')"
		done
	done
	for name in $names; do
		local med gib
		med=$(echo "${runs[$name]}" | median)
		gib=$(awk -v ms="${cpu[$name]:-0}" -v mb="$BIG_MB" -v n="${ok[$name]:-0}" 'BEGIN{printf "%.2f", n ? ms/1000/(mb*n/1024) : 0}')
		printf "%-6s %-6s %-10s %d MiB blksize %-5s window %-2s MB/s median %-7s server CPU %6.2f s/GiB  runs:%s\n" \
			"$phase" "$PL" "$name" "$BIG_MB" "$size" "${win:-1}" "$med" "$gib" "${runs[$name]}"
		if [ "$name" = ceiling ] && [ "$med" != FAIL ]; then
			awk -v mbs="$med" -v b="$size" 'BEGIN{printf "       ceiling: %.0f exchanges/s (%.2f us each) at %d-byte blocks\n", mbs*1e6/b, b/mbs, b}'
		fi
		echo "$PL $phase $cfg $name $med $gib" >>"$RES"
	done
}

# rss_tree PID: summed VmRSS (kB) of PID and its children (tftpd-hpa forks
# one child per transfer).
rss_tree() {
	local total=0 p r
	for p in $1 $(pgrep -P "$1" || true); do
		r=$(awk '/^VmRSS:/{print $2}' /proc/"$p"/status 2>/dev/null || echo 0)
		total=$((total + ${r:-0}))
	done
	echo $total
}

# concurrent NAME: CLIENTS fetches of each at once.
concurrent() {
	local name=$1 i t0 t1 fails hwm c0 k0
	: >"$WORK/times"
	rm -f "$WORK/peak"
	sync # nothing of an earlier phase left to write back while the clients run
	(
		peak=0
		while :; do
			r=$(rss_tree "${PID[$name]}")
			[ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$WORK/peak"
			sleep 0.1
		done
	) &
	SAMPLER_PID=$!
	mkdir -p "$CG/clients"
	# The clients start together: each is launched, says "ready", then waits
	# for a shared lock we hold until all are ready (flock -w bounds it).
	# Launching 128 of them takes seconds on a loaded machine, and timing
	# from the first launch let the launch, not the server, set the wall time.
	: >"$WORK/ready"
	exec 4>"$WORK/gate"
	flock -x 4
	# One launcher joins the clients' cgroup and starts them all: they
	# inherit it (moving 128 processes one by one takes seconds).
	(
		exec 4>&-
		echo "$BASHPID" >"$CG/clients/cgroup.procs"
		for i in $(seq "$CLIENTS"); do
			(
				echo "$i" >>"$WORK/ready"
				flock -w 300 -s "$WORK/gate" true || true
				s=$(now_ns)
				rc=0
				fetch "$name" "$CONC_BLKSIZE" each "$OUT/c$i" || rc=$?
				e=$(now_ns)
				echo "$i $rc $(((e - s) / 1000000))" >>"$WORK/times"
			) &
		done
		wait
	) &
	local launcher=$! n=0
	for _ in $(seq 1200); do
		n=$(wc -l <"$WORK/ready")
		[ "$n" -ge "$CLIENTS" ] && break
		sleep 0.1
	done
	[ "$n" -ge "$CLIENTS" ] || echo "only $n of $CLIENTS clients ready after 120 s; starting anyway" >&2
	sleep 0.2 # the last one from "ready" to its flock
	c0=$(cpu_ms "$name")
	k0=$(cpu_ms clients)
	t0=$(now_ns)
	exec 4>&- # the gate opens
	wait "$launcher"
	t1=$(now_ns)
	kill "$SAMPLER_PID" 2>/dev/null || true
	wait "$SAMPLER_PID" 2>/dev/null || true
	SAMPLER_PID=
	hwm=$(awk '/^VmHWM:/{print $2}' /proc/"${PID[$name]}"/status)
	sleep 1 # let a forking server reap its last children before reading its CPU time
	local scpu=$(($(cpu_ms "$name") - c0)) ccpu=$(($(cpu_ms clients) - k0))
	fails=0
	for i in $(seq "$CLIENTS"); do
		if ! grep -q "^$i 0 " "$WORK/times" || ! cmp -s "$ROOT/each" "$OUT/c$i"; then
			fails=$((fails + 1))
		fi
		rm -f "$OUT/c$i"
	done
	local wall_ms=$(((t1 - t0) / 1000000)) p99 p50 agg gib peak
	p99=$(awk '{print $3}' "$WORK/times" | sort -n | awk -v n="$CLIENTS" '{a[NR]=$1} END{i=int(n*0.99+0.999); if(i>NR)i=NR; print a[i]}')
	p50=$(awk '{print $3}' "$WORK/times" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	agg=$(awk -v c="$CLIENTS" -v mb="$EACH_MB" -v ms="$wall_ms" 'BEGIN{printf "%.1f", c*mb*1.048576*1000/ms}')
	gib=$(awk -v ms="$scpu" -v c="$CLIENTS" -v mb="$EACH_MB" 'BEGIN{printf "%.2f", ms/1000/(c*mb/1024)}')
	peak=$(cat "$WORK/peak" 2>/dev/null || echo 0)
	# CPUs busy: CPU seconds per second of wall time (1.00 = one whole CPU);
	# the client side counts the atftp processes and the shells starting them.
	printf "parallel %-6s %-10s clients %d x %d MiB blksize %d: aggregate %s MB/s, wall %d ms, p50 %s ms, p99 %s ms, failed %d, VmHWM %s kB, peak RSS (process tree) %s kB, server CPU %s s/GiB, CPUs busy: server %s, client side %s\n" \
		"$PL" "$name" "$CLIENTS" "$EACH_MB" "$CONC_BLKSIZE" "$agg" "$wall_ms" "$p50" "$p99" "$fails" "$hwm" "$peak" "$gib" \
		"$(awk -v c="$scpu" -v w="$wall_ms" 'BEGIN{printf "%.2f", c/w}')" "$(awk -v c="$ccpu" -v w="$wall_ms" 'BEGIN{printf "%.2f", c/w}')"
	echo "$PL parallel $CONC_BLKSIZE $name $agg $gib $fails $peak" >>"$RES"
}

echo "# $(date -u +%FT%TZ) $(uname -r), $(nproc) CPUs; placements: $PLACEMENT; veth MTU 9000; MB = 10^6 bytes"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: single runs alternate servers)"
echo "# bootyard $(cd "$HERE/../.." && git rev-parse --short HEAD 2>/dev/null || echo '?'); atftp $(atftp -V 2>&1 | head -1)"
[[ " $SERVERS " == *" tftpd-hpa "* ]] && echo "# $(in.tftpd -V 2>&1 | head -1)"
[[ " $SERVERS " == *" dnsmasq "* ]] && echo "# $(dnsmasq --version | head -1)"
[ -n "$ATFTPD" ] && echo "# atftpd $(dpkg-deb -f "$ATFTPD_DEB" Version), unpacked from $(basename "$ATFTPD_DEB")"

first=1
for pl in $PLACEMENT; do
	place "$pl"
	echo "# placement $PL: servers on CPUs $SRV_CPUS, clients on CPUs $CLI_CPUS; load average $(cut -d' ' -f1 /proc/loadavg)"
	for name in $SERVERS; do start_server "$name"; done
	[ "$CEILING" = 1 ] && start_server ceiling
	if [ "$first" = 1 ] && [ -n "$WINDOWS" ]; then
		for win in $WINDOWS; do
			for name in $SERVERS; do
				echo "# negotiated with $name, blksize $WIN_BLKSIZE windowsize $win: $(negotiated "$name" "$WIN_BLKSIZE" "$win")"
			done
		done
		first=0
	fi
	for size in $SIZES; do single single "$size"; done
	for win in $WINDOWS; do single window "$WIN_BLKSIZE" "$win"; done
	if [ "$CLIENTS" -gt 0 ]; then
		for name in ${PARALLEL_ORDER:-$SERVERS}; do concurrent "$name"; done
	fi
	for name in "${!PID[@]}"; do stop_server "$name"; done
done

awk -v c_servers="$C_SERVERS" -f "$HERE/summary.awk" "$RES"

if [ "$PROFILE" = 1 ] && [[ " $SERVERS " == *" bootyard "* ]]; then
	place "${PLACEMENT%% *}"
	for what in single-512 parallel; do
		start_server bootyard-profiled -cpuprofile "$WORK/$what.pprof"
		if [ "$what" = single-512 ]; then
			fetch bootyard-profiled 512 big "$OUT/big" || true
		else
			concurrent bootyard-profiled >/dev/null
		fi
		stop_server bootyard-profiled
		echo "# CPU profile of bootyard ($PL), $what (top 30 by cumulative time)"
		(cd "$HERE/../.." && go tool pprof -top -cum -nodecount=30 "$WORK/bootyard" "$WORK/$what.pprof" 2>/dev/null) | sed 's/^/    /'
	done
fi
