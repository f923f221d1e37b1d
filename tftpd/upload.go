package tftpd

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"strconv"
	"sync"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// receive answers a write request. Uploads land in Uploads.Dir only,
// under a temporary name, and are linked into place when complete, never
// over an existing file. It returns the final ACK, for dally.
func (s *Server) receive(t *transfer, ss *session, req request, local netip.Addr) ([]byte, error) {
	s.mu.Lock()
	up := s.uploads
	s.mu.Unlock()
	if up == nil {
		t.cause = errors.New("uploads are off")
		return nil, errDenied
	}
	if !t.admitted {
		return nil, errBusy
	}
	name, cerr := served.Clean(req.name)
	if cerr != nil {
		t.cause = cerr
		return nil, errDenied
	}
	t.name = name
	first := s.negotiate(t, ss, req, -1, local)
	// RFC 2349: a client that announces the size can be refused up front.
	if t.st.tsize >= 0 && !up.fits(t.st.tsize) {
		t.cause = fmt.Errorf("announced %d bytes", t.st.tsize)
		return nil, errQuota
	}
	f, tmp, oerr := up.create(name, t.id)
	if oerr != nil {
		t.cause = oerr
		return nil, wireErrorFor(oerr)
	}
	if first == nil {
		first = appendAck(nil, 0)
	}
	w := &uploadWriter{t: t, f: f, up: up}
	closed, committed := false, false
	// Closed and linked into place before the final ACK: a client that
	// has its ACK finds the file there.
	finish := func() error {
		closed = true
		if cerr := f.Close(); cerr != nil {
			w.err = cerr
			return errWriteFailed
		}
		if cerr := up.commit(tmp, name); cerr != nil {
			w.err = cerr
			return wireErrorFor(cerr)
		}
		committed = true
		return nil
	}
	ack, err := ss.receiveFile(w, t.st.blksize, t.st.window, first, finish)
	if !closed {
		f.Close()
	}
	if err != nil {
		if !committed {
			up.discard(tmp, w.reserved)
		}
		if w.err != nil {
			t.cause = w.err
		}
		return nil, err
	}
	return ack, nil
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
