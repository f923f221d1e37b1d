#!/usr/bin/env bash
# demo.sh (`make demo`): network-boot a qemu BIOS machine from bootyard in a
# private lab, with its console on this terminal, then tear everything down.
#
# What it does, as root on a Debian machine with Go:
#   1. installs qemu, iPXE ROMs and the tools (apt-get) if missing;
#   2. fetches the kernel, PXELINUX and busybox (scripts/boot-assets.sh);
#   3. builds bootyard;
#   4. makes a private lab: two network namespaces (a switch with a bridge
#      and a tap for qemu; a server with eth0 = 198.51.100.2/24). The
#      machine's own interfaces are never touched;
#   5. runs `bootyard serve` in the server namespace with scripts/demo/bootyard.yaml;
#   6. boots qemu from the network: DHCP, pxelinux.0, the per-host PXELINUX
#      config bootyard generates, Linux, an init that prints
#      "booted by bootyard" and powers off;
#   7. removes the lab (also on Ctrl-C or an error).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=scripts/lab.sh
source "$repo/scripts/lab.sh"

if [[ $(id -u) -ne 0 ]]; then
	echo "demo: needs root (network namespaces, tap devices, apt-get): sudo make demo" >&2
	exit 1
fi
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
	PATH=$PATH:/usr/local/go/bin
fi

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "packages"
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[[ -e /usr/lib/ipxe/qemu/pxe-e1000.rom ]] || need+=(ipxe-qemu)
command -v ip >/dev/null || need+=(iproute2)
command -v cpio >/dev/null || need+=(cpio)
command -v grub-mkimage >/dev/null || need+=(grub-common)
if ((${#need[@]})); then
	echo "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
else
	echo "qemu, iPXE ROMs and tools present"
fi

say "boot assets (kernel, pxelinux, busybox initramfs)"
scripts/boot-assets.sh
assets=${BOOT_ASSETS:-$repo/.cache/boot-assets}/out

say "build bootyard"
work=$(mktemp -d /tmp/bootyard-demo.XXXXXX)
go build -o "$work/bootyard" ./cmd/bootyard
echo "built $work/bootyard"

# Everything below is undone by cleanup, by PID and by name, whatever happens.
id=bydemo$$
sw=$id-sw
srv=$id-srv
by_pid= qemu_pid=
cleanup() {
	trap - EXIT INT TERM
	set +e # every step runs, even when a process is already gone
	[[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null
	[[ -n $by_pid ]] && kill "$by_pid" 2>/dev/null
	[[ -n $qemu_pid ]] && wait "$qemu_pid" 2>/dev/null
	[[ -n $by_pid ]] && wait "$by_pid" 2>/dev/null
	lab_down "$sw" "$srv"
	rm -rf "$work"
	echo "demo: lab removed"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT TERM

say "private lab: namespaces $sw (bridge + tap) and $srv (198.51.100.2/24)"
lab_up "$sw" "$srv"

mkdir -p "$work/root"
for f in pxelinux.0 ldlinux.c32 vmlinuz initrd.gz grubnetx64.efi ipxe.efi; do
	cp "$assets/$f" "$work/root/$f"
done
sed "s|@WORK@|$work|g" scripts/demo/bootyard.yaml >"$work/bootyard.yaml"

say "bootyard serve (log: $work/bootyard.log)"
ip netns exec "$srv" "$work/bootyard" serve -config "$work/bootyard.yaml" >"$work/bootyard.log" 2>&1 &
by_pid=$!
for _ in $(seq 100); do
	grep -q "bootyard serving" "$work/bootyard.log" && break
	kill -0 "$by_pid" 2>/dev/null || { cat "$work/bootyard.log"; exit 1; }
	sleep 0.1
done
grep -q "bootyard serving" "$work/bootyard.log" || { echo "bootyard did not start"; cat "$work/bootyard.log"; exit 1; }
sed 's/^/  bootyard: /' "$work/bootyard.log"

say "qemu BIOS machine 52:54:00:de:00:01 boots from the network (no KVM: about half a minute)"
start=$SECONDS
# Not under timeout(1): it would move qemu to its own process group, out of
# reach of Ctrl-C. The loop below bounds the boot instead.
ip netns exec "$sw" qemu-system-x86_64 -accel tcg -m 256 -no-reboot -boot n \
	-nographic -monitor none \
	-chardev stdio,id=con,signal=on -serial chardev:con \
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
	-device e1000,netdev=n0,mac=52:54:00:de:00:01 </dev/null &
qemu_pid=$!
for ((i = 0; i < 2400; i++)); do
	kill -0 "$qemu_pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$qemu_pid" 2>/dev/null; then
	echo
	echo "demo: the machine did not power off within 240 s"
	exit 1
fi
rc=0
wait "$qemu_pid" || rc=$?
qemu_pid=
echo
if [[ $rc -ne 0 ]]; then
	echo "demo: qemu exited with status $rc"
	exit 1
fi

say "what bootyard did ($((SECONDS - start)) s)"
grep -E 'msg="(dhcp: reply sent|tftp transfer)"' "$work/bootyard.log" | sed 's/^/  /' | tail -20

cat <<'TXT'

== on a real network
  1. Put your TFTP files in a folder (pxelinux.0, ldlinux.c32, a kernel and
     initrd; scripts/boot-assets.sh fetches Debian's into .cache/boot-assets/out).
  2. Write a config: config.example.yaml is a commented start. Set
     `interface:` to the LAN interface, `dhcp.subnet`, `tftp.root`, and one
     host per machine (its MAC, an address, a profile with kernel/initrd/cmdline).
     Next to a home router that already hands out addresses, use
     `dhcp: {mode: proxy}`.
  3. Check it:   bin/bootyard check -config /etc/bootyard/config.yaml
  4. Run it:     sudo bin/bootyard serve -config /etc/bootyard/config.yaml
     or install contrib/systemd/bootyard.service (see docs/quickstart.md).
  5. Power the machine on with network boot first in its boot order.
TXT
