package tftpd

import (
	"bytes"
	"crypto/sha256"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
	"github.com/google/go-cmp/cmp"
)

// fetchRaw reads a whole transfer started with c.request, ACKing every
// block, checking each block number (wrapping at 65535 to 0), and returns
// the bytes and the OACK (nil if none).
func fetchRaw(t *testing.T, c *rawClient, blksize int) ([]byte, map[string]string) {
	t.Helper()
	var oack map[string]string
	var got []byte
	op, num, body := c.recv()
	if op == 6 {
		oack = parseOACK(body)
		if v, ok := oack["blksize"]; ok {
			blksize, _ = strconv.Atoi(v)
		}
		c.ack(0)
		op, num, body = c.recv()
	}
	for want := uint16(1); ; want++ { // uint16: 65535+1 is 0, as clients expect
		for op == 3 && num == want-1 {
			// A retransmit that crossed our ACK: ignore it (re-ACKing would
			// start the Sorcerer's Apprentice duplication, RFC 1123 4.2.3.1).
			op, num, body = c.recv()
		}
		if op != 3 || num != want {
			t.Fatalf("after %d bytes: got op %d num %d %q, want DATA %d", len(got), op, num, body, want)
		}
		got = append(got, body...)
		c.ack(num)
		if len(body) < blksize {
			return got, oack
		}
		op, num, body = c.recv()
	}
}

// TestWindowsizeNegotiated: EDK2 (OVMF) asks for RFC 7440 windowsize 4;
// the OACK grants it and the server sends 4 blocks per ACK.
func TestWindowsizeNegotiated(t *testing.T) {
	dir := t.TempDir()
	want := writeFile(t, dir, "bootx64.efi", 20000)
	srv := startServer(t, settings(), newRootFiles(t, dir))
	c := dialRaw(t, srv.addr)
	c.request(1, "bootx64.efi", "octet", "blksize", "1468", "tsize", "0", "windowsize", "4")
	op, _, body := c.recv()
	if diff := cmp.Diff(map[string]string{"blksize": "1468", "tsize": "20000", "windowsize": "4"}, parseOACK(body)); op != 6 || diff != "" {
		t.Fatalf("op %d, OACK (-want +got):\n%s", op, diff)
	}
	c.ack(0)
	got := fetchWindow(t, c, 1, 1468, 4)
	if !bytes.Equal(got, want) {
		t.Errorf("got %d bytes, want %d", len(got), len(want))
	}
	rec := srv.log.waitTransfers(t, 1)[0]
	if rec.Attrs["outcome"] != "ok" || rec.Attrs["windowsize"] != "4" || rec.Attrs["retransmits"] != "" {
		t.Errorf("record %v, want outcome ok, windowsize 4, no retransmits", rec.Attrs)
	}
}

// fetchWindow reads a windowed transfer from block next on, ACKing the
// last block of each window of size window, and the final block.
func fetchWindow(t *testing.T, c *rawClient, next uint16, blksize, window int) []byte {
	t.Helper()
	var got []byte
	for n := 1; ; n++ {
		op, num, body := c.recv()
		if op != 3 || num != next {
			t.Fatalf("got op %d num %d, want DATA %d", op, num, next)
		}
		got = append(got, body...)
		if len(body) < blksize {
			c.ack(num)
			return got
		}
		if n%window == 0 {
			c.ack(num)
		}
		next++
	}
}

// TestProbesAreNotFailures: EDK2's tsize probe (error 8 after the OACK) and
// the Raspberry Pi ROM's first-block probe are logged at debug as probes.
func TestProbesAreNotFailures(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "bootx64.efi", 5000)
	writeFile(t, dir, "bootcode.bin", 5000)
	srv := startServer(t, settings(), newRootFiles(t, dir))

	uefi := dialRaw(t, srv.addr)
	uefi.request(1, "bootx64.efi", "octet", "tsize", "0", "blksize", "1468", "windowsize", "4")
	if op, _, body := uefi.recv(); op != 6 || parseOACK(body)["tsize"] != "5000" {
		t.Fatalf("got op %d %q, want OACK with tsize 5000", op, body)
	}
	uefi.sendError(8, "User aborted the transfer")

	pi := dialRaw(t, srv.addr)
	pi.request(1, "bootcode.bin", "octet")
	if op, num, _ := pi.recv(); op != 3 || num != 1 {
		t.Fatalf("got op %d num %d, want DATA 1", op, num)
	}
	pi.sendError(0, "")

	recs := srv.log.waitTransfers(t, 2)
	for _, r := range recs {
		if r.Attrs["outcome"] != "probe" || r.Level != slog.LevelDebug {
			t.Errorf("record %v at %v, want outcome probe at debug", r.Attrs, r.Level)
		}
	}
	if st := srv.Stats(); st.Probes != 2 || st.Failed != 0 || st.Active != 0 {
		t.Errorf("stats %+v, want 2 probes, 0 failed, 0 active", st)
	}
}

