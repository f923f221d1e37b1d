#!/usr/bin/env bash
# bench/boot/run.sh: network-boot time, bootyard against dnsmasq.
#
# Boots a qemu BIOS machine (iPXE ROM -> pxelinux.0 -> per-MAC config ->
# Linux) and a UEFI machine (OVMF's own PXE -> GRUB -> per-MAC grub.cfg ->
# Linux) RUNS times each (default 3) from each server, in a private lab
# (network namespaces; 198.51.100.0/24; never the machine's interfaces), and
# prints the median time from power-on to the guest powering itself off after
# its init printed the marker. The server is pinned to CPU 0, qemu to CPU 1
# (taskset), so the two do not fight for one core.
#
# Both servers get the same TFTP root and the same per-host files: dnsmasq
# serves files the script writes (the same text bootyard generates), bootyard
# generates them from its inventory. qemu runs without KVM, so most of a
# boot's time is the firmware and the emulated CPU; the servers differ in
# how fast they answer and transfer.
#
# A third part boots the BIOS iPXE ROM into its per-host iPXE script with a
# 30 MB initrd, from bootyard with TFTP only and then with http.enabled (the
# script then names kernel and initrd by HTTP URL), and prints the boot time
# and the time the server spent sending the initrd.
#
# In the servers part, bootyard-ra is bootyard with
# dhcp.answer_router_solicit (it answers iPXE's IPv6 router solicitations,
# ending its wait for IPv6); it boots the BIOS machine only: OVMF's PXE does
# not wait for IPv6.
#
# Usage: sudo bench/boot/run.sh     Env: RUNS (default 3),
#        PARTS (default "servers ipxe-http"; either word runs one part),
#        FW (default "bios uefi"), SERVERS (default "dnsmasq bootyard bootyard-ra")
# Results: printed, and saved under bench/results/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
# shellcheck source=scripts/lab.sh
source "$repo/scripts/lab.sh"
runs=${RUNS:-3}
parts=${PARTS:-servers ipxe-http}

if [[ $(id -u) -ne 0 ]]; then
	echo "bench/boot: skipped: needs root (network namespaces, tap devices)"
	exit 0
fi
for c in qemu-system-x86_64 dnsmasq taskset ip; do
	command -v "$c" >/dev/null || { echo "bench/boot: skipped: $c missing (scripts/deps/e2e.txt)"; exit 0; }
done
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
	PATH=$PATH:/usr/local/go/bin
fi
scripts/boot-assets.sh
assets=${BOOT_ASSETS:-$repo/.cache/boot-assets}/out

