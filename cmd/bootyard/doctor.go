package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bootyard/bootyard/doctor"
)

// runDoctor is `bootyard doctor`: act as a boot firmware on a LAN and say
// what the network answers, or with -get download one file. It needs no
// config: it is a client and does not care what server answers.
func runDoctor(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "doctor", "[-interface IF] [-firmware NAME] [-mac MAC] [-expect-server IP] [-request] | -get URL [-o FILE]")
	iface := fs.String("interface", "eth0", "interface to send the DISCOVER on and to listen to")
	fwName := fs.String("firmware", "uefi-x64", "firmware to act as: "+firmwareNames())
	macFlag := fs.String("mac", "", "client MAC in the DISCOVER (default: a random locally administered one)")
	window := fs.Duration("window", 4*time.Second, "how long to collect offers")
	expect := fs.String("expect-server", "", "the DHCP server that should answer: any other is flagged")
	request := fs.Bool("request", false, "take an offered address for real (REQUEST, then RELEASE); off by default")
	fetch := fs.Bool("fetch", true, "fetch the offered boot file")
	get := fs.String("get", "", "only download this file: tftp://SERVER/FILE or http(s)://...")
	out := fs.String("o", "", `write the fetched file here as it arrives ("-": stdout); -get defaults to the file's base name`)
	blksize := fs.Int("blksize", 1468, "TFTP block size to ask for (0: none, 512-byte blocks)")
	tsize := fs.Bool("tsize", true, "ask the TFTP server for the file size")
	timeout := fs.Duration("timeout", 2*time.Second, "wait for one answer (TFTP: per packet, 5 tries)")
	var lf logFlags
	lf.register(fs)
	lf.level = "warn"
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	// ^C stops a transfer cleanly: the partial file is removed.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log, err := lf.logger(e.stderr)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return errUsage
	}
	opts := doctor.FetchOptions{BlockSize: *blksize, TSize: *tsize, Timeout: *timeout}
	if *blksize != 0 && (*blksize < 8 || *blksize > 65464) {
		fmt.Fprintf(e.stderr, "-blksize %d: want 8 to 65464 (RFC 2348), or 0\n", *blksize)
		return errUsage
	}

	if *get != "" {
		t, err := doctor.ParseTarget(*get)
		if err != nil {
			fmt.Fprintf(e.stderr, "-get: %v\n", err)
			return errUsage
		}
		dst := *out
		if dst == "" {
			dst = path.Base(strings.ReplaceAll(t.Name(), "\\", "/"))
			if dst == "/" || dst == "." || dst == ".." {
				fmt.Fprintf(e.stderr, "-get %s: no file name to write to: give -o\n", t)
				return errUsage
			}
		}
		return getFile(ctx, e, t, dst, opts)
	}

	fw, err := doctor.LookupFirmware(*fwName)
	if err != nil {
		fmt.Fprintf(e.stderr, "-firmware: %v\n", err)
		return errUsage
	}
	mac, err := doctorMAC(*macFlag)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return errUsage
	}
	var exp netip.Addr
	if *expect != "" {
		if exp, err = netip.ParseAddr(*expect); err != nil || !exp.Is4() {
			fmt.Fprintf(e.stderr, "-expect-server %q: want an IPv4 address\n", *expect)
			return errUsage
		}
	}
	if *window <= 0 {
		fmt.Fprintln(e.stderr, "-window: want a positive duration")
		return errUsage
	}
	cfg := doctor.Config{Iface: *iface, Firmware: fw, MAC: mac, Window: *window, Expect: exp,
		Request: *request, Fetch: *fetch, FetchOptions: opts, Log: log}
	var sink *outFile
	if *out != "" && *fetch {
		if sink, err = createOut(*out, e.stdout); err != nil {
			return err
		}
		defer sink.abort()
		cfg.Sink = sink
	}
	cfg.FetchOptions.Progress = progress(e.stderr)
	rep, err := doctor.Run(ctx, cfg, e.stdout)
	if err != nil {
		return err
	}
	if sink != nil && rep.Fetch != nil && rep.FetchErr == nil {
		if err := sink.commit(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "written to %s\n", *out)
	}
	vs := doctor.Analyze(rep)
	doctor.PrintVerdicts(e.stdout, vs)
	if doctor.Failed(vs) {
		return errFailed
	}
	return nil
}

// getFile is -get: one download, written as it arrives.
func getFile(ctx context.Context, e *env, t doctor.Target, dst string, opts doctor.FetchOptions) error {
	info := e.stdout
	if dst == "-" {
		info = e.stderr
	}
	f, err := createOut(dst, e.stdout)
	if err != nil {
		return err
	}
	defer f.abort()
	opts.Progress = progress(e.stderr)
	res, err := doctor.Fetch(ctx, t, f, opts)
	doctor.PrintFetch(info, res, err)
	if err != nil {
		return errFailed
	}
	if err := f.commit(); err != nil {
		return err
	}
	if dst != "-" {
		fmt.Fprintf(info, "written to %s\n", dst)
	}
	return nil
}

// progress returns a progress bar when w is a terminal, else nil: a log
// file or a pipe gets the summary line only.
func progress(w io.Writer) doctor.Progress {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return doctor.NewBar(w)
}

// doctorMAC parses -mac, or makes a random one.
func doctorMAC(s string) (net.HardwareAddr, error) {
	if s == "" {
		return doctor.RandomMAC()
	}
	mac, err := net.ParseMAC(s)
	if err != nil || len(mac) != 6 {
		return nil, fmt.Errorf("-mac %q: want an Ethernet MAC like 52:54:00:12:34:56", s)
	}
	return mac, nil
}

func firmwareNames() string {
	var names []string
	for _, f := range doctor.Firmwares() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// outFile is a download being written: bytes go to a temporary file next to
// the destination as they arrive, renamed over it only once complete, so a
// failed transfer never leaves a truncated file under the real name. "-"
// writes to stdout directly.
type outFile struct {
	f    *os.File
	w    io.Writer
	dst  string
	done bool
}

func createOut(dst string, stdout io.Writer) (*outFile, error) {
	if dst == "-" {
		return &outFile{w: stdout, done: true}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".part-*")
	if err != nil {
		return nil, fmt.Errorf("output file: %w", err)
	}
	return &outFile{f: f, w: f, dst: dst}, nil
}

func (o *outFile) Write(p []byte) (int, error) { return o.w.Write(p) }

// commit makes the file durable and gives it its name.
func (o *outFile) commit() error {
	if o.f == nil {
		return nil
	}
	if err := o.f.Chmod(0o644); err != nil {
		return err
	}
	if err := o.f.Sync(); err != nil {
		return fmt.Errorf("output file: %w", err)
	}
	if err := o.f.Close(); err != nil {
		return fmt.Errorf("output file: %w", err)
	}
	if err := os.Rename(o.f.Name(), o.dst); err != nil {
		return fmt.Errorf("output file: %w", err)
	}
	o.done = true
	if d, err := os.Open(filepath.Dir(o.dst)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// abort removes the temporary file unless commit ran.
func (o *outFile) abort() {
	if o.done || o.f == nil {
		return
	}
	o.f.Close()
	os.Remove(o.f.Name())
}
