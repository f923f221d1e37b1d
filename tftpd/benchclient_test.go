package tftpd

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"runtime"
	"strconv"
	"syscall"
)

// fastGetEnv makes this test binary fastClient instead of running tests:
// `env BOOTYARD_TFTP_FAST_GET=1 <test binary> host:port name size blksize
// window count` fetches name count times and checks each is size bytes.
// BenchmarkEngine runs it as its own process, so that the client's thread
// blocking in read(2) never holds the server's only P (GOMAXPROCS=1 under
// taskset) and the server's allocations are counted alone.
const fastGetEnv = "BOOTYARD_TFTP_FAST_GET"

func fastGet(args []string) error {
	if len(args) != 6 {
		return fmt.Errorf("want host:port name size blksize window count, got %q", args)
	}
	server, err := netip.ParseAddrPort(args[0])
	if err != nil {
		return err
	}
	var n [4]int
	for i, a := range args[2:] {
		if n[i], err = strconv.Atoi(a); err != nil {
			return fmt.Errorf("%q: %v", a, err)
		}
	}
	size, blksize, window, count := n[0], n[1], n[2], n[3]
	c, err := newFastClient()
	if err != nil {
		return err
	}
	defer c.close()
	out := make([]byte, size+blksize)
	for range count {
		got, _, err := c.get(server, args[1], blksize, window, out)
		if err != nil {
			return err
		}
		if got != size {
			return fmt.Errorf("got %d bytes, want %d", got, size)
		}
	}
	return nil
}

// fastClient is a TFTP client for benchmarks that costs what a C client
// costs: a blocking socket read on its own OS thread, no allocation per
// block, no Go scheduler between packets. With it a benchmark measures the
// server, not pin/tftp's client. It is not a conformance client: it fetches
// octet files, ACKs once per window or at a gap, and fails on a timeout.
type fastClient struct {
	fd  int
	buf []byte
	ack [4]byte
}

func newFastClient() (*fastClient, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	tv := syscall.NsecToTimeval(int64(waitBound))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return &fastClient{fd: fd, buf: make([]byte, 65536)}, nil
}

func (c *fastClient) close() { syscall.Close(c.fd) }

// get fetches name from server with blksize and windowsize into out (which
// must be large enough) and returns the bytes received and the DATA
// packets taken.
func (c *fastClient) get(server netip.AddrPort, name string, blksize, window int, out []byte) (int, int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// Unconnected again (AF_UNSPEC), so that the request reaches port 69's
	// stand-in and the OACK from the new TID is taken.
	syscall.Connect(c.fd, &syscall.SockaddrInet4{Port: 0})
	c.dissolve()
	req := binary.BigEndian.AppendUint16(nil, opRRQ)
	for _, s := range []string{name, "octet", "blksize", strconv.Itoa(blksize), "windowsize", strconv.Itoa(window)} {
		req = append(append(req, s...), 0)
	}
	sa := &syscall.SockaddrInet4{Addr: server.Addr().As4(), Port: int(server.Port())}
	if err := syscall.Sendto(c.fd, req, 0, sa); err != nil {
		return 0, 0, err
	}
	n, from, err := syscall.Recvfrom(c.fd, c.buf, 0)
	for err == syscall.EINTR {
		n, from, err = syscall.Recvfrom(c.fd, c.buf, 0)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("waiting for the OACK: %w", err)
	}
	if n < 2 || binary.BigEndian.Uint16(c.buf) != opOACK {
		return 0, 0, fmt.Errorf("want an OACK, got % x", c.buf[:min(n, 16)])
	}
	// The TID is fixed from here on: connect, then plain read and write.
	if err := syscall.Connect(c.fd, from); err != nil {
		return 0, 0, err
	}
	var (
		got      int
		packets  int
		next     uint16 = 1
		sinceAck int
	)
	if err := c.sendAck(0); err != nil {
		return 0, 0, err
	}
	for {
		n, err := syscall.Read(c.fd, c.buf)
		if err == syscall.EINTR {
			// A signal (the Go runtime's preemption) cut a read that has a
			// receive timeout: such reads are not restarted (signal(7)).
			continue
		}
		if err != nil {
			return got, packets, fmt.Errorf("after %d bytes: %w", got, err)
		}
		if n < 4 || binary.BigEndian.Uint16(c.buf) != opDATA {
			return got, packets, fmt.Errorf("after %d bytes: got % x", got, c.buf[:min(n, 16)])
		}
		packets++
		if binary.BigEndian.Uint16(c.buf[2:]) != next {
			if err := c.sendAck(next - 1); err != nil {
				return got, packets, err
			}
			sinceAck = 0
			continue
		}
		got += copy(out[got:], c.buf[4:n])
		next++
		sinceAck++
		final := n-4 < blksize
		if final || sinceAck == window {
			if err := c.sendAck(next - 1); err != nil {
				return got, packets, err
			}
			sinceAck = 0
		}
		if final {
			return got, packets, nil
		}
	}
}

func (c *fastClient) sendAck(block uint16) error {
	binary.BigEndian.PutUint16(c.ack[:], opACK)
	binary.BigEndian.PutUint16(c.ack[2:], block)
	_, err := syscall.Write(c.fd, c.ack[:])
	return err
}

// dissolve drops packets left from an earlier transfer (a resent block
// that crossed the final ACK), so the next transfer starts clean.
func (c *fastClient) dissolve() {
	for {
		_, _, err := syscall.Recvfrom(c.fd, c.buf, syscall.MSG_DONTWAIT)
		if err != nil {
			return
		}
	}
}
