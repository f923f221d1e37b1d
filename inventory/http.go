package inventory

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// HTTP is the http: section: the boot-facing HTTP file server. Like tftp:,
// every key is bound at start-up (a reload that changes one logs "needs a
// restart").
type HTTP struct {
	// Enabled turns the server on (default false).
	Enabled bool `key:"enabled"`
	// Port is the TCP port, on the server address only (default 80).
	Port int `key:"port"`
	// ReadHeaderTimeout cuts off a client that has not sent its request
	// headers in time (slowloris).
	ReadHeaderTimeout time.Duration `key:"read_header_timeout"`
	// IdleTimeout closes a keep-alive connection with no request.
	IdleTimeout time.Duration `key:"idle_timeout"`
	// MaxConns caps open connections in all; MaxConnsPerClient those from
	// one client address. A connection beyond either is closed at once.
	// 0: no cap. There is no whole-response write timeout: multi-GB images
	// are normal.
	MaxConns          int `key:"max_conns"`
	MaxConnsPerClient int `key:"max_conns_per_client"`
}

// DefaultHTTP is the http: section of a file that leaves every key out.
func DefaultHTTP() HTTP {
	return HTTP{Port: 80, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
		MaxConns: 1024, MaxConnsPerClient: 32}
}

var httpKeys = keysOf(HTTP{})

func (d *decoder) decodeHTTP(n *yaml.Node, c *HTTP) {
	*c = DefaultHTTP()
	if n == nil || isNull(d.resolve(n)) {
		return
	}
	m := d.mapping(n, "http", httpKeys)
	c.Enabled = d.boolean(m["enabled"], "http.enabled", c.Enabled)
	c.Port = int(d.integer(m["port"], "http.port", int64(c.Port), 1, 65535))
	c.ReadHeaderTimeout = d.duration(m["read_header_timeout"], "http.read_header_timeout", c.ReadHeaderTimeout, 100*time.Millisecond, 10*time.Minute)
	c.IdleTimeout = d.duration(m["idle_timeout"], "http.idle_timeout", c.IdleTimeout, time.Second, time.Hour)
	c.MaxConns = int(d.integer(m["max_conns"], "http.max_conns", int64(c.MaxConns), 0, 1<<20))
	c.MaxConnsPerClient = int(d.integer(m["max_conns_per_client"], "http.max_conns_per_client", int64(c.MaxConnsPerClient), 0, 1<<20))
}

// URL is the address at which the HTTP server serves name to clients that
// reach it at server: http://SERVER[:PORT]/name (the port left out when it
// is 80). A name that already is an http(s) URL is returned as it is.
func (c HTTP) URL(server netip.Addr, name string) string {
	if IsURL(name) {
		return name
	}
	host := server.String()
	if c.Port != 0 && c.Port != 80 {
		host = net.JoinHostPort(host, strconv.Itoa(c.Port))
	}
	u := url.URL{Scheme: "http", Host: host, Path: "/" + strings.TrimPrefix(name, "/")}
	return u.String()
}

// IsURL reports whether a boot file or path names an http(s) URL rather than
// a file under the TFTP root.
func IsURL(name string) bool {
	l := strings.ToLower(name)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}
