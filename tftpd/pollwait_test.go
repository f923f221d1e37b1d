package tftpd

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bootyard/bootyard/inventory"
)

// TestBriefWait: the brief wait returns a datagram already queued with its
// sender's address and port (byte order), gives up after at most
// briefWaitMax when nothing comes, and leaves the socket to the netpoller
// at once when more transfers run than it has slots for.
func TestBriefWait(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	var active atomic.Int64
	active.Store(1)
	l := &udpLink{conn: conn}
	if err := l.waitBriefly(&active, 1); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	far := time.Now().Add(time.Hour)

	if _, _, ok := l.brief.wait(buf, far); ok {
		t.Fatal("nothing sent, but the brief wait returned a packet")
	}
	if !nonBlocking(t, conn) {
		t.Fatal("the brief wait gave up but left the socket blocking: the netpoller cannot use it")
	}
	if _, err := peer.WriteToUDP([]byte("ack 1"), conn.LocalAddr().(*net.UDPAddr)); err != nil {
		t.Fatal(err)
	}
	// Each wait is at most 1 ms: try for a while, the packet is on loopback.
	var n int
	var from netip.AddrPort
	ok := false
	for i := 0; i < 2000 && !ok; i++ {
		n, from, ok = l.brief.wait(buf, far)
	}
	want := peer.LocalAddr().(*net.UDPAddr).AddrPort()
	if !ok || string(buf[:n]) != "ack 1" || from != want {
		t.Fatalf("brief wait: %q from %v (ok %v), want \"ack 1\" from %v", buf[:n], from, ok, want)
	}

	if nonBlocking(t, conn) {
		t.Error("the brief wait read a packet but the socket is non-blocking: it polled, not blocked")
	}

	// Two transfers, one slot: straight to the netpoller, which finds the
	// packet the brief wait left alone.
	active.Store(2)
	if _, err := peer.WriteToUDP([]byte("ack 2"), conn.LocalAddr().(*net.UDPAddr)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(waitBound))
	n, _, err = conn.ReadFromUDPAddrPort(make([]byte, 100)) // wait until it is queued
	if err != nil || n != 5 {
		t.Fatalf("netpoller read: %d bytes, %v", n, err)
	}
	if _, err := peer.WriteToUDP([]byte("ack 3"), conn.LocalAddr().(*net.UDPAddr)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // let loopback deliver it; no assertion on time
	if _, _, ok := l.brief.wait(buf, far); ok {
		t.Error("brief wait read a packet with more transfers than slots")
	}
	if n, _, err := conn.ReadFromUDPAddrPort(buf); err != nil || string(buf[:n]) != "ack 3" {
		t.Errorf("netpoller read after a skipped brief wait: %q, %v", buf[:n], err)
	}
	if !nonBlocking(t, conn) {
		t.Error("the brief wait skipped but the socket is still blocking")
	}
	active.Store(1)
	if _, _, ok := l.brief.wait(buf, time.Now().Add(-time.Second)); ok {
		t.Error("brief wait past the deadline returned a packet")
	}
}

// nonBlocking reports whether conn's socket has O_NONBLOCK set.
func nonBlocking(t *testing.T, conn *net.UDPConn) bool {
	t.Helper()
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var flags uintptr
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		flags, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	}); err != nil || errno != 0 {
		t.Fatal(err, errno)
	}
	return flags&syscall.O_NONBLOCK != 0
}

