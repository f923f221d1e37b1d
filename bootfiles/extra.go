package bootfiles

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/bootyard/bootyard/served"
)

// Files serves extra names from files outside the TFTP root, for `bootyard
// boot`, which boots a kernel and initrds from wherever they are. Each name
// (a clean name, as served.Clean makes it) maps to one or more absolute
// paths; several are served as their concatenation, which is how Linux
// takes several initramfs archives. They come after generated files and
// before the root.
func Files(m map[string][]string) Option {
	return func(f *FS) { f.extra = m }
}

// openExtra opens the files behind an extra name; ok is false when name is
// not one.
func (f *FS) openExtra(name string) (served.Content, bool, error) {
	paths, ok := f.extra[name]
	if !ok {
		return served.Content{}, false, nil
	}
	c := &concat{}
	for _, p := range paths {
		fl, err := os.Open(p)
		if err != nil {
			c.Close()
			return served.Content{}, true, fmt.Errorf("bootfiles: %s: %w", name, errors.Join(fs.ErrNotExist, err))
		}
		fi, err := fl.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			fl.Close()
			c.Close()
			return served.Content{}, true, fmt.Errorf("bootfiles: %s: %s is not a regular file: %w", name, p, fs.ErrNotExist)
		}
		c.files = append(c.files, fl)
		c.sizes = append(c.sizes, fi.Size())
		c.total += fi.Size()
		if len(paths) == 1 {
			// One file is served as itself: the transports' sendfile path.
			return served.Content{Name: name, Body: fl, Size: fi.Size(), ModTime: fi.ModTime()}, true, nil
		}
	}
	return served.Content{Name: name, Body: c, Size: c.total}, true, nil
}

// concat reads several files as one.
type concat struct {
	files      []*os.File
	sizes      []int64
	total, off int64
}

func (c *concat) Read(p []byte) (int, error) {
	if c.off >= c.total {
		return 0, io.EOF
	}
	start := int64(0)
	for i, f := range c.files {
		if c.off < start+c.sizes[i] {
			n := min(int64(len(p)), start+c.sizes[i]-c.off)
			got, err := f.ReadAt(p[:n], c.off-start)
			c.off += int64(got)
			if err == io.EOF && got > 0 {
				err = nil
			}
			return got, err
		}
		start += c.sizes[i]
	}
	return 0, io.EOF
}

func (c *concat) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += c.off
	case io.SeekEnd:
		offset += c.total
	default:
		return 0, errors.New("concat: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("concat: negative position")
	}
	c.off = offset
	return offset, nil
}

func (c *concat) Close() error {
	var err error
	for _, f := range c.files {
		err = errors.Join(err, f.Close())
	}
	return err
}
