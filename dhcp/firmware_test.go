package dhcp

import (
	"testing"

	"github.com/bootyard/bootyard/firmware"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// TestIdentifyFirmware covers each rule of identifyFirmware, including the quirks of
// protocol-notes.md: list-valued option 93, codes past the library's
// table, option 60 in decimal and in U-Boot's hex, raw and RFC 3004 user
// classes, and the Raspberry Pi's arch 0.
func TestIdentifyFirmware(t *testing.T) {
	disc := dhcpv4.MessageTypeDiscover
	type want struct {
		Class                        firmware.Class
		Boot, PXE, IPXE, UBoot, HTTP bool
		RPi                          string
	}
	tests := []struct {
		name string
		pkt  pkt
		want want
	}{
		{"iPXE by raw option 77", ipxeBIOS(macBIOS, disc), want{Class: "ipxe", Boot: true, PXE: true, IPXE: true}},
		{"iPXE by option 175 alone", newPkt(macBIOS, disc).u16(93, 7).opt(175, []byte{0xb1, 1, 1}), want{Class: "ipxe", Boot: true, PXE: true, IPXE: true}},
		{"iPXE by RFC 3004 user class", newPkt(macBIOS, disc).opt(77, append([]byte{4}, "iPXE"...)), want{Class: "ipxe", Boot: true, IPXE: true}},
		{"BIOS PXE ROM", newPkt(macBIOS, disc).u16(93, 0).str(60, "PXEClient:Arch:00000:UNDI:002001"), want{Class: "bios", Boot: true, PXE: true}},
		{"OVMF x64 sends 7", ovmf(macOVMF, disc, 7), want{Class: "uefi-x64", Boot: true, PXE: true}},
		{"x64 firmware sending 9", newPkt(macOVMF, disc).u16(93, 9), want{Class: "uefi-x64", Boot: true, PXE: true}},
		{"IA32", ovmf(macIA32, disc, 6), want{Class: "uefi-ia32", Boot: true, PXE: true}},
		{"ARM32 UEFI", ovmf(macArm32, disc, 10), want{Class: "uefi-arm32", Boot: true, PXE: true}},
		{"ARM64 UEFI", ovmf(macArm64, disc, 11), want{Class: "uefi-arm64", Boot: true, PXE: true}},
		{"93 list: first element with a class wins", newPkt(macOVMF, disc).u16(93, 27, 7, 0), want{Class: "uefi-x64", Boot: true, PXE: true}},
		{"93 RISC-V only: no class", newPkt(macOVMF, disc).u16(93, 27), want{Class: firmware.Other, Boot: true, PXE: true}},
		{"93 LoongArch 39 past the library table", newPkt(macOVMF, disc).u16(93, 39), want{Class: firmware.Other, Boot: true, PXE: true}},
		{"93 41 rpiboot", newPkt(macOVMF, disc).u16(93, 41), want{Class: "rpi", Boot: true, PXE: true}},
		{"93 odd length keeps whole elements", newPkt(macOVMF, disc).opt(93, []byte{0, 11, 0}), want{Class: "uefi-arm64", Boot: true, PXE: true}},
		{"60 decimal fallback without 93", newPkt(macOVMF, disc).str(60, "PXEClient:Arch:00011:UNDI:003000"), want{Class: "uefi-arm64", Boot: true, PXE: true}},
		{"60 hex from U-Boot EFI", newPkt(macOVMF, disc).str(60, "PXEClient:Arch:0000b:UNDI:003000"), want{Class: "uefi-arm64", Boot: true, PXE: true}},
		{"93 preferred over 60", newPkt(macOVMF, disc).u16(93, 7).str(60, "PXEClient:Arch:00006:UNDI:003000"), want{Class: "uefi-x64", Boot: true, PXE: true}},
		{"60 unreadable arch", newPkt(macOVMF, disc).str(60, "PXEClient"), want{Class: firmware.Other, Boot: true, PXE: true}},
		{"HTTPClient", newPkt(macHTTP, disc).u16(93, 16).str(60, "HTTPClient:Arch:00016:UNDI:003001"), want{Class: "uefi-http", Boot: true, PXE: true, HTTP: true}},
		{"HTTP arch code alone", newPkt(macHTTP, disc).u16(93, 19), want{Class: "uefi-http", Boot: true, PXE: true, HTTP: true}},
		{"U-Boot armv8 with 93=22", uboot(macUBoot64, disc, "U-Boot.armv8", 22), want{Class: "uboot-arm64", Boot: true, PXE: true, UBoot: true}},
		{"U-Boot armv7 with 93=21", uboot(macUBoot32, disc, "U-Boot.armv7", 21), want{Class: "uboot-arm", Boot: true, PXE: true, UBoot: true}},
		{"U-Boot.arm without 93", newPkt(macUBoot32, disc).str(60, "U-Boot.arm"), want{Class: "uboot-arm", Boot: true, UBoot: true}},
		{"U-Boot.armv8 without 93", newPkt(macUBoot64, disc).str(60, "U-Boot.armv8"), want{Class: "uboot-arm64", Boot: true, UBoot: true}},
		{"U-Boot on x86: no 93, no class", newPkt(macUBoot64, disc).str(60, "U-Boot"), want{Class: firmware.Other, Boot: true, UBoot: true}},
		{"U-Boot on a Pi stays U-Boot", uboot(macPi4, disc, "U-Boot.armv8", 22), want{Class: "uboot-arm64", Boot: true, PXE: true, UBoot: true}},
		{"TI AM335x ROM", am335xROM(macAM335x), want{Class: "uboot-arm", Boot: true}},
		{"Pi 4 by option 97", pi4(macPi4, disc), want{Class: "rpi", Boot: true, PXE: true, RPi: "4"}},
		{"Pi 5 by option 97 with another MAC", newPkt(macOVMF, disc).u16(93, 0).opt(97, []byte("RPi5\x00\x01")), want{Class: "rpi", Boot: true, PXE: true, RPi: "5"}},
		{"Pi 3 by MAC prefix and arch 0", pi3(macPi3, disc), want{Class: "rpi", Boot: true, PXE: true, RPi: "3"}},
		{"Pi running Linux dhclient is not booting", dhclient(macPi4, disc), want{Class: firmware.None}},
		{"dhclient", dhclient(macLinux, disc), want{Class: firmware.None}},
		{"udhcpc", udhcpc(macBusybox, disc), want{Class: firmware.None}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := identifyFirmware(tc.pkt.m)
			got := want{c.Class, c.Boot, c.PXE, c.IPXE, c.UBoot, c.HTTP, c.RPi}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("class (-want +got):\n%s\nwhy: %q", diff, c.Why)
			}
			if len(c.Why) == 0 {
				t.Error("no reason given")
			}
		})
	}
}

func TestVendorArch(t *testing.T) {
	tests := []struct {
		in   string
		code uint16
		ok   bool
	}{
		{"PXEClient:Arch:00007:UNDI:003000", 7, true},
		{"PXEClient:Arch:00000:UNDI:002001", 0, true},
		{"PXEClient:Arch:0000b:UNDI:003000", 11, true},
		{"HTTPClient:Arch:00016:UNDI:003001", 16, true},
		{"PXEClient:arch:00010", 10, true},
		{"PXEClient:Arch:", 0, false},
		{"PXEClient:Arch:zzzzz:UNDI:003000", 0, false},
		{"PXEClient", 0, false},
	}
	for _, tc := range tests {
		code, _, ok := vendorArch(tc.in)
		if code != tc.code || ok != tc.ok {
			t.Errorf("vendorArch(%q) = %d, %v; want %d, %v", tc.in, code, ok, tc.code, tc.ok)
		}
	}
}
