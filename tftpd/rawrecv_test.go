package tftpd

import (
	"bytes"
	"testing"
	"time"

	"github.com/bootyard/bootyard/inventory"
)

// TestThreadWait: a transfer that waits in its own blocking recvfrom (one
// thread slot) behaves as one on the netpoller: its retransmit timer fires
// (a short receive timeout, not the 50 ms slice), a stranger gets error 5,
// and the file arrives whole; a second transfer at the same time finds no
// slot and runs on the netpoller.
func TestThreadWait(t *testing.T) {
	dir := t.TempDir()
	want := writeFile(t, dir, "f", 3000)
	big := writeFile(t, dir, "big", 1<<20)
	srv := startServer(t, settings(func(c *inventory.TFTP) { c.Timeout = 20 * time.Millisecond }), newRootFiles(t, dir),
		func(s *Server) { s.threadSlots = 1 })

	c := dialRaw(t, srv.addr)
	c.request(1, "f", "octet")
	if op, num, _ := c.recv(); op != 3 || num != 1 {
		t.Fatalf("got op %d num %d, want DATA 1", op, num)
	}
	srv.mu.Lock()
	threads := srv.threads
	srv.mu.Unlock()
	if threads != 1 {
		t.Fatalf("%d transfers in a thread slot, want 1", threads)
	}
	// No ACK: the block comes again after the 20 ms timeout.
	if op, num, _ := c.recv(); op != 3 || num != 1 {
		t.Fatalf("got op %d num %d, want DATA 1 resent", op, num)
	}
	// Meanwhile a second transfer runs on the netpoller.
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
	recs := srv.log.waitTransfers(t, 2)
	for _, rec := range recs {
		if rec.Attrs["outcome"] != "ok" {
			t.Errorf("record %v, want ok", rec.Attrs)
		}
	}
}

// TestThreadWaitSeesCancel: a transfer blocked in recvfrom notices its
// context's end within a slice and ends.
func TestThreadWaitSeesCancel(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "f", 3000)
	srv := startServer(t, settings(func(c *inventory.TFTP) { c.Timeout = time.Minute }), newRootFiles(t, dir),
		func(s *Server) { s.threadSlots = 1; s.ShutdownGrace = time.Millisecond })
	c := dialRaw(t, srv.addr)
	c.request(1, "f", "octet")
	if op, num, _ := c.recv(); op != 3 || num != 1 {
		t.Fatalf("got op %d num %d, want DATA 1", op, num)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	rec := srv.log.waitTransfers(t, 1)[0]
	if rec.Attrs["outcome"] == "ok" {
		t.Errorf("record %v, want the transfer aborted", rec.Attrs)
	}
}
