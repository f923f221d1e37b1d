package inventory

import (
	"bytes"
	"encoding/binary"
	"os"

	"golang.org/x/sys/unix"
)

// watchFolder watches dir with inotify and signals changed (without
// blocking) whenever an entry called name is written, created, renamed or
// removed there. Watching the folder rather than the file is what makes a
// rename-over (vim, sed -i, Kubernetes, Ansible) visible: the old inode the
// file watch would follow is gone. stop closes the inotify descriptor and
// waits for the reading goroutine to end.
func watchFolder(dir, name string, changed chan<- struct{}) (stop func(), err error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	const mask = unix.IN_CLOSE_WRITE | unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CREATE |
		unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("inotify_add_watch "+dir, err)
	}
	// A non-blocking descriptor in an os.File goes through the runtime
	// poller, so Close wakes a Read in progress and the goroutine can end.
	f := os.NewFile(uintptr(fd), "inotify")
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
		for {
			n, err := f.Read(buf)
			if err != nil {
				return // closed by stop (or the watch is broken: polling goes on)
			}
			if mentions(buf[:n], name) {
				select {
				case changed <- struct{}{}:
				default: // a change is already pending
				}
			}
		}
	}()
	return func() {
		f.Close()
		<-done
	}, nil
}

// mentions reports whether a buffer of inotify events has one about name,
// or one that means events were lost or the folder itself went away.
func mentions(buf []byte, name string) bool {
	for len(buf) >= unix.SizeofInotifyEvent {
		mask := binary.NativeEndian.Uint32(buf[4:8])
		nameLen := int(binary.NativeEndian.Uint32(buf[12:16]))
		end := unix.SizeofInotifyEvent + nameLen
		if end > len(buf) {
			return true // cannot happen with a whole read; be safe and reload
		}
		if mask&(unix.IN_Q_OVERFLOW|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED) != 0 {
			return true
		}
		got := bytes.TrimRight(buf[unix.SizeofInotifyEvent:end], "\x00")
		if string(got) == name {
			return true
		}
		buf = buf[end:]
	}
	return false
}
