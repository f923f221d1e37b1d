package e2e

import (
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

// dialConsole connects to qemu's console socket (qemu listens on it before
// it starts the guest) and reads from it until the connection closes.
func dialConsole(t *testing.T, path string) *console {
	t.Helper()
	conn, err := net.Dial("unix", path)
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
			return 0, fmt.Errorf("timed out after %s waiting for %q", timeout, substr)
		}
	}
}

// Type sends one command line to the guest, ended by a carriage return:
// the Enter key on a serial terminal.
func (c *console) Type(line string) error {
	_, err := io.WriteString(c.conn, line+"\r")
	return err
}
