// Package doctor is bootyard's client side: it acts as a chosen boot firmware
// on a LAN and reports what the network answers. It sends one DHCPDISCOVER
// the way that firmware does (the options come from captures of real
// firmware, see firmware.go), collects every offer for a window instead of
// the first, fetches the offered boot file by TFTP or HTTP, and turns what it
// saw into verdicts a user can act on ("two DHCP servers answered", "boot
// file not found on 198.51.100.2").
//
// It is a client and needs nothing of bootyard on the other end: it imports
// only the DHCP wire types and pin/tftp's client, never bootyard's servers.
// It never takes an address unless asked to (Config.Request).
//
// The pure parts, Analyze (what the offers and the fetch mean) and ParseTarget
// (tftp:// and http:// URLs), are separate from the parts that touch the
// network (Probe, Fetch), so they are tested with tables.
package doctor
