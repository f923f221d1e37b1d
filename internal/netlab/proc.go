package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stopGrace is how long Stop lets a process exit on SIGTERM (dnsmasq and
// dhclient clean up their pid files) before it sends SIGKILL.
const stopGrace = 3 * time.Second

// tailBytes is how much of a process's output a failed test logs.
const tailBytes = 4096

// A Proc is a process started in a lab namespace by Host.Start. Its output
// (stdout and stderr together) is kept for WaitFor, Output and, when the test
// fails, the test log.
type Proc struct {
	host *Host
	line string
	pid  int
	out  *outBuffer
	done chan struct{} // closed when the process has exited and been reaped
	err  error         // exit status; read only after done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start starts a command in the background inside the host's namespace. It
// is stopped by its pid (process group) when t ends, if not before by Stop;
// when t failed, the tail of its output is logged. Start fails t if the
// command cannot be started.
func (h *Host) Start(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{
		host: h,
		line: strings.Join(append([]string{name}, args...), " "),
		out:  newOutBuffer(),
		done: make(chan struct{}),
	}
	// No context: the process lives until Stop, not until some deadline.
	cmd := h.Command(context.Background(), name, args...)
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("netlab: start %s on %s: %v", p.line, h.Name, err)
	}
	p.pid = cmd.Process.Pid
	go func() {
		// Exits when the process does (Stop makes sure it does).
		p.err = cmd.Wait()
		close(p.done)
	}()
	if h.lab != nil {
		h.lab.track(p)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("netlab: %v", err)
		}
		if t.Failed() {
			out := p.tail()
			if out == "" {
				out = "(no output)"
			}
			t.Logf("netlab: output of %q on %s (pid %d, %s):\n%s", p.line, h.Name, p.pid, p.status(), out)
		}
	})
	return p
}

// Pid returns the process id (also its process group id).
func (p *Proc) Pid() int { return p.pid }

// Output returns everything the process wrote so far.
func (p *Proc) Output() string { return p.out.String() }

// WaitFor waits until the output contains substr. It returns an error
// holding the output's tail if the process exits first or timeout passes.
func (p *Proc) WaitFor(timeout time.Duration, substr string) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		out, changed := p.out.snapshot()
		if strings.Contains(out, substr) {
			return nil
		}
		select {
		case <-changed:
		case <-p.done:
			// Output may have arrived together with the exit.
			if strings.Contains(p.out.String(), substr) {
				return nil
			}
			return fmt.Errorf("%q on %s exited (%v) before printing %q; output ends:\n%s", p.line, p.host.Name, p.err, substr, p.tail())
		case <-timer.C:
			return fmt.Errorf("%q on %s did not print %q within %v; output ends:\n%s", p.line, p.host.Name, substr, timeout, p.tail())
		}
	}
}

// Wait waits, bounded by timeout, for the process to exit by itself and
// returns its exit error (nil for status 0).
func (p *Proc) Wait(timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.err
	case <-timer.C:
		return fmt.Errorf("%q on %s still running after %v", p.line, p.host.Name, timeout)
	}
}

// Stop ends the process group: SIGTERM, a bounded grace period, then
// SIGKILL. It returns nil once the process is gone, whatever its exit status
// (see Wait for that), and an error only if it would not die. Calling it
// again is harmless.
func (p *Proc) Stop() error {
	p.stopOnce.Do(func() {
		p.stopErr = p.stop()
		if p.host.lab != nil {
			p.host.lab.untrack(p)
		}
	})
	return p.stopErr
}

func (p *Proc) stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		// The group may hold children after the leader exited; ESRCH
		// just means nobody is left.
		if err := syscall.Kill(-p.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("signal %v to %q (pid %d): %w", sig, p.line, p.pid, err)
		}
		select {
		case <-p.done:
			return nil
		case <-time.After(stopGrace):
		}
	}
	return fmt.Errorf("%q on %s (pid %d) survived SIGKILL for %v", p.line, p.host.Name, p.pid, stopGrace)
}

// status says how the process ended, or that it has not.
func (p *Proc) status() string {
	select {
	case <-p.done:
		if p.err == nil {
			return "exit status 0"
		}
		return p.err.Error()
	default:
		return "still running"
	}
}

// tail returns the last tailBytes of output.
func (p *Proc) tail() string {
	out := p.out.String()
	if len(out) > tailBytes {
		out = "..." + out[len(out)-tailBytes:]
	}
	return out
}

// track and untrack keep the lab's list of running processes, which its
// teardown stops before deleting namespaces.
func (l *Lab) track(p *Proc) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.procs[p] = struct{}{}
}

func (l *Lab) untrack(p *Proc) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.procs, p)
}

// outBuffer is a goroutine-safe output buffer that tells waiters when it
// grows, so WaitFor reacts to output at once instead of polling.
type outBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newOutBuffer() *outBuffer {
	return &outBuffer{changed: make(chan struct{})}
}

// Write appends to the buffer and wakes waiters.
func (b *outBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return n, err
}

// String returns the contents so far.
func (b *outBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// snapshot returns the contents and a channel closed on the next write.
func (b *outBuffer) snapshot() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String(), b.changed
}
