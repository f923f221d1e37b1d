package tftpd

import (
	"testing"
)

// BenchmarkLockStep fetches a 4 MiB file at blksize 1468 with pin/tftp's
// client (one block per ACK) over loopback: the engine's lock-step cost.
func BenchmarkLockStep(b *testing.B) {
	dir := b.TempDir()
	want := writeFile(b, dir, "f", 4<<20)
	srv := startServer(b, settings(), newRootFiles(b, dir))
	b.SetBytes(int64(len(want)))
	for b.Loop() {
		got, _, _, err := get(b, srv.addr, "f", "octet", 1468, true)
		if err != nil || len(got) != len(want) {
			b.Fatalf("got %d bytes, %v", len(got), err)
		}
	}
}
