// Package bootfiles decides what bytes a boot file name stands for: a file
// under the TFTP root (opened through os.Root, so nothing outside it is
// reachable), or a per-host file generated from the inventory (PXELINUX and
// U-Boot pxelinux.cfg entries, GRUB configs, iPXE scripts, U-Boot boot scripts,
// Raspberry Pi folders). Generated files are rendered on request and never
// written to disk.
package bootfiles
