#!/usr/bin/env bash
# boot-assets.sh: fetch, unpack and build everything the firmware boot tests
# (e2e/), the boot benchmark (bench/boot/) and `make demo` serve to a
# network-booting qemu machine.
#
# Debian packages are fetched with `apt-get download` and unpacked with
# `dpkg-deb -x` into the cache, so no kernel or bootloader is installed into
# this machine. Built results land in "$BOOT_ASSETS/out":
#
#   vmlinuz            Debian cloud kernel (x86-64; serial console built in)
#   initrd.gz          busybox initramfs: prints BOOTYARD-MARKER host=<token>
#   installer.gz       busybox initramfs with virtio drivers: a stand-in installer
#                      that writes boot code to /dev/vda and calls bootyard back
#                      (the bootyard.token= cmdline value), then powers off
#   pxelinux.0 ldlinux.c32       PXELINUX (x86 BIOS)
#   ipxe.efi undionly.kpxe       iPXE binaries to chainload
#   grubnetx64.efi     GRUB EFI netboot image built with grub-mkimage,
#                      prefix (tftp)/grub
#   grubhttpx64.efi    the same for UEFI HTTP Boot: prefix /grub on the boot
#                      device, which Debian's efinet sets to (http,SERVER)
#   OVMF_CODE.fd OVMF_VARS.fd    UEFI firmware for qemu
#   OVMF_CODE_4M.ms.fd OVMF_VARS_4M.ms.fd   the same with Secure Boot on and
#                      Microsoft's keys enrolled
#   shimx64.efi grubx64.efi      Secure Boot chain: Debian's shim signed by
#                      Microsoft, and the GRUB netboot image signed by Debian
#                      under the name shim loads beside itself
#   u-boot-arm.bin u-boot-arm64.bin   U-Boot for qemu's virt machines
#   u-boot-riscv64.bin opensbi-riscv64.bin   S-mode U-Boot for qemu's riscv64
#                      virt machine and the OpenSBI firmware that starts it
#   AAVMF_CODE.fd AAVMF_VARS.fd  UEFI firmware for qemu's aarch64 virt machine
#   grubaa64.efi       GRUB arm64-efi netboot image (grub-mkimage, prefix
#                      (tftp)/grub), from Debian's arm64 modules
#   vmlinuz-arm64 initrd-arm64.gz   Debian arm64 cloud kernel and the same
#                      marker initramfs with an arm64 busybox
#   di-linux di-initrd.gz   Debian 12's own installer (text frontend) from
#                      debian-installer-12-netboot-amd64: the unattended-install
#                      test boots it with a preseed bootyard renders
#   VERSIONS           package versions of everything above
#
# The arm64 packages come the same way, as PKG:arm64 (this adds arm64 as a
# foreign dpkg architecture and updates the package lists once); they are
# unpacked into their own root so that nothing collides with the amd64 ones.
#
# Idempotent: a second run with a complete cache does nothing. Run as root the
# first time (apt-get); later runs only read the cache.
#
# Usage: scripts/boot-assets.sh [--check]
#   --check   exit 0 if the cache is complete, 1 if not (never downloads)
# Env: BOOT_ASSETS  cache folder (default: <repo>/.cache/boot-assets)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${BOOT_ASSETS:-$repo/.cache/boot-assets}
out=$cache/out
want=(vmlinuz initrd.gz installer.gz pxelinux.0 ldlinux.c32 ipxe.efi undionly.kpxe grubnetx64.efi
	grubhttpx64.efi OVMF_CODE.fd OVMF_VARS.fd u-boot-arm.bin u-boot-arm64.bin u-boot-riscv64.bin
	opensbi-riscv64.bin OVMF_CODE_4M.ms.fd OVMF_VARS_4M.ms.fd shimx64.efi grubx64.efi AAVMF_CODE.fd
	AAVMF_VARS.fd grubaa64.efi vmlinuz-arm64 initrd-arm64.gz di-linux di-initrd.gz VERSIONS)

complete() {
	local f
	for f in "${want[@]}"; do
		[[ -s $out/$f ]] || return 1
	done
}

if complete; then
	exit 0
fi
if [[ ${1:-} == --check ]]; then
	exit 1
fi

