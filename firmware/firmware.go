// Package firmware names the network-boot firmware classes bootyard tells
// apart and holds the one table from what a DHCP client sends (option 93
// architecture codes, option 60 vendor classes) to those classes.
//
// It is a leaf: it imports nothing of bootyard, so dhcp (which recognises a
// client), inventory (whose boot: section is keyed by class) and bootfiles
// may all import it. A class is a key of boot: in the YAML file, so a Class
// is its string; the named constants below are the only classes there are.
package firmware

// Class is a firmware class: a key of boot: in the inventory, or one of the
// two classes that are not (None, Other).
type Class string

// The classes boot: accepts. Each names what the firmware loads over the
// network first, which is what its boot file must be.
const (
	// BIOS is a PC BIOS PXE ROM (option 93 code 0): it loads a real-mode
	// NBP over TFTP (pxelinux.0, undionly.kpxe).
	BIOS Class = "bios"
	// UEFIIA32 is 32-bit x86 UEFI (code 6): an IA32 EFI binary over TFTP.
	UEFIIA32 Class = "uefi-ia32"
	// UEFIX64 is x86-64 UEFI PXE (codes 7 and 9): an x64 EFI binary over TFTP.
	UEFIX64 Class = "uefi-x64"
	// UEFIARM32 is 32-bit ARM UEFI (code 10).
	UEFIARM32 Class = "uefi-arm32"
	// UEFIARM64 is 64-bit ARM UEFI (code 11).
	UEFIARM64 Class = "uefi-arm64"
	// UEFIHTTP is UEFI HTTP boot, whatever the CPU (codes 15-20, 23, 24,
	// 26, 28, 30, 38, 40; option 60 "HTTPClient"): its boot file must be a
	// URL, it has no TFTP.
	UEFIHTTP Class = "uefi-http"
	// IPXE is a client already running iPXE (option 77 "iPXE" or option
	// 175): it wants a script, never an iPXE binary (the chainload loop).
	IPXE Class = "ipxe"
	// UBootARM is U-Boot on 32-bit ARM (code 21, option 60 "U-Boot.armv7",
	// the TI AM335x ROM and SPL): it reads only siaddr and the file field.
	UBootARM Class = "uboot-arm"
	// UBootARM64 is U-Boot on 64-bit ARM (code 22, option 60 "U-Boot.armv8").
	UBootARM64 Class = "uboot-arm64"
	// RPi is the Raspberry Pi boot ROM (option 97 "RPi4"/"RPi5", code 41,
	// or a Pi MAC on a PXE client saying arch 0): it asks for bootcode.bin
	// or start4.elf by name and needs its own option 43.
	RPi Class = "rpi"
)

// The classes that are not keys of boot:.
const (
	// None is a plain DHCP client (dhclient, udhcpc, a phone): it gets an
	// address but no boot options.
	None Class = "none"
	// Other is a network-boot client whose architecture has no class
	// (RISC-V, LoongArch, U-Boot on x86, ...): only a host's or profile's
	// boot file applies to it.
	Other Class = "other"
)

// Classes lists the classes boot: accepts, in the order the docs and
// `bootyard check` print them. The caller owns the slice.
func Classes() []Class {
	return []Class{BIOS, UEFIIA32, UEFIX64, UEFIARM32, UEFIARM64, UEFIHTTP, IPXE, UBootARM, UBootARM64, RPi}
}

// configurable reports whether c is one of Classes(): a key of boot:.
func (c Class) configurable() bool {
	for _, k := range Classes() {
		if c == k {
			return true
		}
	}
	return false
}

// Boot reports whether a client of class c is network-booting: every class
// but None.
func (c Class) Boot() bool { return c != None }
