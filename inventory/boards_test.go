package inventory

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDeviceTreeProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Problem
	}{
		{"fdt and fdtdir in one profile", head + "profiles:\n  p:\n    kernel: linux\n    fdt: a.dtb\n    fdtdir: dtbs\n",
			[]Problem{{Line: 9, Field: "profiles.p.fdtdir", Msg: "not both"}}},
		{"fdt as a URL", head + "profiles:\n  p: {kernel: linux, fdt: 'http://198.51.100.2/a.dtb'}\n",
			[]Problem{{Line: 6, Field: "profiles.p.fdt", Msg: "a device tree is loaded by TFTP"}}},
		{"host fdt without profile", head + "hosts:\n  - {name: a, mac: 52:54:00:00:00:01, fdt: a.dtb}\n",
			[]Problem{{Line: 6, Field: "hosts[0].fdt", Msg: "names no profile"}}},
		{"host fdtdir with a kernel-less profile", head + "profiles:\n  p: {bootfile: x.efi}\nhosts:\n  - {name: a, mac: 52:54:00:00:00:01, profile: p, fdtdir: dtbs}\n",
			[]Problem{{Line: 8, Field: "hosts[0].fdtdir", Msg: `profile "p" has no kernel`}}},
		{"host and profile may each set one", head + "profiles:\n  p: {kernel: linux, fdtdir: dtbs}\nhosts:\n  - {name: a, mac: 52:54:00:00:00:01, profile: p, fdt: a.dtb}\n",
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, tt.src, tt.want)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHostDeviceTreeWins: a host's fdt or fdtdir replaces its profile's
// pair whole, so a host can swap the profile's folder for one file.
func TestHostDeviceTreeWins(t *testing.T) {
	src := head + "profiles:\n  p: {kernel: linux, fdtdir: dtbs}\n  q: {kernel: linux, fdt: q.dtb}\nhosts:\n" +
		"  - {name: a, mac: 52:54:00:00:00:01, profile: p}\n" +
		"  - {name: b, mac: 52:54:00:00:00:02, profile: p, fdt: b.dtb}\n" +
		"  - {name: c, mac: 52:54:00:00:00:03, profile: q, fdtdir: cdir}\n" +
		"  - {name: d, mac: 52:54:00:00:00:04}\n"
	snap, err := Parse("test.yaml", []byte(src), Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{"a": {"", "dtbs"}, "b": {"b.dtb", ""}, "c": {"", "cdir"}, "d": {"", ""}}
	for name, w := range want {
		h, _ := snap.HostByName(name)
		fdt, dir := h.DeviceTree()
		if got := [2]string{fdt, dir}; got != w {
			t.Errorf("%s: DeviceTree() = %q, want %q", name, got, w)
		}
	}
}

func TestDeviceTreeFileChecks(t *testing.T) {
	config := filesHead +
		"profiles:\n" + // 5
		"  ok:\n" + // 6
		"    kernel: linux\n" + // 7
		"    fdtdir: /dtbs\n" + // 8
		"  gone:\n" + // 9
		"    kernel: linux\n" + // 10
		"    fdt: dtbs/missing.dtb\n" + // 11
		"  notdir:\n" + // 12
		"    kernel: linux\n" + // 13
		"    fdtdir: linux\n" + // 14
		"  up:\n" + // 15
		"    kernel: linux\n" + // 16
		"    fdtdir: ../dtbs\n" + // 17
		"hosts:\n" + // 18
		"  - {name: a, mac: 52:54:00:00:00:01, profile: ok, fdt: dtbs/board.dtb}\n" + // 19
		"  - {name: b, mac: 52:54:00:00:00:02, profile: ok, fdtdir: nodir}\n" + // 20
		"  - {name: c, mac: 52:54:00:00:00:03, profile: ok, fdt: dtbs}\n" // 21
	_, got, dir := loadIn(t, config, Options{}, append([]string{"linux", "dtbs/board.dtb"}, allDefaults...)...)
	root := filepath.Join(dir, "tftp")
	want := []Problem{
		{Line: 11, Field: "profiles.gone.fdt", Msg: `"dtbs/missing.dtb" not found under the TFTP root ` + root},
		{Line: 14, Field: "profiles.notdir.fdtdir", Msg: `"linux" is not a folder under the TFTP root ` + root},
		{Line: 17, Field: "profiles.up.fdtdir", Msg: `"../dtbs" goes above the TFTP root with ".."`},
		{Line: 20, Field: "hosts[1].fdtdir", Msg: `folder "nodir" not found under the TFTP root ` + root},
		{Line: 21, Field: "hosts[2].fdt", Msg: `"dtbs" is not a regular file`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
