package tftpd

import (
	"net/netip"
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
// the user waits for), a lock-step read or an upload instead waits up to
// briefWaitMax in ppoll(2) itself, without giving up its P, then takes the
// ACK with one recvfrom: three system calls and no scheduler. If nothing
// came by then it parks on the netpoller as usual; windowed reads always do
// (see Server.send). With more transfers than briefWaitSlots running, every
// wait goes to the netpoller at once, so 128 boards never hold 128 threads
// or Ps.
//
// Holding the P is what makes this fast and what bounds it: for up to
// briefWaitMax nothing else runs on that P (on a one-CPU machine, the DHCP
// server neither). The runtime's preemption signal (a GC stop) ends the
// ppoll early with EINTR, and the ACK of a board on a LAN comes back in tens
// to hundreds of microseconds, well inside it. bench/tftp/README.md
// ("Waiting for an ACK") has the measurements of this and of the
// alternatives (a thread blocking in recvfrom, spinning).
const briefWaitMax = time.Millisecond

// briefWaitSlots is how many transfers may wait briefly at once: one per
// P but one, so that a P is always free for the rest, and at least one.
func briefWaitSlots(procs int) int64 { return int64(max(1, procs-1)) }

// briefWaiter is the brief wait of one transfer's socket.
type briefWaiter struct {
	fd     int
	active *atomic.Int64 // transfers running now on the server
	slots  int64
	from   syscall.RawSockaddrInet4
}

// wait waits up to briefWaitMax, or until deadline if sooner, for a
// datagram and reads it into buf. ok is false when it did not wait (too
// many transfers) or nothing came: the caller waits on the netpoller.
func (w *briefWaiter) wait(buf []byte, deadline time.Time) (n int, from netip.AddrPort, ok bool) {
	if w.active.Load() > w.slots {
		return 0, netip.AddrPort{}, false
	}
	d := min(time.Until(deadline), briefWaitMax)
	if d <= 0 {
		return 0, netip.AddrPort{}, false
	}
	pfd := struct {
		fd             int32
		events, revent int16
	}{fd: int32(w.fd), events: 0x1} // POLLIN
	ts := syscall.NsecToTimespec(int64(d))
	// RawSyscall6: the scheduler is not told, so the P stays here and
	// the return costs nothing (see the comment at the top).
	r, _, e := syscall.RawSyscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	if e != 0 || r == 0 {
		return 0, netip.AddrPort{}, false
	}
	fromLen := uint32(unsafe.Sizeof(w.from))
	m, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(w.fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
		syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&w.from)), uintptr(unsafe.Pointer(&fromLen)))
	if e != 0 {
		return 0, netip.AddrPort{}, false
	}
	port := (*[2]byte)(unsafe.Pointer(&w.from.Port)) // network byte order
	return int(m), netip.AddrPortFrom(netip.AddrFrom4(w.from.Addr), uint16(port[0])<<8|uint16(port[1])), true
}
