package tftpd

import (
	"errors"
	"io/fs"

	"github.com/bootyard/bootyard/served"
)

// wireError is an error whose text is sent to the client in an ERROR
// packet, with the code wireCode gives it. Only these fixed texts ever reach
// a client: a wrapped os error would tell it the server's paths.
type wireError string

func (e wireError) Error() string { return string(e) }

// The only texts a client ever reads from us.
const (
	errNotFound    wireError = "file not found"
	errDenied      wireError = "access denied"
	errBusy        wireError = "server busy, try again"
	errReadFailed  wireError = "cannot read file"
	errWriteFailed wireError = "cannot write file"
	errTimedOut    wireError = "transfer timed out"
	errStopping    wireError = "server shutting down"
	errExists      wireError = "file already exists"
	errQuota       wireError = "upload quota exceeded"
	errInternal    wireError = "internal error"
	errIllegal     wireError = "illegal TFTP operation"
	errUnknownTID  wireError = "unknown transfer ID"
)

// wireCode is the RFC 1350/2347 error code sent with a text.
func wireCode(e wireError) uint16 {
	switch e {
	case errNotFound:
		return codeNotFound
	case errDenied:
		return codeAccess
	case errQuota, errWriteFailed:
		return codeDiskFull
	case errIllegal:
		return codeIllegalOp
	case errUnknownTID:
		return codeUnknownTID
	case errExists:
		return codeExists
	}
	return codeUndefined
}

// wireErrorFor maps an error from Files.Open (or the upload folder) to the
// text the client gets. Anything that is not "not found" is "access denied":
// os.Root's "path escapes from parent" for a symlink out of the root is
// exactly that, and the client needs no more detail.
func wireErrorFor(err error) wireError {
	var we wireError
	switch {
	case errors.As(err, &we):
		return we
	case errors.Is(err, fs.ErrNotExist):
		return errNotFound
	case errors.Is(err, fs.ErrPermission), errors.Is(err, served.ErrBadName):
		return errDenied
	case errors.Is(err, fs.ErrExist):
		return errExists
	default:
		return errDenied
	}
}
