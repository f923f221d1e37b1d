package leases

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
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
// the writer goroutine waits for, parked, its P free for the requests of
// the next batch. Same fsync, same durability; only the wait moved. Where
// the kernel refuses (no AIO, a filesystem without it), the journal falls
// back to File.Sync for good.
//
// Who notices the completion: Go polls the netpoller only when a P has
// nothing else to run (or sysmon, every 10 ms), so on a busy server with
// one P a completion seen only by the netpoller waited for the run queue
// to drain, and at 12,000 DORA/s it hardly ever did. So the eventfd is read
// from two places: a goroutine parked on it (an idle server), and Poll,
// which the DHCP server calls between requests while an fsync is in
// flight (a busy one): a non-blocking read of a counter, one system call.
// Whichever reads the count wakes the writer.
type aioSyncer struct {
	ctx      uintptr  // aio_context_t
	events   *os.File // the eventfd completions are counted on (non-blocking: netpoller)
	rc       syscall.RawConn // events', for poll
	cb       iocb
	cbs      [1]*iocb
	ev       [1]ioEvent
	inflight atomic.Bool   // a request is submitted and not yet seen done
	done     chan struct{} // a completion was seen (cap 1)
	quit     chan struct{} // closed by close: the watcher goroutine exits
	watching sync.WaitGroup
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
	rc, err := a.events.SyscallConn()
	if err != nil {
		a.events.Close()
		syscall.Syscall(syscall.SYS_IO_DESTROY, a.ctx, 0, 0)
		return nil, fmt.Errorf("%w: %v", errAIOUnsupported, err)
	}
	a.rc = rc
	a.cbs[0] = &a.cb
	a.done = make(chan struct{}, 1)
	a.quit = make(chan struct{})
	a.watching.Go(a.watch)
	return a, nil
}

// watch reads completions through the netpoller until close.
func (a *aioSyncer) watch() {
	var count [8]byte
	for {
		_, err := a.events.Read(count[:])
		select {
		case <-a.quit:
			return
		default:
		}
		if err == nil {
			a.signal()
		} else if errors.Is(err, os.ErrClosed) {
			return
		}
	}
}

// poll reads the eventfd without waiting, if a request is in flight, and
// wakes the writer if it completed.
func (a *aioSyncer) poll() {
	if !a.inflight.Load() {
		return
	}
	var count [8]byte
	read := false
	// Control holds the descriptor open for the read (close waits).
	a.rc.Control(func(fd uintptr) {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&count[0])), 8)
		read = e == 0 && n == 8
	})
	if read {
		a.signal()
	}
}

func (a *aioSyncer) signal() {
	select {
	case a.done <- struct{}{}:
	default:
	}
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
	// The request is in flight and refers to f's descriptor: wait for its
	// completion, then collect it (io_getevents without a timeout: it is
	// there once the eventfd counted it).
	a.inflight.Store(true)
	<-a.done
	a.inflight.Store(false)
	for {
		n, _, e := syscall.Syscall6(syscall.SYS_IO_GETEVENTS, a.ctx, 1, 1, uintptr(unsafe.Pointer(&a.ev[0])), 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return fmt.Errorf("leases: io_getevents: %w", e)
		}
		if n != 1 {
			return fmt.Errorf("leases: io_getevents returned %d events", n)
		}
		if res := a.ev[0].res; res < 0 {
			return fmt.Errorf("fsync: %w", syscall.Errno(-res))
		}
		return nil
	}
}

func (a *aioSyncer) close() {
	close(a.quit)
	a.events.Close() // ends the watcher's read
	a.watching.Wait()
	syscall.Syscall(syscall.SYS_IO_DESTROY, a.ctx, 0, 0)
}
