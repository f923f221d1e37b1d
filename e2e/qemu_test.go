package e2e

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
)

// firmware is the network boot client a qemu machine runs.
type firmware string

const (
	// SeaBIOS with qemu's own option ROM for the e1000 NIC, which in
	// Debian's ipxe-qemu is iPXE: it sends arch 0 and user class "iPXE".
	fwBIOS firmware = "bios"
	// OVMF (EDK2) with its own PXE stack: virtio-net-pci with an empty
	// romfile, so no iPXE ROM replaces EDK2's driver. Sends arch 7.
	fwUEFI firmware = "uefi"
	// The same OVMF with its PXE switched off by fw_cfg, so that its boot
	// options are UEFI HTTP Boot only (EDK2 tries PXE first otherwise).
	fwUEFIHTTP firmware = "uefi-http"
	// OVMF with qemu's iPXE EFI option ROM for e1000 (efi-e1000.rom, in
	// Debian's ipxe-qemu) as the NIC's UEFI driver: iPXE, not EDK2, does the
	// DHCP (arch 7, user class "iPXE", option 175).
	fwUEFIiPXE firmware = "uefi-ipxe-rom"
	// OVMF built with Secure Boot and SMM, Microsoft's keys enrolled
	// (Debian's OVMF_CODE_4M.ms.fd + OVMF_VARS_4M.ms.fd), EDK2's own PXE.
	fwUEFISecureBoot firmware = "uefi-secureboot"
	// AAVMF (EDK2 for qemu's aarch64 virt machine) with its own PXE on
	// virtio-net-pci without option ROM: sends arch 11.
	fwUEFIARM64 firmware = "uefi-arm64"
	// U-Boot for qemu's `virt` machine: virtio-net-device, so U-Boot keeps
	// qemu's MAC (with virtio-net-pci it uses 52:52:52:52:52:52).
	fwUBootARM64 firmware = "uboot-arm64"
	fwUBootARM   firmware = "uboot-arm"
	// U-Boot for qemu's riscv64 `virt` machine in S-mode, started by
	// OpenSBI: sends vendor class "U-Boot" and no option 93.
	fwUBootRISCV firmware = "uboot-riscv64"
)

// machine is one network-booting qemu guest.
type machine struct {
	name string // short: the tap device is "tap"+name (15 bytes at most)
	mac  string
	fw   firmware
	// disk, when set, is a raw disk image attached as the first IDE disk
	// (BIOS only): where a machine that does not netboot goes next.
	disk string
	// virtio (BIOS only) gives the machine a virtio NIC and a virtio disk,
	// which the cloud kernel's modules drive (the e1000 it does not).
	virtio bool
	// reboot lets the guest reboot instead of ending qemu (-no-reboot).
	reboot bool
	// mem, when set, is the guest's RAM in MiB instead of memoryOf's.
	mem string
}

// qemuBinary is the emulator a firmware needs.
func qemuBinary(fw firmware) string {
	switch fw {
	case fwUBootARM64, fwUEFIARM64:
		return "qemu-system-aarch64"
	case fwUBootARM:
		return "qemu-system-arm"
	case fwUBootRISCV:
		return "qemu-system-riscv64"
	default:
		return "qemu-system-x86_64"
	}
}

