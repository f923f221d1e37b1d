package inventory

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// problemsOf parses src (with file checks off) and returns its problems
// with each message cut down to the part the test names, so a test pins the
// line, field and meaning without copying whole sentences.
func problemsOf(t *testing.T, src string, want []Problem) []Problem {
	t.Helper()
	_, err := Parse("test.yaml", []byte(src), Options{SkipFileChecks: true})
	if err == nil {
		return nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, not Errors: %v", err, err)
	}
	got := []Problem(errs)
	for i := range got {
		if got[i].File != "test.yaml" {
			t.Errorf("problem %v names file %q", got[i], got[i].File)
		}
		got[i].File = ""
		if i < len(want) && strings.Contains(got[i].Msg, want[i].Msg) {
			got[i].Msg = want[i].Msg
		}
	}
	return got
}

const head = "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\ntftp: {enabled: false}\n"

func TestDecodeProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Problem
	}{
		{"valid minimal", head, nil},
		{"unknown top key with suggestion", head + "host:\n  - {name: a, mac: 52:54:00:00:00:01}\n",
			[]Problem{{Line: 5, Field: "host", Msg: `unknown key "host" (did you mean "hosts"?)`}}},
		{"unknown key far from any", head + "zebra: 1\n",
			[]Problem{{Line: 5, Field: "zebra", Msg: `unknown key "zebra" (known keys: admin, boot, dhcp`}}},
		{"unknown dhcp key", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  lease-time: 1h\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.lease-time", Msg: `did you mean "lease_time"?`}}},
		{"missing interface", "dhcp: {mode: off}\ntftp: {enabled: false}\n",
			[]Problem{{Line: 1, Field: "interface", Msg: "missing"}}},
		{"bad interface", "interface: eth0/1\ndhcp: {mode: off}\ntftp: {enabled: false}\n",
			[]Problem{{Line: 1, Field: "interface", Msg: "not a network interface name"}}},
		{"invalid mode", "interface: eth0\ndhcp:\n  mode: relay\n  subnet: 198.51.100.0/24\ntftp: {enabled: false}\n",
			[]Problem{{Line: 3, Field: "dhcp.mode", Msg: `"relay" is not a mode`}}},
		{"authoritative without subnet", "interface: eth0\ndhcp:\n  router: 198.51.100.1\ntftp: {enabled: false}\n",
			[]Problem{{Line: 2, Field: "dhcp.subnet", Msg: "missing"}}},
		{"no dhcp section means authoritative", "interface: eth0\ntftp: {enabled: false}\n",
			[]Problem{{Line: 1, Field: "dhcp.subnet", Msg: "missing"}}},
		{"malformed subnet", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/33\ntftp: {enabled: false}\n",
			[]Problem{{Line: 3, Field: "dhcp.subnet", Msg: "not a subnet"}}},
		{"ipv6 subnet", "interface: eth0\ndhcp:\n  subnet: 2001:db8::/64\ntftp: {enabled: false}\n",
			[]Problem{{Line: 3, Field: "dhcp.subnet", Msg: "not an IPv4 subnet"}}},
		{"malformed router", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  router: 198.51.100.256\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.router", Msg: `"198.51.100.256" is not an IP address`}}},
		{"router outside subnet", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  router: 203.0.113.1\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.router", Msg: "203.0.113.1 is not a host address of subnet 198.51.100.0/24"}}},
		{"router is broadcast", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  router: 198.51.100.255\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.router", Msg: "not a host address"}}},
		{"malformed dns", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  dns: [198.51.100.1, dns.example]\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.dns[1]", Msg: `"dns.example" is not an IP address`}}},
		{"malformed duration", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  lease_time: 1 hour\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.lease_time", Msg: "not a duration"}}},
		{"duration without unit", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  lease_time: 3600\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.lease_time", Msg: `needs a unit`}}},
		{"lease time too short", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  lease_time: 5s\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.lease_time", Msg: "out of range"}}},
		{"pool start after end", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  pool: 198.51.100.199-198.51.100.100\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.pool", Msg: "after its end"}}},
		{"pool outside subnet", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  pool: 198.51.100.100-198.51.101.10\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.pool", Msg: "not inside subnet 198.51.100.0/24"}}},
		{"pool includes network address", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  pool: 198.51.100.0-198.51.100.10\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.pool", Msg: "not inside subnet"}}},
		{"pool not a range", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  pool: 198.51.100.0/25\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.pool", Msg: "is not a range"}}},
		{"pool holds router", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  router: 198.51.100.1\n  pool: 198.51.100.1-198.51.100.10\ntftp: {enabled: false}\n",
			[]Problem{{Line: 5, Field: "dhcp.pool", Msg: "contains the router"}}},
		{"pool in proxy mode", "interface: eth0\ndhcp:\n  mode: proxy\n  pool: 198.51.100.1-198.51.100.10\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.pool", Msg: "proxy mode hands out no addresses"}}},
		{"bad bool", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  conflict_probe: yes\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.conflict_probe", Msg: `must be true or false, not "yes"`}}},
		{"bad domain", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  domain: bad domain\ntftp: {enabled: false}\n",
			[]Problem{{Line: 4, Field: "dhcp.domain", Msg: "not a domain name"}}},
		{"negative rate", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  limits: {per_client_rate: -1, new_client_burst: x}\ntftp: {enabled: false}\n",
			[]Problem{
				{Line: 4, Field: "dhcp.limits.per_client_rate", Msg: "at least 0"},
				{Line: 4, Field: "dhcp.limits.new_client_burst", Msg: "whole number"},
			}},
		{"relayed subnet missing and overlapping", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  relayed:\n    - router: 203.0.113.1\n    - subnet: 198.51.100.128/25\ntftp: {enabled: false}\n",
			[]Problem{
				{Line: 5, Field: "dhcp.relayed[0].subnet", Msg: "missing"},
				{Line: 6, Field: "dhcp.relayed[1].subnet", Msg: "overlaps dhcp.subnet"},
			}},
		{"relayed router and pool outside", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  relayed:\n    - subnet: 203.0.113.0/24\n      router: 198.51.100.1\n      pool: 203.0.113.10-203.0.114.1\ntftp: {enabled: false}\n",
			[]Problem{
				{Line: 6, Field: "dhcp.relayed[0].router", Msg: "not a host address of subnet 203.0.113.0/24"},
				{Line: 7, Field: "dhcp.relayed[0].pool", Msg: "not inside subnet 203.0.113.0/24"},
			}},
		{"tftp root missing", "interface: eth0\ndhcp: {mode: off}\ntftp:\n  timeout: 2s\n",
			[]Problem{{Line: 3, Field: "tftp.root", Msg: "missing"}}},
		{"tftp numbers", "interface: eth0\ndhcp: {mode: off}\ntftp:\n  enabled: false\n  max_block_size: 70000\n  retries: 0\n  timeout: 1\n",
			[]Problem{
				{Line: 5, Field: "tftp.max_block_size", Msg: "out of range"},
				{Line: 6, Field: "tftp.retries", Msg: "out of range"},
				{Line: 7, Field: "tftp.timeout", Msg: "needs a unit"},
			}},
		{"uploads", "interface: eth0\ndhcp: {mode: off}\ntftp:\n  enabled: false\n  uploads:\n    max_bytes: 12 parsecs\n",
			[]Problem{
				{Line: 5, Field: "tftp.uploads.dir", Msg: "missing"},
				{Line: 6, Field: "tftp.uploads.max_bytes", Msg: "not a size"},
			}},
		{"unknown boot class", head + "boot:\n  uefi: grubx64.efi\n  uboot-arm64: boot.scr.uimg\n",
			[]Problem{{Line: 6, Field: "boot.uefi", Msg: `unknown key "uefi"`}}},
		{"uefi-http needs a URL", head + "boot:\n  uefi-http: boot.efi\n",
			[]Problem{{Line: 6, Field: "boot.uefi-http", Msg: "needs an http:// or https:// URL"}}},
		{"http.tls without key, on http's port", head + "http:\n  enabled: true\n  tls:\n    cert: a.pem\n    port: 80\n",
			[]Problem{
				{Line: 8, Field: "http.tls.key", Msg: "missing"},
				{Line: 9, Field: "http.tls.port", Msg: "needs a port of its own"},
			}},
		{"uefi-http file name with http.enabled", head + "http: {enabled: true}\nboot:\n  uefi-http: boot.efi\n", nil},
		{"size too large", "interface: eth0\ndhcp: {mode: off}\ntftp:\n  enabled: false\n  uploads: {dir: u, max_bytes: 9999999TiB}\n",
			[]Problem{{Line: 5, Field: "tftp.uploads.max_bytes", Msg: "too large"}}},
		{"mapping where value expected", head + "boot:\n  bios: {file: pxelinux.0}\n",
			[]Problem{{Line: 6, Field: "boot.bios", Msg: "must be a single value"}}},
		{"hosts not a list", head + "hosts:\n  a: 1\n",
			[]Problem{{Line: 6, Field: "hosts", Msg: "must be a list"}}},
		{"host missing name and mac", head + "hosts:\n  - ip: 198.51.100.10\n",
			[]Problem{
				{Line: 6, Field: "hosts[0].name", Msg: "missing"},
				{Line: 6, Field: "hosts[0].mac", Msg: "missing"},
			}},
		{"empty required values", "interface:\ndhcp:\n  mode: proxy\n  relayed: [{subnet: ''}]\ntftp: {enabled: false}\nhosts:\n  - name: ''\n    mac:\n",
			[]Problem{
				{Line: 1, Field: "interface", Msg: "missing"},
				{Line: 4, Field: "dhcp.relayed[0].subnet", Msg: "missing"},
				{Line: 7, Field: "hosts[0].name", Msg: "missing"},
				{Line: 8, Field: "hosts[0].mac", Msg: "missing"},
			}},
		{"malformed mac", head + "hosts:\n  - name: a\n    mac: 52:54:00:12:34\n",
			[]Problem{{Line: 7, Field: "hosts[0].mac", Msg: "is not a MAC address"}}},
		{"long mac", head + "hosts:\n  - name: a\n    mac: 00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01\n",
			[]Problem{{Line: 7, Field: "hosts[0].mac", Msg: "not a 6-byte Ethernet"}}},
		{"multicast mac", head + "hosts:\n  - name: a\n    mac: 01:00:5e:00:00:01\n",
			[]Problem{{Line: 7, Field: "hosts[0].mac", Msg: "multicast"}}},
		{"malformed ip", head + "hosts:\n  - name: a\n    mac: 52:54:00:00:00:01\n    ip: 198.51.100\n",
			[]Problem{{Line: 8, Field: "hosts[0].ip", Msg: "is not an IP address"}}},
		{"bad host name", head + "hosts:\n  - {name: 'a b', mac: 52:54:00:00:00:01}\n",
			[]Problem{{Line: 6, Field: "hosts[0].name", Msg: "host name"}}},
		{"duplicates", head + "hosts:\n" +
			"  - {name: a, mac: 52:54:00:00:00:01, ip: 198.51.100.10}\n" +
			"  - {name: A, mac: 52-54-00-00-00-01, ip: 198.51.100.10}\n",
			[]Problem{
				{Line: 7, Field: "hosts[1].name", Msg: "duplicate name a: also used by hosts[0] on line 6"},
				{Line: 7, Field: "hosts[1].mac", Msg: "duplicate MAC 52:54:00:00:00:01: also used by hosts[0] on line 6"},
				{Line: 7, Field: "hosts[1].ip", Msg: "duplicate IP 198.51.100.10: also reserved by hosts[0] on line 6"},
			}},
		{"duplicate rpi serial", head + "hosts:\n" +
			"  - {name: a, mac: 52:54:00:00:00:01, rpi_serial: 1A2B3C4D}\n" +
			"  - {name: b, mac: 52:54:00:00:00:02, rpi_serial: 100000001a2b3c4d}\n" +
			"  - {name: c, mac: 52:54:00:00:00:03, rpi_serial: xyz}\n",
			[]Problem{
				{Line: 7, Field: "hosts[1].rpi_serial", Msg: "duplicate Raspberry Pi serial 1a2b3c4d"},
				{Line: 8, Field: "hosts[2].rpi_serial", Msg: "not a Raspberry Pi serial"},
			}},
		{"reservation outside subnet", head + "hosts:\n  - name: a\n    mac: 52:54:00:00:00:01\n    ip: 203.0.113.5\n",
			[]Problem{{Line: 8, Field: "hosts[0].ip", Msg: "outside dhcp.subnet and every relayed subnet"}}},
		{"reservation of router and broadcast", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  router: 198.51.100.1\ntftp: {enabled: false}\nhosts:\n" +
			"  - {name: a, mac: 52:54:00:00:00:01, ip: 198.51.100.1}\n" +
			"  - {name: b, mac: 52:54:00:00:00:02, ip: 198.51.100.255}\n",
			[]Problem{
				{Line: 7, Field: "hosts[0].ip", Msg: "the router's address"},
				{Line: 8, Field: "hosts[1].ip", Msg: "network or broadcast"},
			}},
		{"reservation in relayed subnet and in pool is fine", "interface: eth0\ndhcp:\n  subnet: 198.51.100.0/24\n  pool: 198.51.100.100-198.51.100.199\n  relayed: [{subnet: 203.0.113.0/24}]\ntftp: {enabled: false}\nhosts:\n" +
			"  - {name: a, mac: 52:54:00:00:00:01, ip: 203.0.113.5}\n" +
			"  - {name: b, mac: 52:54:00:00:00:02, ip: 198.51.100.150}\n",
			nil},
		{"proxy mode without subnet takes any host ip", "interface: eth0\ndhcp: {mode: proxy}\ntftp: {enabled: false}\nhosts:\n" +
			"  - {name: a, mac: 52:54:00:00:00:01, ip: 10.1.2.3}\n",
			nil},
		{"unknown profile", head + "profiles:\n  debian: {kernel: linux}\nhosts:\n  - {name: a, mac: 52:54:00:00:00:01, profile: debain}\n",
			[]Problem{{Line: 8, Field: "hosts[0].profile", Msg: `unknown profile "debain" (did you mean "debian"?)`}}},
		{"unknown profile without profiles", head + "hosts:\n  - {name: a, mac: 52:54:00:00:00:01, profile: x}\n",
			[]Problem{{Line: 6, Field: "hosts[0].profile", Msg: "there is no profiles: section"}}},
		{"host cmdline without profile", head + "hosts:\n  - {name: a, mac: 52:54:00:00:00:01, cmdline: quiet}\n",
			[]Problem{{Line: 6, Field: "hosts[0].cmdline", Msg: "names no profile"}}},
		{"profile keys", head + "profiles:\n  p:\n    initrd: x.gz\n    kernal: linux\n    pxelinux: {reboot_time: soon}\n",
			[]Problem{
				{Line: 7, Field: "profiles.p.initrd", Msg: "needs a kernel"},
				{Line: 8, Field: "profiles.p.kernal", Msg: `did you mean "kernel"?`},
				{Line: 9, Field: "profiles.p.pxelinux.reboot_time", Msg: "not a duration"},
			}},
		{"duplicate key", "interface: eth0\ninterface: eth1\ndhcp: {mode: off}\ntftp: {enabled: false}\n",
			[]Problem{{Line: 2, Field: "interface", Msg: "appears twice in this mapping (first on line 1)"}}},
		{"syntax error in flow list", "interface: eth0\ndhcp:\n  mode: [off\ntftp: {}\n",
			[]Problem{{Line: 3, Msg: "YAML syntax: did not find expected ',' or ']'"}}},
		// yaml.v3 reports this one at the list's first line (3); the line
		// to fix is 4.
		{"syntax error in block list", "interface: eth0\nhosts:\n  - name: a\n  mac: 1\n",
			[]Problem{{Line: 4, Msg: "YAML syntax: check the indentation of line 4 (and the line above): did not find expected '-' indicator"}}},
		{"syntax error deep in a block list", "interface: eth0\nhosts:\n  - name: a\n    mac: 1\n  - name: b\n    ip: 1\n   mac: 2\n",
			[]Problem{{Line: 7, Msg: "YAML syntax: check the indentation of line 7 (and the line above)"}}},
		{"a line left of the first one", "  interface: eth0\n  dhcp: {}\nhosts: []\n",
			[]Problem{{Line: 3, Msg: "YAML syntax: check the indentation of line 3 (and the line above)"}}},
		{"syntax error from scanner", "interface: eth0\ndhcp: off\n mode: x\n",
			[]Problem{{Line: 3, Msg: "YAML syntax: check the indentation of line 3 (and the line above): mapping values are not allowed"}}},
		{"syntax error at wrong indent", "interface: eth0\ndhcp: {mode: off}\n tftp: x\n",
			[]Problem{{Line: 3, Msg: "YAML syntax: check the indentation of line 3 (and the line above): did not find expected key"}}},
		{"tab indentation", "interface: eth0\ndhcp:\n\tmode: off\n",
			[]Problem{{Line: 3, Msg: "YAML syntax: line 3 is indented with a tab: YAML indents with spaces only"}}},
		{"binary file", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00",
			[]Problem{{Msg: "not a YAML file: it holds binary data"}}},
		{"unknown anchor", "interface: eth0\nprofiles:\n  a:\n    <<: *common\n    kernel: k\n",
			[]Problem{{Line: 4, Msg: "unknown anchor *common: define it first with &common"}}},
		{"empty file", "", []Problem{{Msg: "the file is empty"}}},
		{"not a mapping", "- a\n- b\n", []Problem{{Line: 1, Msg: "must be a mapping"}}},
		{"two documents", head + "---\ninterface: eth1\n", []Problem{{Line: 5, Msg: "a second YAML document"}}},
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
