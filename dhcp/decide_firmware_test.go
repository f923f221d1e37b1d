package dhcp

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/bootyard/bootyard/firmware"
	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// addrOpts are the options every authoritative OFFER carries.
func addrOpts(typ dhcpv4.MessageType, hostname string) map[uint8]string {
	return map[uint8]string{
		53: hex.EncodeToString([]byte{byte(typ)}), 54: "198.51.100.2",
		51: u32hex(3600), 58: u32hex(1800), 59: u32hex(3150),
		1: "255.255.255.0", 3: "198.51.100.1", 6: "198.51.100.1", 15: "lab.test", 12: hostname,
	}
}

// merge returns base with more added (more wins).
func merge(base map[uint8]string, more map[uint8]string) map[uint8]string {
	out := map[uint8]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// pxeBoot is what a PXE ROM needs besides the address.
func pxeBoot(file string) map[uint8]string {
	return map[uint8]string{67: file, 66: "198.51.100.2", 60: "PXEClient", 43: "060108ff"}
}

const bcast = "255.255.255.255:68"

// TestDecideFirmware answers a DISCOVER from every firmware class, each
// built with the options that firmware really sends, and checks what the
// firmware reads from the OFFER after a round trip through the wire format.
func TestDecideFirmware(t *testing.T) {
	offer := dhcpv4.MessageTypeOffer
	uuid := hex.EncodeToString(ipxeBIOS(macBIOS, 1).m.Options[97])
	pi4UUID := hex.EncodeToString(pi4(macPi4, 1).m.Options[97])
	rpiPlain := "060103" + "0a0400505845" + "0914" + "000011" + hex.EncodeToString([]byte("Raspberry Pi Boot")) + "ff"
	rpiSpaces := "060103" + "0a0400505845" + "0917" + "000014" + hex.EncodeToString([]byte("Raspberry Pi Boot   ")) + "ff"
	tests := []struct {
		name      string
		pkt       pkt
		wantClass firmware.Class
		want      view
	}{
		{"iPXE BIOS ROM (qemu)", ipxeBIOS(macBIOS, 1), "ipxe", view{
			Type: "OFFER", YIAddr: "198.51.100.11", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "boot.ipxe", Dest: "198.51.100.11:68",
			Opts: merge(addrOpts(offer, "pc-bios"), merge(pxeBoot("boot.ipxe"), map[uint8]string{97: uuid, 61: "01525400000001"})),
		}},
		{"vendor BIOS PXE ROM", intelPXE(macPXE, 1), "bios", view{
			Type: "OFFER", YIAddr: "198.51.100.25", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "undionly.kpxe", Dest: bcast, Broadcast: true,
			Opts: merge(addrOpts(offer, "pc-legacy"), merge(pxeBoot("undionly.kpxe"), map[uint8]string{97: hex.EncodeToString(intelPXE(macPXE, 1).m.Options[97])})),
		}},
		{"OVMF x64 PXE", ovmf(macOVMF, 1, 7), "uefi-x64", view{
			Type: "OFFER", YIAddr: "198.51.100.12", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "ipxe.efi", Dest: bcast, Broadcast: true,
			Opts: merge(addrOpts(offer, "pc-uefi"), merge(pxeBoot("ipxe.efi"), map[uint8]string{97: hex.EncodeToString(make([]byte, 17))})),
		}},
		{"OVMF IA32 PXE", ovmf(macIA32, 1, 6), "uefi-ia32", view{
			Type: "OFFER", YIAddr: "198.51.100.22", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "ipxe-i386.efi", Dest: bcast, Broadcast: true,
			Opts: merge(addrOpts(offer, "old-tablet"), merge(pxeBoot("ipxe-i386.efi"), map[uint8]string{97: hex.EncodeToString(make([]byte, 17))})),
		}},
		{"UEFI ARM32 PXE", ovmf(macArm32, 1, 10), "uefi-arm32", view{
			Type: "OFFER", YIAddr: "198.51.100.23", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "arm/grubarm.efi", Dest: bcast, Broadcast: true,
			Opts: merge(addrOpts(offer, "arm32-uefi"), merge(pxeBoot("arm/grubarm.efi"), map[uint8]string{97: hex.EncodeToString(make([]byte, 17))})),
		}},
		{"AAVMF ARM64 PXE", ovmf(macArm64, 1, 11), "uefi-arm64", view{
			Type: "OFFER", YIAddr: "198.51.100.21", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "ipxe-arm64.efi", Dest: bcast, Broadcast: true,
			Opts: merge(addrOpts(offer, "arm64-uefi"), merge(pxeBoot("ipxe-arm64.efi"), map[uint8]string{97: hex.EncodeToString(make([]byte, 17))})),
		}},
		{"iPXE EFI", ipxeEFI(macIPXEEFI, 1), "ipxe", view{
			Type: "OFFER", YIAddr: "198.51.100.13", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "boot.ipxe", Dest: "198.51.100.13:68",
			Opts: merge(addrOpts(offer, "pc-ipxe"), merge(pxeBoot("boot.ipxe"), map[uint8]string{61: "01525400000003"})),
		}},
		{"U-Boot 2023.01 arm64", uboot(macUBoot64, 1, "U-Boot.armv8", 22), "uboot-arm64", view{
			Type: "OFFER", YIAddr: "198.51.100.14", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "uboot/arm64/boot.scr.uimg", Dest: "198.51.100.14:68",
			Opts: merge(addrOpts(offer, "board64"), map[uint8]string{67: "uboot/arm64/boot.scr.uimg", 66: "198.51.100.2"}),
		}},
		{"U-Boot 2023.01 arm", uboot(macUBoot32, 1, "U-Boot.armv7", 21), "uboot-arm", view{
			Type: "OFFER", YIAddr: "198.51.100.15", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "uboot/arm/boot.scr.uimg", Dest: "198.51.100.15:68",
			Opts: merge(addrOpts(offer, "board32"), map[uint8]string{67: "uboot/arm/boot.scr.uimg", 66: "198.51.100.2"}),
		}},
		{"Raspberry Pi 4", pi4(macPi4, 1), "rpi", view{
			Type: "OFFER", YIAddr: "198.51.100.16", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "bootcode.bin", Dest: bcast, Broadcast: true,
			Opts: merge(addrOpts(offer, "pi4"), map[uint8]string{67: "bootcode.bin", 66: "198.51.100.2", 60: "PXEClient", 43: rpiPlain, 97: pi4UUID}),
		}},
		{"Raspberry Pi 3 (three-space quirk)", pi3(macPi3, 1), "rpi", view{
			Type: "OFFER", YIAddr: "198.51.100.17", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "bootcode.bin", Dest: bcast, Broadcast: true,
			Opts: merge(addrOpts(offer, "pi3"), map[uint8]string{67: "bootcode.bin", 66: "198.51.100.2", 60: "PXEClient", 43: rpiSpaces}),
		}},
		{"dhclient: address only", dhclient(macLinux, 1), "none", view{
			Type: "OFFER", YIAddr: "198.51.100.18", SIAddr: "0.0.0.0", CIAddr: "0.0.0.0", Dest: "198.51.100.18:68",
			Opts: addrOpts(offer, "linuxbox"),
		}},
		{"udhcpc: address only", udhcpc(macBusybox, 1), "none", view{
			Type: "OFFER", YIAddr: "198.51.100.19", SIAddr: "0.0.0.0", CIAddr: "0.0.0.0", Dest: "198.51.100.19:68",
			Opts: merge(addrOpts(offer, "busybox"), map[uint8]string{61: "01525400000009"}),
		}},
		{"TI AM335x ROM: BOOTP", am335xROM(macAM335x), "uboot-arm", view{
			Type: "BOOTP", YIAddr: "198.51.100.20", SIAddr: "198.51.100.2", CIAddr: "0.0.0.0", File: "am335x/u-boot-spl.bin", Dest: "198.51.100.20:68",
			Opts: map[uint8]string{1: "255.255.255.0", 3: "198.51.100.1", 6: "198.51.100.1", 15: "lab.test", 12: "beagle",
				67: "am335x/u-boot-spl.bin", 66: "198.51.100.2"},
		}},
		{"UEFI HTTP boot without a URL is ignored",
			newPkt(macHTTP, 1).bcast().u16(93, 16).str(60, "HTTPClient:Arch:00016:UNDI:003001"), "uefi-http", view{
				Reason: ReasonHTTPNeedsURL,
			}},
	}
	snap := testSnap()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, rep := Explain(req(tc.pkt), snap, &fakeLeases{})
			if rep.Firmware.Class != tc.wantClass {
				t.Errorf("class %q, want %q (why: %v)", rep.Firmware.Class, tc.wantClass, rep.Firmware.Why)
			}
			if d.Change != nil {
				t.Errorf("reserved host got lease change %+v, want none", d.Change)
			}
			if diff := cmp.Diff(tc.want, viewOf(wire(t, d))); diff != "" {
				t.Errorf("reply (-want +got):\n%s\nwhy: %q", diff, d.Why)
			}
			if len(d.Why) == 0 {
				t.Error("decision has no explanation")
			}
		})
	}
}

// TestDecidePure: deciding twice gives the same answer and leaves the
// request untouched (the server may decide again after a lease conflict).
func TestDecidePure(t *testing.T) {
	snap := testSnap(withPool("198.51.100.100", "198.51.100.150"))
	for _, p := range []pkt{ipxeBIOS(macBIOS, 1), udhcpc(macUnknown, 1), pi4(macPi4, 1)} {
		before := p.m.ToBytes()
		a := Decide(req(p), snap, &fakeLeases{})
		b := Decide(req(p), snap, &fakeLeases{})
		if diff := cmp.Diff(viewOf(a), viewOf(b)); diff != "" {
			t.Errorf("second decision differs:\n%s", diff)
		}
		if !bytes.Equal(before, p.m.ToBytes()) {
			t.Error("Decide modified the request")
		}
	}
}
