package tftpd

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"github.com/bootyard/bootyard/inventory"
)

// BenchmarkLockStep fetches a 4 MiB file at blksize 1468 with pin/tftp's
// client (one block per ACK) over loopback: the engine's lock-step cost
// with a Go client on the other side.
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

// BenchmarkEngine fetches a 16 MiB file over loopback with fastClient (a
// client as cheap as a C one, in its own process), lock-step at three
// block sizes and with windowsize 16. MB/s is the server's speed;
// allocs/block is what the server allocates per DATA block sent, its
// per-transfer allocations spread over the blocks. Run it pinned to one
// CPU, server and client together, to compare with a C ping-pong:
//
//	go test -c -o /tmp/tftpd.test ./tftpd/
//	cd tftpd && taskset -c 1 /tmp/tftpd.test -test.run '^$' -test.bench Engine -test.benchtime 5x
//
// BOOTYARD_BENCH_CLIENT_CPU=0 runs the client on CPU 0 instead, as
// bench/tftp/run.sh pins its clients.
func BenchmarkEngine(b *testing.B) {
	const size = 16 << 20
	dir := b.TempDir()
	writeFile(b, dir, "f", size)
	waits := []struct {
		name string
		set  func(*Server)
	}{
		{"brief", func(*Server) {}}, // the default
		{"netpoll", func(s *Server) { s.noBrief = true }},
	}
	for _, c := range []struct{ blksize, window int }{{512, 1}, {1468, 1}, {8192, 1}, {1468, 16}} {
		for _, wt := range waits {
			b.Run(fmt.Sprintf("blksize=%d/window=%d/wait=%s", c.blksize, c.window, wt.name), func(b *testing.B) {
				srv := startServer(b, settings(func(t *inventory.TFTP) { t.MaxBlockSize = 8192; t.MaxWindow = 16 }), newRootFiles(b, dir), wt.set)
				args := []string{os.Args[0], srv.addr, "f", strconv.Itoa(size), strconv.Itoa(c.blksize),
					strconv.Itoa(c.window), strconv.Itoa(b.N)}
				if cpu := os.Getenv("BOOTYARD_BENCH_CLIENT_CPU"); cpu != "" {
					args = append([]string{"taskset", "-c", cpu}, args...)
				}
				cmd := exec.Command(args[0], args[1:]...)
				cmd.Env = append(os.Environ(), fastGetEnv+"=1")
				b.SetBytes(size)
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				cpu0 := cpuTime(b)
				b.ResetTimer()
				out, err := cmd.CombinedOutput()
				b.StopTimer()
				runtime.ReadMemStats(&ms1)
				cpu1 := cpuTime(b)
				if err != nil {
					b.Fatalf("client: %v: %s", err, out)
				}
				blocks := b.N * (size/c.blksize + 1)
				b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(blocks), "allocs/block")
				b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N), "allocs/transfer")
				b.ReportMetric(float64(cpu1-cpu0)/1e9/(float64(b.N)*size/(1<<30)), "cpu-s/GiB")
			})
		}
	}
}

// cpuTime is the CPU time (user and system) this process, the server, has
// used so far; the client runs in a child and is not counted.
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
