package tftpd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"sync"

	"github.com/pin/tftp/v3"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// handleWrite is pin/tftp's write handler. Uploads land in Uploads.Dir only,
// under a temporary name, and are linked into place when complete, never
// over an existing file.
func (s *Server) handleWrite(raw string, wt io.WriterTo) (err error) {
	t := s.begin(raw, remoteOf(wt), true)
	var cause error
	defer s.finish(t, &err, &cause)
	s.mu.Lock()
	up := s.uploads
	s.mu.Unlock()
	if up == nil {
		cause = errors.New("uploads are off")
		return errDenied
	}
	if !t.admitted {
		return errBusy
	}
	name, cerr := served.Clean(raw)
	if cerr != nil {
		cause = cerr
		return errDenied
	}
	s.setName(t, name)
	if it, ok := wt.(tftp.IncomingTransfer); ok {
		// RFC 2349: a client that announces the size can be refused up front.
		if n, ok := it.Size(); ok && !up.fits(n) {
			cause = fmt.Errorf("announced %d bytes", n)
			return errQuota
		}
	}
	f, tmp, oerr := up.create(name, t.id)
	if oerr != nil {
		cause = oerr
		return wireErrorFor(oerr)
	}
	w := &uploadWriter{t: t, f: f, up: up}
	_, err = wt.WriteTo(w)
	if cerr := f.Close(); err == nil && cerr != nil {
		w.err, err = cerr, errWriteFailed
	}
	if err == nil {
		err = up.commit(tmp, name)
		if err != nil {
			w.err, err = err, wireErrorFor(err)
		}
	}
	if err != nil {
		up.discard(tmp, w.reserved)
		cause = w.err
	}
	return err
}

// uploadWriter writes an upload's bytes under the folder quota and the
// transfer's deadline.
type uploadWriter struct {
	t        *transfer
	f        *os.File
	up       *uploadStore
	reserved int64
	err      error // the real error, for the log
}

func (w *uploadWriter) Write(p []byte) (int, error) {
	if w.t.ctx.Err() != nil {
		w.err = ctxError(w.t.ctx)
		return 0, w.err
	}
	if !w.up.reserve(int64(len(p))) {
		w.err = errQuota
		return 0, errQuota
	}
	w.reserved += int64(len(p))
	n, err := w.f.Write(p)
	w.t.bytes.Add(int64(n))
	if err != nil {
		w.err = err
		return n, errWriteFailed
	}
	return n, nil
}

// uploadStore is the upload folder, opened as an os.Root so no name can
// leave it, with the bytes it holds counted for the quota.
type uploadStore struct {
	root *os.Root
	max  int64 // 0: no quota

	mu   sync.Mutex
	used int64
}

func openUploads(cfg inventory.Uploads) (*uploadStore, error) {
	root, err := os.OpenRoot(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("uploads: %w", err)
	}
	var used int64
	err = fs.WalkDir(root.FS(), ".", func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			used += info.Size()
		}
		return nil
	})
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("uploads: measuring %s: %w", cfg.Dir, err)
	}
	return &uploadStore{root: root, max: cfg.MaxBytes, used: used}, nil
}

func (u *uploadStore) close() { u.root.Close() }

// fits reports whether n more bytes would stay within the quota.
func (u *uploadStore) fits(n int64) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.max == 0 || u.used+n <= u.max
}

// reserve counts n more bytes against the quota, or refuses them.
func (u *uploadStore) reserve(n int64) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.max > 0 && u.used+n > u.max {
		return false
	}
	u.used += n
	return true
}

// create opens a fresh temporary file beside name, refusing at once if
// name already exists.
func (u *uploadStore) create(name string, id uint64) (*os.File, string, error) {
	if _, err := u.root.Lstat(name); err == nil {
		return nil, "", fmt.Errorf("%s: %w", name, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	dir, base := path.Split(name)
	tmp := dir + "." + base + ".tftp-" + strconv.FormatUint(id, 10) + ".part"
	f, err := u.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, "", err
	}
	return f, tmp, nil
}

// commit puts the finished upload in place. A hard link fails if name
// appeared meanwhile, where a rename would silently replace it.
func (u *uploadStore) commit(tmp, name string) error {
	if err := u.root.Link(tmp, name); err != nil {
		return err
	}
	return u.root.Remove(tmp)
}

// discard removes a partial upload and gives its bytes back to the quota.
func (u *uploadStore) discard(tmp string, reserved int64) {
	u.root.Remove(tmp)
	u.mu.Lock()
	u.used -= reserved
	u.mu.Unlock()
}
