#!/bin/bash
# DHCP throughput benchmark: bootyard, dnsmasq and Kea under perfdhcp, in the
# same run, on the same veth pair between two network namespaces.
#
#   sudo bench/dhcp/run.sh               # all servers, both scenarios
#   RATES="1000 4000" DURATION=5 sudo bench/dhcp/run.sh
#
# Needs root, iproute2, taskset, perfdhcp (Debian: kea-admin), dnsmasq,
# kea-dhcp4 (kea-dhcp4-server) and Go. SERVERS may also name bootyard-nosync
# (lease file in /dev/shm: no fsync cost) and bootyard-base (the binary
# BASE_BIN, e.g. built from main, durable leases: before/after in one run).
# PROFILE=DIR keeps a CPU profile of bootyard per scenario (its last rate) in DIR,
# TRACE=DIR a runtime execution trace (go tool trace: where a reply waited);
# ROUNDS=N runs the whole matrix N times (servers alternate within each
# round) and ends with the medians, each server's capacity and the delay at
# REF's (default kea) capacity.
# CLIENT_RCVBUF=BYTES is perfdhcp's socket receive queue (default 2 MiB;
# empty: the kernel's default, 208 KiB here). perfdhcp, alone on its CPU and
# at 100% of it at 12,000/s, otherwise loses replies the server did send and
# counts them as the server's drops. The queue of a new socket can only be
# sized machine-wide (net.core.rmem_default is read-only in a namespace),
# so the bench sets it just while perfdhcp opens its socket, after the
# server has opened its own, and puts the old value back at once (and on
# exit). Every server gets the same.
# LOGDIR=DIR keeps each server's log (bootyard warns there of requests dropped when busy). Nothing leaves the two namespaces it
# creates; they are removed on exit. See README.md for how to read the output.
set -euo pipefail

RATES=${RATES:-"1000 2000 4000 8000 16000"}
DURATION=${DURATION:-10}
SERVERS=${SERVERS:-"bootyard dnsmasq kea"}
SCENARIOS=${SCENARIOS:-"pool reservations"}
ROUNDS=${ROUNDS:-1}
REF=${REF:-kea}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
CLIENT_RCVBUF=${CLIENT_RCVBUF-2097152}

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/bootyard-dhcp-bench.XXXXXX)
# bootyard-nosync keeps its lease file in RAM (/dev/shm), where fsync costs
# nothing: bootyard's latency without the durability, beside Kea's memfile,
# which does not fsync either.
shm=$(mktemp -d /dev/shm/bootyard-dhcp-bench.XXXXXX)
S=bybench-$$-srv
C=bybench-$$-cli
SERVER_PID=
RMEM_DEFAULT=
RB_SHOWN=

cleanup() {
	if [ -n "$RMEM_DEFAULT" ]; then sysctl -qw net.core.rmem_default="$RMEM_DEFAULT" || true; fi
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
	ip netns del "$S" 2>/dev/null || true
	ip netns del "$C" 2>/dev/null || true
	rm -rf "$work" "$shm"
}
trap cleanup EXIT

for cmd in ip taskset perfdhcp dnsmasq kea-dhcp4 go; do
	command -v "$cmd" >/dev/null || { echo "missing: $cmd" >&2; exit 1; }
done

# Topology: the server has 198.51.100.2 on veth0; perfdhcp plays a relay
# with giaddr 198.18.0.1 on veth1, so every server serves the relayed subnet
# 198.18.0.0/15 (benchmark range, RFC 2544) from a 10,000-address pool.
ip netns add "$S"
ip netns add "$C"
ip -n "$S" link add veth0 type veth peer name veth1 netns "$C"
ip -n "$S" addr add 198.51.100.2/24 dev veth0
ip -n "$C" addr add 198.18.0.1/15 dev veth1
for ns in "$S" "$C"; do ip -n "$ns" link set lo up; done
ip -n "$S" link set veth0 up
ip -n "$C" link set veth1 up
ip -n "$S" route add 198.18.0.0/15 dev veth0
ip -n "$C" route add 198.51.100.0/24 dev veth1

POOL_START=198.18.0.10
POOL_END=198.18.39.25 # 10,000 addresses