debs=$cache/debs
root=$cache/root
mkdir -p "$debs" "$root" "$out"

# The cloud kernel is the smallest Debian x86-64 kernel: fewer drivers to
# probe under qemu's TCG, and 8250 serial + initramfs support built in.
kernel_pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
if [[ -z $kernel_pkg ]]; then
	apt-get update -qq
	kernel_pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
fi
pkgs=("$kernel_pkg" pxelinux syslinux-common ipxe grub-efi-amd64-bin ovmf u-boot-qemu opensbi busybox-static
	shim-signed grub-efi-amd64-signed)

# grub-mkimage (grub-common), mkimage and cpio are tools we run, not assets.
need_tools=()
command -v grub-mkimage >/dev/null || need_tools+=(grub-common)
command -v cpio >/dev/null || need_tools+=(cpio)
command -v gzip >/dev/null || need_tools+=(gzip)
if ((${#need_tools[@]})); then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_tools[@]}"
fi

for p in "${pkgs[@]}"; do
	if ! compgen -G "$debs/${p}_*.deb" >/dev/null; then
		(cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$p")
	fi
done
: >"$out/VERSIONS.tmp"
for d in "$debs"/*.deb; do
	dpkg-deb -x "$d" "$root"
	dpkg-deb --showformat='${Package} ${Version}\n' -W "$d" >>"$out/VERSIONS.tmp"
done

# arm64: GRUB's arm64-efi modules, the arm64 cloud kernel, an arm64 busybox
# (downloaded, never installed) and AAVMF (Architecture: all).
debs64=$cache/debs-arm64
root64=$cache/root-arm64
mkdir -p "$debs64" "$root64"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	apt-get update -qq
fi
kernel64=$(apt-cache depends linux-image-cloud-arm64:arm64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
if [[ -z $kernel64 ]]; then
	apt-get update -qq
	kernel64=$(apt-cache depends linux-image-cloud-arm64:arm64 | awk '/Depends: linux-image-/{print $2; exit}')
fi
kernel64=${kernel64%:arm64}
for p in "$kernel64" grub-efi-arm64-bin busybox-static; do
	if ! compgen -G "$debs64/${p}_*_arm64.deb" >/dev/null; then
		(cd "$debs64" && apt-get download -q -o APT::Sandbox::User=root "$p:arm64")
	fi
done
if ! compgen -G "$debs64/qemu-efi-aarch64_*.deb" >/dev/null; then
	(cd "$debs64" && apt-get download -q -o APT::Sandbox::User=root qemu-efi-aarch64)
fi
for d in "$debs64"/*.deb; do
	dpkg-deb -x "$d" "$root64"
	dpkg-deb --showformat='${Package}:${Architecture} ${Version}\n' -W "$d" >>"$out/VERSIONS.tmp"
done

# Debian's installer: 130 MB, of which the test needs the text frontend's
# kernel and initrd only, so just those two are unpacked (not into $root).
di_pkg=debian-installer-12-netboot-amd64
if ! compgen -G "$cache/debs-di/${di_pkg}_*.deb" >/dev/null; then
	mkdir -p "$cache/debs-di"
	(cd "$cache/debs-di" && apt-get download -q -o APT::Sandbox::User=root "$di_pkg")
fi
di_deb=$(compgen -G "$cache/debs-di/${di_pkg}_*.deb" | head -n1)
di_dir=./usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64
rm -rf "$cache/di-root"
mkdir -p "$cache/di-root"
dpkg-deb --fsys-tarfile "$di_deb" | tar -x -C "$cache/di-root" "$di_dir/linux" "$di_dir/initrd.gz"
cp "$cache/di-root/$di_dir/linux" "$out/di-linux"
cp "$cache/di-root/$di_dir/initrd.gz" "$out/di-initrd.gz"
dpkg-deb --showformat='${Package} ${Version}\n' -W "$di_deb" >>"$out/VERSIONS.tmp"

cp "$root"/boot/vmlinuz-* "$out/vmlinuz"
cp "$root/usr/lib/PXELINUX/pxelinux.0" "$out/pxelinux.0"
cp "$root/usr/lib/syslinux/modules/bios/ldlinux.c32" "$out/ldlinux.c32"
# usr/lib/ipxe/ipxe.efi is an absolute symlink to /boot/ipxe.efi.
cp "$root/boot/ipxe.efi" "$out/ipxe.efi"
cp -L "$root/usr/lib/ipxe/undionly.kpxe" "$out/undionly.kpxe"
cp "$root/usr/share/OVMF/OVMF_CODE.fd" "$out/OVMF_CODE.fd"
cp "$root/usr/share/OVMF/OVMF_VARS.fd" "$out/OVMF_VARS.fd"
cp "$root/usr/share/OVMF/OVMF_CODE_4M.ms.fd" "$out/OVMF_CODE_4M.ms.fd"
cp "$root/usr/share/OVMF/OVMF_VARS_4M.ms.fd" "$out/OVMF_VARS_4M.ms.fd"
# shim loads \grubx64.efi from its own folder (over the network: the boot
# file's folder on the same TFTP server); Debian's signed netboot GRUB is
# that file.
cp "$root/usr/lib/shim/shimx64.efi.signed" "$out/shimx64.efi"
cp "$root/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed" "$out/grubx64.efi"
cp "$root64/usr/share/AAVMF/AAVMF_CODE.fd" "$out/AAVMF_CODE.fd"
cp "$root64/usr/share/AAVMF/AAVMF_VARS.fd" "$out/AAVMF_VARS.fd"
cp "$root64"/boot/vmlinuz-* "$out/vmlinuz-arm64"
cp "$root/usr/lib/u-boot/qemu_arm/u-boot.bin" "$out/u-boot-arm.bin"
cp "$root/usr/lib/u-boot/qemu_arm64/u-boot.bin" "$out/u-boot-arm64.bin"
# RISC-V: OpenSBI (M-mode, fw_dynamic: qemu tells it where the next stage
# is) starts U-Boot in S-mode, the way Debian boots qemu's riscv64 virt.
cp "$root/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin" "$out/u-boot-riscv64.bin"
cp "$root/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin" "$out/opensbi-riscv64.bin"

# GRUB netboot image. The prefix makes GRUB read (tftp)/grub/grub.cfg, whose
# generated content (bootyard, or the test for dnsmasq) then looks for
# grub.cfg-01-<mac>. GRUB's TFTP reuses the firmware's DHCP answer (efinet).
grub-mkimage -d "$root/usr/lib/grub/x86_64-efi" -O x86_64-efi -o "$out/grubnetx64.efi.tmp" \
	-p '(tftp)/grub' \
	net efinet tftp linux normal configfile echo test regexp sleep \
	reboot halt all_video gzio part_gpt fat
mv "$out/grubnetx64.efi.tmp" "$out/grubnetx64.efi"
# For UEFI HTTP Boot: no device in the prefix, so GRUB takes the one it was
# loaded from, (http,<server>) from the boot URL (Debian's efinet reads the
# firmware's HTTPClient answer), and reads /grub/grub.cfg over HTTP.
grub-mkimage -d "$root/usr/lib/grub/x86_64-efi" -O x86_64-efi -o "$out/grubhttpx64.efi.tmp" \
	-p '/grub' \
	net efinet http linux normal configfile echo test regexp sleep \
	reboot halt all_video gzio part_gpt fat
mv "$out/grubhttpx64.efi.tmp" "$out/grubhttpx64.efi"
grub-mkimage -d "$root64/usr/lib/grub/arm64-efi" -O arm64-efi -o "$out/grubaa64.efi.tmp" \
	-p '(tftp)/grub' \
	net efinet tftp linux normal configfile echo test regexp sleep \
	reboot halt gzio part_gpt fat
mv "$out/grubaa64.efi.tmp" "$out/grubaa64.efi"

# initramfs BUSYBOX DIR DEST: a static busybox and an /init that proves which
# host booted (the per-host token can only come from the per-host config
# file), as a gzipped cpio archive.
initramfs() {
	local busybox=$1 ir=$2 dest=$3 a
	rm -rf "$ir"
	mkdir -p "$ir/bin" "$ir/proc" "$ir/sys" "$ir/dev"
	cp "$busybox" "$ir/bin/busybox"
	for a in sh mount cat echo poweroff sleep tr; do
		ln -sf busybox "$ir/bin/$a"
	done
	cat >"$ir/init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev 2>/dev/null
token=none
banner=
for w in $(cat /proc/cmdline); do
	case $w in
	bootyard.token=*) token=${w#bootyard.token=} ;;
	bootyard.banner=*) banner=${w#bootyard.banner=} ;;
	esac
done
if [ -n "$banner" ]; then
	echo
	echo "*** $(echo "$banner" | tr _ ' ') ***"
	echo
fi
echo "BOOTYARD-MARKER host=$token"
poweroff -f
EOF
	chmod 755 "$ir/init"
	(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -9n) >"$dest.tmp"
	mv "$dest.tmp" "$dest"
}
initramfs "$root/bin/busybox" "$cache/initramfs" "$out/initrd.gz"
initramfs "$root64/bin/busybox" "$cache/initramfs-arm64" "$out/initrd-arm64.gz"


# The stand-in installer (e2e TestInstallOnce): with the cloud kernel's virtio
# modules it brings up eth0 (udhcpc), writes to /dev/vda an MBR whose boot
# code prints "BOOTYARD-DISK run=<id>" on COM1 (the same code as
# e2e/lifecycle_test.go's localDisk), calls bootyard.callback= with wget and
# reboots: the next boot, from that disk, shows the install really happened.
ir=$cache/installer
rm -rf "$ir"
mkdir -p "$ir/bin" "$ir/proc" "$ir/sys" "$ir/dev" "$ir/tmp" "$ir/lib/modules"
cp "$root/bin/busybox" "$ir/bin/busybox"
for a in sh mount cat echo sleep tr cut insmod ip udhcpc printf dd sync wget reboot; do
	ln -sf busybox "$ir/bin/$a"
done
# In dependency order (each module's depends= names only earlier ones).
mods=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net virtio_blk)
for m in "${mods[@]}"; do
	f=$(find "$root"/lib/modules/*/kernel -name "$m.ko" | head -n1)
	[[ -n $f ]] || { echo "boot-assets: module $m not found in the kernel package" >&2; exit 1; }
	cp "$f" "$ir/lib/modules/"
done
cat >"$ir/bin/dhcp.sh" <<'EOF'
#!/bin/sh
[ "$1" = bound ] && ip addr add "$ip/$mask" dev "$interface"
exit 0
EOF
{
	printf '#!/bin/sh\nexport PATH=/bin\n'
	printf 'for m in %s; do insmod /lib/modules/$m.ko; done\n' "${mods[*]}"
	cat <<'EOF'
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
callback=
for w in $(cat /proc/cmdline); do
	case $w in
	bootyard.callback=*) callback=${w#bootyard.callback=} ;;
	esac
done
run=$(tr -d - </proc/sys/kernel/random/uuid | cut -c1-12)
i=0
while { [ ! -b /dev/vda ] || [ ! -e /sys/class/net/eth0 ]; } && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ip link set eth0 up
udhcpc -i eth0 -q -n -t 10 -T 2 -s /bin/dhcp.sh >/dev/null 2>&1
printf '\061\300\216\330\374\276\027\174\272\370\003\254\204\300\164\003\356\353\370\372\364\353\374' >/tmp/mbr
printf 'BOOTYARD-DISK run=%s\r\n\000' "$run" >>/tmp/mbr
dd if=/tmp/mbr of=/dev/vda conv=notrunc 2>/dev/null
printf '\125\252' | dd of=/dev/vda bs=1 seek=510 conv=notrunc 2>/dev/null
sync
echo "BOOTYARD-INSTALLED run=$run"
if wget -q -O /dev/null "$callback"; then echo "BOOTYARD-CALLBACK ok"; else echo "BOOTYARD-CALLBACK failed"; fi
reboot -f
EOF
} >"$ir/init"
chmod 755 "$ir/init" "$ir/bin/dhcp.sh"
(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -9n) >"$out/installer.gz.tmp"
mv "$out/installer.gz.tmp" "$out/installer.gz"

{
	sort "$out/VERSIONS.tmp"
	echo "grub-mkimage $(grub-mkimage --version | awk '{print $NF}')"
} >"$out/VERSIONS"
rm -f "$out/VERSIONS.tmp"
echo "boot assets ready in $out"
