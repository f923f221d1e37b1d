#!/usr/bin/env bash
# TFTP benchmark: bootyard (`bootyard serve`, TFTP only) against tftpd-hpa
# and dnsmasq, with one client (atftp) for every server, in one run.
#
# Two network namespaces joined by one veth pair (MTU 9000, so 8192-byte
# blocks fit without IP fragmentation for every server); the server runs on
# CPU 1, every client on CPU 0. Needs root, iproute2, taskset, atftp,
# in.tftpd (tftpd-hpa), dnsmasq and go. Not a test: numbers go to stdout.
#
#   sudo bench/tftp/run.sh                 # everything
#   REPS=5 CLIENTS=64 bench/tftp/run.sh    # knobs, see below
#   SERVERS="bootyard" PROFILE=1 bench/tftp/run.sh
set -euo pipefail

REPS=${REPS:-3}                    # single-transfer runs per size (median kept)
SIZES=${SIZES:-"512 1468 8192"}    # blksize for single transfers
BIG_MB=${BIG_MB:-64}               # single-transfer file
CLIENTS=${CLIENTS:-128}            # concurrent clients
EACH_MB=${EACH_MB:-16}             # file each concurrent client fetches
CONC_BLKSIZE=${CONC_BLKSIZE:-1468} # blksize of the concurrent clients
SERVERS=${SERVERS:-"tftpd-hpa dnsmasq bootyard"}
PROFILE=${PROFILE:-1}              # also profile bootyard (separate runs, not timed)
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-600}

CLI_IP=198.18.0.2
HERE=$(cd "$(dirname "$0")" && pwd)

for cmd in ip taskset atftp in.tftpd dnsmasq go cmp; do
	command -v "$cmd" >/dev/null || { echo "missing: $cmd" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/tftpbench.XXXXXX)
chmod 755 "$WORK"
ROOT=$WORK/root
OUT=$WORK/out
mkdir -p "$ROOT" "$OUT"
chmod 755 "$ROOT"
CG=/sys/fs/cgroup/cpuacct/tbench-$$
NS_S=tbench-$$-srv
NS_C=tbench-$$-cli
SAMPLER_PID=