// boot powers the machine on, attached to the lab's switch by a tap device.
// Its serial console is qemu's output (or, for U-Boot, a socket the test
// can type into; see console). The guest powers off
// by itself once its init has printed the marker (-no-reboot turns a reboot
// into an exit too); the Proc is stopped by PID at cleanup otherwise.
func (b *bootLab) boot(t *testing.T, m machine) *qemuRun {
	t.Helper()
	tap := b.lab.Tap(m.name)
	args := []string{
		"-nographic", "-m", cmp.Or(m.mem, memoryOf(m.fw)), "-monitor", "none",
		"-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no",
	}
	// U-Boot tests type at its prompt: its console is a socket qemu waits
	// on before it starts the guest, so no output is lost. The others print
	// to qemu's stdout, kept by the Proc.
	if !m.reboot {
		args = append(args, "-no-reboot")
	}
	sock := ""
	if m.fw == fwUBootARM || m.fw == fwUBootARM64 || m.fw == fwUBootRISCV {
		sock = filepath.Join(b.dir, m.name+".sock")
		args = append(args, "-chardev", "socket,id=con,path="+sock+",server=on,wait=on", "-serial", "chardev:con")
	} else {
		args = append(args, "-serial", "stdio")
	}
	switch m.fw {
	case fwBIOS:
		nic, disk := "e1000", "ide"
		if m.virtio {
			nic, disk = "virtio-net-pci", "virtio"
		}
		args = append(args, "-accel", "tcg", "-boot", "n",
			"-device", nic+",netdev=n0,mac="+m.mac)
		if m.disk != "" {
			args = append(args, "-drive", "file="+m.disk+",format=raw,if="+disk)
		}
	case fwUEFI, fwUEFIHTTP:
		vars := filepath.Join(b.dir, "OVMF_VARS-"+m.name+".fd")
		copyFile(t, filepath.Join(b.assets, "OVMF_VARS.fd"), vars)
		if m.fw == fwUEFIHTTP {
			args = append(args, "-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=no",
				"-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=no")
		}
		args = append(args, "-accel", "tcg",
			"-drive", "if=pflash,format=raw,readonly=on,file="+filepath.Join(b.assets, "OVMF_CODE.fd"),
			"-drive", "if=pflash,format=raw,file="+vars,
			"-device", "virtio-net-pci,netdev=n0,romfile=,bootindex=1,mac="+m.mac)
	case fwUEFISecureBoot:
		// The Secure Boot build needs SMM, so q35 with its flash secured.
		vars := filepath.Join(b.dir, "OVMF_VARS_4M.ms-"+m.name+".fd")
		copyFile(t, filepath.Join(b.assets, "OVMF_VARS_4M.ms.fd"), vars)
		args = append(args, "-accel", "tcg", "-machine", "q35,smm=on",
			"-global", "driver=cfi.pflash01,property=secure,value=on",
			"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+filepath.Join(b.assets, "OVMF_CODE_4M.ms.fd"),
			"-drive", "if=pflash,format=raw,unit=1,file="+vars,
			"-device", "virtio-net-pci,netdev=n0,romfile=,bootindex=1,mac="+m.mac)
	case fwUEFIARM64:
		vars := filepath.Join(b.dir, "AAVMF_VARS-"+m.name+".fd")
		copyFile(t, filepath.Join(b.assets, "AAVMF_VARS.fd"), vars)
		args = append(args, "-M", "virt", "-cpu", "cortex-a57",
			"-drive", "if=pflash,format=raw,readonly=on,file="+filepath.Join(b.assets, "AAVMF_CODE.fd"),
			"-drive", "if=pflash,format=raw,file="+vars,
			"-device", "virtio-net-pci,netdev=n0,romfile=,bootindex=1,mac="+m.mac)
	case fwUEFIiPXE:
		vars := filepath.Join(b.dir, "OVMF_VARS-"+m.name+".fd")
		copyFile(t, filepath.Join(b.assets, "OVMF_VARS.fd"), vars)
		args = append(args, "-accel", "tcg",
			"-drive", "if=pflash,format=raw,readonly=on,file="+filepath.Join(b.assets, "OVMF_CODE.fd"),
			"-drive", "if=pflash,format=raw,file="+vars,
			"-device", "e1000,netdev=n0,romfile=efi-e1000.rom,bootindex=1,mac="+m.mac)
	case fwUBootARM64:
		args = append(args, virtMachine(m.fw)...)
		args = append(args, "-bios", filepath.Join(b.assets, "u-boot-arm64.bin"),
			"-device", "virtio-net-device,netdev=n0,mac="+m.mac)
	case fwUBootARM:
		args = append(args, virtMachine(m.fw)...)
		args = append(args, "-bios", filepath.Join(b.assets, "u-boot-arm.bin"),
			"-device", "virtio-net-device,netdev=n0,mac="+m.mac)
	case fwUBootRISCV:
		args = append(args, virtMachine(m.fw)...)
		args = append(args, "-bios", filepath.Join(b.assets, "opensbi-riscv64.bin"),
			"-kernel", filepath.Join(b.assets, "u-boot-riscv64.bin"),
			"-device", "virtio-net-device,netdev=n0,mac="+m.mac)
	default:
		t.Fatalf("unknown firmware %q", m.fw)
	}
	q := &qemuRun{m: m, p: b.lab.Switch().Start(t, qemuBinary(m.fw), args...), start: time.Now()}
	if sock != "" {
		// qemu says so on stderr once the socket listens.
		if err := q.p.WaitFor(serverUp, "waiting for connection"); err != nil {
			t.Fatalf("%s: qemu console socket: %v\n%s", m.name, err, q.p.Output())
		}
		q.con = dialConsole(t, sock)
	}
	return q
}

