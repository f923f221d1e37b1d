package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
)

// labHost is one inventory entry of a test config.
type labHost struct {
	name, mac, ip, profile string
	token                  string // bootyard.token= appended to the cmdline
	cmdline                string // more words appended after the token
	bootfile               string
	local                  bool // local: true (boot from its own disk)
}

// labConfig is a bootyard config for the lab: the server's eth0, its TFTP
// root, the boot: defaults for each firmware class and one profile per
// entry of profiles (name -> kernel), each booting the marker initramfs.
type labConfig struct {
	mode     string // authoritative (default) or proxy
	boot     map[string]string
	profiles map[string]string
	// initrds gives a profile (by name) its own initrd (over initrd).
	initrds map[string]string
	// fdt and fdtdir give a profile (by name) a device tree file or folder.
	fdt, fdtdir map[string]string
	// profileYAML is more profiles, written as they are (menus, local).
	profileYAML string
	hosts       []labHost
	// initrd is every profile's initrd ("": initrd.gz).
	initrd string
	// httpPort turns the HTTP file server on at that port (0: off).
	httpPort int
	// dhcpYAML is more dhcp: keys, indented two spaces, written as they are.
	dhcpYAML string
}

// yaml renders the config the way a user would write it.
func (c labConfig) yaml(dir, root string) string {
	var b strings.Builder
	mode := c.mode
	if mode == "" {
		mode = "authoritative"
	}
	fmt.Fprintf(&b, "interface: eth0\ndhcp:\n  mode: %s\n", mode)
	if mode == "authoritative" {
		b.WriteString("  subnet: 198.51.100.0/24\n  router: " + serverAddr + "\n")
	}
	fmt.Fprintf(&b, "  lease_file: %s\n  conflict_probe: false\n", filepath.Join(dir, "leases"))
	b.WriteString(c.dhcpYAML)
	fmt.Fprintf(&b, "tftp:\n  root: %s\n", root)
	if c.httpPort != 0 {
		fmt.Fprintf(&b, "http:\n  enabled: true\n  port: %d\n", c.httpPort)
	}
	b.WriteString("boot:\n")
	for _, class := range []string{"bios", "uefi-x64", "uefi-http", "uefi-arm32", "uefi-arm64", "ipxe", "uboot-arm", "uboot-arm64"} {
		if f, ok := c.boot[class]; ok {
			fmt.Fprintf(&b, "  %s: %q\n", class, f)
		}
	}
	b.WriteString("profiles:\n")
	initrd := c.initrd
	if initrd == "" {
		initrd = "initrd.gz"
	}
	for name, kernel := range c.profiles {
		initrd := initrd
		if f, ok := c.initrds[name]; ok {
			initrd = f
		}
		fmt.Fprintf(&b, "  %s:\n    kernel: %s\n    initrd: %s\n    cmdline: \"console=ttyS0 quiet\"\n", name, kernel, initrd)
		if f, ok := c.fdt[name]; ok {
			fmt.Fprintf(&b, "    fdt: %s\n", f)
		}
		if d, ok := c.fdtdir[name]; ok {
			fmt.Fprintf(&b, "    fdtdir: %s\n", d)
		}
	}
	b.WriteString(c.profileYAML)
	b.WriteString("hosts:\n")
	for _, h := range c.hosts {
		fmt.Fprintf(&b, "  - name: %s\n    mac: %s\n", h.name, h.mac)
		if h.profile != "" {
			fmt.Fprintf(&b, "    profile: %s\n", h.profile)
		}
		if h.token != "" {
			cmdline := "bootyard.token=" + h.token
			if h.cmdline != "" {
				cmdline += " " + h.cmdline
			}
			fmt.Fprintf(&b, "    cmdline: %q\n", cmdline)
		}
		if h.local {
			b.WriteString("    local: true\n")
		}
		if h.ip != "" {
			fmt.Fprintf(&b, "    ip: %s\n", h.ip)
		}
		if h.bootfile != "" {
			fmt.Fprintf(&b, "    bootfile: %s\n", h.bootfile)
		}
	}
	return b.String()
}

// x86Boot is the boot: section for x86 firmware: PXELINUX for BIOS, the
// GRUB netboot image for UEFI, the per-host script for iPXE.
func x86Boot() map[string]string {
	return map[string]string{"bios": "pxelinux.0", "uefi-x64": "grubnetx64.efi", "ipxe": "boot.ipxe"}
}

// pxelinuxName is the per-MAC PXELINUX config name of mac.
func pxelinuxName(mac string) string {
	return "pxelinux.cfg/01-" + strings.ReplaceAll(strings.ToLower(mac), ":", "-")
}

// grubName is the per-MAC GRUB config name of mac.
func grubName(mac string) string {
	return "grub.cfg-01-" + strings.ReplaceAll(strings.ToLower(mac), ":", "-")
}
