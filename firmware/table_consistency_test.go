package firmware_test

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
)

// TestTableClassesAreAccepted: every class the table can give a client is a
// key boot: accepts, checked by parsing a file that uses it. A class typed
// wrong in the table would otherwise silently mean "no boot file".
func TestTableClassesAreAccepted(t *testing.T) {
	from := map[firmware.Class]string{}
	for _, a := range firmware.Archs() {
		if a.Class != "" {
			from[a.Class] = fmt.Sprintf("option 93 code %d", a.Code)
		}
	}
	for _, v := range firmware.Vendors() {
		from[v.Class] = fmt.Sprintf("option 60 %q", v.ID)
	}
	for class, where := range from {
		file := bootFile(class)
		src := fmt.Sprintf("interface: eth0\ndhcp: {mode: off}\ntftp: {root: /srv}\nboot:\n  %s: %s\n", class, file)
		snap, err := inventory.Parse("t.yaml", []byte(src), inventory.Options{SkipFileChecks: true})
		if err != nil {
			t.Errorf("class %q (from %s) is refused under boot:: %v", class, where, err)
			continue
		}
		if snap.Boot[class] != file {
			t.Errorf("class %q (from %s): boot.%s = %q, want %q", class, where, class, snap.Boot[class], file)
		}
	}
}

// TestEveryClassReachable: every class boot: accepts is what some client is
// identified as, and that client is then offered boot.<class>. The clients
// are the ones `bootyard explain` builds: one per option 93 code and per
// option 60 vendor class of the table, plus iPXE's option 77; each must be
// identified as its table row says, so the table and the rules that weigh
// the evidence cannot drift apart.
func TestEveryClassReachable(t *testing.T) {
	type client struct {
		what         string
		arch         *uint16
		vendor, user string
		want         firmware.Class
	}
	var clients []client
	for _, a := range firmware.Archs() {
		want := a.Class
		if want == "" {
			want = firmware.Other
		}
		clients = append(clients, client{what: fmt.Sprintf("option 93 code %d", a.Code), arch: &a.Code, want: want})
	}
	for _, v := range firmware.Vendors() {
		clients = append(clients, client{what: fmt.Sprintf("option 60 %q", v.ID), vendor: v.ID, want: v.Class})
	}
	clients = append(clients, client{what: `option 77 "iPXE"`, user: "iPXE", want: firmware.IPXE})

	boot := map[firmware.Class]string{}
	for _, c := range firmware.Classes() {
		boot[c] = bootFile(c)
	}
	server := netip.MustParseAddr("198.51.100.2")
	mac, _ := net.ParseMAC("52:54:00:00:00:01")
	snap := inventory.New(inventory.Snapshot{
		DHCP: inventory.DHCP{Mode: inventory.ModeAuthoritative, ServerIP: server, Subnet: netip.MustParsePrefix("198.51.100.0/24")},
		Boot: boot,
	}, nil, []*inventory.Host{{Name: "h", MAC: mac, IP: netip.MustParseAddr("198.51.100.10")}})

	reached := map[firmware.Class]bool{}
	for _, c := range clients {
		req := dhcp.SyntheticRequest(mac, c.arch, c.vendor, c.user)
		req.Now, req.ServerIP = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC), server
		d, rep := dhcp.Explain(req, snap, dhcp.NoLeases{})
		if rep.Firmware.Class != c.want {
			t.Errorf("%s: identified as %q, the table says %q (why %q)", c.what, rep.Firmware.Class, c.want, rep.Firmware.Why)
			continue
		}
		reached[c.want] = true
		if c.want.Configurable() && (d.Reply == nil || d.Reply.BootFileName != boot[c.want]) {
			t.Errorf("%s: class %q is not offered boot.%s = %q (reason %q, why %q)", c.what, c.want, c.want, boot[c.want], d.Reason, d.Why)
		}
	}
	for _, c := range firmware.Classes() {
		if !reached[c] {
			t.Errorf("class %q is accepted under boot: but no client reaches it", c)
		}
	}
}

// bootFile is a boot file for class c that boot: accepts (a URL for HTTP boot).
func bootFile(c firmware.Class) string {
	if c == firmware.UEFIHTTP {
		return "http://198.51.100.2/" + string(c) + ".efi"
	}
	return "file-for-" + string(c)
}
