package doctor

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// FuzzOffer: any bytes a server (or anyone on the LAN) sends are dropped or
// become an Offer that Summary, Target and Analyze handle without a panic,
// and a boot file the offer names survives into the target unchanged.
func FuzzOffer(f *testing.F) {
	uefi, _ := LookupFirmware("uefi-x64")
	disc, err := uefi.Discover(net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x57}, dhcpv4.TransactionID{1, 2, 3, 4})
	if err != nil {
		f.Fatal(err)
	}
	reply, _ := dhcpv4.NewReplyFromRequest(disc, dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer),
		dhcpv4.WithOption(dhcpv4.OptBootFileName("http://198.51.100.2/ipxe.efi")))
	f.Add(reply.ToBytes())
	golden, _ := filepath.Glob(filepath.Join(goldenDir, "*.bin"))
	for _, g := range golden {
		if b, err := os.ReadFile(g); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _ := offerFor(disc, b)
		if m == nil {
			return
		}
		o := newOffer(m, net.IPv4(198, 51, 100, 2), time.Millisecond)
		for _, fw := range Firmwares() {
			_ = o.Summary(fw)
			tg, ok := o.Target(fw)
			if file := o.BootFile(fw); ok && !isURL(file) && tg.File != file {
				t.Errorf("boot file %q became TFTP name %q", file, tg.File)
			}
			Analyze(Report{Firmware: fw, Offers: []Offer{o, o}, Chosen: 0})
		}
	})
}

// FuzzParseTarget: a -get argument or an offered URL either parses into a
// target whose String parses back to the same target, or is refused.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"tftp://198.51.100.2/pxelinux.0", "tftp://198.51.100.2//grub/x", "http://198.51.100.2/a?b",
		"tftp://[2001:db8::1]:69/a%20b", "https://x/", "tftp://h/%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		if tg.Scheme == "tftp" && (tg.File == "" || strings.ContainsRune(tg.File, 0)) {
			t.Fatalf("%q: TFTP name %q", s, tg.File)
		}
		again, err := ParseTarget(tg.String())
		if err != nil || again != tg {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, tg, tg.String(), again, err)
		}
		_ = tg.Addr()
		_ = tg.Name()
	})
}
