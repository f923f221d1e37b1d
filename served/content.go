package served

import (
	"bytes"
	"io"
	"net"
	"net/netip"
	"time"
)

// Client is who asks for a file: its address, and its MAC when the request
// names it (an HTTP path carrying iPXE's ${mac}) or the transport knows it.
// A resolver finds the client's host from the MAC first, then the address.
type Client struct {
	Addr netip.Addr
	MAC  net.HardwareAddr // nil when unknown
}

// Content is what a resolver returns for a name: everything both transports
// need to send it. TFTP reads Body front to back and offers Size as tsize;
// HTTP also seeks it (Range) and uses ModTime for Last-Modified.
type Content struct {
	// Name is the clean name that was resolved (after any fallback, such as
	// a Raspberry Pi folder falling back to the root).
	Name string
	// Body is the bytes; the caller closes it.
	Body io.ReadSeekCloser
	// Size is the length of Body in bytes.
	Size int64
	// ModTime is the file's modification time; for a generated file, the
	// time of the inventory it was rendered from, so it stays stable
	// between requests and changes when a reload may have changed it.
	ModTime time.Time
	// Generated is true for a per-host file rendered from the inventory,
	// false for a file read from the root.
	Generated bool
}

// Bytes wraps an in-memory file as a Body.
func Bytes(b []byte) io.ReadSeekCloser {
	return nopCloser{bytes.NewReader(b)}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
