package tftpd

import (
	"errors"
	"io/fs"

	"github.com/bootyard/bootyard/served"
)

// wireError is an error whose text is sent to the client. pin/tftp puts
// err.Error() of whatever a handler returns into the ERROR packet (always
// code 1), so only these fixed texts may ever reach it: a wrapped os error
// would tell the client the server's paths.
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
)

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
