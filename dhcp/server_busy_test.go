package dhcp_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bootyard/bootyard/dhcp"
	"github.com/bootyard/bootyard/dhcp/leases"
	"github.com/bootyard/bootyard/inventory"
	"golang.org/x/sys/unix"
)

// stallFirst makes the server's first decision wait until release is
// closed: with one worker, everything after it queues.
func stallFirst(release <-chan struct{}) func(*dhcp.Server) {
	return func(s *dhcp.Server) {
		var once sync.Once
		s.SetDecide(func(r dhcp.Request, snap *inventory.Snapshot, lv dhcp.LeaseView) dhcp.Decision {
			once.Do(func() { <-release })
			return dhcp.Decide(r, snap, lv)
		})
	}
}

// TestBurstWaitsForTheWorkers: a burst larger than the workers and their
// queue (a rack powering on while a decision is slow) is answered in full
// once the workers are free; nothing is dropped while the socket still
// holds it.
func TestBurstWaitsForTheWorkers(t *testing.T) {
	release := make(chan struct{})
	h := startServer(t, testSnapshot(inventory.DHCPLimits{}, false), func(c *dhcp.Config) { c.Workers = 1 }, stallFirst(release))
	free := sync.OnceFunc(func() { close(release) })
	t.Cleanup(free) // before the server's own cleanup, which waits for its worker
	const n = 1200  // well past 1 worker + a queue of 512
	for range n {
		h.conn.send(t, discover(t, knownMAC))
	}
	free()
	deadline := time.After(20 * time.Second)
	for got := 0; got < n; got++ {
		select {
		case <-h.conn.out:
		case <-deadline:
			t.Fatalf("%d replies to a burst of %d DISCOVERs; the rest were dropped:\n%s", got, n, h.logs)
		}
	}
}

// packetCounter is a dhcp.Observer counting packets by outcome and reason.
type packetCounter struct {
	replyRecorder
	mu sync.Mutex
	n  map[string]int
}

func (c *packetCounter) DHCPPacket(_, outcome, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[outcome+" "+reason]++
}

func (c *packetCounter) counts() (total int, byKind map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	byKind = make(map[string]int, len(c.n))
	for k, v := range c.n {
		byKind[k] = v
		total += v
	}
	return total, byKind
}

// TestSocketDropsCounted: requests the kernel drops because the socket's
// queue is full are counted (reason busy): every request sent is either
// handled or counted. The socket is a loopback one with a tiny queue, as
// Listen sets it up (SO_RXQ_OVFL); the server answers none of them (no
// pool, unknown MAC), so nothing but the loopback is written to.
func TestSocketDropsCounted(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1); serr == nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
		}
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	snap := testSnapshot(inventory.DHCPLimits{}, false)
	noPool := *snap
	noPool.DHCP.Pool = nil
	snap = inventory.New(noPool, nil, nil)
	store, _ := leases.Open("", leases.Options{})
	defer store.Close()
	obs := &packetCounter{n: map[string]int{}}
	srv, err := dhcp.NewServer(dhcp.Config{Snapshot: func() *inventory.Snapshot { return snap }, Leases: store, Workers: 1, Observer: obs, ServerIP: snap.DHCP.ServerIP})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	free := sync.OnceFunc(func() { close(release) })
	stallFirst(release)(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn) }()
	defer func() {
		free() // Serve waits for its worker
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	}()

	client, err := net.DialUDP("udp4", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	stranger := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x77}
	b := discover(t, stranger).ToBytes()
	sent := 0
	send := func() {
		t.Helper()
		if _, err := client.Write(b); err != nil && !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatal(err)
		}
		sent++
	}
	for range 3000 { // far more than 1 worker, the 512 queue and 4 KiB hold
		send()
	}
	free()
	// A drop is reported with the next datagram the socket queues: keep
	// sending one now and then until every datagram is accounted for.
	deadline := time.Now().Add(20 * time.Second)
	for {
		total, byKind := obs.counts()
		if total == sent && byKind["dropped busy"] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sent %d, counted %d: %v", sent, total, byKind)
		}
		send()
		time.Sleep(20 * time.Millisecond)
	}
}
