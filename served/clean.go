package served

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxNameLen is the longest file name accepted, in bytes, after trailing NUL
// and 0xFF bytes are stripped. 255 is the most a DHCP boot file name can carry
// (option 67 holds at most 255 bytes, the BOOTP file field 128), so no
// firmware is ever told a longer name; the TFTP server also drops requests
// longer than 512 bytes (RFC 2347), so a much longer one never reaches us.
const MaxNameLen = 255

// ErrBadName is wrapped by every error Clean returns.
var ErrBadName = errors.New("bad file name")

// ErrHidden is the refusal of a name with an element that starts with "."
// (".bootyard/ipxe.tmpl", "a/.git/config"): dot-files and dot-folders are
// never served, over any transport, so the template folder and a stray
// .git stay private. It wraps ErrBadName.
var ErrHidden = fmt.Errorf("%w: a dot-file or dot-folder", ErrBadName)

// Reserved is the first path element kept for everything that is not a file
// (HTTP endpoints such as installer callbacks live under /_bootyard/): no
// served name and no name in the inventory may start with it.
const Reserved = "_bootyard"

// ErrReserved is the refusal of a name under Reserved; it wraps ErrBadName.
var ErrReserved = fmt.Errorf("%w: under the reserved %s/ prefix", ErrBadName, Reserved)

// ErrClimbs is the refusal of a name whose ".." elements lead above the root
// ("../etc/passwd", "a/../../b"); it wraps ErrBadName.
var ErrClimbs = fmt.Errorf("%w: climbs above the root", ErrBadName)

// Clean turns a requested file name into a slash-separated path relative to
// the served root, or refuses it with an error wrapping ErrBadName. It is the
// only cleaner: the TFTP server, the generated-file lookup, the inventory
// validator and the HTTP server all call it, so a name the DHCP reply hands a
// client is spelt the same way everywhere it is looked up.
//
// It forgives what real firmware sends and refuses what could escape the root:
//   - trailing NUL and 0xFF bytes are stripped (some UEFI stacks append them);
//   - backslashes become slashes (some UEFI and Windows-made configs use them);
//   - leading slashes are dropped, so "/etc/passwd" names <root>/etc/passwd
//     (GRUB prefixes every name with "/");
//   - "." and ".." are resolved inside the root; a name that climbs above the
//     root ("a/../../b", "../etc/passwd") is refused rather than clamped, since
//     no honest client asks for it;
//   - an element starting with "." (dot-files, dot-folders) and the
//     reserved first element _bootyard are refused;
//   - control bytes (NUL, 0xFF or any byte below 0x20, DEL) and invalid UTF-8
//     anywhere else, an empty result and names longer than MaxNameLen are
//     refused.
//
// The result is never empty, never starts with "/" and contains no "." or ".."
// element and no empty element: it is what path.Clean would give for it.
func Clean(raw string) (string, error) {
	// Byte by byte: strings.TrimRight works on runes and would also eat a
	// trailing invalid UTF-8 byte, which must be refused, not repaired.
	name := raw
	for len(name) > 0 && (name[len(name)-1] == 0x00 || name[len(name)-1] == 0xff) {
		name = name[:len(name)-1]
	}
	if name == "" {
		return "", fmt.Errorf("%w: empty", ErrBadName)
	}
	if len(name) > MaxNameLen {
		return "", fmt.Errorf("%w: %d bytes, longer than %d", ErrBadName, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f || c == 0xff {
			return "", fmt.Errorf("%w: control byte 0x%02x at offset %d", ErrBadName, c, i)
		}
	}
	if !utf8.ValidString(name) {
		return "", fmt.Errorf("%w: not UTF-8", ErrBadName)
	}
	name = strings.ReplaceAll(name, `\`, "/")

	// Resolve "." and ".." by hand: path.Clean("/" + name) would silently clamp
	// "/../x" to "/x", and we want to refuse a climb, not repair it.
	parts := make([]string, 0, strings.Count(name, "/")+1)
	for elem := range strings.SplitSeq(name, "/") {
		switch elem {
		case "", ".":
		case "..":
			if len(parts) == 0 {
				return "", ErrClimbs
			}
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, elem)
		}
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("%w: names the root itself", ErrBadName)
	}
	for _, p := range parts {
		if p[0] == '.' {
			return "", ErrHidden
		}
	}
	if parts[0] == Reserved {
		return "", ErrReserved
	}
	return strings.Join(parts, "/"), nil
}
