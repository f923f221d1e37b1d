package bootfiles

import (
	"net/netip"
	"strings"

	"github.com/bootyard/bootyard/inventory"
)

// This file is the boot lifecycle's side of generated files: a host that
// boots from its local disk gets scripts that hand the machine back to its
// firmware, and a profile with a menu gets a menu. Each is a template
// variant of its kind (templates/<kind>-local.tmpl, <kind>-menu.tmpl),
// overridable under .bootyard/ like the others, so an operator's override
// of ipxe.tmpl never has to know about menus.

// variant names a template variant: "" for a plain boot.
type variant string

const (
	plainBoot variant = ""
	localBoot variant = "-local"
	menuBoot  variant = "-menu"
)

// variants lists, per kind, the variants it has templates for. A kind
// without one (a Pi's config.txt) generates nothing for such a host, and
// the request falls through to the TFTP root.
var variants = map[kind][]variant{
	kindPXELinux:    {localBoot, menuBoot},
	kindGRUB:        {localBoot, menuBoot},
	kindIPXE:        {localBoot, menuBoot},
	kindUBootScript: {localBoot},
}

// variantOf says which variant a host's files are; ok is false when there
// is nothing to generate for it.
func variantOf(h *inventory.Host) (v variant, ok bool) {
	switch {
	case h == nil:
		return plainBoot, false
	case h.BootsLocally():
		return localBoot, true
	case h.Profile != nil && h.Profile.Menu != nil:
		return menuBoot, true
	}
	return plainBoot, bootable(h)
}

// generates reports whether any generated file exists for h.
func generates(h *inventory.Host) bool {
	_, ok := variantOf(h)
	return ok
}

// hasVariant reports whether kind k has a template for v.
func hasVariant(k kind, v variant) bool {
	if v == plainBoot {
		return true
	}
	for _, x := range variants[k] {
		if x == v {
			return true
		}
	}
	return false
}

// menuEntry is one entry of a menu, as templates see it.
type menuEntry struct {
	Name  string // the iPXE label / GRUB id: the profile's name, or "local"
	Label string // the text shown
	Local bool
	// Kernel, Initrd, Cmdline, FDT and FDTDir are the entry profile's,
	// written as in templateData; the host's own cmdline is appended.
	Kernel, Initrd, Cmdline, FDT, FDTDir string
}

// menuData fills d's menu fields from the host's profile's menu.
func menuData(d *templateData, h *inventory.Host, ip, serverIP netip.Addr, req request) {
	m := h.Profile.Menu
	for i, e := range m.Entries {
		me := menuEntry{Name: e.Name, Local: e.Local(), Label: "Boot from the local disk"}
		if !e.Local() {
			eh := *h
			eh.Profile = e.Profile
			ed := newTemplateData(&eh, ip, serverIP, req)
			me.Label = e.Name
			me.Kernel, me.Initrd, me.Cmdline, me.FDT, me.FDTDir = ed.Kernel, ed.Initrd, ed.Cmdline, ed.FDT, ed.FDTDir
		}
		d.Menu = append(d.Menu, me)
		if i == m.Default {
			d.Default = me.Name
			d.DefaultIndex = i
		}
	}
	d.TimeoutSeconds = int(m.Timeout.Seconds())
	// iPXE's choose waits forever on 0: "at once" is 1 ms there.
	d.TimeoutMS = max(int(m.Timeout.Milliseconds()), 1)
	// PXELINUX counts in tenths of a second, and 0 there means "wait
	// forever": a menu without a timeout waits one tenth.
	d.TimeoutTenths = max(int(m.Timeout.Milliseconds()/100), 1)
}

// hostData is newTemplateData for any host that generates files: a local
// host may have no profile at all.
func hostData(h *inventory.Host, v variant, ip, serverIP netip.Addr, req request) templateData {
	if h.Profile == nil {
		d := templateData{Host: oneLine(h.Name), MAC: h.MAC.String(), Dir: req.dir}
		if ip.IsValid() {
			d.IP = ip.String()
		}
		if serverIP.IsValid() {
			d.ServerIP = serverIP.String()
		}
		return d
	}
	d := newTemplateData(h, ip, serverIP, req)
	if v == menuBoot {
		menuData(&d, h, ip, serverIP, req)
	}
	return d
}

// templateName is the name of kind k's template for variant v.
func templateName(k kind, v variant) string {
	return strings.TrimSuffix(string(k)+string(v), "-")
}
