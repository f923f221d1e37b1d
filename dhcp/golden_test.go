package dhcp

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// goldenClients says what each captured firmware is. Captures are named
// <firmware>-<msgtype>.bin (raw DHCP payload); the longest prefix that is
// followed by "-" decides. A capture this table does not know fails the
// test: add its firmware here with the class and boot file it must get.
var goldenClients = []struct {
	prefix string
	class  firmware.Class
	file   string // with boot: as in classDefaults and a host without bootfile
}{
	{"ipxe-bios", "ipxe", "boot.ipxe"},
	{"ipxe-efi", "ipxe", "boot.ipxe"},
	{"ipxe-efi-x64", "ipxe", "boot.ipxe"},
	{"ipxe-efi-rom", "ipxe", "boot.ipxe"},
	{"ipxe-efi-arm64", "ipxe", "boot.ipxe"},
	{"ovmf-x64", "uefi-x64", "ipxe.efi"},
	{"ovmf", "uefi-x64", "ipxe.efi"},
	{"ovmf-ia32", "uefi-ia32", "ipxe-i386.efi"},
	{"aavmf-arm64", "uefi-arm64", "ipxe-arm64.efi"},
	{"ovmf-arm64", "uefi-arm64", "ipxe-arm64.efi"},
	{"edk2-arm64", "uefi-arm64", "ipxe-arm64.efi"},
	{"uboot-arm64", "uboot-arm64", "uboot/arm64/boot.scr.uimg"},
	{"uboot-arm", "uboot-arm", "uboot/arm/boot.scr.uimg"},
	// RISC-V U-Boot says only "U-Boot" (as x86 U-Boot does) and no option
	// 93: no class, so no boot file unless its host names one.
	{"uboot-riscv64", firmware.Other, ""},
	{"rpi3", "rpi", "bootcode.bin"},
	{"rpi4", "rpi", "bootcode.bin"},
	{"rpi5", "rpi", "bootcode.bin"},
	{"dhclient", firmware.None, ""},
	{"udhcpc", firmware.None, ""},
	{"busybox-udhcpc", firmware.None, ""},
	// Synthetic (see testdata/golden/README.md): barebox is not packaged.
	{"barebox", firmware.Other, ""},
}

// TestGoldenCaptures decides on every real captured packet under
// testdata/golden: the class and boot file must be the table's, a DISCOVER
// must get an OFFER of the host's address and a REQUEST an ACK of it.
func TestGoldenCaptures(t *testing.T) {
	checkGolden(t, filepath.Join("testdata", "golden"))
}

