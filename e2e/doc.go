// Package e2e network-boots real firmware from bootyard inside a private lab
// network (internal/netlab): qemu's iPXE BIOS ROM through PXELINUX, OVMF's
// own UEFI PXE through GRUB and through an iPXE chainload, U-Boot on ARM and
// ARM64, proxyDHCP next to another address server, and two machines at once.
//
// Every boot is judged by what the booted machine prints on its serial
// console (the initramfs from scripts/boot-assets.sh prints
// "BOOTYARD-MARKER host=<token>", with the token taken from the kernel command
// line that only the host's generated config carries) and by what bootyard
// logged as transferred. The tests live in _test.go files; this file only
// holds the package comment.
package e2e
