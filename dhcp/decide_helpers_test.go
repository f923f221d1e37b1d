package dhcp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"
)

// The lab network of these tests (documentation range, see the team brief).
var (
	serverIP = netip.MustParseAddr("198.51.100.2")
	routerIP = netip.MustParseAddr("198.51.100.1")
	testNow  = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
)

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// fakeLeases is an in-memory LeaseView with the documented semantics.
type fakeLeases struct{ all []leases.Lease }

func (f *fakeLeases) ByMAC(mac net.HardwareAddr, now time.Time) (leases.Lease, bool) {
	for _, l := range f.all {
		if bytes.Equal(l.MAC, mac) && l.Expires.After(now) {
			return l, true
		}
	}
	return leases.Lease{}, false
}

func (f *fakeLeases) ByIP(ip netip.Addr, now time.Time) (leases.Lease, bool) {
	for _, l := range f.all {
		if l.IP == ip && l.Expires.After(now) {
			return l, true
		}
	}
	return leases.Lease{}, false
}

func (f *fakeLeases) Free(r inventory.Range, mac net.HardwareAddr, now time.Time, skip func(netip.Addr) bool) (netip.Addr, bool) {
	free := func(a netip.Addr) bool {
		_, held := f.ByIP(a, now)
		return r.Contains(a) && !held && !skip(a)
	}
	for _, l := range f.all { // the address mac held last, even expired
		if bytes.Equal(l.MAC, mac) && free(l.IP) {
			return l.IP, true
		}
	}
	for a := r.Start; a.IsValid() && r.Contains(a); a = a.Next() {
		if free(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// Test inventory: one reserved host per firmware.
var (
	macBIOS    = mustMAC("52:54:00:00:00:01")
	macOVMF    = mustMAC("52:54:00:00:00:02")
	macIPXEEFI = mustMAC("52:54:00:00:00:03")
	macUBoot64 = mustMAC("52:54:00:00:00:04")
	macUBoot32 = mustMAC("52:54:00:00:00:05")
	macPi4     = mustMAC("dc:a6:32:01:36:c2")
	macPi3     = mustMAC("b8:27:eb:11:22:33")
	macLinux   = mustMAC("52:54:00:00:00:08")
	macBusybox = mustMAC("52:54:00:00:00:09")
	macAM335x  = mustMAC("d0:39:72:00:00:0a")
	macArm64   = mustMAC("52:54:00:00:00:0b")
	macIA32    = mustMAC("52:54:00:00:00:0c")
	macArm32   = mustMAC("52:54:00:00:00:0d")
	macHTTP    = mustMAC("52:54:00:00:00:0e")
	macPXE     = mustMAC("00:1b:21:00:00:0f")
	macUnknown = mustMAC("52:54:00:99:99:99")
)

// classDefaults is boot: of the test inventory.
var classDefaults = map[firmware.Class]string{
	"bios":        "undionly.kpxe",
	"uefi-ia32":   "ipxe-i386.efi",
	"uefi-x64":    "ipxe.efi",
	"uefi-arm32":  "arm/grubarm.efi",
	"uefi-arm64":  "ipxe-arm64.efi",
	"ipxe":        "boot.ipxe",
	"uboot-arm":   "uboot/arm/boot.scr.uimg",
	"uboot-arm64": "uboot/arm64/boot.scr.uimg",
	"rpi":         "bootcode.bin",
}

type snapOpt func(*inventory.Snapshot, *[]*inventory.Profile, *[]*inventory.Host)

// testSnap builds the test inventory: authoritative, no pool unless an
// option adds one.
func testSnap(opts ...snapOpt) *inventory.Snapshot {
	linux := &inventory.Profile{Name: "linux", Kernel: "vmlinuz", Line: 30}
	pxelinux := &inventory.Profile{Name: "pxelinux", BootFile: "pxelinux.0", Line: 40,
		PXELinux: inventory.PXELinux{ConfigFile: "pxelinux.cfg/bios", PathPrefix: "/", RebootTime: 300 * time.Second}}
	base := inventory.Snapshot{
		DHCP: inventory.DHCP{
			Mode:      inventory.ModeAuthoritative,
			ServerIP:  serverIP,
			Subnet:    netip.MustParsePrefix("198.51.100.0/24"),
			Router:    routerIP,
			DNS:       []netip.Addr{routerIP},
			Domain:    "lab.test",
			LeaseTime: time.Hour,
		},
		Boot: map[firmware.Class]string{},
	}
	for k, v := range classDefaults {
		base.Boot[k] = v
	}
	profiles := []*inventory.Profile{linux, pxelinux}
	h := func(name string, mac net.HardwareAddr, ip string, p *inventory.Profile, line int) *inventory.Host {
		return &inventory.Host{Name: name, MAC: mac, IP: netip.MustParseAddr(ip), Profile: p, Line: line}
	}
	hosts := []*inventory.Host{
		h("pc-bios", macBIOS, "198.51.100.11", linux, 50),
		h("pc-uefi", macOVMF, "198.51.100.12", linux, 51),
		h("pc-ipxe", macIPXEEFI, "198.51.100.13", linux, 52),
		h("board64", macUBoot64, "198.51.100.14", linux, 53),
		h("board32", macUBoot32, "198.51.100.15", linux, 54),
		h("pi4", macPi4, "198.51.100.16", linux, 55),
		h("pi3", macPi3, "198.51.100.17", linux, 56),
		h("linuxbox", macLinux, "198.51.100.18", linux, 57),
		h("busybox", macBusybox, "198.51.100.19", linux, 58),
		h("beagle", macAM335x, "198.51.100.20", nil, 59),
		h("arm64-uefi", macArm64, "198.51.100.21", linux, 60),
		h("old-tablet", macIA32, "198.51.100.22", linux, 61),
		h("arm32-uefi", macArm32, "198.51.100.23", linux, 62),
		h("http-uefi", macHTTP, "198.51.100.24", linux, 63),
		h("pc-legacy", macPXE, "198.51.100.25", linux, 64),
	}
	hosts[9].BootFile = "am335x/u-boot-spl.bin"
	s := base
	for _, o := range opts {
		o(&s, &profiles, &hosts)
	}
	return inventory.New(s, profiles, hosts)
}

func withPool(start, end string) snapOpt {
	return func(s *inventory.Snapshot, _ *[]*inventory.Profile, _ *[]*inventory.Host) {
		s.DHCP.Pool = &inventory.Range{Start: netip.MustParseAddr(start), End: netip.MustParseAddr(end)}
	}
}

func withMode(m inventory.Mode, unknown bool) snapOpt {
	return func(s *inventory.Snapshot, _ *[]*inventory.Profile, _ *[]*inventory.Host) {
		s.DHCP.Mode, s.DHCP.ProxyUnknown = m, unknown
	}
}

// withHost edits the host with that MAC.
func withHost(mac net.HardwareAddr, edit func(h *inventory.Host, profiles []*inventory.Profile)) snapOpt {
	return func(_ *inventory.Snapshot, ps *[]*inventory.Profile, hs *[]*inventory.Host) {
		for _, h := range *hs {
			if bytes.Equal(h.MAC, mac) {
				edit(h, *ps)
			}
		}
	}
}

// --- Requests built as the real firmware builds them (protocol-notes.md and
// the captures in testdata/golden: iPXE leaves the broadcast flag clear,
// OVMF sets it, U-Boot says 57 = 576). ---

type pkt struct{ m *dhcpv4.DHCPv4 }

func newPkt(mac net.HardwareAddr, t dhcpv4.MessageType) pkt {
	m := &dhcpv4.DHCPv4{
		OpCode: dhcpv4.OpcodeBootRequest, HWType: iana.HWTypeEthernet,
		TransactionID: dhcpv4.TransactionID{0xde, 0xad, mac[4], mac[5]},
		ClientHWAddr:  append(net.HardwareAddr(nil), mac...),
		ClientIPAddr:  net.IPv4zero.To4(), YourIPAddr: net.IPv4zero.To4(),
		ServerIPAddr: net.IPv4zero.To4(), GatewayIPAddr: net.IPv4zero.To4(),
		Options: dhcpv4.Options{},
	}
	if t != dhcpv4.MessageTypeNone {
		m.Options[53] = []byte{byte(t)}
	}
	return pkt{m}
}

func (p pkt) opt(code uint8, v []byte) pkt { p.m.Options[code] = v; return p }
func (p pkt) str(code uint8, v string) pkt { return p.opt(code, []byte(v)) }
func (p pkt) u16(code uint8, vs ...uint16) pkt {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return p.opt(code, b)
}
func (p pkt) ip(code uint8, a string) pkt { return p.opt(code, ip4(netip.MustParseAddr(a))) }
func (p pkt) bcast() pkt                  { p.m.SetBroadcast(); return p }
func (p pkt) ciaddr(a string) pkt         { p.m.ClientIPAddr = net.ParseIP(a).To4(); return p }
func (p pkt) giaddr(a string) pkt         { p.m.GatewayIPAddr = net.ParseIP(a).To4(); return p }
func (p pkt) clientID() pkt               { return p.opt(61, append([]byte{1}, p.m.ClientHWAddr...)) }

// The firmwares. Each returns a fresh DISCOVER; callers add REQUEST bits.
func ipxeBIOS(mac net.HardwareAddr, t dhcpv4.MessageType) pkt {
	return newPkt(mac, t).u16(57, 1472).u16(93, 0).opt(94, []byte{1, 2, 1}).
		opt(97, append([]byte{0}, bytes.Repeat([]byte{0x5a}, 16)...)).
		str(60, "PXEClient:Arch:00000:UNDI:002001").str(77, "iPXE").clientID().
		opt(175, []byte{0xb1, 0x05, 0x01, 0x80, 0x86, 0x10, 0x0e, 0x21, 0x01, 0x01, 0x10, 0x01, 0x02}).
		opt(55, []byte{1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203})
}

// intelPXE is a vendor BIOS PXE ROM (Intel Boot Agent): PXE 2.1, no iPXE.
func intelPXE(mac net.HardwareAddr, t dhcpv4.MessageType) pkt {
	return newPkt(mac, t).bcast().u16(57, 1260).u16(93, 0).opt(94, []byte{1, 2, 1}).
		opt(97, append([]byte{0}, bytes.Repeat([]byte{0x11}, 16)...)).
		str(60, "PXEClient:Arch:00000:UNDI:002001").
		opt(55, []byte{1, 2, 3, 5, 6, 11, 12, 13, 15, 16, 17, 18, 43, 54, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135})
}

func ovmf(mac net.HardwareAddr, t dhcpv4.MessageType, arch uint16) pkt {
	return newPkt(mac, t).bcast().u16(57, 1472).u16(93, arch).opt(94, []byte{1, 3, 0}).
		opt(97, make([]byte, 17)).str(60, fmt.Sprintf("PXEClient:Arch:%05d:UNDI:003000", arch)).
		opt(55, []byte{1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135})
}

func ipxeEFI(mac net.HardwareAddr, t dhcpv4.MessageType) pkt {
	return newPkt(mac, t).u16(57, 1472).u16(93, 7).opt(94, []byte{1, 3, 10}).
		str(60, "PXEClient:Arch:00007:UNDI:003010").str(77, "iPXE").clientID().
		opt(175, []byte{0xb1, 0x05, 0x01, 0x80, 0x86, 0x10, 0x0e, 0x19, 0x01, 0x01}).
		opt(55, []byte{1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203})
}

func uboot(mac net.HardwareAddr, t dhcpv4.MessageType, vci string, arch uint16) pkt {
	return newPkt(mac, t).str(60, vci).u16(93, arch).opt(94, []byte{1, 0, 0}).u16(57, 576).
		opt(55, []byte{1, 3, 6, 12, 17})
}

func pi4(mac net.HardwareAddr, t dhcpv4.MessageType) pkt {
	return newPkt(mac, t).bcast().u16(93, 0).opt(94, []byte{1, 2, 1}).
		str(60, "PXEClient:Arch:00000:UNDI:002001").
		opt(97, append([]byte("RPi4"), 0x00, 0x00, 0x00, 0x00, 0xdc, 0xa6, 0x32, 0x01, 0x36, 0xc2, 0x00, 0x00, 0x00)).
		opt(55, []byte{1, 3, 43, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135})
}

func pi3(mac net.HardwareAddr, t dhcpv4.MessageType) pkt {
	return newPkt(mac, t).bcast().u16(93, 0).opt(94, []byte{1, 2, 1}).
		str(60, "PXEClient:Arch:00000:UNDI:002001").u16(57, 1260).
		opt(55, []byte{1, 3, 43, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135})
}

func dhclient(mac net.HardwareAddr, t dhcpv4.MessageType) pkt {
	return newPkt(mac, t).str(12, "linuxbox").
		opt(55, []byte{1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42})
}

func udhcpc(mac net.HardwareAddr, t dhcpv4.MessageType) pkt {
	return newPkt(mac, t).u16(57, 576).str(60, "udhcp 1.35.0").clientID().
		opt(55, []byte{1, 3, 6, 12, 15, 28, 42})
}

func am335xROM(mac net.HardwareAddr) pkt {
	return newPkt(mac, dhcpv4.MessageTypeNone).str(60, "AM335x ROM").opt(55, []byte{1, 3, 66, 67})
}

func req(p pkt) Request {
	return Request{Msg: p.m, Port: ServerPort, Peer: netip.MustParseAddrPort("0.0.0.0:68"), ServerIP: serverIP, Now: testNow}
}

// --- Reply view: the fields a firmware reads, for cmp.Diff. ---

type view struct {
	Reason    Reason
	Type      string
	YIAddr    string
	SIAddr    string
	CIAddr    string
	File      string
	Dest      string
	Broadcast bool
	Opts      map[uint8]string
}

// textOpts are shown as text, ipOpts as dotted quads; the rest as hex.
var (
	textOpts = map[uint8]bool{12: true, 15: true, 56: true, 60: true, 66: true, 67: true, 209: true, 210: true}
	ipOpts   = map[uint8]bool{1: true, 3: true, 6: true, 54: true}
)

func fmtOpt(code uint8, v []byte) string {
	switch {
	case textOpts[code]:
		return string(v)
	case ipOpts[code] && len(v)%4 == 0:
		var s []string
		for i := 0; i < len(v); i += 4 {
			s = append(s, netip.AddrFrom4([4]byte(v[i:i+4])).String())
		}
		return strings.Join(s, ",")
	}
	return hex.EncodeToString(v)
}

func viewOf(d Decision) view {
	if d.Reply == nil {
		return view{Reason: d.Reason}
	}
	r := d.Reply
	v := view{
		Type: messageName(r), YIAddr: r.YourIPAddr.String(), SIAddr: r.ServerIPAddr.String(),
		CIAddr: r.ClientIPAddr.String(), File: r.BootFileName, Dest: d.Dest.String(), Broadcast: d.Broadcast(),
		Opts: map[uint8]string{},
	}
	for c, val := range r.Options {
		v.Opts[c] = fmtOpt(c, val)
	}
	return v
}

// wire round-trips a reply through its bytes, as the client sees it.
func wire(t *testing.T, d Decision) Decision {
	t.Helper()
	if d.Reply == nil {
		return d
	}
	b := d.Reply.ToBytes()
	m, err := dhcpv4.FromBytes(b)
	if err != nil {
		t.Fatalf("reply does not parse back: %v", err)
	}
	d.Reply = m
	return d
}

func u32hex(v uint32) string { return hex.EncodeToString(binary.BigEndian.AppendUint32(nil, v)) }

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// whyMentions reports whether one line of an explanation names every token
// (codes, names, addresses): tests check what is explained, not its words.
func whyMentions(why []string, tokens ...string) bool {
	for _, line := range why {
		all := true
		for _, tok := range tokens {
			all = all && strings.Contains(line, tok)
		}
		if all {
			return true
		}
	}
	return false
}

// decideBytes is the server's path from bytes to a decision (parsePacket,
// then Decide) in one call, for the tests and the fuzz target. It parses a raw DHCP payload and decides on it; meta carries the
// socket facts (Port, Peer, ServerIP, Now) and its Msg is replaced. A
// truncated or malformed packet is an error (log it at debug and drop it);
// it never panics, whatever the bytes (FuzzDecide checks).
func decideBytes(b []byte, meta Request, snap *inventory.Snapshot, lv LeaseView) (Decision, error) {
	m, code, unusable, err := parsePacket(b)
	if err != nil {
		return Decision{}, err
	}
	if code != "" {
		return Decision{Reason: code, Ignore: unusable, Level: slog.LevelWarn, Why: []string{"ignored: " + unusable}}, nil
	}
	meta.Msg = m
	return Decide(meta, snap, lv), nil
}
