package httpboot

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/bootyard/bootyard/served"
)

// ByMAC is the first path element of the form that names the host by its
// MAC: /by-mac/aa-bb-cc-dd-ee-ff/<name> serves what that host gets for
// <name>, whatever address asks (clients behind NAT or a relay; iPXE
// fetches ${mac:hexhyp} or ${mac}).
const ByMAC = "by-mac"

// errBadPath is a request path that can never name a file: 400.
var errBadPath = errors.New("bad request path")

// mapPath turns a request's path into the client MAC it names (nil when
// none) and the clean name to resolve. rawPath is the path as it was sent,
// still percent-encoded (URL.EscapedPath); path is it decoded.
//
// An encoded slash or backslash (%2f, %5c) is refused, not decoded: it would
// let a client hide a ".." from a proxy or log that splits on "/", and no
// firmware sends one. A NUL anywhere is refused. Everything else goes
// through served.Clean, as a TFTP name does, so HTTP and TFTP serve the
// same names.
func mapPath(rawPath, path string) (net.HardwareAddr, string, error) {
	low := strings.ToLower(rawPath)
	if strings.Contains(low, "%2f") || strings.Contains(low, "%5c") || strings.Contains(low, "%00") || strings.ContainsRune(path, 0) {
		return nil, "", fmt.Errorf("%w: encoded slash, backslash or NUL", errBadPath)
	}
	if !strings.HasPrefix(path, "/") {
		return nil, "", fmt.Errorf("%w: not an absolute path", errBadPath)
	}
	var mac net.HardwareAddr
	rest := strings.TrimPrefix(path, "/")
	if first, after, ok := strings.Cut(rest, "/"); ok && first == ByMAC {
		m, name, ok := strings.Cut(after, "/")
		if !ok {
			return nil, "", fmt.Errorf("%w: %s/ needs a MAC and a file name", errBadPath, ByMAC)
		}
		hw, err := net.ParseMAC(strings.ReplaceAll(m, "-", ":"))
		if err != nil || len(hw) != 6 {
			return nil, "", fmt.Errorf("%w: %q is not a MAC", errBadPath, m)
		}
		mac, rest = hw, name
	}
	name, err := served.Clean(rest)
	if err != nil {
		return nil, "", err
	}
	return mac, name, nil
}
