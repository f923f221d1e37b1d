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
	// TLS, when non-nil, also serves HTTPS with an operator's certificate.
	TLS *HTTPTLS `key:"tls"`
}

// HTTPTLS is http.tls: HTTPS beside plain HTTP, on its own port. The
// certificate and key files are read again whenever they change, so a
// renewed certificate needs no restart.
type HTTPTLS struct {
	// Cert and Key are PEM files (the chain first in Cert).
	Cert string `key:"cert"`
	Key  string `key:"key"`
	// Port is the HTTPS port (default 443).
	Port int `key:"port"`
	// UEFI hands UEFI HTTP Boot clients https:// URLs (default true): for
	// EDK2 builds that refuse plain http. Generated iPXE and GRUB files
	// keep http (Debian's iPXE and GRUB 2.06 have no HTTPS).
	UEFI bool `key:"uefi"`
}

// DefaultHTTP is the http: section of a file that leaves every key out.
func DefaultHTTP() HTTP {
	return HTTP{Port: 80, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
		MaxConns: 1024, MaxConnsPerClient: 32}
}

var (
	httpKeys = keysOf(HTTP{})
	tlsKeys  = keysOf(HTTPTLS{})
)

// decodeHTTP reads http:; dir is the config file's folder, against which
// the certificate paths are resolved.
func (d *decoder) decodeHTTP(n *yaml.Node, dir string, c *HTTP) {
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
	if t := m["tls"]; t != nil && !isNull(d.resolve(t)) {
		tm := d.mapping(t, "http.tls", tlsKeys)
		c.TLS = &HTTPTLS{
			Port: int(d.integer(tm["port"], "http.tls.port", 443, 1, 65535)),
			UEFI: d.boolean(tm["uefi"], "http.tls.uefi", true),
		}
		for _, f := range []struct {
			key string
			dst *string
		}{{"cert", &c.TLS.Cert}, {"key", &c.TLS.Key}} {
			if v := d.str(tm[f.key], "http.tls."+f.key); v != "" {
				*f.dst = resolvePath(dir, v)
			} else {
				d.missing(t, "http.tls."+f.key, "name the PEM file (http.tls needs both cert and key)")
			}
		}
		if c.TLS.Port == c.Port {
			d.addf(tm["port"], "http.tls.port", "%d is http.port too: HTTPS needs a port of its own", c.TLS.Port)
		}
	}
}

// UEFIURL is the boot file URL for a UEFI HTTP Boot client: https on the
// TLS port when http.tls is set with uefi on, else URL's http.
func (c HTTP) UEFIURL(server netip.Addr, name string) string {
	if IsURL(name) || c.TLS == nil || !c.TLS.UEFI {
		return c.URL(server, name)
	}
	host := server.String()
	if c.TLS.Port != 443 {
		host = net.JoinHostPort(host, strconv.Itoa(c.TLS.Port))
	}
	u := url.URL{Scheme: "https", Host: host, Path: "/" + strings.TrimPrefix(name, "/")}
	return u.String()
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
