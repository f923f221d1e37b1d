package tftpd

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/netip"

	"github.com/bootyard/bootyard/served"
)

// send answers a read request: the name is cleaned, resolved, the options
// negotiated and the file sent.
func (s *Server) send(t *transfer, ss *session, req request, local netip.Addr) error {
	if !t.admitted {
		return errBusy
	}
	name, content, cause, err := s.openRead(t.client.Addr(), req.name)
	t.name, t.cause = name, cause
	if err != nil {
		return err
	}
	defer content.Body.Close()
	t.generated = content.Generated
	s.track(t, name, content.Size)
	oack := s.negotiate(t, ss, req, content.Size, local)
	if ul, ok := ss.l.(*udpLink); ok && t.st.window > 1 {
		// A window's ACK comes after the client took the whole window,
		// often past the brief wait, which then only adds a system call:
		// windowed reads wait on the netpoller (pollwait.go), and send
		// their windows with sendmmsg, which needs it too.
		if err := ul.noBriefWait(); err != nil {
			return err
		}
	}
	tr := &transferReader{ctx: t.ctx, r: bufio.NewReaderSize(content.Body, readAhead)}
	var r io.Reader = tr
	if req.mode == "netascii" {
		r = &netasciiReader{r: bufio.NewReader(tr)}
	}
	err = ss.sendFile(r, t.st.blksize, t.st.window, oack)
	if tr.err != nil {
		t.cause = tr.err
	}
	return err
}

// openRead cleans a requested name and resolves it; the error is the text
// the client gets, cause the detail for the log.
func (s *Server) openRead(client netip.Addr, raw string) (name string, c served.Content, cause, err error) {
	name, cerr := served.Clean(raw)
	if cerr != nil {
		return "", served.Content{}, cerr, errDenied
	}
	c, oerr := s.files.Resolve(served.Client{Addr: client}, name)
	if oerr != nil {
		return name, served.Content{}, oerr, wireErrorFor(oerr)
	}
	return name, c, nil, nil
}

// readAhead is the read-ahead buffer of one transfer: 4 blocks of 8192, 22
// of 1468; 4 MiB for 128 transfers at once.
const readAhead = 32 << 10

// transferReader hides read errors behind a fixed text (an os error names
// server paths) and stops at the transfer's end.
type transferReader struct {
	ctx context.Context
	r   io.Reader
	err error // the real read error, for the log
}

func (r *transferReader) Read(p []byte) (int, error) {
	if r.ctx.Err() != nil {
		return 0, ctxError(r.ctx)
	}
	n, err := r.r.Read(p)
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

// netasciiReader converts a file to netascii (RFC 764 as RFC 1350 uses
// it): LF becomes CR LF, a bare CR becomes CR NUL.
type netasciiReader struct {
	r       io.ByteReader
	pending byte // the second byte of a CR pair, when has
	has     bool
}

func (n *netasciiReader) Read(p []byte) (int, error) {
	i := 0
	for i < len(p) {
		if n.has {
			p[i] = n.pending
			n.has = false
			i++
			continue
		}
		c, err := n.r.ReadByte()
		if err != nil {
			if i > 0 && err == io.EOF {
				return i, nil
			}
			return i, err
		}
		switch c {
		case '\n':
			p[i], n.pending, n.has = '\r', '\n', true
		case '\r':
			p[i], n.pending, n.has = '\r', 0, true
		default:
			p[i] = c
		}
		i++
	}
	return i, nil
}
