package doctor

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

func fw(t *testing.T, name string) Firmware {
	t.Helper()
	f, err := LookupFirmware(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var (
	bootyardIP = netip.MustParseAddr("198.51.100.2")
	dnsmasqIP  = netip.MustParseAddr("198.51.100.3")
	zero       = netip.IPv4Unspecified()
)

// pxeOffer is an address offer the way bootyard answers PXE firmware.
func pxeOffer(server netip.Addr, file string) Offer {
	return Offer{Server: server, YourIP: netip.MustParseAddr("198.51.100.120"), NextServer: server, File: file, VendorClass: "PXEClient"}
}

func TestAnalyze(t *testing.T) {
	fetched := &FetchResult{Target: tftpTarget("198.51.100.2", "pxelinux.0"), Bytes: 1000, Size: 1000, Duration: time.Second}
	for _, tc := range []struct {
		name string
		r    Report
		want []Verdict
	}{{
		name: "nobody answered",
		r:    Report{Firmware: fw(t, "bios"), Window: 4 * time.Second, Iface: "eth0", MAC: []byte{2, 0, 0, 0, 0, 1}, Expect: bootyardIP},
		want: []Verdict{
			{Fail, "no DHCP server answered within 4s (DISCOVER as bios from 02:00:00:00:00:01 on eth0)"},
			{Fail, "the expected server 198.51.100.2 did not answer"},
		},
	}, {
		name: "one server, file fetched",
		r:    Report{Firmware: fw(t, "bios"), Offers: []Offer{pxeOffer(bootyardIP, "pxelinux.0")}, Fetch: fetched},
		want: []Verdict{{OK, "boot file pxelinux.0 fetched from 198.51.100.2: 1000 bytes in 1s (1000 B/s), first data after 0s"}},
	}, {
		name: "two servers, the unexpected one flagged",
		r: Report{Firmware: fw(t, "bios"), Expect: bootyardIP,
			Offers: []Offer{pxeOffer(bootyardIP, "pxelinux.0"), pxeOffer(dnsmasqIP, "other.0")}},
		want: []Verdict{
			{Warn, "two DHCP servers answered: 198.51.100.2, 198.51.100.3"},
			{Fail, "198.51.100.3 is not the expected server 198.51.100.2 but offers boot file tftp://198.51.100.3/other.0: a board may boot from either"},
		},
	}, {
		name: "address server next to a proxy",
		r: Report{Firmware: fw(t, "bios"), Expect: bootyardIP, Offers: []Offer{
			{Server: dnsmasqIP, YourIP: netip.MustParseAddr("198.51.100.150")},
			{Server: bootyardIP, YourIP: zero, File: "pxelinux.0", VendorClass: "PXEClient"},
		}},
		want: []Verdict{
			{Info, "two DHCP servers answered: 198.51.100.3, 198.51.100.2 (one gives the address, the others are proxyDHCP)"},
			{Warn, "198.51.100.3 is not the expected server 198.51.100.2; it offers no boot file (fine if it only hands out addresses)"},
		},
	}, {
		name: "no boot file anywhere",
		r:    Report{Firmware: fw(t, "bios"), Offers: []Offer{{Server: dnsmasqIP, YourIP: netip.MustParseAddr("198.51.100.150")}}},
		want: []Verdict{{Fail, "no offer names a boot file for bios"}},
	}, {
		name: "UEFI and a proxy offer without PXEClient",
		r:    Report{Firmware: fw(t, "uefi-x64"), Offers: []Offer{{Server: bootyardIP, YourIP: zero, NextServer: bootyardIP, File: "grubx64.efi"}}},
		want: []Verdict{{Fail, "offer from 198.51.100.2: lacks option 60 PXEClient: UEFI will ignore it"}},
	}, {
		name: "UEFI and an address offer without PXEClient",
		r:    Report{Firmware: fw(t, "uefi-x64"), Offers: []Offer{{Server: dnsmasqIP, YourIP: netip.MustParseAddr("198.51.100.150"), File: "grubx64.efi"}}},
		want: []Verdict{{Info, "offer from 198.51.100.3: lacks option 60 PXEClient: UEFI takes it as a plain DHCP offer and prefers any PXE offer"}},
	}, {
		name: "BIOS does not care about option 60",
		r:    Report{Firmware: fw(t, "bios"), Offers: []Offer{{Server: dnsmasqIP, YourIP: netip.MustParseAddr("198.51.100.150"), File: "pxelinux.0"}}},
		want: nil,
	}, {
		name: "URL to a TFTP-only firmware",
		r:    Report{Firmware: fw(t, "uefi-x64"), Offers: []Offer{pxeOffer(bootyardIP, "http://198.51.100.2/ipxe.efi")}},
		want: []Verdict{{Fail, "offer from 198.51.100.2: the boot file is a URL (http://198.51.100.2/ipxe.efi) but uefi-x64 speaks only TFTP"}},
	}, {
		name: "URL to iPXE is fine",
		r:    Report{Firmware: fw(t, "ipxe"), Offers: []Offer{pxeOffer(bootyardIP, "http://198.51.100.2/boot.ipxe")}},
		want: nil,
	}, {
		name: "HTTP boot with a TFTP name and no HTTPClient",
		r:    Report{Firmware: fw(t, "uefi-http"), Offers: []Offer{pxeOffer(bootyardIP, "grubx64.efi")}},
		want: []Verdict{
			{Fail, "offer from 198.51.100.2: lacks option 60 HTTPClient: UEFI HTTP boot will ignore it"},
			{Fail, "offer from 198.51.100.2: the boot file \"grubx64.efi\" is not a URL but uefi-http fetches only http:// and https://"},
		},
	}, {
		name: "HTTP boot done right",
		r: Report{Firmware: fw(t, "uefi-http"), Offers: []Offer{{Server: bootyardIP, YourIP: netip.MustParseAddr("198.51.100.120"),
			BootFileOpt: "http://198.51.100.2/grubx64.efi", VendorClass: "HTTPClient"}}},
		want: nil,
	}, {
		name: "U-Boot and a proxy offer with option 67 only",
		r:    Report{Firmware: fw(t, "uboot-arm64"), Offers: []Offer{{Server: bootyardIP, YourIP: zero, BootFileOpt: "boot.scr.uimg"}}},
		want: []Verdict{
			{Fail, "offer from 198.51.100.2: no address (yiaddr 0.0.0.0): U-Boot drops such offers, it cannot boot from proxyDHCP"},
			{Fail, "offer from 198.51.100.2: boot file \"boot.scr.uimg\" only in option 67: U-Boot reads the BOOTP file field"},
			{Fail, "no offer names a boot file for uboot-arm64"},
		},
	}, {
		name: "iPXE offered iPXE",
		r:    Report{Firmware: fw(t, "ipxe"), Offers: []Offer{pxeOffer(bootyardIP, "undionly.kpxe")}},
		want: []Verdict{{Warn, "offer from 198.51.100.2: iPXE is offered an iPXE binary (undionly.kpxe): it will chainload itself in a loop"}},
	}, {
		name: "boot file not found",
		r: Report{Firmware: fw(t, "bios"), Offers: []Offer{pxeOffer(bootyardIP, "pxelinux.0")},
			Fetch: &FetchResult{Target: tftpTarget("198.51.100.2", "pxelinux.0"), Size: -1}, FetchErr: fmt.Errorf("code 1: %w", ErrNotFound)},
		want: []Verdict{{Fail, "boot file pxelinux.0 not found on 198.51.100.2"}},
	}, {
		name: "TFTP server silent",
		r: Report{Firmware: fw(t, "bios"), Offers: []Offer{pxeOffer(bootyardIP, "pxelinux.0")},
			Fetch: &FetchResult{Target: tftpTarget("198.51.100.2", "pxelinux.0"), Size: -1}, FetchErr: ErrNoAnswer},
		want: []Verdict{{Fail, "TFTP server 198.51.100.2 did not answer for pxelinux.0"}},
	}, {
		name: "short transfer and no Content-Length",
		r: Report{Firmware: fw(t, "ipxe"), Offers: []Offer{pxeOffer(bootyardIP, "http://198.51.100.2/a")},
			Fetch: &FetchResult{Target: Target{Scheme: "http", Host: "198.51.100.2", URL: "http://198.51.100.2/a"}, Bytes: 2048, Size: -1, Duration: 2 * time.Second}},
		want: []Verdict{
			{OK, "boot file /a fetched from 198.51.100.2: 2048 bytes in 2s (1.0 KiB/s), first data after 0s"},
			{Warn, "198.51.100.2 sent no Content-Length for /a: UEFI HTTP boot and iPXE need it"},
		},
	}, {
		name: "tsize lied",
		r: Report{Firmware: fw(t, "bios"), Offers: []Offer{pxeOffer(bootyardIP, "pxelinux.0")},
			Fetch: &FetchResult{Target: tftpTarget("198.51.100.2", "pxelinux.0"), Bytes: 10, Size: 20, Duration: time.Second}},
		want: []Verdict{
			{OK, "boot file pxelinux.0 fetched from 198.51.100.2: 10 bytes in 1s (10 B/s), first data after 0s"},
			{Fail, "198.51.100.2 announced 20 bytes for pxelinux.0 but sent 10"},
		},
	}, {
		name: "request acknowledged",
		r: Report{Firmware: fw(t, "bios"), Offers: []Offer{pxeOffer(bootyardIP, "pxelinux.0")}, NoFetch: "eth0 has no IPv4 address",
			Lease: &LeaseResult{Server: bootyardIP, Addr: netip.MustParseAddr("198.51.100.120"), Released: true}},
		want: []Verdict{
			{Info, "boot file not fetched: eth0 has no IPv4 address"},
			{OK, "REQUEST for 198.51.100.120 acknowledged by 198.51.100.2; released again"},
		},
	}, {
		name: "request refused",
		r: Report{Firmware: fw(t, "bios"), Offers: []Offer{pxeOffer(bootyardIP, "pxelinux.0")},
			Lease: &LeaseResult{Server: bootyardIP, Nak: true, NakText: "address taken"}},
		want: []Verdict{{Fail, "198.51.100.2 refused the REQUEST with a NAK: \"address taken\""}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := Analyze(tc.r)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestChooseOffer(t *testing.T) {
	bios := fw(t, "bios")
	addrOnly := Offer{Server: dnsmasqIP, YourIP: netip.MustParseAddr("198.51.100.150")}
	for _, tc := range []struct {
		name   string
		offers []Offer
		expect netip.Addr
		want   int
	}{
		{"first with a file", []Offer{addrOnly, pxeOffer(bootyardIP, "a"), pxeOffer(dnsmasqIP, "b")}, netip.Addr{}, 1},
		{"the expected one", []Offer{pxeOffer(dnsmasqIP, "b"), pxeOffer(bootyardIP, "a")}, bootyardIP, 1},
		{"expected has no file", []Offer{pxeOffer(dnsmasqIP, "b"), {Server: bootyardIP}}, bootyardIP, -1},
		{"expected silent", []Offer{pxeOffer(dnsmasqIP, "b")}, bootyardIP, -1},
		{"none has a file", []Offer{addrOnly}, netip.Addr{}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, why := ChooseOffer(bios, tc.offers, tc.expect); got != tc.want {
				t.Errorf("chose %d (%s), want %d", got, why, tc.want)
			}
		})
	}
}

func TestOfferBootFile(t *testing.T) {
	o := Offer{Server: bootyardIP, File: "field.0", BootFileOpt: "option.0", TFTPServer: "198.51.100.9"}
	if got := o.BootFile(fw(t, "uboot-arm")); got != "field.0" {
		t.Errorf("U-Boot takes %q, want the file field", got)
	}
	if got, _ := o.Target(fw(t, "bios")); got != tftpTarget("198.51.100.9", "option.0") {
		t.Errorf("BIOS target %+v, want option 67 from option 66's server", got)
	}
	o.NextServer = netip.MustParseAddr("198.51.100.5")
	if got, _ := o.Target(fw(t, "bios")); got.Host != "198.51.100.5" {
		t.Errorf("target %+v: siaddr wins over option 66", got)
	}
}

// TestOfferSummary: the one-line listing shows what a boot depends on, as
// read back from the wire.
func TestOfferSummary(t *testing.T) {
	bios := fw(t, "bios")
	disc, err := bios.Discover([]byte{2, 0, 0, 0, 0, 1}, [4]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := dhcpv4.NewReplyFromRequest(disc,
		dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer),
		dhcpv4.WithYourIP(net.ParseIP("198.51.100.120")),
		dhcpv4.WithServerIP(net.ParseIP("198.51.100.2")),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.ParseIP("198.51.100.2"))),
		dhcpv4.WithOption(dhcpv4.OptClassIdentifier("PXEClient")),
		dhcpv4.WithGeneric(dhcpv4.OptionVendorSpecificInformation, []byte{6, 1, 8, 0xff}),
		dhcpv4.WithGeneric(dhcpv4.OptionPXELinuxConfigFile, []byte("pxelinux.cfg/node1")),
		func(m *dhcpv4.DHCPv4) { m.BootFileName = "pxelinux.0" },
	)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := dhcpv4.FromBytes(m.ToBytes())
	if err != nil {
		t.Fatal(err)
	}
	got := newOffer(wire, net.ParseIP("198.51.100.2"), 12*time.Millisecond).Summary(bios)
	want := `198.51.100.2 after 12ms: address 198.51.100.120, next-server 198.51.100.2, file "pxelinux.0", ` +
		`option 60 "PXEClient", option 43 06 01 08 ff, option 209 "pxelinux.cfg/node1"`
	if got != want {
		t.Errorf("summary\n%s\nwant\n%s", got, want)
	}
}
