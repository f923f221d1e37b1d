package dhcp

// archInfo describes one RFC 4578 client system architecture code (option
// 93) as IANA registers it ("Processor Architecture Types").
type archInfo struct {
	name  string // what the registry calls it, for explanations
	class string // bootyard firmware class; "" when bootyard has none
	http  bool   // the firmware boots from a URL, not a TFTP name
}

// archTable is our own copy of the IANA registry. The dhcp library's iana
// names stop at 36 and real firmware already sends codes past it
// (LoongArch, rpiboot), so classification must not depend on the library.
//
// Code 9 is "EFI x86-64" too: RFC 4578 lists 7 as "EFI BC" and 9 as
// "EFI x86-64", and real x64 firmware sends either, so both are uefi-x64.
// Every HTTP variant maps to uefi-http: such firmware needs a URL whatever
// its CPU, and the URL is what bootyard must decide.
var archTable = map[uint16]archInfo{
	0:  {"x86 BIOS", "bios", false},
	1:  {"NEC/PC98", "", false},
	2:  {"EFI Itanium", "", false},
	3:  {"DEC Alpha", "", false},
	4:  {"Arc x86", "", false},
	5:  {"Intel Lean Client", "", false},
	6:  {"EFI IA32", "uefi-ia32", false},
	7:  {"EFI BC (x86-64)", "uefi-x64", false},
	8:  {"EFI Xscale", "", false},
	9:  {"EFI x86-64", "uefi-x64", false},
	10: {"EFI ARM32", "uefi-arm32", false},
	11: {"EFI ARM64", "uefi-arm64", false},
	12: {"PowerPC Open Firmware", "", false},
	13: {"PowerPC ePAPR", "", false},
	14: {"POWER OPAL v3", "", false},
	15: {"x86 UEFI HTTP", "uefi-http", true},
	16: {"x64 UEFI HTTP", "uefi-http", true},
	17: {"EBC UEFI HTTP", "uefi-http", true},
	18: {"ARM32 UEFI HTTP", "uefi-http", true},
	19: {"ARM64 UEFI HTTP", "uefi-http", true},
	20: {"x86 BIOS HTTP", "uefi-http", true},
	21: {"ARM32 U-Boot", "uboot-arm", false},
	22: {"ARM64 U-Boot", "uboot-arm64", false},
	23: {"ARM32 U-Boot HTTP", "uefi-http", true},
	24: {"ARM64 U-Boot HTTP", "uefi-http", true},
	25: {"RISC-V 32 UEFI", "", false},
	26: {"RISC-V 32 UEFI HTTP", "uefi-http", true},
	27: {"RISC-V 64 UEFI", "", false},
	28: {"RISC-V 64 UEFI HTTP", "uefi-http", true},
	29: {"RISC-V 128 UEFI", "", false},
	30: {"RISC-V 128 UEFI HTTP", "uefi-http", true},
	31: {"s390 Basic", "", false},
	32: {"s390 Extended", "", false},
	33: {"MIPS32 UEFI", "", false},
	34: {"MIPS64 UEFI", "", false},
	35: {"Sunway32 UEFI", "", false},
	36: {"Sunway64 UEFI", "", false},
	37: {"LoongArch32 UEFI", "", false},
	38: {"LoongArch32 UEFI HTTP", "uefi-http", true},
	39: {"LoongArch64 UEFI", "", false},
	40: {"LoongArch64 UEFI HTTP", "uefi-http", true},
	41: {"ARM rpiboot", "rpi", false},
}

// archName names a code for explanations, known or not.
func archName(code uint16) string {
	if a, ok := archTable[code]; ok {
		return a.name
	}
	return "unregistered"
}
