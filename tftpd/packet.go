package tftpd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// Opcodes (RFC 1350 section 5, RFC 2347 for OACK).
const (
	opRRQ   = 1
	opWRQ   = 2
	opDATA  = 3
	opACK   = 4
	opERROR = 5
	opOACK  = 6
)

// Error codes (RFC 1350 appendix, RFC 2347 for 8).
const (
	codeUndefined   = 0
	codeNotFound    = 1
	codeAccess      = 2
	codeDiskFull    = 3
	codeIllegalOp   = 4
	codeUnknownTID  = 5
	codeExists      = 6
	codeNoSuchUser  = 7
	codeOptionsDeny = 8
)

// maxRequest is the longest request accepted: RFC 2347 keeps a request,
// options included, within 512 bytes.
const maxRequest = 512

// request is a parsed RRQ or WRQ.
type request struct {
	write bool
	name  string // as sent, not yet cleaned
	mode  string // lower case: "octet" or "netascii"
	// opts holds the options in the order sent, names lower-cased; a
	// repeated option keeps its first value.
	opts []option
}

type option struct{ name, value string }

func (r request) opt(name string) (string, bool) {
	for _, o := range r.opts {
		if o.name == name {
			return o.value, true
		}
	}
	return "", false
}

var (
	errShort    = errors.New("packet too short")
	errOpcode   = errors.New("not a request")
	errTooLong  = errors.New("request longer than 512 bytes")
	errNoMode   = errors.New("no mode")
	errBadMode  = errors.New("unknown mode")
	errEmptyOpt = errors.New("empty option name")
)

// parseRequest reads an RRQ or WRQ the way firmware sends them: mode and
// option names in any case, extra NULs after the mode or the options, a
// missing final NUL, and a dangling option name without a value (ignored).
// The mode "mail" (RFC 1350, obsolete) is refused.
func parseRequest(b []byte) (request, error) {
	if len(b) < 2 {
		return request{}, errShort
	}
	if len(b) > maxRequest {
		return request{}, errTooLong
	}
	var r request
	switch binary.BigEndian.Uint16(b) {
	case opRRQ:
	case opWRQ:
		r.write = true
	default:
		return request{}, errOpcode
	}
	fields := splitNUL(b[2:])
	if len(fields) < 2 {
		return request{}, errNoMode
	}
	r.name = fields[0]
	r.mode = strings.ToLower(fields[1])
	if r.mode != "octet" && r.mode != "netascii" {
		return request{}, errBadMode
	}
	// Extra NULs make empty fields where a name is due: an option name is
	// never empty, so skip them. A value may be empty (RFC 2090 multicast).
	rest := fields[2:]
	for i := 0; i < len(rest); {
		if rest[i] == "" {
			i++
			continue
		}
		if i+1 >= len(rest) {
			break // a dangling name without a value
		}
		name := strings.ToLower(rest[i])
		if _, dup := r.opt(name); !dup {
			r.opts = append(r.opts, option{name, rest[i+1]})
		}
		i += 2
	}
	return r, nil
}

// splitNUL splits NUL-terminated strings; a last string without its NUL
// counts too.
func splitNUL(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			out = append(out, string(b))
			break
		}
		out = append(out, string(b[:i]))
		b = b[i+1:]
	}
	return out
}

// parseUint reads a decimal option value in [lo, hi].
func parseUint(v string, lo, hi int64) (int64, bool) {
	if v == "" || len(v) > 19 {
		return 0, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

func appendData(b []byte, block uint16, data []byte) []byte {
	b = append(b, 0, opDATA)
	b = binary.BigEndian.AppendUint16(b, block)
	return append(b, data...)
}

func appendAck(b []byte, block uint16) []byte {
	b = append(b, 0, opACK)
	return binary.BigEndian.AppendUint16(b, block)
}

func appendError(b []byte, code uint16, msg string) []byte {
	b = append(b, 0, opERROR)
	b = binary.BigEndian.AppendUint16(b, code)
	b = append(b, msg...)
	return append(b, 0)
}

func appendOACK(b []byte, opts []option) []byte {
	b = append(b, 0, opOACK)
	for _, o := range opts {
		b = append(append(b, o.name...), 0)
		b = append(append(b, o.value...), 0)
	}
	return b
}
