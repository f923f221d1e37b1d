// Command tftpbench serves one folder over TFTP with bootyard's tftpd, for
// the TFTP benchmark and the interop lab tests. It is not the product
// (cmd/bootyard is): it exists so the benchmark and tests do not depend on
// the rest of bootyard.
//
//	tftpbench -addr :69 -root /srv/tftp [-blksize 1468] [-single-port] [-cpuprofile f]
//
// It prints "listening on ADDR" once the socket is open and stops on
// SIGINT/SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/bootyard/bootyard/tftpd"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tftpbench:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", ":69", "UDP address to listen on")
	rootDir := flag.String("root", ".", "folder to serve")
	blksize := flag.Int("blksize", tftpd.DefaultMaxBlockSize, "largest blksize to negotiate")
	single := flag.Bool("single-port", false, "answer every transfer from the listening port")
	maxTransfers := flag.Int("max-transfers", 0, "concurrent transfer cap (0: none)")
	maxPerClient := flag.Int("max-per-client", 0, "concurrent transfers per client address (0: none)")
	timeout := flag.Duration("timeout", tftpd.DefaultTimeout, "retransmit timeout")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here until stopped")
	level := flag.String("log", "warn", "log level: debug, info, warn, error")
	flag.Parse()

	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	root, err := os.OpenRoot(*rootDir)
	if err != nil {
		return err
	}
	defer root.Close()

	cfg := tftpd.Config{
		MaxBlockSize: *blksize,
		Timeout:      *timeout,
		MaxTransfers: *maxTransfers,
		MaxPerClient: *maxPerClient,
		SinglePort:   *single,
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	ua, err := net.ResolveUDPAddr("udp4", *addr)
	if err != nil {
		return err
	}
	conn, err := net.ListenUDP("udp4", ua)
	if err != nil {
		return err
	}
	defer conn.Close()

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := tftpd.New(cfg, rootFiles{root}, log)
	fmt.Printf("listening on %s\n", conn.LocalAddr())
	err = srv.Serve(ctx, conn)
	st := srv.Stats()
	fmt.Printf("stopped: ok=%d probes=%d failed=%d busy=%d bytes_sent=%d\n", st.OK, st.Probes, st.Failed, st.Busy, st.BytesSent)
	return err
}

// rootFiles serves regular files under an os.Root, streamed, never loaded
// whole.
type rootFiles struct{ root *os.Root }

func (f rootFiles) Open(_ netip.Addr, name string) (io.ReadCloser, int64, error) {
	fl, err := f.root.Open(name)
	if err != nil {
		return nil, 0, err
	}
	st, err := fl.Stat()
	if err != nil {
		fl.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		fl.Close()
		return nil, 0, fmt.Errorf("%s: not a regular file: %w", name, fs.ErrNotExist)
	}
	return fl, st.Size(), nil
}
