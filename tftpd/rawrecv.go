package tftpd

import (
	"context"
	"net"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// A lock-step transfer is round trips: send a block, wait for its ACK.
// Waiting through Go's netpoller costs a recvfrom that fails (EAGAIN), a
// read deadline armed on the runtime's timers, the goroutine parked, an
// epoll_wait, the goroutine woken and a second recvfrom. A C server blocks
// in one recvfrom. A transfer that holds a thread slot does the same: its
// socket is made blocking and it waits in recvfrom itself, in slices of
// rawRecvSlice (SO_RCVTIMEO) so that its deadline and its context are seen.
// The thread is parked in the kernel meanwhile, not spinning, and at most
// Server.threadSlots transfers do this, so a busy server (128 boards) runs
// the rest on the netpoller and never keeps 128 threads.
//
// Measured and not used (bench/tftp/README.md, "Waiting for an ACK"): on
// one vCPU over loopback it saved about a tenth of the server's CPU at
// blksize 512 and 1468 at the same MB/s, and lost 10-25% at 8192 and with
// windowsize 16, where the runtime hands the P to another thread while the
// read blocks; RawSyscall6 (no hand-off) was the fastest but stalls every
// goroutine of the P, DHCP's included, for as long as it waits. So Serve's
// transfers all wait on the netpoller; Server.threadSlots is zero unless a
// benchmark sets it.

// rawRecvSlice is the longest a blocking receive waits before it looks at
// the transfer's deadline and context again: the most a cancelled transfer
// with a dedicated thread waits to notice.
const rawRecvSlice = 50 * time.Millisecond

// rawReceiver is a transfer's socket read with blocking recvfrom calls.
type rawReceiver struct {
	fd   int
	from syscall.RawSockaddrInet4
	// spin is how long to poll (MSG_DONTWAIT) before blocking; 0: block
	// at once. Measured, not used (see bench/tftp/README.md).
	spin time.Duration
	lock bool          // runtime.LockOSThread for the transfer (measured only)
	cur  time.Duration // the socket's SO_RCVTIMEO now
	// noHandoff blocks without telling the scheduler (RawSyscall6): the P
	// stays with the thread. Measured only: it stalls every goroutine on
	// that P, the read loop and the GC included, for up to rawRecvSlice.
	noHandoff bool
}

// newRawReceiver turns conn's socket blocking with a receive timeout of
// rawRecvSlice. conn stays usable for writes (a blocking sendto on UDP
// waits only for buffer space) but must not be read through Go any more.
func newRawReceiver(conn *net.UDPConn, spin time.Duration, lock bool) (*rawReceiver, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &rawReceiver{fd: -1, spin: spin, lock: lock, cur: rawRecvSlice}
	var serr error
	err = rc.Control(func(fd uintptr) {
		if serr = syscall.SetNonblock(int(fd), false); serr != nil {
			return
		}
		tv := syscall.NsecToTimeval(int64(rawRecvSlice))
		if serr = syscall.SetsockoptTimeval(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); serr != nil {
			syscall.SetNonblock(int(fd), true)
			return
		}
		r.fd = int(fd)
	})
	if err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, os.NewSyscallError("setsockopt", serr)
	}
	if lock {
		runtime.LockOSThread()
	}
	return r, nil
}

func (r *rawReceiver) release() {
	if r.lock {
		runtime.UnlockOSThread()
	}
}

// recv waits for one datagram until deadline or ctx's end, like
// udpLink.recv; it returns the length and the sender.
func (r *rawReceiver) recv(ctx context.Context, buf []byte, deadline time.Time) (int, netip.AddrPort, error) {
	var spinUntil time.Time
	if r.spin > 0 {
		spinUntil = time.Now().Add(r.spin)
	}
	for {
		flags := 0
		if r.spin > 0 && time.Now().Before(spinUntil) {
			flags = syscall.MSG_DONTWAIT
		} else if err := r.bound(deadline); err != nil {
			return 0, netip.AddrPort{}, err
		}
		n, err := r.recvfrom(buf, flags)
		if err == 0 {
			port := (*[2]byte)(unsafe.Pointer(&r.from.Port)) // network byte order
			return n, netip.AddrPortFrom(netip.AddrFrom4(r.from.Addr), uint16(port[0])<<8|uint16(port[1])), nil
		}
		if err != syscall.EAGAIN && err != syscall.EINTR {
			return 0, netip.AddrPort{}, os.NewSyscallError("recvfrom", err)
		}
		if ctx.Err() != nil {
			return 0, netip.AddrPort{}, context.Cause(ctx)
		}
		if flags == 0 && !time.Now().Before(deadline) {
			return 0, netip.AddrPort{}, os.ErrDeadlineExceeded
		}
	}
}

// bound sets the socket's receive timeout to the time left before
// deadline when that is shorter than rawRecvSlice (a retransmit timer
// must not fire late), and back to rawRecvSlice after. In a transfer
// without loss the deadline is a whole timeout away and this costs no
// system call.
func (r *rawReceiver) bound(deadline time.Time) error {
	left := time.Until(deadline)
	if left <= 0 {
		return os.ErrDeadlineExceeded
	}
	want := min(max(left, time.Millisecond), rawRecvSlice)
	if want == r.cur || want > r.cur && want < rawRecvSlice {
		return nil // a shorter slice than needed only wakes early
	}
	tv := syscall.NsecToTimeval(int64(want))
	if err := syscall.SetsockoptTimeval(r.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	r.cur = want
	return nil
}

// recvfrom is recvfrom(2) into a sockaddr kept in r: syscall.Recvfrom
// allocates one per call.
func (r *rawReceiver) recvfrom(buf []byte, flags int) (int, syscall.Errno) {
	fromLen := uint32(unsafe.Sizeof(r.from))
	call := syscall.Syscall6
	if r.noHandoff {
		call = syscall.RawSyscall6
	}
	n, _, e := call(syscall.SYS_RECVFROM, uintptr(r.fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
		uintptr(flags), uintptr(unsafe.Pointer(&r.from)), uintptr(unsafe.Pointer(&fromLen)))
	if e != 0 {
		return 0, e
	}
	return int(n), 0
}
