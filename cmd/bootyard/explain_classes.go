package main

import (
	"fmt"
	"io"
	"net"
	"path"
	"strings"
	"text/tabwriter"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/bootyard/bootyard/bootfiles"
	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/doctor"
	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// classDiscover builds the DHCPDISCOVER a client of class sends, from
// doctor's firmware table (options taken from real captures) where it has
// one, else from the nearest one with the class's option 93 code.
func classDiscover(class firmware.Class, mac net.HardwareAddr) (*dhcpv4.DHCPv4, error) {
	name := string(class)
	var rpi bool
	switch class {
	case firmware.IPXE:
		name = "ipxe-efi"
	case firmware.RPi:
		name, rpi = "bios", true
	}
	fw, err := doctor.LookupFirmware(name)
	if err != nil {
		// uefi-ia32 and uefi-arm32: a UEFI PXE client with their code.
		arch := map[firmware.Class]uint16{firmware.UEFIIA32: 6, firmware.UEFIARM32: 10}[class]
		if arch == 0 {
			return nil, fmt.Errorf("no sample client for class %s", class)
		}
		fw, _ = doctor.LookupFirmware("uefi-x64")
		fw.Arch, fw.VendorClass = arch, fmt.Sprintf("PXEClient:Arch:%05d:UNDI:003000", arch)
	}
	m, err := fw.Discover(mac, dhcpv4.TransactionID{})
	if err != nil {
		return nil, err
	}
	if rpi {
		// The Pi 4 boot ROM says "RPi4" at the start of option 97.
		m.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionClientMachineIdentifier, append([]byte("RPi4"), make([]byte, 13)...)))
	}
	return m, nil
}

// parseClass reads -arch as a class name (bios, uefi-x64, ipxe, ...).
func parseClass(s string) (firmware.Class, bool) {
	for _, c := range firmware.Classes() {
		if string(c) == strings.ToLower(s) {
			return c, true
		}
	}
	return "", false
}

func classNames() string {
	var names []string
	for _, c := range firmware.Classes() {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

// printClasses is explain for a known host without -arch: what each firmware
// class would get, by the same decision the server makes, and the generated
// files that firmware then fetches.
func printClasses(w io.Writer, snap *inventory.Snapshot, h *inventory.Host, base dhcp.Request, lv dhcp.LeaseView) error {
	prof := "no profile"
	if h.Profile != nil {
		prof = "profile " + h.Profile.Name
	}
	fmt.Fprintf(w, "%s (%s, %s) as each firmware class would see it:\n", h.Name, h.MAC, prof)
	files, err := bootfiles.Render(snap, h, base.ServerIP)
	if err != nil {
		return fmt.Errorf("rendering files for %s: %w", h.Name, err)
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, c := range firmware.Classes() {
		m, err := classDiscover(c, h.MAC)
		if err != nil {
			return err
		}
		req := base
		req.Msg = m
		dec, rep := dhcp.Explain(req, snap, lv)
		answer := ""
		switch {
		case dec.Reply == nil:
			answer = "no answer: " + dec.Ignore
		case rep.Boot.Local:
			answer = "its own disk (local boot)"
		case rep.Boot.File == "":
			answer = "an address, no boot file"
		default:
			answer = rep.Boot.File
			names, known := fetchedFiles(snap, h, rep.Firmware.Class, rep.Boot.File, files)
			clean, _ := served.Clean(rep.Boot.File)
			if len(names) > 0 && names[0] == clean {
				answer += " (generated)"
				names = names[1:]
			}
			switch {
			case !known:
				answer += ", then what that program asks for"
			case len(names) > 0:
				answer += ", then " + strings.Join(names, ", ")
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\n", c, answer)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n(run explain -arch CLASS for one class in detail, with the files it fetches)\n")
	return nil
}

// fetchedFiles lists, in the order asked, the generated files a client of
// class booted with bootFile will fetch: the boot file itself when it is
// generated (an iPXE script, a U-Boot script image); PXELINUX its first
// pxelinux.cfg/ name that exists, GRUB its first grub.cfg-*; an iPXE binary
// asks DHCP again as class ipxe and fetches that answer's script. A Pi
// fetches its folder (printed apart). known is false for a boot program
// bootyard does not know by name, which may fetch any of them.
func fetchedFiles(snap *inventory.Snapshot, h *inventory.Host, class firmware.Class, bootFile string, files []bootfiles.GeneratedFile) (names []string, known bool) {
	first := func(match func(string) bool) {
		for _, f := range files {
			if match(f.Name) {
				names = append(names, f.Name)
				return
			}
		}
	}
	clean, _ := served.Clean(bootFile)
	first(func(n string) bool { return n == clean })
	switch programOf(class, bootFile) {
	case "pxelinux":
		first(func(n string) bool { return strings.HasPrefix(n, "pxelinux.cfg/") })
	case "grub":
		first(func(n string) bool { return strings.HasPrefix(n, "grub.cfg") })
	case "ipxe":
		if class != firmware.IPXE {
			next := dhcp.ChooseBootFile(dhcp.Firmware{Class: firmware.IPXE, Boot: true, IPXE: true}, h, snap).File
			if c, err := served.Clean(next); err == nil && c != clean {
				first(func(n string) bool { return n == c })
			}
		}
	case "uboot", "rpi":
	default:
		return nil, false
	}
	return names, true
}

// programOf names the boot program a client runs: from its class where the
// class says (iPXE, U-Boot, the Pi), else from the boot file's name; "" when
// unknown.
func programOf(class firmware.Class, bootFile string) string {
	switch class {
	case firmware.IPXE:
		return "ipxe"
	case firmware.RPi:
		return "rpi"
	case firmware.UBootARM, firmware.UBootARM64:
		if strings.HasSuffix(bootFile, ".uimg") || strings.HasSuffix(bootFile, ".scr") {
			return "uboot"
		}
	}
	b := strings.ToLower(path.Base(strings.ReplaceAll(bootFile, `\`, "/")))
	switch {
	case strings.Contains(b, "pxelinux") || strings.Contains(b, "syslinux"):
		return "pxelinux"
	case strings.Contains(b, "grub") || strings.HasPrefix(b, "shim") || strings.HasPrefix(b, "bootx64") || strings.HasPrefix(b, "bootaa64"):
		return "grub"
	case strings.Contains(b, "ipxe") || strings.HasSuffix(b, ".kpxe") || strings.HasSuffix(b, ".kkpxe"):
		// iPXE asks DHCP again, as class ipxe, and fetches the script.
		return "ipxe"
	}
	return ""
}

// printFile writes one generated file for a terminal: text as it is, a
// U-Boot script image as the script it holds.
func printFile(w io.Writer, name string, content []byte) {
	fmt.Fprintf(w, "\n--- %s\n", name)
	if s, ok := bootfiles.UImageScriptText(content); ok {
		fmt.Fprintf(w, "(U-Boot script image, %d bytes; the script it holds:)\n", len(content))
		content = s
	}
	if !isText(content) {
		fmt.Fprintf(w, "(%d bytes, binary)\n", len(content))
		return
	}
	fmt.Fprintf(w, "%s", content)
	if len(content) > 0 && content[len(content)-1] != '\n' {
		fmt.Fprintln(w)
	}
}
