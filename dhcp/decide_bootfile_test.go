package dhcp

import (
	"net/netip"
	"testing"

	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// TestChooseBootFile pins the selection order (host, profile, class
// default) and the iPXE rule that prevents the chainload loop.
func TestChooseBootFile(t *testing.T) {
	bios := Firmware{Class: "bios", Boot: true, PXE: true}
	ipxe := Firmware{Class: "ipxe", Boot: true, PXE: true, IPXE: true}
	none := Firmware{Class: firmware.None}
	other := Firmware{Class: firmware.Other, Boot: true}
	snap := inventory.New(inventory.Snapshot{Boot: map[firmware.Class]string{"bios": "undionly.kpxe", "ipxe": "boot.ipxe"}}, nil, nil)
	loopy := inventory.New(inventory.Snapshot{Boot: map[firmware.Class]string{"ipxe": "ipxe/undionly.kpxe"}}, nil, nil)
	host := func(file, profFile string) *inventory.Host {
		h := &inventory.Host{Name: "h", MAC: macBIOS, BootFile: file}
		if profFile != "-" {
			h.Profile = &inventory.Profile{Name: "p", BootFile: profFile}
		}
		return h
	}
	tests := []struct {
		name  string
		class Firmware
		host  *inventory.Host
		snap  *inventory.Snapshot
		want  string
	}{
		{"host bootfile wins over profile and class", bios, host("custom.0", "prof.0"), snap, "custom.0"},
		{"profile bootfile wins over class", bios, host("", "prof.0"), snap, "prof.0"},
		{"class default", bios, host("", ""), snap, "undionly.kpxe"},
		{"class default for a host without profile", bios, host("", "-"), snap, "undionly.kpxe"},
		{"class default for an unknown MAC", bios, nil, snap, "undionly.kpxe"},
		{"class without entry: nothing", Firmware{Class: "uefi-arm64", Boot: true}, nil, snap, ""},
		{"firmware.Other gets the host file", other, host("riscv/grub.efi", ""), snap, "riscv/grub.efi"},
		{"firmware.Other without host file: nothing", other, nil, snap, ""},
		{"not a boot client: nothing even with a host file", none, host("custom.0", "prof.0"), snap, ""},
		{"iPXE never gets the host's iPXE binary", ipxe, host("undionly.kpxe", ""), snap, "boot.ipxe"},
		{"iPXE never gets the profile's iPXE binary", ipxe, host("", "efi/IPXE.EFI"), snap, "boot.ipxe"},
		{"iPXE skips a binary host file but takes the profile script", ipxe, host("snponly.efi", "menu.ipxe"), snap, "menu.ipxe"},
		{"iPXE (qemu BIOS ROM) takes the host's pxelinux.0", ipxe, host("pxelinux.0", ""), snap, "pxelinux.0"},
		{"iPXE with an iPXE binary as boot.ipxe: nothing rather than a loop", ipxe, nil, loopy, ""},
		{"a plain PXE ROM may get an iPXE binary", bios, host("undionly.kpxe", ""), snap, "undionly.kpxe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := ChooseBootFile(tc.class, tc.host, tc.snap)
			if b.File != tc.want {
				t.Errorf("file %q, want %q (rule %q, skipped %q)", b.File, tc.want, b.Rule, b.Skipped)
			}
			if b.Rule == "" {
				t.Error("no rule given")
			}
		})
	}
}

// TestDecideBootFileOrder checks the order end to end: the qemu BIOS ROM
// (iPXE) of a host whose profile says pxelinux.0 gets pxelinux.0 and the
// PXELINUX options 208-211 of RFC 5071.
func TestDecideBootFileOrder(t *testing.T) {
	withPXELinux := withHost(macBIOS, func(h *inventory.Host, ps []*inventory.Profile) { h.Profile = ps[1] })
	withHostFile := withHost(macBIOS, func(h *inventory.Host, ps []*inventory.Profile) {
		h.Profile = ps[1]
		h.BootFile = "undionly.kpxe"
	})
	tests := []struct {
		name string
		snap *inventory.Snapshot
		want map[uint8]string
		file string
	}{
		{"profile pxelinux.0 wins for the iPXE ROM", testSnap(withPXELinux), map[uint8]string{
			67: "pxelinux.0", 208: "f100747e", 209: "pxelinux.cfg/bios", 210: "/", 211: u32hex(300)}, "pxelinux.0"},
		{"host undionly.kpxe is skipped for iPXE: profile pxelinux.0", testSnap(withHostFile), map[uint8]string{
			67: "pxelinux.0", 208: "f100747e"}, "pxelinux.0"},
		{"no profile file: iPXE gets its script", testSnap(), map[uint8]string{67: "boot.ipxe"}, "boot.ipxe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := wire(t, Decide(req(ipxeBIOS(macBIOS, dhcpv4.MessageTypeDiscover)), tc.snap, &fakeLeases{}))
			v := viewOf(d)
			if v.File != tc.file {
				t.Errorf("file field %q, want %q", v.File, tc.file)
			}
			got := map[uint8]string{}
			for c := range tc.want {
				if val, ok := v.Opts[c]; ok {
					got[c] = val
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
			if tc.file == "boot.ipxe" {
				for _, c := range []uint8{208, 209, 210, 211} {
					if _, ok := v.Opts[c]; ok {
						t.Errorf("option %d sent without a PXELINUX profile", c)
					}
				}
			}
		})
	}
}

// TestDecideUEFIHTTPWithURL: an http:// boot file reaches UEFI HTTP boot
// firmware with option 60 "HTTPClient" (the firmware rejects anything else).
func TestDecideUEFIHTTPWithURL(t *testing.T) {
	snap := testSnap(withHost(macHTTP, func(h *inventory.Host, _ []*inventory.Profile) {
		h.BootFile = "http://198.51.100.2/efi/shim.efi"
	}))
	p := newPkt(macHTTP, dhcpv4.MessageTypeDiscover).bcast().u16(93, 16).str(60, "HTTPClient:Arch:00016:UNDI:003001")
	v := viewOf(wire(t, Decide(req(p), snap, &fakeLeases{})))
	if v.File != "http://198.51.100.2/efi/shim.efi" || v.Opts[60] != "HTTPClient" || v.YIAddr != netip.MustParseAddr("198.51.100.24").String() {
		t.Errorf("got file %q, 60 %q, yiaddr %s; want the URL, HTTPClient, 198.51.100.24 (reason %q)", v.File, v.Opts[60], v.YIAddr, v.Reason)
	}
	if _, ok := v.Opts[43]; ok {
		t.Error("HTTP boot reply carries the PXE option 43")
	}
}