# 1,000 reservations (MACs perfdhcp picks from with -M), outside the pool.
: >"$work/macs"
: >"$work/resv"
: >"$work/dnsmasq-hosts"
: >"$work/bootyard-hosts"
kea_resv=""
for i in $(seq 0 999); do
	mac=$(printf '02:42:00:00:%02x:%02x' $((i / 256)) $((i % 256)))
	ip=198.18.$((50 + i / 250)).$((i % 250 + 1))
	echo "$mac" >>"$work/macs"
	echo "$mac $ip" >>"$work/resv"
	echo "$mac,$ip" >>"$work/dnsmasq-hosts"
	kea_resv+="${kea_resv:+,}{\"hw-address\":\"$mac\",\"ip-address\":\"$ip\"}"
	printf '  - {name: r%d, mac: "%s", ip: %s}\n' "$i" "$mac" "$ip" >>"$work/bootyard-hosts"
done

(cd "$here/../.." && go build -o "$work/bootyard" ./cmd/bootyard)

# bootyard_config SCENARIO LEASEFILE: the server as a user would run it, with
# every dhcp.limits rate off (perfdhcp's 10,000 new MACs per run would be, and
# should be, throttled by new_client_rate) and no conflict probe (dnsmasq runs
# with --no-ping for the same reason).
bootyard_config() {
	cat <<-EOF
		interface: veth0
		dhcp:
		  mode: authoritative
		  server_ip: 198.51.100.2
		  subnet: 198.51.100.0/24
		  lease_time: 1h
		  lease_file: $2
		  conflict_probe: false
		  limits: {per_client_rate: 0, per_client_burst: 0, new_client_rate: 0, new_client_burst: 0}
		  relayed:
		    - {subnet: 198.18.0.0/15, router: 198.18.0.1, pool: $POOL_START-$POOL_END}
		tftp: {enabled: false}
	EOF
	if [ "$1" = reservations ]; then
		echo "hosts:"
		cat "$work/bootyard-hosts"
	fi
}

start_server() { # name scenario
	local name=$1 scen=$2 dir="$work/run-$1-$2"
	rm -rf "$dir"
	mkdir -p "$dir"
	case $name in
	bootyard | bootyard-nosync | bootyard-base)
		local lf=$dir/leases bin=$work/bootyard
		[ "$name" = bootyard-nosync ] && lf=$shm/leases-$scen && rm -f "$lf"*
		[ "$name" = bootyard-base ] && bin=${BASE_BIN:?bootyard-base needs BASE_BIN}
		bootyard_config "$scen" "$lf" >"$dir/bootyard.yaml"
		ip netns exec "$S" taskset -c "$SERVER_CPU" "$bin" serve -config "$dir/bootyard.yaml" \
			-log-level warn ${PROFILE:+-cpuprofile "$PROFILE/$name-$scen.prof"} \
			${TRACE:+-trace "$TRACE/$name-$scen.trace"} 2>"$dir/log" &
		;;
	dnsmasq)
		local resv=()
		[ "$scen" = reservations ] && resv=(--dhcp-hostsfile="$work/dnsmasq-hosts")
		ip netns exec "$S" taskset -c "$SERVER_CPU" dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
			--user=root --interface=veth0 --bind-interfaces --quiet-dhcp --no-ping \
			--dhcp-range="$POOL_START,$POOL_END,255.254.0.0,1h" --dhcp-lease-max=20000 \
			--dhcp-leasefile="$dir/leases" --pid-file="$dir/pid" "${resv[@]}" 2>"$dir/log" &
		;;
	kea)
		# renew-timer and rebind-timer: Kea then sends options 58 and 59 (T1,
		# T2) as bootyard and dnsmasq do, so that perfdhcp reads the same
		# options from every server (README.md, 2026-12-04).
		local resv="[]"
		[ "$scen" = reservations ] && resv="[$kea_resv]"
		cat >"$dir/kea.json" <<-EOF
			{"Dhcp4": {
			  "interfaces-config": {"interfaces": ["veth0"], "dhcp-socket-type": "udp"},
			  "lease-database": {"type": "memfile", "persist": true, "name": "$dir/leases.csv", "lfc-interval": 0},
			  "valid-lifetime": 3600, "renew-timer": 1800, "rebind-timer": 3150,
			  "subnet4": [{"id": 1, "subnet": "198.18.0.0/15",
			    "pools": [{"pool": "$POOL_START - $POOL_END"}],
			    "option-data": [{"name": "routers", "data": "198.18.0.1"}],
			    "reservations": $resv}],
			  "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": "stderr"}], "severity": "WARN"}]
			}}
		EOF
		KEA_PIDFILE_DIR=$dir KEA_LOCKFILE_DIR=$dir ip netns exec "$S" taskset -c "$SERVER_CPU" \
			kea-dhcp4 -c "$dir/kea.json" >"$dir/log" 2>&1 &
		;;
	esac
	SERVER_PID=$!
	# Ready when it holds UDP port 67 in the namespace (bounded wait).
	for _ in $(seq 1 100); do
		if ip netns exec "$S" ss -ulnH 'sport = :67' | grep -q .; then return 0; fi
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "$name did not start:" >&2
	cat "$dir/log" >&2
	exit 1
}