cleanup() {
	[ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
	for pid in "${PID[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	sleep 0.5
	for d in "$CG"/*/; do rmdir "$d" 2>/dev/null || true; done
	rmdir "$CG" 2>/dev/null || true
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

# Every server listens on port 69 of its own address, all at once, so the
# single-transfer runs can alternate between servers: this machine is shared,
# and alternating spreads whatever else runs evenly over the servers.
declare -A IP=([tftpd-hpa]=198.18.0.11 [dnsmasq]=198.18.0.12 [bootyard]=198.18.0.13 [bootyard-profiled]=198.18.0.14)
declare -A PID=()

# start_server NAME [extra args]: start NAME on CPU 1 in the server
# namespace; PID[NAME] is the server's own pid (ip netns exec and taskset
# both exec).
start_server() {
	local name=$1 ip=${IP[$1]}
	shift
	ip -n "$NS_S" addr add "$ip/24" dev eth0
	case $name in
	bootyard*)
		# Cap raised to 8192: the link's MTU is 9000 (the default cap 1468
		# is for 1500-byte links).
		# bootyard as a user runs it, TFTP only, both transfer limits off.
		cat >"$WORK/$name.yaml" <<-EOF
			interface: eth0
			dhcp: {mode: off, server_ip: $ip}
			tftp: {root: $ROOT, max_block_size: 8192, max_transfers: 0, max_per_client: 0}
			boot: {bios: "", uefi-x64: "", uefi-arm64: "", ipxe: "", uboot-arm: "", uboot-arm64: "", rpi: ""}
		EOF
		ip netns exec "$NS_S" taskset -c 1 "$WORK/bootyard" serve -config "$WORK/$name.yaml" \
			-log-level error "$@" >"$WORK/$name.log" 2>&1 &
		;;
	tftpd-hpa)
		ip netns exec "$NS_S" taskset -c 1 in.tftpd -L -s "$ROOT" --address "$ip:69" \
			-u nobody >"$WORK/$name.log" 2>&1 &
		;;
	dnsmasq)
		ip netns exec "$NS_S" taskset -c 1 dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
			--enable-tftp --tftp-root="$ROOT" --listen-address="$ip" --bind-interfaces \
			--tftp-max=1000 --quiet-tftp --pid-file= --log-facility=- >"$WORK/$name.log" 2>&1 &
		;;
	esac
	PID[$name]=$!
	mkdir -p "$CG/$name"
	echo "${PID[$name]}" >"$CG/$name/cgroup.procs"
	for _ in $(seq 100); do
		if ip netns exec "$NS_S" ss -Hunl "src $ip" | grep -q ":69 "; then
			return 0
		fi
		sleep 0.1
	done
	echo "$name did not start:" >&2
	cat "$WORK/$name.log" >&2
	exit 1
}

stop_server() {
	local pid=${PID[$1]}
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "PID[$1]"
}

# fetch SERVER BLKSIZE FILE DST: one atftp run on CPU 0 in the client namespace.
fetch() {
	ip netns exec "$NS_C" taskset -c 0 timeout "$CLIENT_TIMEOUT" \
		atftp --option "blksize $2" -g -r "$3" -l "$4" "${IP[$1]}" >/dev/null 2>&1
}

now_ns() { date +%s%N; }

# cpu_ms NAME: CPU time in ms used by server NAME and every process it
# forked (a cpuacct cgroup per server: tftpd-hpa ignores SIGCHLD, so its
# children's time never reaches its own /proc stat). On a shared machine
# this, per byte served, is the number that outside load moves least.
cpu_ms() {
	echo $(( $(cat "$CG/$1/cpuacct.usage") / 1000000 ))
}

# single: REPS fetches of big per server and blksize, alternating servers;
# prints the median MB/s.
single() {
	local size rep name t0 t1 ms c0
	declare -A runs=() cpu=()
	for size in $SIZES; do
		for rep in $(seq "$REPS"); do
			for name in $SERVERS; do
				rm -f "$OUT/big"
				c0=$(cpu_ms "$name")
				t0=$(now_ns)
				if ! fetch "$name" "$size" big "$OUT/big"; then
					echo "$name blksize $size: fetch failed" >&2
					runs[$name]="${runs[$name]:-} FAIL"
					continue
				fi
				t1=$(now_ns)
				cpu[$name]=$(( ${cpu[$name]:-0} + $(cpu_ms "$name") - c0 ))
				if ! cmp -s "$ROOT/big" "$OUT/big"; then
					echo "$name blksize $size: bytes differ" >&2
					runs[$name]="${runs[$name]:-} FAIL"
					continue
				fi
				ms=$(( (t1 - t0) / 1000000 ))
				runs[$name]="${runs[$name]:-} $(awk -v mb="$BIG_MB" -v ms="$ms" 'BEGIN{printf "%.1f", mb*1.048576*1000/ms}')"
			done
		done
		for name in $SERVERS; do
			printf "single   %-10s %d MiB blksize %-5s MB/s median %-7s server CPU %5.2f s/GiB  runs:%s\n" "$name" "$BIG_MB" "$size" \
				"$(echo ${runs[$name]} | tr ' ' '\n' | grep -v FAIL | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')" \
				"$(awk -v ms="${cpu[$name]:-0}" -v mb="$BIG_MB" -v n="$REPS" 'BEGIN{printf "%.2f", ms/1000/(mb*n/1024)}')" "${runs[$name]}"
			runs[$name]=
			cpu[$name]=0
		done
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
	local name=$1 i t0 t1 fails peak hwm
	: >"$WORK/times"
	rm -f "$WORK/peak"
	(
		peak=0
		while :; do
			r=$(rss_tree "${PID[$name]}")
			[ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$WORK/peak"
			sleep 0.1
		done
	) &
	SAMPLER_PID=$!
	local c0
	c0=$(cpu_ms "$name")
	t0=$(now_ns)
	local pids=()
	for i in $(seq "$CLIENTS"); do
		(
			s=$(now_ns)
			rc=0
			fetch "$name" "$CONC_BLKSIZE" each "$OUT/c$i" || rc=$?
			e=$(now_ns)
			echo "$i $rc $(( (e - s) / 1000000 ))" >>"$WORK/times"
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	t1=$(now_ns)
	kill "$SAMPLER_PID" 2>/dev/null || true
	wait "$SAMPLER_PID" 2>/dev/null || true
	SAMPLER_PID=
	hwm=$(awk '/^VmHWM:/{print $2}' /proc/"${PID[$name]}"/status)
	sleep 1 # let a forking server reap its last children before reading its CPU time
	local cpu=$(( $(cpu_ms "$name") - c0 ))
	fails=0
	for i in $(seq "$CLIENTS"); do
		if ! grep -q "^$i 0 " "$WORK/times" || ! cmp -s "$ROOT/each" "$OUT/c$i"; then
			fails=$((fails + 1))
		fi
		rm -f "$OUT/c$i"
	done
	local wall_ms=$(( (t1 - t0) / 1000000 ))
	local p99 p50
	p99=$(awk '{print $3}' "$WORK/times" | sort -n | awk -v n="$CLIENTS" '{a[NR]=$1} END{i=int(n*0.99+0.999); if(i>NR)i=NR; print a[i]}')
	p50=$(awk '{print $3}' "$WORK/times" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	printf "parallel %-10s clients %d x %d MiB blksize %d: aggregate %s MB/s, wall %d ms, p50 %s ms, p99 %s ms, failed %d, VmHWM %s kB, peak RSS (process tree) %s kB, server CPU %s s/GiB\n" \
		"$name" "$CLIENTS" "$EACH_MB" "$CONC_BLKSIZE" \
		"$(awk -v c="$CLIENTS" -v mb="$EACH_MB" -v ms="$wall_ms" 'BEGIN{printf "%.1f", c*mb*1.048576*1000/ms}')" \
		"$wall_ms" "$p50" "$p99" "$fails" "$hwm" "$(cat "$WORK/peak" 2>/dev/null || echo ?)" \
		"$(awk -v ms="$cpu" -v c="$CLIENTS" -v mb="$EACH_MB" 'BEGIN{printf "%.2f", ms/1000/(c*mb/1024)}')"
}

echo "# $(date -u +%FT%TZ) $(uname -r), $(nproc) CPUs; server CPU 1, client CPU 0; veth MTU 9000; MB = 10^6 bytes"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: single runs alternate servers)"
echo "# atftp $(atftp -V 2>&1 | head -1); $(in.tftpd -V 2>&1 | head -1); $(dnsmasq --version | head -1)"
for name in $SERVERS; do
	start_server "$name"
done
single
for name in ${PARALLEL_ORDER:-$SERVERS}; do
	concurrent "$name"
done
for name in $SERVERS; do
	stop_server "$name"
done

if [ "$PROFILE" = 1 ] && [[ " $SERVERS " == *" bootyard "* ]]; then
	for what in single-512 parallel; do
		start_server bootyard-profiled -cpuprofile "$WORK/$what.pprof"
		if [ "$what" = single-512 ]; then
			fetch bootyard-profiled 512 big "$OUT/big" || true
		else
			concurrent bootyard-profiled >/dev/null
		fi
		stop_server bootyard-profiled
		ip -n "$NS_S" addr del "${IP[bootyard-profiled]}/24" dev eth0
		echo "# CPU profile of bootyard, $what (top 30 by cumulative time)"
		(cd "$HERE/../.." && go tool pprof -top -cum -nodecount=30 "$WORK/bootyard" "$WORK/$what.pprof" 2>/dev/null) | sed 's/^/    /'
	done
fi
