package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOptionValues(t *testing.T) {
	src := head + "hosts:\n  - name: a\n    mac: 52:54:00:00:00:01\n    options:\n" +
		"      42: 198.51.100.1\n" +
		"      4: [198.51.100.1, 198.51.100.2]\n" +
		"      15: example.net\n" +
		"      26: {uint16: 1500}\n" +
		"      2: {int32: -3600}\n" +
		"      23: {uint8: 64}\n" +
		"      24: {uint32: 0x10000}\n" +
		"      19: {bool: true}\n" +
		"      43: {hex: \"01:04:de:ad:be:ef\"}\n" +
		"      252: {string: 198.51.100.2}\n" +
		"      12: '198.51.100.3'\n" +
		"      44: {ip: [198.51.100.4]}\n" +
		"      224: {hex: \"\"}\n"
	snap, err := Parse("test.yaml", []byte(src), Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := snap.HostByName("a")
	want := []DHCPOption{
		{Code: 42, Value: []byte{198, 51, 100, 1}, Line: 9},
		{Code: 4, Value: []byte{198, 51, 100, 1, 198, 51, 100, 2}, Line: 10},
		{Code: 15, Value: []byte("example.net"), Line: 11},
		{Code: 26, Value: []byte{0x05, 0xdc}, Line: 12},
		{Code: 2, Value: []byte{0xff, 0xff, 0xf1, 0xf0}, Line: 13},
		{Code: 23, Value: []byte{64}, Line: 14},
		{Code: 24, Value: []byte{0, 1, 0, 0}, Line: 15},
		{Code: 19, Value: []byte{1}, Line: 16},
		{Code: 43, Value: []byte{1, 4, 0xde, 0xad, 0xbe, 0xef}, Line: 17},
		{Code: 252, Value: []byte("198.51.100.2"), Line: 18},
		// A quoted address is text: quoting is how to say "not an address".
		{Code: 12, Value: []byte("198.51.100.3"), Line: 19},
		{Code: 44, Value: []byte{198, 51, 100, 4}, Line: 20},
		{Code: 224, Value: []byte{}, Line: 21},
	}
	if diff := cmp.Diff(want, h.Options); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
}

func TestOptionProblems(t *testing.T) {
	tests := []struct {
		name string
		opts string
		want []Problem
	}{
		{"bare number", "26: 1500", []Problem{{Line: 6, Field: "dhcp.options.26", Msg: "a number needs its size: write {uint8: 1500}"}}},
		{"bare bool", "19: true", []Problem{{Line: 6, Field: "dhcp.options.19", Msg: "write {bool: true}"}}},
		{"code out of range", "256: x", []Problem{{Line: 6, Field: "dhcp.options.256", Msg: "option number from 1 to 254"}}},
		{"code not a number", "mtu: x", []Problem{{Line: 6, Field: "dhcp.options.mtu", Msg: "option number"}}},
		{"managed code", "53: x", []Problem{{Line: 6, Field: "dhcp.options.53", Msg: "belongs to the DHCP exchange"}}},
		{"bootfile code", "67: x", []Problem{{Line: 6, Field: "dhcp.options.67", Msg: "set from bootfile"}}},
		{"uint8 overflow", "23: {uint8: 300}", []Problem{{Line: 6, Field: "dhcp.options.23.uint8", Msg: `"300" is not a number from 0 to 255`}}},
		{"bad hex", "43: {hex: zz}", []Problem{{Line: 6, Field: "dhcp.options.43.hex", Msg: "not hex bytes"}}},
		{"two forms", "43: {hex: '01', string: x}", []Problem{{Line: 6, Field: "dhcp.options.43", Msg: "exactly one of"}}},
		{"unknown form", "43: {u16: 1}", []Problem{{Line: 6, Field: "dhcp.options.43.u16", Msg: `unknown key "u16"`}}},
		{"list of non-addresses", "4: [198.51.100.1, x]", []Problem{{Line: 6, Field: "dhcp.options.4[1]", Msg: "IPv4 addresses only"}}},
		{"empty", "4:", []Problem{{Line: 6, Field: "dhcp.options.4", Msg: "has no value"}}},
		{"too long", "224: {hex: '" + repeatHex(256) + "'}", []Problem{{Line: 6, Field: "dhcp.options.224", Msg: "at most 255"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "interface: eth0\ntftp: {enabled: false}\ndhcp:\n  subnet: 198.51.100.0/24\n  options:\n    " + tt.opts + "\n"
			got := problemsOf(t, src, tt.want)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func repeatHex(n int) string {
	b := make([]byte, 0, 2*n)
	for range n {
		b = append(b, 'a', 'b')
	}
	return string(b)
}
