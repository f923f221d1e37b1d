# servers.sh: starting and stopping the servers run.sh compares, sourced by
# it (uses its WORK, ROOT, NS_S, SRV_CPUS, IP, PID, CG, BOOTYARD_FLAGS,
# DNSMASQ_TFTP_MAX, ATFTPD_MAXTHREAD and ATFTPD_DEB_DIR).
# shellcheck shell=bash disable=SC2004 # PID is run.sh's associative array

# atftpd: Debian's package conflicts with tftpd-hpa (both provide
# tftp-server), so its .deb is downloaded once and unpacked under $WORK.
# unpack_atftpd sets ATFTPD (the binary) and ATFTPD_DEB (its package file).
unpack_atftpd() {
	mkdir -p "$ATFTPD_DEB_DIR"
	ATFTPD_DEB=$(find "$ATFTPD_DEB_DIR" -maxdepth 1 -name 'atftpd_*.deb' | sort | tail -n1)
	if [ -z "$ATFTPD_DEB" ]; then
		echo "# downloading atftpd's .deb into $ATFTPD_DEB_DIR (not installed)"
		(cd "$ATFTPD_DEB_DIR" && apt-get download -q atftpd >/dev/null 2>&1) ||
			{ echo "apt-get download atftpd failed (apt-get update first?)" >&2; exit 2; }
		ATFTPD_DEB=$(find "$ATFTPD_DEB_DIR" -maxdepth 1 -name 'atftpd_*.deb' | sort | tail -n1)
	fi
	dpkg-deb -x "$ATFTPD_DEB" "$WORK/atftpd-pkg"
	ATFTPD=$WORK/atftpd-pkg/usr/sbin/atftpd
	if missing=$(ldd "$ATFTPD" | grep 'not found'); then
		echo "atftpd needs libraries this machine lacks (scripts/deps/tftp.txt lists them):" >&2
		echo "$missing" >&2
		exit 2
	fi
}

# Every server listens on port 69 of its own address, all at once, so the
# single-transfer runs can alternate between servers: this machine is shared,
# and alternating spreads whatever else runs evenly over the servers.
# start_server NAME [extra args]: start NAME on SRV_CPUS in the server
# namespace; PID[NAME] is the server's own pid (ip netns exec and taskset
# both exec).
start_server() {
	local name=$1 ip=${IP[$1]}
	shift
	ip -n "$NS_S" addr replace "$ip/24" dev eth0
	local run=(ip netns exec "$NS_S" taskset -c "$SRV_CPUS")
	case $name in
	bootyard*)
		# bootyard as a user runs it, TFTP only, both transfer limits off,
		# the block size cap raised to 8192 (the link's MTU is 9000; the
		# default cap 1468 is for 1500-byte links); windowsize cap 16 is
		# the default.
		cat >"$WORK/$name.yaml" <<-EOF
			interface: eth0
			dhcp: {mode: off, server_ip: $ip}
			tftp: {root: $ROOT, max_block_size: 8192, max_transfers: 0, max_per_client: 0}
			boot: {bios: "", uefi-x64: "", uefi-arm64: "", ipxe: "", uboot-arm: "", uboot-arm64: "", rpi: ""}
		EOF
		# shellcheck disable=SC2086 # BOOTYARD_FLAGS is a list of flags
		"${run[@]}" "$WORK/bootyard" serve -config "$WORK/$name.yaml" \
			$BOOTYARD_FLAGS "$@" >"$WORK/$name.log" 2>&1 &
		;;
	tftpd-hpa)
		"${run[@]}" in.tftpd -L -s "$ROOT" --address "$ip:69" -u nobody >"$WORK/$name.log" 2>&1 &
		;;
	dnsmasq)
		"${run[@]}" dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
			--enable-tftp --tftp-root="$ROOT" --listen-address="$ip" --bind-interfaces \
			--tftp-max="$DNSMASQ_TFTP_MAX" --quiet-tftp --pid-file= --log-facility=- >"$WORK/$name.log" 2>&1 &
		;;
	atftpd)
		# One thread per transfer; --maxthread (default 100) raised for the
		# 128 clients, warnings only in the log, never exits when idle.
		"${run[@]}" "$ATFTPD" --daemon --no-fork --port 69 --bind-address "$ip" \
			--user nobody --group nogroup --maxthread "${ATFTPD_MAXTHREAD:-1000}" --tftpd-timeout 0 \
			--verbose=4 --logfile - "$ROOT" >"$WORK/$name.log" 2>&1 &
		;;
	ceiling)
		"${run[@]}" "$WORK/pingpong" serve "$ip" 69 >"$WORK/$name.log" 2>&1 &
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

