package httpboot

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// Certs hands the TLS handshake the operator's certificate and reads the
// PEM files again whenever either changes (size or modification time,
// looked at on every handshake: two stat calls beside a handshake's
// cost), so a renewed certificate is presented from the next connection
// on, without a restart. A file that no longer
// loads (a half-written renewal, a key that does not match) is logged and
// the previous certificate stays in use.
type Certs struct {
	certFile, keyFile string
	log               *slog.Logger

	mu    sync.Mutex
	cur   *tls.Certificate
	stamp string // the files' sizes and times when cur was loaded
}

// LoadCerts reads cert and key once; an error here is fatal at start-up.
func LoadCerts(certFile, keyFile string, log *slog.Logger) (*Certs, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Certs{certFile: certFile, keyFile: keyFile, log: log}
	stamp, err := c.stampNow()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("http.tls: %w", err)
	}
	c.cur, c.stamp = &cert, stamp
	return c, nil
}

// stampNow describes both files as they are now.
func (c *Certs) stampNow() (string, error) {
	s := ""
	for _, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("http.tls: %w", err)
		}
		s += fmt.Sprintf("%d/%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return s, nil
}

// GetCertificate is tls.Config.GetCertificate.
func (c *Certs) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reload()
	return c.cur, nil
}

// reload loads the files again if they changed since cur was loaded.
func (c *Certs) reload() {
	stamp, err := c.stampNow()
	if err != nil {
		c.log.Warn("https: certificate files unreadable, keeping the loaded certificate", "err", err)
		return
	}
	if stamp == c.stamp {
		return
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		// A renewal written in two steps passes through here; the next
		// check after the second write loads it.
		c.log.Warn("https: changed certificate does not load, keeping the previous one", "err", err)
		return
	}
	c.cur, c.stamp = &cert, stamp
	c.log.Info("https: certificate reloaded", "cert", c.certFile)
}

// TLSConfig is the server's TLS configuration around c.
func (c *Certs) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.GetCertificate}
}