stop_server() {
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}

# run_client ARGS... runs perfdhcp in the client's namespace on its CPU,
# with CLIENT_RCVBUF as its socket's receive queue when set.
run_client() {
	if [ -z "$CLIENT_RCVBUF" ]; then
		ip netns exec "$C" taskset -c "$CLIENT_CPU" perfdhcp "$@" 198.51.100.2 >"$work/perf.out" 2>&1 || true
		return
	fi
	RMEM_DEFAULT=$(sysctl -n net.core.rmem_default)
	sysctl -qw net.core.rmem_default="$CLIENT_RCVBUF"
	ip netns exec "$C" taskset -c "$CLIENT_CPU" perfdhcp "$@" 198.51.100.2 >"$work/perf.out" 2>&1 &
	local pid=$! rb=
	# Back to the old value as soon as perfdhcp holds its socket (bounded).
	for _ in $(seq 1 200); do
		rb=$(ip netns exec "$C" ss -uamH 'sport = :67' | grep -o 'rb[0-9]*' | head -1 || true)
		[ -n "$rb" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	sysctl -qw net.core.rmem_default="$RMEM_DEFAULT"
	RMEM_DEFAULT=
	# Said once, and whenever the queue is not the one asked for.
	if [ -z "$RB_SHOWN" ] || [ "$rb" != "rb$CLIENT_RCVBUF" ]; then
		echo "<!-- perfdhcp's receive queue: ${rb:-not seen} (skmem rb, bytes) -->"
		RB_SHOWN=1
	fi
	wait "$pid" || true
}

# unanswered prints what bootyard's metrics (its admin listener, on by
# default at 127.0.0.1:9867, the server namespace's own loopback) count as
# received and not replied to, by type, outcome and reason: where the
# difference between "server in" and "out" went.
unanswered() {
	ip netns exec "$S" bash -c 'exec 3<>/dev/tcp/127.0.0.1/9867 && printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && timeout 5 cat <&3' 2>/dev/null |
		awk '/^bootyard_dhcp_packets_total\{/ { seen = 1 }
			/^bootyard_dhcp_packets_total\{/ && !/outcome="replied"/ && $2 > 0 {
			gsub(/bootyard_dhcp_packets_total|[{}"]/, "", $1); line = line " " $1 "=" $2 }
			END { print "<!-- bootyard not replied to:" (!seen ? " (metrics not read)" : line == "" ? " none" : line) " -->" }' || true
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# udp_counters NS prints the UDP datagrams received and sent in namespace NS
# and those dropped because a socket's receive queue was full (RcvbufErrors).
udp_counters() {
	ip netns exec "$1" awk '/^Udp:/ && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		/^Udp:/ { print $col["InDatagrams"], $col["OutDatagrams"], $col["RcvbufErrors"] }' /proc/net/snmp
}

printf '| server | scenario | offered rate | DORA/s | drops D-O %% | drops R-A %% | avg delay D-O / R-A ms | server CPU %% | peak RSS MiB | server in / out / queue drops | client queue drops |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
hz=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
	[ "$ROUNDS" -gt 1 ] && echo "<!-- round $round of $ROUNDS -->"
	for scen in $SCENARIOS; do
		for name in $SERVERS; do
			for rate in $RATES; do
				start_server "$name" "$scen"
				args=(-4 -l veth1 -r "$rate" -R 10000 -p "$DURATION")
				[ "$scen" = reservations ] && args=(-4 -l veth1 -r "$rate" -M "$work/macs" -p "$DURATION")
				t0=$(cpu_ticks "$SERVER_PID")
				read -r sin0 sout0 sdrop0 < <(udp_counters "$S")
				read -r _ _ cdrop0 < <(udp_counters "$C")
				run_client "${args[@]}"
				t1=$(cpu_ticks "$SERVER_PID")
				read -r sin1 sout1 sdrop1 < <(udp_counters "$S")
				read -r _ _ cdrop1 < <(udp_counters "$C")
				rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status")
				case $name in bootyard*) unanswered ;; esac
				stop_server
				if [ -n "${LOGDIR:-}" ]; then mkdir -p "$LOGDIR" && cp "$work/run-$name-$scen/log" "$LOGDIR/$name-$scen-$rate.log" 2>/dev/null || true; fi
				awk -v name="$name" -v scen="$scen" -v rate="$rate" -v cpu="$(((t1 - t0) * 100 / hz / DURATION))" -v rss="$rss" \
					-v srv="$((sin1 - sin0)) / $((sout1 - sout0)) / $((sdrop1 - sdrop0))" -v cdrop="$((cdrop1 - cdrop0))" '
					/^Rate:/ { dora = $2 }
					/Statistics for: DISCOVER-OFFER/ { s = 1 }
					/Statistics for: REQUEST-ACK/ { s = 2 }
					/^drops ratio:/ { drop[s] = $3 }
					/^avg delay:/ { delay[s] = $3 }
					END {
						printf "| %s | %s | %s | %.0f | %s | %s | %s / %s | %s | %s | %s | %s |\n", name, scen, rate, dora, drop[1], drop[2], delay[1], delay[2], cpu, rss, srv, cdrop
						# A figure perfdhcp did not print (no exchange completed) counts as 100% drops.
						printf "%s\t%s\t%s\t%.0f\t%s\t%s\t%s\n", name, scen, rate, dora, (drop[1] == "" ? 100 : drop[1]), (drop[2] == "" ? 100 : drop[2]), delay[2] >>rows
					}
				' rows="$work/rows.tsv" "$work/perf.out"
				echo "<!-- load average after: $(cut -d' ' -f1-3 /proc/loadavg) -->"
			done
		done
	done
done

# The summary: medians over the rounds, each server's capacity (the highest
# offered rate with both drop ratios under 1%) and the REQUEST-ACK delay of
# every server at REF's capacity, as a ratio of REF's.
echo
awk -F '\t' -v ref="$REF" -v rounds="$ROUNDS" '
	function median(v, k, n,   a, i, j, t) {
		for (i = 1; i <= n; i++) a[i] = v[k, i] + 0
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		k = $1 SUBSEP $2 SUBSEP $3
		i = ++n[k]
		dora[k, i] = $4; d1[k, i] = $5; d2[k, i] = $6; ra[k, i] = $7
		if (!($1 in isS)) { isS[$1] = 1; srv[++ns] = $1 }
		if (!($2 in isC)) { isC[$2] = 1; scen[++nc] = $2 }
		if (!($3 in isR)) { isR[$3] = 1; rate[++nr] = $3 }
	}
	END {
		printf "Summary, median of %d round(s):\n\n", rounds
		print "| server | scenario | offered rate | DORA/s | drops D-O % | drops R-A % | avg delay R-A ms |"
		print "| --- | --- | --- | --- | --- | --- | --- |"
		for (c = 1; c <= nc; c++) for (s = 1; s <= ns; s++) for (r = 1; r <= nr; r++) {
			k = srv[s] SUBSEP scen[c] SUBSEP rate[r]
			if (!n[k]) continue
			md1[k] = median(d1, k, n[k]); md2[k] = median(d2, k, n[k]); mra[k] = median(ra, k, n[k])
			printf "| %s | %s | %s | %.0f | %.3g | %.3g | %.3g |\n", srv[s], scen[c], rate[r], median(dora, k, n[k]), md1[k], md2[k], mra[k]
			if (md1[k] < 1 && md2[k] < 1 && rate[r] + 0 > cap[srv[s], scen[c]] + 0) cap[srv[s], scen[c]] = rate[r]
		}
		print ""
		for (c = 1; c <= nc; c++) {
			line = scen[c] ": capacity (highest rate under 1% drops)"
			for (s = 1; s <= ns; s++) line = line sprintf(" %s %s,", srv[s], cap[srv[s], scen[c]] ? cap[srv[s], scen[c]] : "none")
			sub(/,$/, "", line)
			print line
			rc = cap[ref, scen[c]]
			if (!rc) continue
			kr = ref SUBSEP scen[c] SUBSEP rc
			line = sprintf("%s: REQUEST-ACK delay at %s'"'"'s capacity %s: %s %.3g ms", scen[c], ref, rc, ref, mra[kr])
			for (s = 1; s <= ns; s++) {
				if (srv[s] == ref) continue
				k = srv[s] SUBSEP scen[c] SUBSEP rc
				if (n[k] && mra[kr] > 0) line = line sprintf(", %s %.3g ms (%.2fx)", srv[s], mra[k], mra[k] / mra[kr])
			}
			print line
		}
	}
' "$work/rows.tsv"
