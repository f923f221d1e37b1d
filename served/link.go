package served

import (
	"io/fs"
	"path"
	"strings"
)

// Linker is what LinkOutside reads of a served root; *os.Root has both.
type Linker interface {
	Lstat(name string) (fs.FileInfo, error)
	Readlink(name string) (string, error)
}

// LinkError says why a name that exists on disk is not served: one of its
// elements is a symbolic link that leads out of the root (an absolute link,
// such as Debian users make to /usr/lib/grub/..., or a relative one that
// climbs above the root). os.Root refuses to follow it, so the file is
// refused although `ls` shows it.
type LinkError struct {
	Link   string // the link, relative to the root
	Target string // what it points to, as stored in the link
}

// Error names the link and what to do, but not the target: the text goes to
// logs of a server that names no path outside its root.
func (e *LinkError) Error() string {
	return e.Link + " is a symbolic link out of the TFTP root, which is never followed: " + LinkAdvice
}

// LinkAdvice is what to do about a link out of the root.
const LinkAdvice = "copy the file into the root, or use a relative link that stays inside it"

// maxLinks bounds the links followed for one name, as the kernel's 40.
const maxLinks = 40

// LinkOutside walks clean (a name returned by Clean) under root and returns
// the first symbolic link on the way that leads out of the root, or nil when
// there is none (the name is missing, or fine, or wrong for another reason).
func LinkOutside(root Linker, clean string) *LinkError {
	todo := strings.Split(clean, "/")
	var cur []string // the resolved folders so far, under the root
	var last *LinkError
	for links := 0; len(todo) > 0; {
		e := todo[0]
		todo = todo[1:]
		switch e {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return last // only a link's target can climb here: Clean refuses the rest
			}
			cur = cur[:len(cur)-1]
			continue
		}
		p := path.Join(append(cur, e)...)
		fi, err := root.Lstat(p)
		if err != nil {
			return nil
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = append(cur, e)
			continue
		}
		target, err := root.Readlink(p)
		if err != nil {
			return nil
		}
		link := &LinkError{Link: p, Target: target}
		if path.IsAbs(target) {
			return link
		}
		if links++; links > maxLinks {
			return nil
		}
		last = link
		todo = append(strings.Split(target, "/"), todo...)
	}
	return nil
}
