package leases

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// The journal's fsync is the one system call in the DHCP server that waits
// for a disk, and an ordinary fsync(2) waits on the P of the goroutine that
// makes it: the Go runtime takes that P back from a blocked system call
// only when sysmon notices, after 20 us to 10 ms, and sysmon idles in long
// sleeps when no call has blocked for a while. With GOMAXPROCS 1 (a small
// machine, or bootyard pinned to one CPU) the whole server then stood still
// for every fsync, about 0.25 ms on a virtio disk, and requests queued
// behind it: at 4,000 DORA/s the journal writer spent most of its time in
// fsync with the P held and nothing else running (bench/dhcp/README.md).
//
// aioSyncer asks the kernel for the fsync instead, through Linux native
// AIO (IOCB_CMD_FSYNC, Linux 4.18): io_submit returns at once, a kernel
// worker does the fsync, and its completion is written to an eventfd that
// the writer goroutine reads through the netpoller, parked, its P free for
// the requests of the next batch. Same fsync, same durability; only the
// wait moved. Where the kernel refuses (no AIO, a filesystem without it),
// the journal falls back to File.Sync for good.
type aioSyncer struct {
	ctx    uintptr  // aio_context_t
	events *os.File // the eventfd completions are counted on (non-blocking: netpoller)
	cb     iocb
	cbs    [1]*iocb
	ev     [1]ioEvent
	count  [8]byte
}

// iocb is struct iocb of linux/aio_abi.h on a little-endian 64-bit machine
// (64 bytes).
type iocb struct {
	data      uint64
	key       uint32
	rwFlags   int32
	opcode    uint16
	reqprio   int16
	fd        uint32
	buf       uint64
	nbytes    uint64
	offset    int64
	reserved2 uint64
	flags     uint32
	resfd     uint32
}

// ioEvent is struct io_event.
type ioEvent struct {
	data, obj uint64
	res, res2 int64
}

const (
	iocbCmdFsync  = 2 // IOCB_CMD_FSYNC
	iocbFlagResfd = 1 // IOCB_FLAG_RESFD: signal completion on aio_resfd
)

// errAIOUnsupported says the kernel cannot fsync this file through AIO:
// use File.Sync.
var errAIOUnsupported = errors.New("leases: fsync through AIO not supported")

// newAIOSyncer sets up an AIO context for one request at a time and the
// eventfd its completions signal.
func newAIOSyncer() (*aioSyncer, error) {
	if unsafe.Sizeof(iocb{}) != 64 || unsafe.Sizeof(ioEvent{}) != 32 {
		return nil, errAIOUnsupported
	}
	a := &aioSyncer{}
	if _, _, e := syscall.Syscall(syscall.SYS_IO_SETUP, 1, uintptr(unsafe.Pointer(&a.ctx)), 0); e != 0 {
		return nil, fmt.Errorf("%w: io_setup: %v", errAIOUnsupported, e)
	}
	fd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		syscall.Syscall(syscall.SYS_IO_DESTROY, a.ctx, 0, 0)
		return nil, fmt.Errorf("%w: eventfd: %v", errAIOUnsupported, e)
	}
	a.events = os.NewFile(fd, "journal fsync events")
	a.cbs[0] = &a.cb
	return a, nil
}

// fsync fsyncs f and returns once it is done: the error of fsync itself,
// or errAIOUnsupported when the kernel would not take the request.
func (a *aioSyncer) fsync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return errAIOUnsupported
	}
	var submitErr error
	if err := rc.Control(func(fd uintptr) {
		a.cb = iocb{opcode: iocbCmdFsync, fd: uint32(fd), flags: iocbFlagResfd, resfd: uint32(a.events.Fd())}
		n, _, e := syscall.Syscall(syscall.SYS_IO_SUBMIT, a.ctx, 1, uintptr(unsafe.Pointer(&a.cbs[0])))
		if e != 0 || n != 1 {
			submitErr = fmt.Errorf("%w: io_submit: %v", errAIOUnsupported, e)
		}
	}); err != nil {
		return errAIOUnsupported
	}
	if submitErr != nil {
		return submitErr
	}
	// The request is in flight and refers to f's descriptor: wait for it
	// whatever happens (a read error on the eventfd is not the fsync's).
	// Reading the eventfd resets its count; one request, one completion.
	for {
		if _, err := a.events.Read(a.count[:]); err == nil {
			break
		} else if !errors.Is(err, syscall.EINTR) && !errors.Is(err, syscall.EAGAIN) {
			return a.reap(true)
		}
	}
	return a.reap(false)
}

// reap collects the completed request; block waits for it in the kernel
// (only when the eventfd could not be read).
func (a *aioSyncer) reap(block bool) error {
	var ts *syscall.Timespec
	if !block {
		ts = &syscall.Timespec{}
	}
	for {
		n, _, e := syscall.Syscall6(syscall.SYS_IO_GETEVENTS, a.ctx, 1, 1, uintptr(unsafe.Pointer(&a.ev[0])), uintptr(unsafe.Pointer(ts)), 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return fmt.Errorf("leases: io_getevents: %w", e)
		}
		if n != 1 {
			if !block {
				block, ts = true, nil // signalled but not yet visible: wait for it
				continue
			}
			return fmt.Errorf("leases: io_getevents returned %d events", n)
		}
		if res := a.ev[0].res; res < 0 {
			return fmt.Errorf("fsync: %w", syscall.Errno(-res))
		}
		return nil
	}
}

func (a *aioSyncer) close() {
	syscall.Syscall(syscall.SYS_IO_DESTROY, a.ctx, 0, 0)
	a.events.Close()
}