// TestBlockNumberWraps: a file of 65536*512+1 bytes at 512-byte blocks
// needs 65537 blocks; the block after 65535 is numbered 0 (what clients
// expect; no RFC defines it) and the bytes arrive intact.
func TestBlockNumberWraps(t *testing.T) {
	if testing.Short() {
		t.Skip("65537 round trips")
	}
	dir := t.TempDir()
	want := writeFile(t, dir, "big", 65536*512+1)
	srv := startServer(t, settings(), newRootFiles(t, dir))
	c := dialRaw(t, srv.addr)
	c.request(1, "big", "octet")
	got, _ := fetchRaw(t, c, 512)
	if sha256.Sum256(got) != sha256.Sum256(want) {
		t.Fatalf("got %d bytes, want %d: content differs", len(got), len(want))
	}
	if rec := srv.log.waitTransfers(t, 1)[0]; rec.Attrs["bytes"] != strconv.Itoa(len(want)) || rec.Attrs["outcome"] != "ok" {
		t.Errorf("record %v", rec.Attrs)
	}
}

// TestBusy: past MaxPerClient or MaxTransfers a request is answered
// "server busy, try again" at once, and the slot frees when a transfer ends.
func TestBusy(t *testing.T) {
	for _, cfg := range []inventory.TFTP{settings(func(c *inventory.TFTP) { c.MaxPerClient = 1 }), settings(func(c *inventory.TFTP) { c.MaxTransfers = 1 })} {
		t.Run(strconv.Itoa(cfg.MaxPerClient)+"/"+strconv.Itoa(cfg.MaxTransfers), func(t *testing.T) {
			dir := t.TempDir()
			want := writeFile(t, dir, "f", 2000)
			srv := startServer(t, cfg, newRootFiles(t, dir))
			hold := dialRaw(t, srv.addr)
			hold.request(1, "f", "octet")
			if op, num, _ := hold.recv(); op != 3 || num != 1 {
				t.Fatalf("got op %d num %d, want DATA 1", op, num)
			}
			// The first transfer now waits for ACK 1.
			second := dialRaw(t, srv.addr)
			second.request(1, "f", "octet")
			op, code, msg := second.recv()
			if op != 5 || string(bytes.TrimRight(msg, "\x00")) != "server busy, try again" {
				t.Fatalf("got op %d code %d %q, want ERROR server busy", op, code, msg)
			}
			hold.ack(1)
			rest, _ := fetchRawFrom(t, hold, 2, 512)
			if got := append(make([]byte, 0), rest...); len(got) != len(want)-512 {
				t.Fatalf("got %d more bytes, want %d", len(got), len(want)-512)
			}
			recs := srv.log.waitTransfers(t, 2)
			// The busy answer's record and the held transfer's may be
			// written in either order (the held one ends right after).
			outcomes := []string{recs[0].Attrs["outcome"], recs[1].Attrs["outcome"]}
			slices.Sort(outcomes)
			if diff := cmp.Diff([]string{"busy", "ok"}, outcomes); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			// Freed: a new request is served.
			again := dialRaw(t, srv.addr)
			again.request(1, "f", "octet")
			if got, _ := fetchRaw(t, again, 512); !bytes.Equal(got, want) {
				t.Errorf("after the first ended: got %d bytes, want %d", len(got), len(want))
			}
			srv.log.waitTransfers(t, 3)
			if st := srv.Stats(); st.Busy != 1 || st.OK != 2 || st.Active != 0 {
				t.Errorf("stats %+v, want 1 busy, 2 ok, 0 active", st)
			}
		})
	}
}

// fetchRawFrom continues a transfer whose next block is next.
func fetchRawFrom(t *testing.T, c *rawClient, next uint16, blksize int) ([]byte, bool) {
	t.Helper()
	var got []byte
	for want := next; ; want++ {
		op, num, body := c.recv()
		for op == 3 && num == want-1 {
			op, num, body = c.recv()
		}
		if op != 3 || num != want {
			t.Fatalf("got op %d num %d %q, want DATA %d", op, num, body, want)
		}
		got = append(got, body...)
		c.ack(num)
		if len(body) < blksize {
			return got, true
		}
	}
}

