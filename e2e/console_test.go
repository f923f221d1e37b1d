package e2e

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// console is a guest's serial port over a unix socket (qemu -chardev
// socket,server=on,wait=on): the test reads everything the guest prints and
// can type at its prompt, which a Proc's output cannot do. The socket lives
// in the file system, so the test reaches it from outside the lab's
// namespaces.
type console struct {
	conn net.Conn

	mu      sync.Mutex
	out     strings.Builder
	changed chan struct{} // closed and replaced on every read or at EOF
	done    bool          // the guest side closed (qemu exited)
}

// dialConsole connects to qemu's console socket, retrying while qemu starts
// (bounded), and reads from it until the connection closes.
func dialConsole(t *testing.T, path string) *console {
	t.Helper()
	var conn net.Conn
	var err error
	for deadline := time.Now().Add(serverUp); ; {
		if conn, err = net.Dial("unix", path); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // qemu creates the socket shortly after start
	}
	if err != nil {
		t.Fatalf("console %s: %v", path, err)
	}
	c := &console{conn: conn, changed: make(chan struct{})}
	t.Cleanup(func() { conn.Close() })
	go c.read() // exits when conn is closed by qemu or by the cleanup above
	return c
}

func (c *console) read() {
	buf := make([]byte, 4096)
	for {
		n, err := c.conn.Read(buf)
		c.mu.Lock()
		c.out.Write(buf[:n])
		if err != nil {
			c.done = true
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Output is everything the guest printed so far.
func (c *console) Output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// WaitFor waits until the output contains substr after byte offset from,
// and returns the offset just past the match.
func (c *console) WaitFor(timeout time.Duration, from int, substr string) (int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		s, ch, done := c.out.String(), c.changed, c.done
		c.mu.Unlock()
		if from > len(s) {
			from = len(s)
		}
		if i := strings.Index(s[from:], substr); i >= 0 {
			return from + i + len(substr), nil
		}
		if done {
			return 0, fmt.Errorf("console closed before %q: %w", substr, io.EOF)
		}
		select {
		case <-ch:
		case <-deadline.C:
			return 0, errors.New("timed out after " + timeout.String() + " waiting for " + fmt.Sprintf("%q", substr))
		}
	}
}

// Type sends one command line to the guest. U-Boot reads a console line
// byte by byte; a whole line at once is fine for its 16550/PL011 FIFO
// under qemu.
func (c *console) Type(line string) error {
	_, err := io.WriteString(c.conn, line+"\r")
	return err
}
