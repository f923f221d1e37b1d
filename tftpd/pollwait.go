package tftpd

import (
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// A lock-step transfer is round trips: send a block, wait for its ACK.
// Waiting through Go's netpoller costs a recvfrom that fails (EAGAIN), the
// goroutine parked, the scheduler, an epoll_wait and a second recvfrom:
// four system calls a block where a C server makes two. When the server is
// nearly idle (a lone board booting, the case where lock-step speed is what
// the user waits for), a lock-step read or an upload instead blocks in
// recvfrom(2) itself for up to briefWaitMax (the socket's SO_RCVTIMEO, with
// O_NONBLOCK off for the while), without giving up its P: one system call
// for the ACK, as in a C server, and no scheduler. If nothing came by then
// the socket is made non-blocking again and the transfer parks on the
// netpoller as usual; windowed reads always do (see Server.send). With more
// transfers than briefWaitSlots running, every wait goes to the netpoller
// at once, so 128 boards never hold 128 threads or Ps.
//
// Holding the P is what makes this fast and what bounds it: for up to
// briefWaitMax nothing else runs on that P (on a one-CPU machine, the DHCP
// server neither). The runtime's preemption signal (a GC stop) ends the
// recvfrom early with EINTR, and the ACK of a board on a LAN comes back in
// tens to hundreds of microseconds, well inside it. bench/tftp/README.md
// ("Waiting for an ACK") has the measurements of this and of the
// alternatives (ppoll then recvfrom, a thread blocking in recvfrom,
// spinning).
const briefWaitMax = time.Millisecond

// briefWaitSlots is how many transfers may wait briefly at once: one per
// P but one, so that a P is always free for the rest, and at least one.
func briefWaitSlots(procs int) int64 { return int64(max(1, procs-1)) }

// briefWaiter is the brief wait of one transfer's socket.
type briefWaiter struct {
	fd       int
	active   *atomic.Int64 // transfers running now on the server
	slots    int64
	flags    int  // the socket's file status flags as Go set them (O_NONBLOCK on)
	blocking bool // O_NONBLOCK is off: only wait may read, Go's reads must not
	// interrupted: the last wait ended on a signal (EINTR), not on its
	// timeout. The runtime preempts a goroutine that has run 10 ms without
	// yielding, and a transfer blocking in RawSyscall never yields: the
	// preemption is that signal, and the goroutine yields at its next
	// function call. A raw link waits again instead of joining the
	// netpoller for it.
	interrupted bool
	from        syscall.RawSockaddrInet4
}

// newBriefWaiter sets fd's receive timeout to briefWaitMax (it applies to
// blocking reads only: the netpoller's reads never block).
func newBriefWaiter(fd int, active *atomic.Int64, slots int64) (*briefWaiter, error) {
	flags, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	if e != 0 {
		return nil, e
	}
	tv := syscall.NsecToTimeval(int64(briefWaitMax))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return nil, err
	}
	return &briefWaiter{fd: fd, active: active, slots: slots, flags: int(flags) | syscall.O_NONBLOCK}, nil
}

// wait waits up to briefWaitMax for a datagram and reads it into buf. ok is
// false when it did not wait (too many transfers, or deadline less than
// briefWaitMax away) or nothing came; the socket is then non-blocking again
// and the caller waits on the netpoller.
func (w *briefWaiter) wait(buf []byte, deadline time.Time) (n int, from netip.AddrPort, ok bool) {
	w.interrupted = false
	if w.active.Load() > w.slots || time.Until(deadline) < briefWaitMax {
		w.release()
		return 0, netip.AddrPort{}, false
	}
	if !w.blocking {
		if _, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(w.fd), syscall.F_SETFL, uintptr(w.flags&^syscall.O_NONBLOCK)); e != 0 {
			return 0, netip.AddrPort{}, false
		}
		w.blocking = true
	}
	// RawSyscall6: the scheduler is not told, so the P stays here and the
	// return costs nothing (see the comment at the top). EAGAIN is the
	// receive timeout, EINTR a signal (the runtime's preemption among them).
	fromLen := uint32(unsafe.Sizeof(w.from))
	m, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(w.fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
		0, uintptr(unsafe.Pointer(&w.from)), uintptr(unsafe.Pointer(&fromLen)))
	w.interrupted = e == syscall.EINTR
	if e != 0 {
		w.release()
		return 0, netip.AddrPort{}, false
	}
	port := (*[2]byte)(unsafe.Pointer(&w.from.Port)) // network byte order
	return int(m), netip.AddrPortFrom(netip.AddrFrom4(w.from.Addr), uint16(port[0])<<8|uint16(port[1])), true
}

// sendTo sends b to the address in to (a socket outside the netpoller).
// RawSyscall6, as for the wait: a lock-step transfer has one packet in
// flight, so the send never waits for socket buffer space, and the
// runtime is not told: with the scheduler told, sysmon took the P from a
// sendto that ran the receiver's side of a veth pair for tens of
// microseconds, and woke a thread to find nothing to run.
func (w *briefWaiter) sendTo(b []byte, to *syscall.RawSockaddrInet4) error {
	if len(b) == 0 {
		return nil
	}
	for {
		_, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(w.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0,
			uintptr(unsafe.Pointer(to)), unsafe.Sizeof(*to))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return os.NewSyscallError("sendto", e)
		}
		return nil
	}
}

// release gives the socket back to the netpoller: O_NONBLOCK on again.
func (w *briefWaiter) release() {
	if w.blocking {
		syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(w.fd), syscall.F_SETFL, uintptr(w.flags))
		w.blocking = false
	}
}