// TestTransferTimeout: a transfer still running after TransferTimeout is
// aborted with "transfer timed out" at its next block.
func TestTransferTimeout(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "f", 5000)
	const limit = 300 * time.Millisecond
	srv := startServer(t, settings(func(c *inventory.TFTP) { c.TransferTimeout, c.Timeout = limit, 10*time.Second }), newRootFiles(t, dir))
	c := dialRaw(t, srv.addr)
	c.request(1, "f", "octet")
	if op, num, _ := c.recv(); op != 3 || num != 1 {
		t.Fatalf("got op %d num %d, want DATA 1", op, num)
	}
	time.Sleep(2 * limit) // a client this slow is what is under test
	c.ack(1)
	op, _, msg := c.recv()
	if op != 5 || string(bytes.TrimRight(msg, "\x00")) != "transfer timed out" {
		t.Fatalf("got op %d %q, want ERROR transfer timed out", op, msg)
	}
	if rec := srv.log.waitTransfers(t, 1)[0]; rec.Attrs["outcome"] != "timeout" || rec.Attrs["bytes"] != "512" {
		t.Errorf("record %v, want outcome timeout after 512 bytes", rec.Attrs)
	}
}

// TestShutdownLetsTransfersFinish: after ctx is cancelled a transfer in
// flight still completes, and Serve returns nil once it has.
func TestShutdownLetsTransfersFinish(t *testing.T) {
	for _, single := range []bool{false, true} {
		t.Run("singleport="+strconv.FormatBool(single), func(t *testing.T) {
			dir := t.TempDir()
			want := writeFile(t, dir, "f", 3000)
			srv := startServer(t, settings(func(c *inventory.TFTP) { c.SinglePort = single }), newRootFiles(t, dir),
				func(s *Server) { s.ShutdownGrace = waitBound })
			c := dialRaw(t, srv.addr)
			c.request(1, "f", "octet")
			if op, num, _ := c.recv(); op != 3 || num != 1 {
				t.Fatalf("got op %d num %d, want DATA 1", op, num)
			}
			stopped := make(chan error, 1)
			go func() { stopped <- srv.stop() }()
			// The rest of the file moves only once the server is
			// shutting down, so the test covers a transfer in flight.
			srv.log.waitMsg(t, "tftp stopping: transfers in flight may finish")
			c.ack(1)
			rest, _ := fetchRawFrom(t, c, 2, 512)
			if len(rest) != len(want)-512 {
				t.Errorf("got %d more bytes, want %d", len(rest), len(want)-512)
			}
			if err := <-stopped; err != nil {
				t.Errorf("Serve = %v, want nil", err)
			}
			if rec := srv.log.waitTransfers(t, 1)[0]; rec.Attrs["outcome"] != "ok" {
				t.Errorf("record %v, want ok", rec.Attrs)
			}
		})
	}
}

// TestShutdownGraceExpires: a transfer that does not finish within the
// grace period is aborted and Serve returns nil without waiting for it.
func TestShutdownGraceExpires(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "f", 3000)
	srv := startServer(t, settings(func(c *inventory.TFTP) { c.Timeout = 10 * time.Second }), newRootFiles(t, dir),
		func(s *Server) { s.ShutdownGrace = 200 * time.Millisecond })
	c := dialRaw(t, srv.addr)
	c.request(1, "f", "octet")
	if op, num, _ := c.recv(); op != 3 || num != 1 {
		t.Fatalf("got op %d num %d, want DATA 1", op, num)
	}
	// The client stalls; without the grace the server would wait 10 s x 5 retries.
	if err := srv.stop(); err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
	c.ack(1)
	op, _, msg := c.recv()
	if op != 5 || !strings.Contains(string(msg), "server shutting down") {
		t.Fatalf("got op %d %q, want ERROR server shutting down", op, msg)
	}
	if rec := srv.log.waitTransfers(t, 1)[0]; rec.Attrs["outcome"] != "stopped" {
		t.Errorf("record %v, want outcome stopped", rec.Attrs)
	}
}

