package bootfiles

import (
	"net"
	"path"
	"strings"
)

// kind is a family of generated files: one template each.
type kind string

// The generated file kinds. Their names double as the template names
// (templates/<kind>.tmpl) and the override names under the TFTP root
// (.bootyard/<kind>.tmpl).
const (
	kindPXELinux    kind = "pxelinux"     // PXELINUX and U-Boot `pxe get`
	kindGRUB        kind = "grub"         // GRUB 2 netboot grub.cfg-*
	kindIPXE        kind = "ipxe"         // iPXE script
	kindUBootScript kind = "uboot-script" // U-Boot `source` script in a uImage
)

// key says how the host of a generated name is found.
type key int

const (
	// byMAC: the name carries a MAC (pxelinux's 01-aa-bb-..., GRUB's
	// grub.cfg-01-...). Firmware asks with its own MAC, so the MAC in the
	// name decides, whoever asks: that is how pxelinux behaves with any
	// static TFTP tree too.
	byMAC key = iota + 1
	// byClient: the name is the same for every client (boot.scr.uimg, the
	// iPXE script, U-Boot's default-<arch>...) or derived from the client's
	// address (C0A80102): the host is the one the asking address belongs to.
	byClient
)

// request is what a name asks for, decided from the name alone.
type request struct {
	kind kind
	key  key
	mac  net.HardwareAddr // byMAC
	// hexIP, when set, is the upper-case hex IP form (whole or shortened)
	// that must be a prefix of the client's own address in hex.
	hexIP string
	// dir is the folder the name lives in, without a trailing slash ("" at
	// the root). For pxelinux.cfg names it is the boot file's folder, which
	// both PXELINUX and U-Boot resolve kernel paths against.
	dir string
	// httpBase, set by the resolver for an iPXE script when http.enabled is
	// on, is the HTTP server's URL ("http://SERVER[:PORT]/") that paths are
	// written under (http.go).
	httpBase string
}

// matchGenerated decides whether name (already cleaned, no leading "/") is one of
// the per-host names firmware asks for, and how its host is found. ipxeName
// is the boot file handed to iPXE clients (snapshot boot: ipxe), "" for none.
// It looks at the name only: whether a host exists is the caller's business.
//
// Names follow what each client really requests:
//   - PXELINUX and U-Boot `pxe get` search <bootdir>pxelinux.cfg/ for
//     01-<mac> (ARP type 1, lower-case, dashes), the upper-case hex IP
//     shortened one digit at a time (C0A80102, C0A8010, ..., C), and U-Boot
//     also default-<arch>-<soc>-<board>, default-<arch>-<soc>,
//     default-<arch> before the plain "default". <uuid> names are not
//     generated: the UUIDs are not in the inventory (and pxelinux sends a
//     byte-swapped one), so they fall through and the MAC name comes next.
//   - GRUB 2.06 netboot searches $prefix/grub.cfg-01-<mac>, then
//     grub.cfg-<hex IP> shortened the same way, then grub.cfg; its names
//     start with "/" and a prefix folder, so any folder matches.
//   - U-Boot's distro boot runs `dhcp ${scriptaddr} boot.scr.uimg` and
//     sources it whatever the DHCP boot file said; boot.scr is the same
//     format under the storage name.
//   - iPXE fetches the boot file the DHCP side gave it; <mac hex>.ipxe is
//     the ${mac:hexraw}.ipxe convention of chainloading menus.
func matchGenerated(name, ipxeName string) (request, bool) {
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")

	if path.Base(dir) == "pxelinux.cfg" {
		bootdir := strings.TrimSuffix(strings.TrimSuffix(dir, "pxelinux.cfg"), "/")
		r := request{kind: kindPXELinux, dir: bootdir}
		switch {
		case strings.HasPrefix(base, "01-"):
			mac, ok := parseDashedMAC(base[3:])
			if !ok {
				return request{}, false
			}
			r.key, r.mac = byMAC, mac
			return r, true
		case isUpperHex(base) && len(base) <= 8:
			r.key, r.hexIP = byClient, base
			return r, true
		case strings.HasPrefix(base, "default-") && len(base) > len("default-"):
			r.key = byClient
			return r, true
		}
		return request{}, false
	}

	if rest, ok := strings.CutPrefix(base, "grub.cfg-"); ok {
		r := request{kind: kindGRUB, dir: dir}
		if m, ok := strings.CutPrefix(rest, "01-"); ok {
			mac, ok := parseDashedMAC(m)
			if !ok {
				return request{}, false
			}
			r.key, r.mac = byMAC, mac
			return r, true
		}
		if isUpperHex(rest) && len(rest) <= 8 {
			r.key, r.hexIP = byClient, rest
			return r, true
		}
		return request{}, false
	}

	if base == "grub.cfg" {
		// GRUB over HTTP reads only $prefix/grub.cfg (http.go).
		return request{kind: kindGRUB, key: byClient, dir: dir}, true
	}

	if base == "boot.scr.uimg" || base == "boot.scr" {
		return request{kind: kindUBootScript, key: byClient, dir: dir}, true
	}

	if ipxeName != "" && name == ipxeName {
		return request{kind: kindIPXE, key: byClient, dir: dir}, true
	}
	if hex, ok := strings.CutSuffix(base, ".ipxe"); ok && len(hex) == 12 && isLowerHex(hex) {
		mac, err := net.ParseMAC(hex[0:2] + ":" + hex[2:4] + ":" + hex[4:6] + ":" + hex[6:8] + ":" + hex[8:10] + ":" + hex[10:12])
		if err != nil {
			return request{}, false
		}
		return request{kind: kindIPXE, key: byMAC, mac: mac, dir: dir}, true
	}
	return request{}, false
}

// parseDashedMAC parses the lower-case dashed form firmware uses in file
// names (aa-bb-cc-dd-ee-ff). Upper case is refused: clients never send it,
// and accepting it would give one file two names.
func parseDashedMAC(s string) (net.HardwareAddr, bool) {
	if len(s) != 17 {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		if i%3 == 2 {
			if s[i] != '-' {
				return nil, false
			}
		} else if !isLowerHexByte(s[i]) {
			return nil, false
		}
	}
	mac, err := net.ParseMAC(s)
	if err != nil {
		return nil, false
	}
	return mac, true
}

// dashedMAC formats mac the way firmware puts it in names: aa-bb-cc-dd-ee-ff.
func dashedMAC(mac net.HardwareAddr) string {
	return strings.ReplaceAll(mac.String(), ":", "-")
}

// hexIP is the client address as PXELINUX, U-Boot and GRUB spell it in
// config names: eight upper-case hex digits.
func hexIP(a [4]byte) string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, 8)
	for i, v := range a {
		b[2*i] = digits[v>>4]
		b[2*i+1] = digits[v&0xf]
	}
	return string(b)
}

func isUpperHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLowerHexByte(s[i]) {
			return false
		}
	}
	return s != ""
}

func isLowerHexByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f'
}
