package tftpd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// waitBound is how long any test waits for an event before failing.
const waitBound = 20 * time.Second

// rootFiles is a minimal Resolver over os.Root, standing in for bootfiles: a
// symlink out of the root fails inside os.Root.
type rootFiles struct {
	root *os.Root

	mu    sync.Mutex
	names []string // every name Open was asked for
}

func newRootFiles(t testing.TB, dir string) *rootFiles {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return &rootFiles{root: root}
}

func (f *rootFiles) Resolve(_ served.Client, name string) (served.Content, error) {
	f.mu.Lock()
	f.names = append(f.names, name)
	f.mu.Unlock()
	fl, err := f.root.Open(name)
	if err != nil {
		return served.Content{}, err
	}
	st, err := fl.Stat()
	if err != nil {
		fl.Close()
		return served.Content{}, err
	}
	if !st.Mode().IsRegular() {
		fl.Close()
		return served.Content{}, fmt.Errorf("%s: not a regular file: %w", name, fs.ErrNotExist)
	}
	return served.Content{Name: name, Body: fl, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// settings is the tftp: section as a file without one would load, with the
// transfer limits off (tests that want them set them).
func settings(mods ...func(*inventory.TFTP)) inventory.TFTP {
	c := inventory.DefaultTFTP()
	c.MaxTransfers, c.MaxPerClient, c.TransferTimeout = 0, 0, 0
	for _, m := range mods {
		m(&c)
	}
	return c
}

func (f *rootFiles) opened() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.names...)
}

// writeFile puts size bytes of a repeatable pattern at dir/name.
func writeFile(t testing.TB, dir, name string, size int) []byte {
	t.Helper()
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// logRecord is one slog record, flattened.
type logRecord struct {
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

// recLog is an slog.Handler that keeps every record for assertions.
type recLog struct {
	mu     sync.Mutex
	recs   []logRecord
	notify chan struct{}
}

func newRecLog() *recLog { return &recLog{notify: make(chan struct{}, 1)} }

func (h *recLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *recLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recLog) WithGroup(string) slog.Handler            { return h }
func (h *recLog) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Level: r.Level, Msg: r.Message, Attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	h.recs = append(h.recs, rec)
	h.mu.Unlock()
	select {
	case h.notify <- struct{}{}:
	default:
	}
	return nil
}

// transfers returns the "tftp transfer" records so far.
func (h *recLog) transfers() []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []logRecord
	for _, r := range h.recs {
		if r.Msg == "tftp transfer" {
			out = append(out, r)
		}
	}
	return out
}

// waitTransfers waits until n transfer records exist and returns them.
func (h *recLog) waitTransfers(t testing.TB, n int) []logRecord {
	t.Helper()
	deadline := time.After(waitBound)
	for {
		if recs := h.transfers(); len(recs) >= n {
			return recs
		}
		select {
		case <-h.notify:
		case <-deadline:
			t.Fatalf("waited %v for %d transfer records, have %+v", waitBound, n, h.transfers())
		}
	}
}

// waitMsg waits until a record with message msg exists.
func (h *recLog) waitMsg(t testing.TB, msg string) {
	t.Helper()
	deadline := time.After(waitBound)
	for {
		h.mu.Lock()
		for _, r := range h.recs {
			if r.Msg == msg {
				h.mu.Unlock()
				return
			}
		}
		h.mu.Unlock()
		select {
		case <-h.notify:
		case <-deadline:
			t.Fatalf("waited %v for log %q", waitBound, msg)
		}
	}
}

// testServer is a Server running on 127.0.0.1:0.
type testServer struct {
	*Server
	addr string
	log  *recLog
	stop func() error // cancels Serve and returns what it returned
}

func startServer(t testing.TB, cfg inventory.TFTP, files Resolver, opts ...func(*Server)) *testServer {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	rl := newRecLog()
	srv := New(cfg, files, slog.New(rl))
	for _, o := range opts {
		o(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(waitBound):
				serveErr = errors.New("Serve did not return")
			}
		})
		return serveErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
		conn.Close()
	})
	ts := &testServer{Server: srv, addr: conn.LocalAddr().String(), log: rl, stop: stop}
	ts.waitReady(t)
	return ts
}

// waitReady waits until the server reads from its socket (so that tests
// measure the server, not its start): send a stray ACK (dropped, logged at
// debug) and wait for its log line.
func (s *testServer) waitReady(t testing.TB) {
	t.Helper()
	c := dialRaw(t, s.addr)
	c.peer = c.server
	c.ack(0)
	deadline := time.After(waitBound)
	for {
		s.log.mu.Lock()
		n := len(s.log.recs)
		s.log.mu.Unlock()
		if n > 0 {
			return
		}
		select {
		case <-s.log.notify:
		case <-deadline:
			t.Fatal("server never read its socket")
		}
	}
}

// rawClient speaks TFTP by hand, to send what the library's client cannot
// (windowsize, error packets, slow ACKs) and to see every packet.
type rawClient struct {
	t      testing.TB
	conn   *net.UDPConn
	server *net.UDPAddr
	peer   *net.UDPAddr // the transfer's TID once the server answered
}

func dialRaw(t testing.TB, server string) *rawClient {
	t.Helper()
	sa, err := net.ResolveUDPAddr("udp4", server)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawClient{t: t, conn: conn, server: sa}
}

// request sends an RRQ (op 1) or WRQ (op 2) with option name/value pairs.
func (c *rawClient) request(op uint16, name, mode string, opts ...string) {
	c.t.Helper()
	b := binary.BigEndian.AppendUint16(nil, op)
	for _, s := range append([]string{name, mode}, opts...) {
		b = append(append(b, s...), 0)
	}
	if _, err := c.conn.WriteToUDP(b, c.server); err != nil {
		c.t.Fatal(err)
	}
}

// recv waits for the next packet and returns its opcode, the block number
// or error code, and the rest.
func (c *rawClient) recv() (op, num uint16, rest []byte) {
	c.t.Helper()
	buf := make([]byte, 65536)
	c.conn.SetReadDeadline(time.Now().Add(waitBound))
	n, from, err := c.conn.ReadFromUDP(buf)
	if err != nil {
		c.t.Fatalf("waiting for a packet: %v", err)
	}
	if n < 2 {
		c.t.Fatalf("short packet % x", buf[:n])
	}
	c.peer = from
	op = binary.BigEndian.Uint16(buf)
	if op == 6 { // OACK has no number
		return op, 0, buf[2:n]
	}
	if n < 4 {
		c.t.Fatalf("short packet % x", buf[:n])
	}
	return op, binary.BigEndian.Uint16(buf[2:]), buf[4:n]
}

func (c *rawClient) send(b []byte) {
	c.t.Helper()
	if _, err := c.conn.WriteToUDP(b, c.peer); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) ack(block uint16) {
	c.send(binary.BigEndian.AppendUint16([]byte{0, 4}, block))
}

func (c *rawClient) sendError(code uint16, msg string) {
	b := binary.BigEndian.AppendUint16([]byte{0, 5}, code)
	c.send(append(append(b, msg...), 0))
}

// parseOACK splits an OACK body into its options.
func parseOACK(b []byte) map[string]string {
	parts := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	m := map[string]string{}
	for i := 0; i+1 < len(parts); i += 2 {
		m[parts[i]] = parts[i+1]
	}
	return m
}
