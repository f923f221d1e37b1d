package inventory

import (
	"testing"
	"time"
)

// TestXKeysHoldAnchors: a top-level key starting with x- is where shared
// anchors live; it is not an unknown key and its content is not a setting.
func TestXKeysHoldAnchors(t *testing.T) {
	src := `x-debian: &debian
  kernel: debian/linux
  cmdline: console=ttyS0
x-notes: anything at all
interface: eth0
dhcp:
  subnet: 198.51.100.0/24
tftp: {enabled: false}
profiles:
  install:
    <<: *debian
    initrd: debian/initrd.gz
`
	snap, err := Parse("x.yaml", []byte(src), Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := snap.Profile("install")
	if !ok || p.Kernel != "debian/linux" || p.Cmdline != "console=ttyS0" || p.Initrd != "debian/initrd.gz" {
		t.Errorf("profile from the x- anchor = %+v", p)
	}
	// Only at the top: elsewhere x- is an unknown key as before.
	want := []Problem{{Line: 5, Field: "dhcp.x-y", Msg: `unknown key "x-y"`}}
	got := problemsOf(t, "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\ntftp: {enabled: false}\ndhcp2: 1\n", nil)
	if len(got) != 1 {
		t.Errorf("unknown top-level key: %v", got)
	}
	got = problemsOf(t, "interface: eth0\ntftp: {enabled: false}\ndhcp:\n  subnet: 198.51.100.0/24\n  x-y: 1\n", want)
	if len(got) != 1 || got[0].Field != "dhcp.x-y" {
		t.Errorf("x- key inside dhcp: %v", got)
	}
}

// TestLeaseTimeInDays: "1d" is what people write for a lease time.
func TestLeaseTimeInDays(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"1d", 24 * time.Hour},
		{"7d", 7 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"90m", 90 * time.Minute},
	} {
		src := "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  lease_time: " + tc.in + "\ntftp: {enabled: false}\n"
		snap, err := Parse("l.yaml", []byte(src), Options{SkipFileChecks: true})
		if err != nil {
			t.Errorf("lease_time %s: %v", tc.in, err)
			continue
		}
		if snap.DHCP.LeaseTime != tc.want {
			t.Errorf("lease_time %s = %v, want %v", tc.in, snap.DHCP.LeaseTime, tc.want)
		}
	}
	for _, bad := range []string{"1dd", "d", "1d-1h", "1w"} {
		src := "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  lease_time: " + bad + "\ntftp: {enabled: false}\n"
		if _, err := Parse("l.yaml", []byte(src), Options{SkipFileChecks: true}); err == nil {
			t.Errorf("lease_time %s accepted", bad)
		}
	}
}

// FuzzPlainYAML: rewording a syntax error never panics, whatever the file
// and the line yaml.v3 reported (parseYAML's recover would otherwise turn a
// bug here into "the YAML parser failed").
func FuzzPlainYAML(f *testing.F) {
	f.Add([]byte("interface: eth0\nhosts:\n  - name: a\n  mac: 1\n"), 3)
	f.Add([]byte("  a: 1\nb: 2\n"), 1)
	f.Add([]byte("a:\n- x\n- y\nb: |\n  text\n c: 1\n"), 2)
	f.Fuzz(func(t *testing.T, data []byte, line int) {
		for _, m := range append(indentErrors, "found a tab character that violates indentation", "unknown anchor 'x' referenced") {
			l, text := plainYAML(data, line, m)
			if text == "" || l < 0 {
				t.Fatalf("plainYAML(%q, %d, %q) = %d, %q", data, line, m, l, text)
			}
		}
	})
}
