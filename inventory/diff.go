package inventory

import (
	"reflect"
	"strings"
)

// changes counts what a reload changed, for the one log line a user reads
// to confirm an edit took effect.
type changes struct {
	hostsAdded, hostsRemoved, hostsChanged int
	profilesChanged                        int
	// settings names the top-level sections whose settings changed.
	settings string
}

// diff compares two snapshots by content, ignoring line numbers (adding a
// comment at the top of the file changes nothing). old may be nil.
func diff(old, next *Snapshot) changes {
	var c changes
	if old == nil {
		c.hostsAdded = len(next.hosts)
		c.profilesChanged = len(next.profiles)
		c.settings = "all"
		return c
	}
	for mac, h := range next.byMAC {
		o, ok := old.byMAC[mac]
		switch {
		case !ok:
			c.hostsAdded++
		case !reflect.DeepEqual(hostContent(o), hostContent(h)):
			c.hostsChanged++
		}
	}
	for mac := range old.byMAC {
		if _, ok := next.byMAC[mac]; !ok {
			c.hostsRemoved++
		}
	}
	for name, p := range next.profiles {
		if o, ok := old.profiles[name]; !ok || !reflect.DeepEqual(profileContent(o), profileContent(p)) {
			c.profilesChanged++
		}
	}
	for name := range old.profiles {
		if _, ok := next.profiles[name]; !ok {
			c.profilesChanged++
		}
	}
	var sections []string
	if old.Interface != next.Interface {
		sections = append(sections, "interface")
	}
	if !reflect.DeepEqual(dhcpContent(old.DHCP), dhcpContent(next.DHCP)) {
		sections = append(sections, "dhcp")
	}
	if !reflect.DeepEqual(old.TFTP, next.TFTP) {
		sections = append(sections, "tftp")
	}
	if !reflect.DeepEqual(old.Boot, next.Boot) {
		sections = append(sections, "boot")
	}
	c.settings = strings.Join(sections, ",")
	if c.settings == "" {
		c.settings = "none"
	}
	return c
}

func stripLines(opts []DHCPOption) []DHCPOption {
	out := make([]DHCPOption, len(opts))
	for i, o := range opts {
		out[i] = DHCPOption{Code: o.Code, Value: o.Value}
	}
	return out
}

func profileContent(p *Profile) Profile {
	if p == nil {
		return Profile{}
	}
	c := *p
	c.Line = 0
	c.Options = stripLines(p.Options)
	c.IPXEOptions = stripLines(p.IPXEOptions)
	c.Files = nil
	for _, f := range p.Files {
		fc := f.content()
		c.Files = append(c.Files, &fc)
	}
	if p.Menu != nil {
		m := *p.Menu
		m.Line = 0
		m.Entries = make([]MenuEntry, len(p.Menu.Entries))
		for i, e := range p.Menu.Entries {
			m.Entries[i].Name = e.Name
			if e.Profile != nil {
				ep := profileContent(e.Profile)
				m.Entries[i].Profile = &ep
			}
		}
		c.Menu = &m
	}
	return c
}

// hostContent is what makes a host boot the way it does, including the
// contents of its profile.
func hostContent(h *Host) any {
	type content struct {
		h Host
		p Profile
	}
	c := content{h: *h, p: profileContent(h.Profile)}
	c.h.Line, c.h.Profile = 0, nil
	c.h.Options = stripLines(h.Options)
	return c
}

func dhcpContent(d DHCP) DHCP {
	d.Options = stripLines(d.Options)
	rel := make([]Relayed, len(d.Relayed))
	for i, r := range d.Relayed {
		r.Line = 0
		rel[i] = r
	}
	d.Relayed = rel
	return d
}
