package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLifecycleProblems: every way of getting local boot, menus and the
// default profile wrong is named at its line.
func TestLifecycleProblems(t *testing.T) {
	const profs = "profiles:\n  inst: {kernel: k}\n  disk: {local: true}\n"
	tests := []struct {
		name string
		src  string
		want []Problem
	}{
		{"local and empty bootfile load", head + profs + "hosts:\n  - {name: a, mac: 52:54:00:00:00:01, bootfile: \"\"}\n  - {name: b, mac: 52:54:00:00:00:02, local: true, profile: inst}\n", nil},
		{"bootfile with no value", head + profs + "hosts:\n  - name: a\n    mac: 52:54:00:00:00:01\n    bootfile:\n",
			[]Problem{{Line: 11, Field: "hosts[0].bootfile", Msg: "has no value"}}},
		{"local with a bootfile", head + "profiles:\n  p: {local: true, bootfile: x.0}\n",
			[]Problem{{Line: 6, Field: "profiles.p.local", Msg: "keep one"}}},
		{"local false under a local profile", head + profs + "hosts:\n  - {name: a, mac: 52:54:00:00:00:01, profile: disk, local: false}\n",
			[]Problem{{Line: 9, Field: "hosts[0].local", Msg: "give the host a profile that netboots"}}},
		{"unknown default profile", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  default_profile: nope\ntftp: {enabled: false}\n" + profs,
			[]Problem{{Line: 4, Field: "dhcp.default_profile", Msg: `unknown profile "nope"`}}},
		{"default profile in proxy mode without proxy_unknown", "interface: eth0\ndhcp:\n  mode: proxy\n  default_profile: inst\ntftp: {enabled: false}\n" + profs,
			[]Problem{{Line: 4, Field: "dhcp.default_profile", Msg: "proxy_unknown"}}},
		{"menu with an unknown entry and a bad default", head + profs + "  m:\n    menu: {entries: [inst, nope, local], default: other}\n",
			[]Problem{
				{Line: 9, Field: "profiles.m.menu.entries[1]", Msg: `unknown profile "nope"`},
				{Line: 9, Field: "profiles.m.menu.default", Msg: `"other" is not one of the menu's entries`},
			}},
		{"menu without entries", head + profs + "  m:\n    menu: {timeout: 3s}\n",
			[]Problem{{Line: 9, Field: "profiles.m.menu.entries", Msg: "a menu lists profiles"}}},
		{"menu profile with a kernel", head + profs + "  m:\n    kernel: k\n    menu: {entries: [inst]}\n",
			[]Problem{{Line: 9, Field: "profiles.m.kernel", Msg: "a profile with a menu boots one of its entries"}}},
		{"callback without http", head + "profiles:\n  inst: {kernel: k, cmdline: \"cb={callback}\"}\nhosts:\n  - {name: a, mac: 52:54:00:00:00:01, profile: inst, cmdline: \"x={callback}\"}\n",
			[]Problem{
				{Line: 6, Field: "profiles.inst.cmdline", Msg: "set http.enabled: true"},
				{Line: 8, Field: "hosts[0].cmdline", Msg: "set http.enabled: true"},
			}},
		{"nested menu", head + profs + "  m1:\n    menu: {entries: [inst]}\n  m2:\n    menu: {entries: [m1, local]}\n",
			[]Problem{{Line: 11, Field: "profiles.m2.menu.entries[0]", Msg: "menus do not nest"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := problemsOf(t, tc.src, tc.want)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLifecycleSnapshot: what a valid file means.
func TestLifecycleSnapshot(t *testing.T) {
	src := "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  default_profile: m\ntftp: {enabled: false}\n" +
		"profiles:\n  inst: {kernel: k}\n  disk: {bootfile: \"\"}\n  m:\n    menu: {entries: [inst, disk], default: disk, timeout: 0s}\n" +
		"hosts:\n  - {name: a, mac: 52:54:00:00:00:01, profile: inst, bootfile: \"\"}\n"
	s, err := Parse("t.yaml", []byte(src), Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.HostByName("a")
	if !a.Local || !a.BootsLocally() {
		t.Error(`bootfile: "" on a host is not local boot`)
	}
	m, _ := s.Profile("m")
	if m.Menu == nil || len(m.Menu.Entries) != 2 || m.Menu.Default != 1 || !m.Menu.Entries[1].Local() || m.Menu.Timeout != 0 {
		t.Errorf("menu = %+v, want [inst, local disk], default 1, timeout 0", m.Menu)
	}
	u, ok := s.Machine(mustMAC("02:00:00:00:00:09"))
	if !ok || !u.Unknown || u.Profile != m || u.Name != "unknown-020000000009" {
		t.Errorf("Machine(unknown) = %+v, %v", u, ok)
	}
	if h, _ := s.Machine(a.MAC); h != a {
		t.Error("Machine of a listed MAC is not its host")
	}
}
