package httpboot

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// limitListener caps open connections in all (max) and per client address
// (perClient); 0 means no cap. A connection beyond a cap is closed at once,
// before a byte is read, so a flood costs a file descriptor for a moment,
// never memory. Clients behind one NAT share the per-client cap.
func limitListener(ln net.Listener, max, perClient int, log *slog.Logger) net.Listener {
	if max <= 0 && perClient <= 0 {
		return ln
	}
	return &limited{Listener: ln, max: max, perClient: perClient, log: log, by: map[netip.Addr]int{}}
}

type limited struct {
	net.Listener
	max, perClient int
	log            *slog.Logger

	mu       sync.Mutex
	open     int
	by       map[netip.Addr]int
	lastWarn time.Time
}

func (l *limited) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		var addr netip.Addr
		if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
			addr = ap.Addr().Unmap()
		}
		l.mu.Lock()
		over := (l.max > 0 && l.open >= l.max) || (l.perClient > 0 && l.by[addr] >= l.perClient)
		if !over {
			l.open++
			l.by[addr]++
		}
		warn := over && time.Since(l.lastWarn) > 10*time.Second
		if warn {
			l.lastWarn = time.Now()
		}
		open := l.open
		l.mu.Unlock()
		if over {
			if warn {
				l.log.Warn("http connection limit reached, closing new connections", "client", addr, "open", open,
					"max_conns", l.max, "max_conns_per_client", l.perClient)
			}
			c.Close()
			continue
		}
		return &limitedConn{Conn: c, l: l, addr: addr}, nil
	}
}

type limitedConn struct {
	net.Conn
	l    *limited
	addr netip.Addr
	once sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.open--
		if c.l.by[c.addr]--; c.l.by[c.addr] <= 0 {
			delete(c.l.by, c.addr)
		}
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// ReadFrom lets net/http hand a file to sendfile(2) through the wrapper.
func (c *limitedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(c.Conn, r)
}