// TestGoldenMachinery runs the golden check on captures built the way
// the firmware builds them, so that it is known to work before real
// captures arrive.
func TestGoldenMachinery(t *testing.T) {
	dir := t.TempDir()
	disc, reqT := dhcpv4.MessageTypeDiscover, dhcpv4.MessageTypeRequest
	for name, p := range map[string]pkt{
		"ipxe-bios-discover":   ipxeBIOS(macBIOS, disc),
		"ipxe-bios-request":    ipxeBIOS(macBIOS, reqT).ip(54, "10.0.2.2").ip(50, "10.0.2.15"),
		"ovmf-x64-discover":    ovmf(macOVMF, disc, 7),
		"ipxe-efi-discover":    ipxeEFI(macIPXEEFI, disc),
		"uboot-arm64-discover": uboot(macUBoot64, disc, "U-Boot.armv8", 22),
		"uboot-arm-request":    uboot(macUBoot32, reqT, "U-Boot.armv7", 21).ip(54, "198.51.100.2").ip(50, "198.51.100.40"),
		"rpi4-discover":        pi4(macPi4, disc),
		"dhclient-request":     dhclient(macLinux, reqT).ciaddr("198.51.100.18"),
		"udhcpc-discover":      udhcpc(macBusybox, disc),
		"udhcpc-release":       udhcpc(macBusybox, dhcpv4.MessageTypeRelease).ciaddr("198.51.100.19"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name+".bin"), p.m.ToBytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkGolden(t, dir)
}

func checkGolden(t *testing.T, dir string) {
	files, err := filepath.Glob(filepath.Join(dir, "*.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no captures in " + dir + " yet (the qemu tests write <firmware>-<msgtype>.bin there)")
	}
	sort.Strings(files)
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".bin")
		t.Run(name, func(t *testing.T) {
			want := -1
			for i, g := range goldenClients {
				if strings.HasPrefix(name, g.prefix+"-") && (want < 0 || len(g.prefix) > len(goldenClients[want].prefix)) {
					want = i
				}
			}
			if want < 0 {
				t.Fatalf("capture %s is not in goldenClients: add its firmware with the expected class and boot file", path)
			}
			g := goldenClients[want]
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := dhcpv4.FromBytes(b)
			if err != nil {
				t.Fatalf("capture does not parse: %v", err)
			}
			snap, hostIP := goldenSnap(m)
			r := Request{Msg: m, Port: ServerPort, Peer: netip.MustParseAddrPort("0.0.0.0:68"), ServerIP: snap.DHCP.ServerIP, Now: testNow}
			d, rep := Explain(r, snap, &fakeLeases{})
			if rep.Firmware.Class != g.class {
				t.Errorf("class %q, want %q (why %q)", rep.Firmware.Class, g.class, rep.Firmware.Why)
			}
			wantType := map[dhcpv4.MessageType]string{dhcpv4.MessageTypeDiscover: "OFFER", dhcpv4.MessageTypeRequest: "ACK"}[m.MessageType()]
			if !m.Options.Has(dhcpv4.OptionDHCPMessageType) {
				wantType = "BOOTP"
			}
			if wantType == "" {
				return // DECLINE, RELEASE, INFORM: deciding without a panic is the test
			}
			if d.Reply == nil {
				t.Fatalf("ignored: %s (why %q)", d.Ignore, d.Why)
			}
			reply := wire(t, d).Reply
			if got := messageName(reply); got != wantType {
				t.Errorf("reply %s, want %s", got, wantType)
			}
			if !reply.YourIPAddr.Equal(hostIP.AsSlice()) {
				t.Errorf("yiaddr %v, want %v", reply.YourIPAddr, hostIP)
			}
			if reply.BootFileName != g.file || reply.BootFileNameOption() != g.file {
				t.Errorf("boot file %q / option 67 %q, want %q", reply.BootFileName, reply.BootFileNameOption(), g.file)
			}
			pxe := strings.HasPrefix(m.ClassIdentifier(), "PXEClient")
			if got := reply.ClassIdentifier(); pxe != (got == "PXEClient") {
				t.Errorf("option 60 %q in the reply to a client whose option 60 is %q", got, m.ClassIdentifier())
			}
			if len(reply.ToBytes()) > replyLimit(m) {
				t.Errorf("reply of %d bytes exceeds the client's limit %d", len(reply.ToBytes()), replyLimit(m))
			}
		})
	}
}

// goldenSnap is an inventory that reserves for the captured client the
// address it asks for (option 50 or ciaddr; 198.51.100.77 for a fresh
// DISCOVER) on that address's /24, and whose server is the one the
// client names in option 54, so that every capture is answerable.
func goldenSnap(m *dhcpv4.DHCPv4) (*inventory.Snapshot, netip.Addr) {
	ip := netip.MustParseAddr("198.51.100.77")
	if a, ok := netip.AddrFromSlice(m.Options.Get(dhcpv4.OptionRequestedIPAddress)); ok && a.Is4() {
		ip = a
	} else if c := headerAddr(m.ClientIPAddr); isSet(c) {
		ip = c
	}
	subnet := netip.PrefixFrom(ip, 24).Masked()
	server := subnet.Addr().Next().Next()
	if server == ip {
		server = server.Next()
	}
	if a, ok := netip.AddrFromSlice(m.Options.Get(dhcpv4.OptionServerIdentifier)); ok && a.Is4() {
		server = a
	}
	boot := map[firmware.Class]string{}
	for k, v := range classDefaults {
		boot[k] = v
	}
	base := inventory.Snapshot{Boot: boot, DHCP: inventory.DHCP{
		Mode: inventory.ModeAuthoritative, ServerIP: server, Subnet: subnet, LeaseTime: time.Hour,
	}}
	host := &inventory.Host{Name: "captured", MAC: append(net.HardwareAddr(nil), m.ClientHWAddr...), IP: ip, Line: 1}
	return inventory.New(base, nil, []*inventory.Host{host}), ip
}
