package tftpd

import (
	"testing"
	"time"
)

// TestInFlight: a transfer waiting for its client is listed with its file,
// size and the bytes sent so far, and is gone once it ends.
func TestInFlight(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "f", 2000)
	srv := startServer(t, settings(), newRootFiles(t, dir))
	c := dialRaw(t, srv.addr)
	c.request(1, "f", "octet")
	if op, num, _ := c.recv(); op != 3 || num != 1 {
		t.Fatalf("got op %d num %d, want DATA 1", op, num)
	}
	list := srv.InFlight()
	if len(list) != 1 || list[0].File != "f" || list[0].Size != 2000 || list[0].Bytes != 512 || !list[0].Client.IsLoopback() {
		t.Fatalf("InFlight = %+v, want f, 512 of 2000 bytes", list)
	}
	for b := uint16(1); b <= 4; b++ {
		c.ack(b)
		if b < 4 {
			c.recv()
		}
	}
	deadline := time.Now().Add(waitBound)
	for len(srv.InFlight()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("transfer still listed after it ended: %+v", srv.InFlight())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
