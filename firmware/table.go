package firmware

import (
	"slices"
	"strings"
)

// Arch is one RFC 4578 client system architecture code (option 93) as IANA
// registers it ("Processor Architecture Types").
type Arch struct {
	Code uint16
	// Name is what the registry calls it, for explanations.
	Name string
	// Class is the firmware class; "" when bootyard has none (Other).
	Class Class
	// HTTP reports firmware that boots from a URL, not a TFTP name.
	HTTP bool
}

// archTable is our own copy of the IANA registry, read-only. The dhcp
// library's iana names stop at 36 and real firmware already sends codes past
// it (LoongArch, rpiboot), so recognising a client must not depend on it.
//
// Code 9 is "EFI x86-64" too: RFC 4578 lists 7 as "EFI BC" and 9 as "EFI
// x86-64", and real x64 firmware sends either, so both are UEFIX64. Every
// HTTP variant is UEFIHTTP: such firmware needs a URL whatever its CPU, and
// the URL is what bootyard must decide.
var archTable = map[uint16]Arch{
	0:  {0, "x86 BIOS", BIOS, false},
	1:  {1, "NEC/PC98", "", false},
	2:  {2, "EFI Itanium", "", false},
	3:  {3, "DEC Alpha", "", false},
	4:  {4, "Arc x86", "", false},
	5:  {5, "Intel Lean Client", "", false},
	6:  {6, "EFI IA32", UEFIIA32, false},
	7:  {7, "EFI BC (x86-64)", UEFIX64, false},
	8:  {8, "EFI Xscale", "", false},
	9:  {9, "EFI x86-64", UEFIX64, false},
	10: {10, "EFI ARM32", UEFIARM32, false},
	11: {11, "EFI ARM64", UEFIARM64, false},
	12: {12, "PowerPC Open Firmware", "", false},
	13: {13, "PowerPC ePAPR", "", false},
	14: {14, "POWER OPAL v3", "", false},
	15: {15, "x86 UEFI HTTP", UEFIHTTP, true},
	16: {16, "x64 UEFI HTTP", UEFIHTTP, true},
	17: {17, "EBC UEFI HTTP", UEFIHTTP, true},
	18: {18, "ARM32 UEFI HTTP", UEFIHTTP, true},
	19: {19, "ARM64 UEFI HTTP", UEFIHTTP, true},
	20: {20, "x86 BIOS HTTP", UEFIHTTP, true},
	21: {21, "ARM32 U-Boot", UBootARM, false},
	22: {22, "ARM64 U-Boot", UBootARM64, false},
	23: {23, "ARM32 U-Boot HTTP", UEFIHTTP, true},
	24: {24, "ARM64 U-Boot HTTP", UEFIHTTP, true},
	25: {25, "RISC-V 32 UEFI", "", false},
	26: {26, "RISC-V 32 UEFI HTTP", UEFIHTTP, true},
	27: {27, "RISC-V 64 UEFI", "", false},
	28: {28, "RISC-V 64 UEFI HTTP", UEFIHTTP, true},
	29: {29, "RISC-V 128 UEFI", "", false},
	30: {30, "RISC-V 128 UEFI HTTP", UEFIHTTP, true},
	31: {31, "s390 Basic", "", false},
	32: {32, "s390 Extended", "", false},
	33: {33, "MIPS32 UEFI", "", false},
	34: {34, "MIPS64 UEFI", "", false},
	35: {35, "Sunway32 UEFI", "", false},
	36: {36, "Sunway64 UEFI", "", false},
	37: {37, "LoongArch32 UEFI", "", false},
	38: {38, "LoongArch32 UEFI HTTP", UEFIHTTP, true},
	39: {39, "LoongArch64 UEFI", "", false},
	40: {40, "LoongArch64 UEFI HTTP", UEFIHTTP, true},
	41: {41, "ARM rpiboot", RPi, false},
}

// LookupArch returns the registry entry of an option 93 code.
func LookupArch(code uint16) (Arch, bool) {
	a, ok := archTable[code]
	return a, ok
}

// ArchName names a code for explanations, registered or not.
func ArchName(code uint16) string {
	if a, ok := archTable[code]; ok {
		return a.Name
	}
	return "unregistered"
}

// archs returns every registered code, in code order.
func archs() []Arch {
	out := make([]Arch, 0, len(archTable))
	for _, a := range archTable {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Arch) int { return int(a.Code) - int(b.Code) })
	return out
}

// Vendor is an option 60 vendor class that names its firmware by itself,
// without option 93.
type Vendor struct {
	// ID is the vendor class as sent, or its start when Prefix is set.
	ID     string
	Prefix bool
	Class  Class
	// What says in words what sends it, for explanations.
	What string
}

// vendorTable lists the vendor classes that decide a class on their own.
// "PXEClient:Arch:NNNNN" is not here: its arch field goes through archTable.
// U-Boot writes "U-Boot.<arch>" (CONFIG_BOOTP_VCI_STRING); a build without an
// ARM suffix is Other: x86, and RISC-V (Debian's qemu-riscv64 sends plain
// "U-Boot", no option 93). The TI AM335x ROM and SPL say "AM335x ROM" /
// "AM335x U-Boot SPL" and chain to ARM32 U-Boot.
var vendorTable = []Vendor{
	{"U-Boot.armv8", false, UBootARM64, "U-Boot on 64-bit ARM"},
	{"U-Boot.aarch64", false, UBootARM64, "U-Boot on 64-bit ARM"},
	{"U-Boot.arm64", false, UBootARM64, "U-Boot on 64-bit ARM"},
	{"U-Boot.armv7", false, UBootARM, "U-Boot on 32-bit ARM"},
	{"U-Boot.arm", false, UBootARM, "U-Boot on 32-bit ARM"},
	{"U-Boot.armv6", false, UBootARM, "U-Boot on 32-bit ARM"},
	{"U-Boot.armv5", false, UBootARM, "U-Boot on 32-bit ARM"},
	{"AM335x", true, UBootARM, "a TI AM335x boot ROM/SPL (ARM32 U-Boot chain)"},
	{"HTTPClient", true, UEFIHTTP, "UEFI HTTP boot"},
}

// LookupVendor returns the entry for an option 60 value: an exact entry
// first, then the first prefix entry it starts with.
func LookupVendor(v string) (Vendor, bool) {
	for _, e := range vendorTable {
		if !e.Prefix && v == e.ID {
			return e, true
		}
	}
	for _, e := range vendorTable {
		if e.Prefix && strings.HasPrefix(v, e.ID) {
			return e, true
		}
	}
	return Vendor{}, false
}

// vendors returns the vendor class table.
func vendors() []Vendor { return slices.Clone(vendorTable) }