// guestMemory is every guest's RAM (qemu's -m) but memoryOf's exceptions.
const guestMemory = "256"

// memoryOf is a firmware's guest RAM. With 256 MiB the Secure Boot OVMF
// (SMM, 4 MiB flash) handed the kernel so little that it reset before its
// first console line.
func memoryOf(fw firmware) string {
	if fw == fwUEFISecureBoot || fw == fwUEFIARM64 {
		return "512"
	}
	return guestMemory
}

// virtMachine is the machine a U-Boot firmware boots on, the same for the
// boot and for dumping the machine's device tree.
func virtMachine(fw firmware) []string {
	args := []string{"-M", "virt"}
	if fw == fwUBootARM64 {
		args = append(args, "-cpu", "cortex-a57")
	}
	return args
}

// qemuRun is a running machine.
type qemuRun struct {
	m     machine
	p     *netlab.Proc
	con   *console // nil: the console is p's output
	start time.Time
	seen  int // console offset past the last waitConsole match (con only)
}

// output is what the guest printed so far.
func (q *qemuRun) output() string {
	if q.con != nil {
		return q.con.Output()
	}
	return q.p.Output()
}

// marker is the line the test initramfs prints for a kernel command line
// carrying bootyard.token=tok.
func marker(tok string) string { return "BOOTYARD-MARKER host=" + tok }

// waitMarker waits for the machine's console to show the marker of tok and
// logs how long the boot took (recorded, never asserted).
func (q *qemuRun) waitMarker(t *testing.T, tok string) {
	t.Helper()
	if err := q.p.WaitFor(bootBound, marker(tok)); err != nil {
		t.Fatalf("%s (%s) did not boot to %q: %v\nconsole tail:\n%s", q.m.name, q.m.fw, marker(tok), err, tail(q.output(), 3000))
	}
	t.Logf("%s (%s): marker after %s", q.m.name, q.m.fw, time.Since(q.start).Round(100*time.Millisecond))
}

// waitConsole waits for text on the machine's console.
// With a socket console, the text must come after the previous match: a
// test can wait for a command's answer after typing it.
func (q *qemuRun) waitConsole(t *testing.T, text string) {
	t.Helper()
	var err error
	if q.con != nil {
		q.seen, err = q.con.WaitFor(bootBound, q.seen, text)
	} else {
		err = q.p.WaitFor(bootBound, text)
	}
	if err != nil {
		t.Fatalf("%s (%s): console never showed %q: %v\nconsole tail:\n%s", q.m.name, q.m.fw, text, err, tail(q.output(), 3000))
	}
}

// typeLine types a command at the guest's prompt (socket console only).
func (q *qemuRun) typeLine(t *testing.T, line string) {
	t.Helper()
	if q.con == nil {
		t.Fatalf("%s: no interactive console", q.m.name)
	}
	if err := q.con.Type(line); err != nil {
		t.Fatalf("%s: typing %q: %v", q.m.name, line, err)
	}
}

// tail is the end of a console log, cut at a line start, with terminal
// escape sequences left as they are.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return fmt.Sprintf("[...]\n%s", s)
}
