package tftpd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/bootyard/bootyard/served"
)

// handleRead is pin/tftp's read handler. It must end every request either by
// calling rf.ReadFrom or by returning an error: returning nil without
// ReadFrom leaks the transfer's socket in pin/tftp v3.2.0.
func (s *Server) handleRead(raw string, rf io.ReaderFrom) (err error) {
	t := s.begin(raw, remoteOf(rf), false)
	var cause error
	defer s.finish(t, &err, &cause)
	if !t.admitted {
		return errBusy
	}
	name, cerr := served.Clean(raw)
	if cerr != nil {
		cause = cerr
		return errDenied
	}
	s.setName(t, name)
	content, oerr := s.files.Resolve(served.Client{Addr: t.client.Addr()}, name)
	if oerr != nil {
		cause = oerr
		return wireErrorFor(oerr)
	}
	rc, size := content.Body, content.Size
	t.generated = content.Generated
	defer rc.Close()

	// pin/tftp reads one block at a time; a read-ahead buffer turns 64
	// read syscalls per 32 KiB at blksize 512 into one (about a tenth of
	// the server's CPU in the 128-client bench profile).
	tr := &transferReader{ctx: t.ctx, r: bufio.NewReaderSize(rc, readAhead), n: &t.bytes}
	var r io.Reader = tr
	if size >= 0 {
		// pin/tftp answers tsize by seeking the reader it is given, and only
		// for octet mode (a netascii transfer wraps the reader first, and its
		// size differs from the file's); a sized view that can report its
		// size through Seek gets tsize right in both modes.
		r = &sizedReader{transferReader: tr, size: size}
	}
	_, err = rf.ReadFrom(r)
	if tr.err != nil {
		cause = tr.err
	}
	return err
}

// finish ends a read or write handler, deferred directly so that its
// recover sees the handler's panic: a panic becomes "internal error" for the
// client with its stack in the log, and every request ends in one record.
func (s *Server) finish(t *transfer, err, cause *error) {
	if r := recover(); r != nil {
		*cause = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		*err = errInternal
	}
	s.handlerDone(t, *err, *cause)
}

func (s *Server) setName(t *transfer, name string) {
	s.mu.Lock()
	t.name = name
	s.mu.Unlock()
}

// readAhead is the read-ahead buffer of one transfer: 4 blocks of 8192, 22
// of 1468; 4 MiB for 128 transfers at once.
const readAhead = 32 << 10

// transferReader counts the bytes handed to pin/tftp (its stats have none),
// aborts the transfer at the next block once ctx ends (deadline or shutdown),
// and hides read errors behind a fixed text: pin/tftp sends err.Error() to
// the client, and an os error names server paths.
type transferReader struct {
	ctx context.Context
	r   io.Reader
	n   interface{ Add(int64) int64 }
	err error // the real read error, for the log
}

func (r *transferReader) Read(p []byte) (int, error) {
	if r.ctx.Err() != nil {
		return 0, ctxError(r.ctx)
	}
	n, err := r.r.Read(p)
	r.n.Add(int64(n))
	if err != nil && err != io.EOF {
		r.err = err
		return n, errReadFailed
	}
	return n, err
}

// ctxError is the text a client gets when a transfer's context ended:
// "transfer timed out" past TransferTimeout, "server shutting down" when the
// shutdown grace ran out.
func ctxError(ctx context.Context) wireError {
	var we wireError
	if errors.As(context.Cause(ctx), &we) {
		return we
	}
	return errStopping
}

// sizedReader is a reader of known size that pin/tftp may "seek" to learn
// that size: Seek moves a position that must be back where reading stopped
// before the next Read (pin/tftp seeks to the end and back).
type sizedReader struct {
	*transferReader
	size      int64
	pos, vpos int64 // bytes read so far; position set by Seek
}

func (r *sizedReader) Read(p []byte) (int, error) {
	if r.vpos != r.pos {
		r.err = errors.New("read after seek away from the read position")
		return 0, errInternal
	}
	n, err := r.transferReader.Read(p)
	r.pos += int64(n)
	r.vpos = r.pos
	return n, err
}

func (r *sizedReader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.vpos + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, errors.New("seek: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("seek: negative position")
	}
	r.vpos = abs
	return abs, nil
}
