package inventory

import (
	"encoding/hex"
	"net"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// This file decodes the boot lifecycle settings: local boot (`local: true`,
// or `bootfile: ""`), boot menus, and dhcp.default_profile for machines not
// in the inventory. They are checked once every profile is known (checkLifecycle).

// LocalEntry is the name a menu uses for "boot from the local disk".
const LocalEntry = "local"

// DefaultMenuTimeout is how long a menu waits before it boots its default.
const DefaultMenuTimeout = 10 * time.Second

// Menu is a boot menu a profile offers instead of booting at once.
type Menu struct {
	// Entries in the order shown. An entry's Profile is nil for the local disk.
	Entries []MenuEntry
	// Default is the index of the entry booted when the timeout runs out.
	Default int
	// Timeout is how long the menu waits (0: boot the default at once).
	Timeout time.Duration
	Line    int
}

// MenuEntry is one line of a menu.
type MenuEntry struct {
	Name    string   // the profile's name, or LocalEntry
	Profile *Profile // nil: boot from the local disk
}

// Local reports whether the entry boots from the local disk.
func (e MenuEntry) Local() bool { return e.Profile == nil }

// menuRef is a menu as written, resolved by checkLifecycle.
type menuRef struct {
	menu    *Menu
	owner   *Profile
	path    string
	entries []string
	def     string
}

var menuKeys = []string{"entries", "default", "timeout"}

// bootOrLocal reads a host's or profile's bootfile and local keys. An
// explicit `bootfile: ""` means what `local: true` means, wherever it is
// written: no boot file, boot from the local disk. A `bootfile:` key with no
// value at all is refused, because it is more often a value forgotten than
// a decision.
func (d *decoder) bootOrLocal(m map[string]*yaml.Node, p string) (file string, local bool) {
	field := join(p, "bootfile")
	if n := d.resolve(m["bootfile"]); n != nil {
		switch {
		case isNull(n):
			d.addf(n, field, "has no value: write `local: true` (or bootfile: \"\") to boot from the local disk, or remove the key for the firmware class default")
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && strings.TrimSpace(n.Value) == "":
			d.nodes[field] = n
			local = true
		default:
			file = d.str(n, field)
		}
	}
	if m["local"] != nil {
		l := d.boolean(m["local"], join(p, "local"), false)
		switch {
		case l && file != "":
			d.addf(d.nodes[join(p, "local")], join(p, "local"), "local: true boots from the local disk, but bootfile %q is set too: keep one", file)
		case !l && local:
			d.addf(d.nodes[join(p, "local")], join(p, "local"), "local: false contradicts bootfile: \"\" (which means boot from the local disk): keep one")
		case l:
			local = true
		}
	}
	return file, local
}

// menu reads a profile's menu: section; its entries are resolved later.
func (d *decoder) menu(n *yaml.Node, p string, r *raw) *Menu {
	n = d.resolve(n)
	if n == nil || isNull(n) {
		return nil
	}
	m := d.mapping(n, p, menuKeys)
	mn := &Menu{Line: n.Line}
	ref := menuRef{menu: mn, path: p, def: d.str(m["default"], join(p, "default"))}
	for i, e := range d.list(m["entries"], join(p, "entries")) {
		ref.entries = append(ref.entries, d.str(e, index(join(p, "entries"), i)))
	}
	if len(ref.entries) == 0 {
		d.missing(n, join(p, "entries"), "a menu lists profiles (and `local` for the local disk) to choose from")
	}
	mn.Timeout = d.duration(m["timeout"], join(p, "timeout"), DefaultMenuTimeout, 0, time.Hour)
	r.menus = append(r.menus, ref)
	return mn
}

// checkLifecycle resolves menu entries and dhcp.default_profile against the
// profiles, and refuses settings that contradict each other.
func (d *decoder) checkLifecycle(r *raw, byName map[string]*Profile) {
	for i := range r.menus {
		ref := &r.menus[i]
		for _, pr := range r.profiles {
			if pr.Menu == ref.menu {
				ref.owner = pr
			}
		}
		d.checkMenu(ref, byName, r.profiles)
	}
	for i, h := range r.hosts {
		p := index("hosts", i)
		if h.Profile != nil && h.Profile.Local && !h.Local && h.BootFile == "" && d.nodes[join(p, "local")] != nil {
			d.addf(d.nodes[join(p, "local")], join(p, "local"), "local: false, but profile %q boots from the local disk: give the host a profile that netboots", h.Profile.Name)
		}
	}
	if !r.base.HTTP.Enabled {
		for _, ph := range []string{"{callback}", "{files}"} {
			why := ph + " is a URL of bootyard's HTTP server: set http.enabled: true"
			for _, pr := range r.profiles {
				if strings.Contains(pr.Cmdline, ph) {
					k := join("profiles."+pr.Name, "cmdline")
					d.addf(d.nodes[k], k, "%s", why)
				}
			}
			for i, h := range r.hosts {
				if strings.Contains(h.Cmdline, ph) {
					k := join(index("hosts", i), "cmdline")
					d.addf(d.nodes[k], k, "%s", why)
				}
			}
		}
	}
	c := &r.base.DHCP
	if c.DefaultProfile == "" {
		return
	}
	const field = "dhcp.default_profile"
	if _, ok := byName[c.DefaultProfile]; !ok {
		d.addf(d.nodes[field], field, "%s", unknownProfile(c.DefaultProfile, r.profiles))
		return
	}
	if c.Mode == ModeProxy && !c.ProxyUnknown {
		d.addf(d.nodes[field], field, "proxy mode answers machines not in the inventory only with dhcp.proxy_unknown: true; set it, or remove default_profile")
	}
}

func (d *decoder) checkMenu(ref *menuRef, byName map[string]*Profile, all []*Profile) {
	mn, p := ref.menu, ref.path
	if o := ref.owner; o != nil {
		for key, set := range map[string]bool{"kernel": o.Kernel != "", "initrd": o.Initrd != "", "cmdline": o.Cmdline != "", "local": o.Local, "fdt": o.FDT != "", "fdtdir": o.FDTDir != ""} {
			if set {
				k := join("profiles."+o.Name, key)
				d.addf(d.nodes[k], k, "a profile with a menu boots one of its entries: move %s to an entry's profile", key)
			}
		}
	}
	seen := map[string]bool{}
	for i, name := range ref.entries {
		field := index(join(p, "entries"), i)
		if seen[name] {
			d.addf(d.nodes[field], field, "%q is listed twice", name)
			continue
		}
		seen[name] = true
		if name == LocalEntry {
			if _, clash := byName[LocalEntry]; clash {
				d.addf(d.nodes[field], field, "in a menu, `local` means the local disk, and a profile is named local too: rename that profile")
			}
			mn.Entries = append(mn.Entries, MenuEntry{Name: LocalEntry})
			continue
		}
		pr, ok := byName[name]
		switch {
		case !ok:
			d.addf(d.nodes[field], field, "%s (or `local` for the local disk)", unknownProfile(name, all))
			continue
		case pr.Menu != nil:
			d.addf(d.nodes[field], field, "profile %q has a menu of its own: menus do not nest", name)
			continue
		case pr.Local:
			mn.Entries = append(mn.Entries, MenuEntry{Name: LocalEntry})
			continue
		case pr.Kernel == "":
			d.addf(d.nodes[field], field, "profile %q has no kernel for a menu to boot", name)
			continue
		}
		mn.Entries = append(mn.Entries, MenuEntry{Name: name, Profile: pr})
	}
	if ref.def == "" {
		return // the first entry
	}
	for i, e := range ref.entries {
		if e == ref.def {
			mn.Default = i
			return
		}
	}
	field := join(p, "default")
	d.addf(d.nodes[field], field, "%q is not one of the menu's entries (%s)", ref.def, strings.Join(ref.entries, ", "))
}

// DefaultProfile is the profile machines not in the inventory boot
// (dhcp.default_profile), or nil.
func (s *Snapshot) DefaultProfile() *Profile {
	if s == nil || s.DHCP.DefaultProfile == "" {
		return nil
	}
	return s.profiles[s.DHCP.DefaultProfile]
}

// Machine returns the host a MAC boots as: its inventory entry, else, when
// dhcp.default_profile is set, a stand-in host named unknown-<mac hex> with
// that profile and no address of its own (Unknown is true). ok is false for
// an unknown MAC without a default profile.
func (s *Snapshot) Machine(mac net.HardwareAddr) (h *Host, ok bool) {
	if h, ok := s.HostByMAC(mac); ok {
		return h, true
	}
	p := s.DefaultProfile()
	if p == nil || len(mac) == 0 {
		return nil, false
	}
	return &Host{Name: "unknown-" + hex.EncodeToString(mac), MAC: mac, Profile: p, Unknown: true}, true
}

// BootsLocally reports whether the host boots from its own disk: it names
// no boot file of its own, and it, or else its profile, says local.
func (h *Host) BootsLocally() bool {
	if h == nil || h.BootFile != "" {
		return false
	}
	return h.Local || (h.Profile != nil && h.Profile.Local && h.Profile.BootFile == "")
}

// NextBoot is a one-shot armed for a host (`bootyard next-boot`): its next
// boot uses Profile instead of its configured behaviour.
type NextBoot struct {
	Profile string
	// Token is the per-boot secret of the installer callback URL.
	Token string
}

// WithNextBoot returns a snapshot in which each armed host (by name) boots
// its armed profile: the host's Profile is that profile, its Local is
// cleared, and NextBoot is set (a host's own bootfile still wins, as it
// always does). s itself is not changed. stale lists the armed host names
// whose host or profile s does not have (a reload removed them). With
// nothing armed, s is returned as it is.
func (s *Snapshot) WithNextBoot(armed map[string]NextBoot) (out *Snapshot, stale []string) {
	if len(armed) == 0 {
		return s, nil
	}
	hosts := make([]*Host, len(s.hosts))
	copy(hosts, s.hosts)
	changed := false
	for name, nb := range armed {
		h, ok := s.byName[name]
		p, pok := s.profiles[nb.Profile]
		if !ok || !pok {
			stale = append(stale, name)
			continue
		}
		for i, x := range hosts {
			if x == h {
				c := *h
				c.Profile, c.Local = p, false
				c.NextBoot = &NextBoot{Profile: nb.Profile, Token: nb.Token}
				hosts[i] = &c
				changed = true
			}
		}
	}
	if !changed {
		return s, stale
	}
	profiles := make([]*Profile, 0, len(s.profiles))
	for _, p := range s.profiles {
		profiles = append(profiles, p)
	}
	return New(*s, profiles, hosts), stale
}
