package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// localDiskBanner is what the boot code of localDisk prints.
const localDiskBanner = "BOOTYARD-LOCALDISK"

// localDisk writes a 1 MiB raw disk whose MBR boot code prints text and a
// newline on the first serial port, then halts: proof on the console that
// the machine booted from its disk. The code is 16-bit real mode, loaded
// at 0x7c00:
//
//	xor ax,ax; mov ds,ax; cld; mov si,msg; mov dx,0x3f8
//	next: lodsb; test al,al; jz done; out dx,al; jmp next
//	done: cli; hlt; jmp done
//	msg: db text, 13, 10, 0
func localDisk(t *testing.T, dir, text string) string {
	t.Helper()
	code := []byte{
		0x31, 0xc0, 0x8e, 0xd8, 0xfc, // xor ax,ax; mov ds,ax; cld
		0xbe, 0x17, 0x7c, // mov si,0x7c17 (msg)
		0xba, 0xf8, 0x03, // mov dx,0x3f8
		0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8, // next: lodsb; test; jz done; out; jmp next
		0xfa, 0xf4, 0xeb, 0xfc, // done: cli; hlt; jmp done
	}
	if len(code) != 0x17 {
		t.Fatalf("boot code is %d bytes, msg must start at 0x17", len(code))
	}
	disk := make([]byte, 1<<20)
	copy(disk, code)
	msg := append([]byte(text), '\r', '\n', 0)
	if len(code)+len(msg) > 446 {
		t.Fatalf("boot message too long")
	}
	copy(disk[len(code):], msg)
	disk[510], disk[511] = 0x55, 0xaa
	p := filepath.Join(dir, "disk-"+text+".img")
	if err := os.WriteFile(p, disk, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBIOSLocalBoot: a host with local: true gets its address but no boot
// file, so the BIOS machine's PXE ROM gives up at once and the BIOS boots
// its disk, whose boot code prints a banner. On the wire: bootyard's OFFER
// and ACK carry the address and no file, no option 67.
func TestBIOSLocalBoot(t *testing.T) {
	b := newBootLab(t, "tcpdump")
	m := machine{name: "local1", mac: "52:54:00:10:ca:01", fw: fwBIOS}
	m.disk = localDisk(t, b.dir, localDiskBanner+"-"+m.name)
	cfg := labConfig{
		boot:     x86Boot(),
		profiles: map[string]string{"marker": "vmlinuz"},
		hosts:    []labHost{{name: "local1", mac: m.mac, ip: "198.51.100.14", profile: "marker", token: token(t, "local1"), local: true}},
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	capture := b.captureDHCPBoth(t)
	q := b.boot(t, m)
	q.waitConsole(t, localDiskBanner+"-"+m.name)

	var offer, ack []byte
	for _, p := range capture.packets(t) {
		d, err := dhcpv4.FromBytes(p)
		if err != nil || d.OpCode != dhcpv4.OpcodeBootReply || !strings.EqualFold(d.ClientHWAddr.String(), m.mac) {
			continue
		}
		switch d.MessageType() {
		case dhcpv4.MessageTypeOffer:
			offer = p
		case dhcpv4.MessageTypeAck:
			ack = p
		}
		if d.YourIPAddr.String() != "198.51.100.14" {
			t.Errorf("%s yiaddr %s, want the reservation", d.MessageType(), d.YourIPAddr)
		}
		if d.BootFileName != "" || d.Options.Has(dhcpv4.OptionBootfileName) || d.Options.Has(dhcpv4.OptionTFTPServerName) {
			t.Errorf("%s offers a boot file (file %q, options %v): local boot must not", d.MessageType(), d.BootFileName, d.Options)
		}
	}
	if offer == nil {
		t.Fatalf("no OFFER to %s on the wire", m.mac)
	}
	if ack == nil {
		t.Logf("no ACK on the wire (iPXE stops at the OFFER when it has no file)")
	}
	if strings.Contains(srv.Output(), "outcome=ok") {
		t.Errorf("a local-boot machine fetched something by TFTP:\n%s", tail(srv.Output(), 20))
	}
	if !strings.Contains(srv.Output(), "local boot") {
		t.Errorf("the server log does not say local boot:\n%s", tail(srv.Output(), 20))
	}
}

// TestIPXEMenu: a host whose profile is a menu boots the menu's default
// after its timeout, in qemu's BIOS iPXE ROM, to the marker.
func TestIPXEMenu(t *testing.T) {
	b := newBootLab(t)
	m := machine{name: "menu1", mac: "52:54:00:10:ca:02", fw: fwBIOS}
	tok := token(t, "menu1")
	cfg := labConfig{
		boot:        x86Boot(),
		profiles:    map[string]string{"marker": "vmlinuz", "other": "vmlinuz-other"},
		profileYAML: "  chooser:\n    menu:\n      entries: [other, marker, local]\n      default: marker\n      timeout: 3s\n",
		hosts:       []labHost{{name: "menu1", mac: m.mac, ip: "198.51.100.15", profile: "chooser", token: tok}},
	}
	copyFile(t, filepath.Join(b.root, "vmlinuz"), filepath.Join(b.root, "vmlinuz-other"))
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	q := b.boot(t, m)
	q.waitMarker(t, tok)
	requireTransferred(t, srv, "boot.ipxe", "vmlinuz", "initrd.gz")
	out := q.output()
	if !strings.Contains(out, "Boot from the local disk") {
		t.Errorf("the console never showed the menu (no \"Boot from the local disk\" item):\n%s", tail(out, 40))
	}
	if !strings.Contains(out, "bootyard: menu1 boots marker") {
		t.Errorf("the console does not show the default entry booting:\n%s", tail(out, 40))
	}
	if transferred(srv.Output(), "vmlinuz-other") != "" {
		t.Error("the menu booted the other entry, not the default")
	}
}

// TestQuickModeBoot runs `bootyard boot` with a kernel, an initrd and a
// command line and no config file, in proxy mode next to dnsmasq handing
// out addresses, and boots a BIOS machine (qemu's iPXE ROM) to the marker;
// Ctrl-C (SIGINT) then stops it cleanly.
func TestQuickModeBoot(t *testing.T) {
	b := newBootLab(t, "dnsmasq")
	b.startRouter(t)
	m := machine{name: "quick1", mac: "52:54:00:10:ca:03", fw: fwBIOS}
	tok := token(t, "quick1")
	srv := b.srv.Start(t, bootyardBin(t), "boot", "-interface", "eth0",
		"-kernel", filepath.Join(b.root, "vmlinuz"), "-initrd", filepath.Join(b.root, "initrd.gz"),
		"-cmdline", "console=ttyS0 quiet bootyard.token="+tok, "-ipxe-dir", b.root, "-log-level", "debug")
	if err := srv.WaitFor(serverUp, "bootyard serving"); err != nil {
		t.Fatalf("bootyard boot did not start: %v", err)
	}
	for _, want := range []string{"proxy DHCP on eth0", "kernel", "BIOS PXE   yes: chainloads", "Ctrl-C stops."} {
		if !strings.Contains(srv.Output(), want) {
			t.Errorf("bootyard boot did not print %q:\n%s", want, srv.Output())
		}
	}
	q := b.boot(t, m)
	q.waitMarker(t, tok)
	requireTransferred(t, srv, "boot.ipxe", "quick/vmlinuz", "quick/initrd")
	if err := syscall.Kill(srv.Pid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(30 * time.Second); err != nil {
		t.Errorf("bootyard boot after Ctrl-C: %v\n%s", err, tail(srv.Output(), 10))
	}
	if !strings.Contains(srv.Output(), "bootyard stopped") {
		t.Errorf("no clean stop after SIGINT:\n%s", tail(srv.Output(), 10))
	}
}

// kernelRecord matches a TFTP or HTTP record of the file vmlinuz.
var kernelRecord = regexp.MustCompile(`\bfile=/?vmlinuz(\s|$)`)

// TestInstallOnce is the install-once cycle. The host is configured to boot
// from its disk; `bootyard next-boot` (run while serve runs, so through the
// admin API) arms the "installer" profile once. The machine netboots the
// stand-in installer (installer.gz), which writes boot code carrying a
// per-run id to its empty disk, calls the callback URL bootyard put on its
// command line, and reboots. bootyard has spent the one-shot, so the second
// boot gets no boot file and the BIOS boots the disk, which prints the same
// run id: the second boot provably runs what the first wrote.
func TestInstallOnce(t *testing.T) {
	b := newBootLab(t)
	copyFile(t, filepath.Join(b.assets, "installer.gz"), filepath.Join(b.root, "installer.gz"))
	m := machine{name: "inst1", mac: "52:54:00:10:ca:04", fw: fwBIOS, virtio: true, reboot: true}
	m.disk = filepath.Join(b.dir, "disk.img")
	if err := os.WriteFile(m.disk, make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	tokenFile := b.adminToken(t)
	cfg := `interface: eth0
dhcp:
  subnet: 198.51.100.0/24
  lease_file: ` + filepath.Join(b.dir, "leases") + `
  conflict_probe: false
tftp:
  root: ` + b.root + `
http: {enabled: true}
admin:
  listen: 127.0.0.1:9867
  token_file: ` + tokenFile + `
boot: {bios: pxelinux.0, ipxe: boot.ipxe}
profiles:
  installer:
    kernel: vmlinuz
    initrd: installer.gz
    cmdline: "console=ttyS0 quiet bootyard.callback={callback}"
  installed: {local: true}
hosts:
  - {name: inst1, mac: "` + m.mac + `", ip: 198.51.100.16, profile: installed}
`
	srv := b.startBootyard(t, cfg)
	path := filepath.Join(b.dir, "bootyard.yaml")
	out, err := b.srv.Run(t, 30*time.Second, bootyardBin(t), "next-boot", "-config", path, "inst1", "installer")
	if err != nil || !strings.Contains(out, "by the running server") {
		t.Fatalf("next-boot: %v\n%s", err, out)
	}
	q := b.boot(t, m)
	// The callback line comes after the run id's: once it is there, the
	// whole id line has been read.
	q.waitConsole(t, "BOOTYARD-CALLBACK ok")
	run := regexp.MustCompile(`BOOTYARD-INSTALLED run=([0-9a-f]{12})`).FindStringSubmatch(q.output())
	if run == nil {
		t.Fatalf("no run id on the console:\n%s", tail(q.output(), 20))
	}
	q.waitConsole(t, "BOOTYARD-DISK run="+run[1])
	t.Logf("install-once cycle: disk boot with run %s after %s", run[1], time.Since(q.start).Round(time.Second))
	if !strings.Contains(srv.Output(), "next-boot spent: the installer called back") {
		t.Errorf("the server log does not show the one-shot spent:\n%s", tail(srv.Output(), 30))
	}
	// The kernel comes by TFTP or, with http on, by HTTP: count both records.
	n := 0
	for _, l := range strings.Split(srv.Output(), "\n") {
		if kernelRecord.MatchString(l) && (strings.Contains(l, "outcome=ok") || strings.Contains(l, "status=200")) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the kernel was fetched %d times, want once (the second boot is from disk)", n)
	}
	ex, _ := b.srv.Run(t, 30*time.Second, bootyardBin(t), "explain", "-config", path, "-mac", m.mac, "-arch", "0")
	if strings.Contains(ex, "next boot:") || !strings.Contains(ex, "local boot") {
		t.Errorf("explain after the cycle should show local boot and no one-shot:\n%s", ex)
	}
}