// TestOversizeRequestDropped: a request longer than 512 bytes (RFC 2347; a
// 600-byte name) is dropped unanswered; Files is never asked.
func TestOversizeRequestDropped(t *testing.T) {
	files := newRootFiles(t, t.TempDir())
	srv := startServer(t, settings(), files)
	before := srv.Stats().Dropped
	c := dialRaw(t, srv.addr)
	c.request(1, strings.Repeat("a", 600), "octet")
	deadline := time.Now().Add(waitBound)
	for srv.Stats().Dropped == before {
		if time.Now().After(deadline) {
			t.Fatal("request never dropped")
		}
		<-time.After(10 * time.Millisecond)
	}
	if n := len(files.opened()); n != 0 {
		t.Errorf("Resolve called %d times", n)
	}
}

// TestStrangerGetsError5: a packet from another port than the transfer's
// client is answered with error 5 and the transfer goes on.
func TestStrangerGetsError5(t *testing.T) {
	dir := t.TempDir()
	want := writeFile(t, dir, "f", 1500)
	srv := startServer(t, settings(), newRootFiles(t, dir))
	c := dialRaw(t, srv.addr)
	c.request(1, "f", "octet")
	if op, num, _ := c.recv(); op != 3 || num != 1 {
		t.Fatalf("got op %d num %d, want DATA 1", op, num)
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
	if rec := srv.log.waitTransfers(t, 1)[0]; rec.Attrs["outcome"] != "ok" || rec.Attrs["strangers"] != "1" {
		t.Errorf("record %v, want ok with 1 stranger", rec.Attrs)
	}
}

// TestErrorCodes: each refusal carries the RFC 1350 code that fits it.
func TestErrorCodes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "f", 10)
	srv := startServer(t, settings(), newRootFiles(t, dir))
	for _, tc := range []struct {
		op   uint16
		name string
		code uint16
	}{
		{1, "missing", 1},
		{1, "../f", 2},
		{2, "up", 2}, // uploads are off
	} {
		c := dialRaw(t, srv.addr)
		c.request(tc.op, tc.name, "octet")
		if op, code, msg := c.recv(); op != 5 || code != tc.code {
			t.Errorf("op %d %q: got op %d code %d %q, want ERROR %d", tc.op, tc.name, op, code, msg, tc.code)
		}
	}
	// RFC 1350's mail mode is not spoken: illegal operation.
	c := dialRaw(t, srv.addr)
	c.request(1, "f", "mail")
	if op, code, msg := c.recv(); op != 5 || code != 4 {
		t.Errorf("mail mode: got op %d code %d %q, want ERROR 4", op, code, msg)
	}
}

// TestOptionsNegotiated: option names in any case, timeout echoed, tsize
// for a generated-size file, unknown options left out of the OACK.
func TestOptionsNegotiated(t *testing.T) {
	dir := t.TempDir()
	want := writeFile(t, dir, "f", 3000)
	srv := startServer(t, settings(), newRootFiles(t, dir))
	c := dialRaw(t, srv.addr)
	c.request(1, "f", "OCTET", "BLKSIZE", "1024", "Timeout", "3", "TSIZE", "0", "multicast", "", "windowsize", "2")
	op, _, body := c.recv()
	if diff := cmp.Diff(map[string]string{"blksize": "1024", "timeout": "3", "tsize": "3000", "windowsize": "2"}, parseOACK(body)); op != 6 || diff != "" {
		t.Fatalf("op %d, OACK (-want +got):\n%s", op, diff)
	}
	c.ack(0)
	if got := fetchWindow(t, c, 1, 1024, 2); !bytes.Equal(got, want) {
		t.Errorf("got %d bytes, want %d", len(got), len(want))
	}
}

// cappedFiles is a Resolver whose hosts cap the window at 2.
type cappedFiles struct{ *rootFiles }

func (cappedFiles) MaxWindow(served.Client) int { return 2 }

// TestHostWindowCap: a host's own cap lowers tftp.max_window; the client
// asking 16 gets 2 and the transfer runs with 2 blocks per ACK.
func TestHostWindowCap(t *testing.T) {
	dir := t.TempDir()
	want := writeFile(t, dir, "f", 5000)
	srv := startServer(t, settings(), cappedFiles{newRootFiles(t, dir)})
	c := dialRaw(t, srv.addr)
	c.request(1, "f", "octet", "windowsize", "16")
	op, _, body := c.recv()
	if op != 6 || parseOACK(body)["windowsize"] != "2" {
		t.Fatalf("got op %d %q, want OACK windowsize 2", op, body)
	}
	c.ack(0)
	if got := fetchWindow(t, c, 1, 512, 2); !bytes.Equal(got, want) {
		t.Errorf("got %d bytes, want %d", len(got), len(want))
	}
}
