package dhcp

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/bootyard/bootyard/inventory"
)

// Report is the explanation of one decision, for `bootyard explain` and
// debug logs. It is filled by the same code path that decides, so it cannot
// drift from what the server does.
type Report struct {
	MAC      string
	Message  string // DISCOVER, REQUEST, ..., or BOOTP when option 53 is absent
	Mode     inventory.Mode
	Firmware Firmware
	Host     string // "" when the MAC is not in the inventory
	Profile  string
	Boot     BootChoice
	Addr     netip.Addr // the address offered or acknowledged, if any
	// Subnet is the subnet that serves the request and what selected it
	// (authoritative mode; decide_subnet.go has the order).
	Subnet string
	// Why is Decision.Why.
	Why []string
}

// String formats the report for a terminal, one fact per line.
func (r Report) String() string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-9s %s\n", k+":", v)
		}
	}
	line("mac", r.MAC)
	line("message", r.Message)
	line("mode", string(r.Mode))
	line("class", string(r.Firmware.Class))
	host := r.Host
	if host == "" && r.MAC != "" {
		host = "(not in the inventory)"
	}
	line("host", host)
	line("profile", r.Profile)
	line("subnet", r.Subnet)
	line("bootfile", r.Boot.File)
	if r.Addr.IsValid() {
		line("address", r.Addr.String())
	}
	b.WriteString("why:\n")
	for _, w := range r.Why {
		fmt.Fprintf(&b, "  - %s\n", w)
	}
	return b.String()
}