work=$(mktemp -d /tmp/bootyard-bootbench.XXXXXX)
go build -o "$work/bootyard" ./cmd/bootyard
id=bybench$$
sw=$id-sw srv=$id-srv
server_pid= qemu_pid=
stop_server() {
	if [[ -n $server_pid ]]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=
	fi
}
cleanup() {
	trap - EXIT INT TERM
	set +e
	[[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null
	stop_server
	lab_down "$sw" "$srv"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_up "$sw" "$srv"

bios_mac=52:54:00:be:00:01 uefi_mac=52:54:00:be:00:02 ipxe_mac=52:54:00:be:00:03
root=$work/root
mkdir -p "$root/pxelinux.cfg" "$root/grub"
for f in pxelinux.0 ldlinux.c32 vmlinuz initrd.gz grubnetx64.efi; do
	cp "$assets/$f" "$root/$f"
done
# The initramfs padded with zeros to 30 MB: Linux skips zero padding after
# an archive, so it boots the same, and the transfer is that of a real
# distribution initrd.
cp "$assets/initrd.gz" "$root/initrd30.gz"
truncate -s 30M "$root/initrd30.gz"
# Files for dnsmasq, written like bootyard's generated ones. bootyard's own
# take precedence over these when it serves the same root.
cat >"$root/pxelinux.cfg/01-${bios_mac//:/-}" <<TXT
DEFAULT linux
PROMPT 0
TIMEOUT 1
LABEL linux
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND console=ttyS0 quiet bootyard.token=bench-bios
TXT
cat >"$root/grub/grub.cfg-01-${uefi_mac//:/-}" <<TXT
set timeout=0
set default=0
menuentry linux {
	linux /vmlinuz console=ttyS0 quiet bootyard.token=bench-uefi
	initrd /initrd.gz
}
TXT
cat >"$work/bootyard.yaml" <<YAML
interface: eth0
dhcp:
  mode: authoritative
  subnet: 198.51.100.0/24
  router: 198.51.100.2
  lease_file: $work/leases
  conflict_probe: false
tftp:
  root: $root
boot: {bios: pxelinux.0, uefi-x64: grubnetx64.efi, ipxe: boot.ipxe, uefi-arm64: "", rpi: ""}
profiles:
  bench: {kernel: vmlinuz, initrd: initrd.gz, cmdline: "console=ttyS0 quiet"}
hosts:
  - {name: bench-bios, mac: $bios_mac, ip: 198.51.100.10, profile: bench, bootfile: pxelinux.0, cmdline: "bootyard.token=bench-bios"}
  - {name: bench-uefi, mac: $uefi_mac, ip: 198.51.100.11, profile: bench, cmdline: "bootyard.token=bench-uefi"}
  - {name: bench-ipxe, mac: $ipxe_mac, ip: 198.51.100.12, profile: big, cmdline: "bootyard.token=bench-ipxe"}
YAML
sed -i 's|^profiles:$|profiles:\n  big: {kernel: vmlinuz, initrd: initrd30.gz, cmdline: "console=ttyS0 quiet"}|' "$work/bootyard.yaml"
{
	cat "$work/bootyard.yaml"
	printf 'http:\n  enabled: true\n'
} >"$work/bootyard-http.yaml"
sed 's/^  conflict_probe: false$/  conflict_probe: false\n  answer_router_solicit: true/' \
	"$work/bootyard.yaml" >"$work/bootyard-ra.yaml"
grep -q answer_router_solicit "$work/bootyard-ra.yaml"

start_server() { # dnsmasq | bootyard
	local log=$work/$1.log
	case $1 in
	dnsmasq)
		ip netns exec "$srv" taskset -c 0 dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
			--interface=eth0 --bind-interfaces \
			--dhcp-range=198.51.100.100,198.51.100.150,255.255.255.0,1h \
			--dhcp-host=$bios_mac,198.51.100.10 --dhcp-host=$uefi_mac,198.51.100.11 \
			--dhcp-leasefile="$work/dnsmasq.leases" --enable-tftp --tftp-root="$root" \
			--dhcp-match=set:efi64,option:client-arch,7 \
			--dhcp-boot=tag:efi64,grubnetx64.efi --dhcp-boot=tag:!efi64,pxelinux.0 >"$log" 2>&1 &
		server_pid=$!
		;;
	bootyard | bootyard-http | bootyard-ra)
		ip netns exec "$srv" taskset -c 0 "$work/bootyard" serve -config "$work/$1.yaml" >"$log" 2>&1 &
		server_pid=$!
		;;
	esac
	for ((i = 0; i < 100; i++)); do
		grep -q -E "bootyard serving|TFTP root is" "$log" && return 0
		sleep 0.1
	done
	echo "bench/boot: $1 did not start"; cat "$log"; exit 1
}

boot_once() { # bios|uefi|ipxe -> prints seconds, or fails
	local fw=$1 console=$work/console.log args
	args=(-accel tcg -m 256 -no-reboot -display none -vga none -monitor none
		-serial "file:$console" -netdev tap,id=n0,ifname=tap0,script=no,downscript=no)
	if [[ $fw == bios ]]; then
		args+=(-boot n -device "e1000,netdev=n0,mac=$bios_mac")
	elif [[ $fw == ipxe ]]; then
		args+=(-boot n -device "e1000,netdev=n0,mac=$ipxe_mac")
	else
		cp "$assets/OVMF_VARS.fd" "$work/vars.fd"
		args+=(-drive "if=pflash,format=raw,readonly=on,file=$assets/OVMF_CODE.fd"
			-drive "if=pflash,format=raw,file=$work/vars.fd"
			-device "virtio-net-pci,netdev=n0,romfile=,bootindex=1,mac=$uefi_mac")
	fi
	rm -f "$console"
	local t0 t1
	t0=$(date +%s.%N)
	ip netns exec "$sw" taskset -c 1 qemu-system-x86_64 "${args[@]}" </dev/null >/dev/null 2>&1 &
	qemu_pid=$!
	for ((i = 0; i < 3000; i++)); do
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$qemu_pid" 2>/dev/null; then
		kill "$qemu_pid"; wait "$qemu_pid" || true; qemu_pid=
		echo "bench/boot: $fw did not power off within 300 s" >&2; return 1
	fi
	wait "$qemu_pid" || true
	qemu_pid=
	t1=$(date +%s.%N)
	if ! grep -q "BOOTYARD-MARKER host=bench-$fw" "$console"; then
		echo "bench/boot: $fw powered off without its marker" >&2; tail -c 2000 "$console" >&2; return 1
	fi
	echo "$t1 - $t0" | bc
}

median() { sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%.1f", m}'; }

mkdir -p bench/results
out=bench/results/boot-$(date -u +%Y%m%dT%H%M%SZ).txt
{
	echo "# bench/boot: seconds from power-on to power-off after the marker, median of $runs"
	echo "# $(qemu-system-x86_64 --version | head -1); $(dnsmasq --version | head -1); bootyard $(git describe --always --dirty 2>/dev/null)"
	echo "# $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); no KVM"
} | tee "$out"
if [[ " $parts " == *" servers "* ]]; then
	for server in ${SERVERS:-dnsmasq bootyard bootyard-ra}; do
		start_server "$server"
		for fw in ${FW:-bios uefi}; do
			[[ $server == bootyard-ra && $fw != bios ]] && continue
			times=()
			for ((r = 0; r < runs; r++)); do
				times+=("$(boot_once "$fw")")
			done
			printf '%-11s %-5s median %6s s   runs: %s   load average: %s\n' "$server" "$fw" \
				"$(printf '%s\n' "${times[@]}" | median)" "${times[*]}" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
		done
		stop_server
		rm -f "$work"/*.leases "$work/leases"
	done
fi

# seconds converts the Go durations of bootyard's log (850ms, 12.3s, 1m2s).
seconds() {
	awk '{
		s = 0; d = $0
		while (match(d, /^[0-9.]+(h|ms|µs|us|ns|m|s)/)) {
			t = substr(d, 1, RLENGTH); d = substr(d, RLENGTH + 1)
			v = t + 0; u = t; sub(/^[0-9.]+/, "", u)
			if (u == "h") v *= 3600; else if (u == "m") v *= 60; else if (u == "ms") v /= 1000
			else if (u == "µs" || u == "us") v /= 1e6; else if (u == "ns") v /= 1e9
			s += v
		}
		printf "%.2f\n", s
	}'
}

if [[ " $parts " == *" ipxe-http "* ]]; then
	for server in bootyard bootyard-http; do
		start_server "$server"
		times=()
		for ((r = 0; r < runs; r++)); do
			times+=("$(boot_once ipxe)")
		done
		# The server's record of each initrd transfer: TFTP's transfer line
		# or HTTP's request line.
		mapfile -t sends < <(grep 'file=initrd30.gz' "$work/$server.log" | grep -E 'outcome=ok|status=200' |
			sed -E 's/.* duration=([^ ]+).*/\1/' | seconds)
		proto=tftp
		[[ $server == bootyard-http ]] && proto=http
		printf 'ipxe-30M  %-5s median %6s s   runs: %s   initrd send median %s s (%s)\n' "$proto" \
			"$(printf '%s\n' "${times[@]}" | median)" "${times[*]}" \
			"$(printf '%s\n' "${sends[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}')" "${sends[*]}" | tee -a "$out"
		stop_server
		rm -f "$work"/*.leases "$work/leases"
	done
fi
echo "saved $out"
