package e2e

import (
	"strings"
	"testing"
)

// TestBIOSAnswerRouterSolicit boots the BIOS iPXE ROM into the host's iPXE
// script with dhcp.answer_router_solicit on: bootyard answers the ROM's
// IPv6 router solicitations with an advertisement that offers nothing, so
// iPXE stops waiting for an IPv6 router. The machine must still reach the
// marker, and the server log must show the solicitation was answered for
// this machine's MAC (the boot time is logged, never asserted).
func TestBIOSAnswerRouterSolicit(t *testing.T) {
	b := newBootLab(t)
	m := machine{name: "bios6", mac: "52:54:00:b1:05:06", fw: fwBIOS}
	tok := token(t, "bios6")
	cfg := labConfig{
		boot:     x86Boot(),
		profiles: map[string]string{"marker": "vmlinuz"},
		hosts:    []labHost{{name: "bios6", mac: m.mac, ip: "198.51.100.16", profile: "marker", token: tok}},
		dhcpYAML: "  answer_router_solicit: true\n",
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	q := b.boot(t, m)
	q.waitMarker(t, tok)
	requireTransferred(t, srv, "boot.ipxe", "vmlinuz", "initrd.gz")
	answered := false
	for _, line := range strings.Split(srv.Output(), "\n") {
		if strings.Contains(line, "answered an IPv6 router solicitation") && strings.Contains(line, m.mac) {
			answered = true
		}
	}
	if !answered {
		t.Errorf("no router solicitation from %s was answered; server log:\n%s", m.mac, tail(srv.Output(), 3000))
	}
}