// TestBriefWaitTransfer: a transfer alone on the server (the brief wait in
// use) behaves as one on the netpoller: its retransmit timer fires, a
// stranger gets error 5, and the file arrives whole; a second transfer at
// the same time runs on the netpoller.
func TestBriefWaitTransfer(t *testing.T) {
	dir := t.TempDir()
	want := writeFile(t, dir, "f", 3000)
	big := writeFile(t, dir, "big", 1<<20)
	srv := startServer(t, settings(func(c *inventory.TFTP) { c.Timeout = 20 * time.Millisecond }), newRootFiles(t, dir))

	c := dialRaw(t, srv.addr)
	c.request(1, "f", "octet")
	if op, num, _ := c.recv(); op != 3 || num != 1 {
		t.Fatalf("got op %d num %d, want DATA 1", op, num)
	}
	// No ACK: the block comes again after the 20 ms timeout.
	if op, num, _ := c.recv(); op != 3 || num != 1 {
		t.Fatalf("got op %d num %d, want DATA 1 resent", op, num)
	}
	got, _, _, err := get(t, srv.addr, "big", "octet", 1468, true)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("second transfer: %d bytes, %v", len(got), err)
	}
	stranger := dialRaw(t, srv.addr)
	stranger.peer = c.peer
	stranger.ack(1)
	if op, code, msg := stranger.recv(); op != 5 || code != 5 {
		t.Fatalf("stranger got op %d code %d %q, want ERROR 5", op, code, msg)
	}
	c.ack(1)
	rest, _ := fetchRawFrom(t, c, 2, 512)
	if !bytes.Equal(rest, want[512:]) {
		t.Errorf("got %d more bytes, want %d", len(rest), len(want)-512)
	}
	for _, rec := range srv.log.waitTransfers(t, 2) {
		if rec.Attrs["outcome"] != "ok" {
			t.Errorf("record %v, want ok", rec.Attrs)
		}
	}
}

// TestRawLink: a link opened outside the netpoller sends and receives with
// the brief wait, answers a stranger with error 5, joins the netpoller
// when a wait outlasts the brief one (and still gets the next packet, and
// still ends at once when its context does), and closes in either state.
func TestRawLink(t *testing.T) {
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	stranger, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	var active atomic.Int64
	active.Store(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	peerAP := peer.LocalAddr().(*net.UDPAddr).AddrPort()
	l, err := newRawUDPLink(ctx, netip.MustParseAddr("127.0.0.1"), peerAP, &active, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	if l.raw == nil || l.conn != nil {
		t.Fatal("newRawUDPLink made a socket on the netpoller")
	}

	// Send: the peer gets it and learns the link's port.
	if err := l.send([]byte("data 1")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	peer.SetReadDeadline(time.Now().Add(waitBound))
	n, linkAddr, err := peer.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "data 1" {
		t.Fatalf("peer got %q, %v", buf[:n], err)
	}
	// A stranger first, then the peer: the stranger gets error 5, recv
	// returns the peer's packet, still raw.
	stranger.WriteToUDPAddrPort([]byte("ack ?"), linkAddr)
	time.Sleep(10 * time.Millisecond) // let loopback deliver it first; no assertion on time
	peer.WriteToUDPAddrPort([]byte("ack 1"), linkAddr)
	n, err = l.recv(ctx, buf, time.Now().Add(waitBound))
	if err != nil || string(buf[:n]) != "ack 1" {
		t.Fatalf("recv: %q, %v; want \"ack 1\"", buf[:n], err)
	}
	stranger.SetReadDeadline(time.Now().Add(waitBound))
	if n, _, err := stranger.ReadFromUDPAddrPort(buf); err != nil || n < 4 || buf[1] != 5 || buf[3] != codeUnknownTID {
		t.Fatalf("stranger got % x, %v; want ERROR 5", buf[:n], err)
	}

	// A wait past the brief one: the link joins the netpoller and gets
	// the packet that comes later.
	go func() {
		time.Sleep(50 * time.Millisecond)
		peer.WriteToUDPAddrPort([]byte("ack 2"), linkAddr)
	}()
	n, err = l.recv(ctx, buf, time.Now().Add(waitBound))
	if err != nil || string(buf[:n]) != "ack 2" {
		t.Fatalf("recv after the brief wait: %q, %v; want \"ack 2\"", buf[:n], err)
	}
	if l.raw != nil || l.conn == nil {
		t.Fatal("a wait longer than the brief one left the link off the netpoller")
	}
	if err := l.send([]byte("data 2")); err != nil {
		t.Fatal(err)
	}
	if n, from, err := peer.ReadFromUDPAddrPort(buf); err != nil || string(buf[:n]) != "data 2" || from != linkAddr {
		t.Fatalf("after joining, peer got %q from %v (%v); want \"data 2\" from the same port %v", buf[:n], from, err, linkAddr)
	}
	// The context ends a wait on the netpoller at once.
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	if _, err := l.recv(ctx, buf, time.Now().Add(waitBound)); !errors.Is(err, context.Canceled) {
		t.Fatalf("recv after cancel: %v, want context.Canceled", err)
	}
}
