package neigh

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

const table = `IP address       HW type     Flags       HW address            Mask     Device
198.51.100.57    0x1         0x2         52:54:00:12:34:56     *        eth0
198.51.100.58    0x1         0x0         00:00:00:00:00:00     *        eth0
198.51.100.59    0x1         0x0         52:54:00:00:00:59     *        eth0
198.51.100.60    0x1         0x6         52:54:00:00:00:60     *        eth0
198.51.100.70    0x1         0x2         02:42:ac:11:00:70     *        docker0
198.51.100.70    0x1         0x2         52:54:00:00:00:70     *        eth0
`

func TestLookup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "arp")
	if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	tb := Table{Path: path, Device: "eth0"}
	for _, tc := range []struct {
		ip, want string // want "" means not found
	}{
		{"198.51.100.57", "52:54:00:12:34:56"},
		{"198.51.100.58", ""},                  // incomplete: ARP still pending
		{"198.51.100.59", ""},                  // not complete, stale address
		{"198.51.100.60", "52:54:00:00:00:60"}, // complete and permanent
		{"198.51.100.61", ""},                  // no entry
		{"198.51.100.5", ""},                   // a prefix of another entry's address
		{"198.51.100.70", "52:54:00:00:00:70"}, // the same address on another link is not ours
	} {
		mac, ok := tb.Lookup(netip.MustParseAddr(tc.ip))
		got := ""
		if ok {
			got = mac.String()
		}
		if got != tc.want {
			t.Errorf("Lookup(%s) = %q, want %q", tc.ip, got, tc.want)
		}
	}
	if mac, _ := (Table{Path: path}).Lookup(netip.MustParseAddr("198.51.100.70")); mac.String() != "02:42:ac:11:00:70" {
		t.Errorf("without a device the first entry wins, got %v", mac)
	}
	if _, ok := (Table{Path: filepath.Join(t.TempDir(), "missing")}).Lookup(netip.MustParseAddr("198.51.100.57")); ok {
		t.Error("a missing table found an entry")
	}
}
