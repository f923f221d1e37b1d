package main

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
)

// adviceWarnings are check's warnings about how clients will fare with a
// valid file: combinations that load fine and then fail at the machine, in
// proxy mode and with URLs given to firmware that speaks only TFTP. Each
// is worked out with dhcp.ChooseBootFile, the choice the server makes.
func adviceWarnings(s *inventory.Snapshot) []string {
	var out []string
	out = append(out, proxyWarnings(s)...)
	out = append(out, urlWarnings(s)...)
	return out
}

// choice is one boot file some machines of a class get, and who they are.
type choice struct {
	class firmware.Class
	file  string
	who   []string // host names; "boot.<class>" for pool/proxy clients
}

// choices lists, for each expected class, the boot files its machines get:
// each host's, and the class default for machines not in the inventory.
func choices(s *inventory.Snapshot, classes ...firmware.Class) []choice {
	var out []choice
	for _, c := range classes {
		if !s.Expects(c) {
			continue
		}
		fw := dhcp.Firmware{Class: c, Boot: true, IPXE: c == firmware.IPXE, HTTP: c == firmware.UEFIHTTP}
		byFile := map[string]*choice{}
		add := func(file, who string) {
			if file == "" {
				return
			}
			if byFile[file] == nil {
				byFile[file] = &choice{class: c, file: file}
			}
			byFile[file].who = append(byFile[file].who, who)
		}
		for _, h := range s.Hosts() {
			add(dhcp.ChooseBootFile(fw, h, s).File, h.Name)
		}
		add(s.Boot[c], "boot."+string(c))
		files := make([]string, 0, len(byFile))
		for f := range byFile {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			out = append(out, *byFile[f])
		}
	}
	return out
}

func whoText(who []string) string {
	const most = 3
	if len(who) > most {
		return strings.Join(who[:most], ", ") + fmt.Sprintf(" and %d more", len(who)-most)
	}
	return strings.Join(who, ", ")
}

// proxyWarnings: GRUB 2.06 takes its network settings from the DHCP ACK it
// finds in the firmware and ignores the proxyDHCP packet, so a UEFI machine
// given GRUB by a proxy loads it and then finds no TFTP server; U-Boot drops
// an offer without an address (yiaddr 0.0.0.0), which every proxy offer is.
func proxyWarnings(s *inventory.Snapshot) []string {
	if s.DHCP.Mode != inventory.ModeProxy {
		return nil
	}
	var out []string
	for _, ch := range choices(s, firmware.UEFIX64, firmware.UEFIARM64, firmware.UEFIIA32, firmware.UEFIARM32) {
		if programOf(ch.class, ch.file) != "grub" || strings.Contains(ch.file, "://") {
			continue
		}
		out = append(out, fmt.Sprintf("proxy mode: %s machines (%s) get GRUB %q, and GRUB (2.06 and older) ignores proxyDHCP: "+
			"it loads, then finds no server and stops at the grub> prompt. Give them iPXE instead (boot.%s: ipxe.efi or snponly.efi, "+
			"which reads the proxy's answer and then fetches its script), or use dhcp.mode: authoritative",
			ch.class, whoText(ch.who), ch.file, ch.class))
	}
	var uboot []string
	for _, c := range []firmware.Class{firmware.UBootARM, firmware.UBootARM64} {
		if s.Expects(c) {
			uboot = append(uboot, string(c))
		}
	}
	if len(uboot) > 0 {
		out = append(out, fmt.Sprintf("proxy mode: U-Boot (%s) cannot boot from proxyDHCP: it drops offers without an address, "+
			"and bootyard does not answer it (reason uboot-proxy). Use dhcp.mode: authoritative for U-Boot boards, "+
			"or set boot.<class>: \"\" / firmware: to say there are none", strings.Join(uboot, ", ")))
	}
	return out
}

// tftpOnly says whether a boot program fetches by TFTP only: PXE ROMs and
// U-Boot (without its optional wget) ask TFTP for whatever name they are
// given, PXELINUX (not lpxelinux) reads kernels by TFTP.
func tftpOnly(class firmware.Class) bool {
	switch class {
	case firmware.IPXE, firmware.UEFIHTTP:
		return false
	}
	return true
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// urlWarnings: an http(s):// boot file given to firmware that only speaks
// TFTP, or a URL kernel or initrd in a file read by a program that only
// speaks TFTP (PXELINUX, U-Boot's script), fails at the machine.
func urlWarnings(s *inventory.Snapshot) []string {
	var out []string
	var classes []firmware.Class
	for _, c := range firmware.Classes() {
		if tftpOnly(c) {
			classes = append(classes, c)
		}
	}
	for _, ch := range choices(s, classes...) {
		if isURL(ch.file) {
			out = append(out, fmt.Sprintf("%s machines (%s) are given the URL %q, but their firmware fetches boot files by TFTP only: "+
				"give them a file under tftp.root (iPXE, e.g. ipxe.efi or undionly.kpxe, can then fetch URLs)", ch.class, whoText(ch.who), ch.file))
		}
	}
	// Kernels and initrds: who reads them depends on the boot program.
	all := choices(s, firmware.Classes()...)
	var names []string
	for n := range s.Profiles() {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := s.Profiles()[n]
		var urls []string
		for _, f := range []string{p.Kernel, p.Initrd} {
			if isURL(f) {
				urls = append(urls, f)
			}
		}
		if len(urls) == 0 {
			continue
		}
		readers := map[string]bool{}
		for _, ch := range all {
			for _, name := range ch.who {
				h, ok := s.HostByName(name)
				if !ok || h.Profile != p {
					continue
				}
				switch prog := programOf(ch.class, ch.file); {
				case prog == "pxelinux" && path.Base(ch.file) != "lpxelinux.0":
					readers["PXELINUX ("+ch.file+")"] = true
				case prog == "uboot":
					readers["U-Boot's tftpboot ("+string(ch.class)+")"] = true
				}
			}
		}
		if len(readers) == 0 {
			continue
		}
		var rs []string
		for r := range readers {
			rs = append(rs, r)
		}
		sort.Strings(rs)
		out = append(out, fmt.Sprintf("profile %s: %s is a URL, but %s fetch by TFTP only: put the file under tftp.root, "+
			"or boot these machines with iPXE (or lpxelinux.0 for PXELINUX)", p.Name, strings.Join(urls, " and "), strings.Join(rs, " and ")))
	}
	return out
}
