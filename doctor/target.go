package doctor

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// A Target is a boot file to fetch: a TFTP server and file name, or an HTTP
// URL.
type Target struct {
	// Scheme is "tftp", "http" or "https".
	Scheme string
	// Host is the server, with a port only when one was given.
	Host string
	// File is the name sent in the TFTP read request (tftp only).
	File string
	// URL is the whole URL (http and https only).
	URL string
}

// ParseTarget parses a -get argument: tftp://SERVER[:PORT]/FILE, or an
// http:// or https:// URL. For TFTP the one slash after the server is not
// part of the name (as curl reads it): tftp://s/pxelinux.0 asks for
// "pxelinux.0", tftp://s//grub/x asks for "/grub/x". Percent escapes are
// decoded, so a name with a space is tftp://s/a%20b.
func ParseTarget(s string) (Target, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("%q: %w", s, err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return Target{}, fmt.Errorf("%q: want tftp://SERVER/FILE or http://SERVER/PATH", s)
	}
	if u.User != nil {
		return Target{}, fmt.Errorf("%q: user information is not supported", s)
	}
	switch u.Scheme {
	case "tftp":
		if u.RawQuery != "" || u.Fragment != "" {
			return Target{}, fmt.Errorf("%q: a TFTP name has no query or fragment (escape ? and # as %%3F and %%23)", s)
		}
		file := strings.TrimPrefix(u.Path, "/")
		if file == "" {
			return Target{}, fmt.Errorf("%q: no file name after the server", s)
		}
		if strings.ContainsRune(file, 0) {
			return Target{}, errors.New("a TFTP file name cannot contain NUL")
		}
		return Target{Scheme: "tftp", Host: u.Host, File: file}, nil
	case "http", "https":
		return Target{Scheme: u.Scheme, Host: u.Host, URL: u.String()}, nil
	}
	return Target{}, fmt.Errorf("%q: scheme %q: want tftp, http or https", s, u.Scheme)
}

// tftpTarget is the target for a plain boot file name served by TFTP from
// server.
func tftpTarget(server, file string) Target {
	return Target{Scheme: "tftp", Host: server, File: file}
}

// Addr is host:port to dial, with the scheme's default port.
func (t Target) Addr() string {
	if _, _, err := net.SplitHostPort(t.Host); err == nil {
		return t.Host
	}
	port := map[string]string{"tftp": "69", "http": "80", "https": "443"}[t.Scheme]
	return net.JoinHostPort(strings.Trim(t.Host, "[]"), port)
}

// Server is the host without a port.
func (t Target) Server() string {
	if h, _, err := net.SplitHostPort(t.Host); err == nil {
		return h
	}
	return strings.Trim(t.Host, "[]")
}

// Name is the file's name as the server knows it: the TFTP name or the URL
// path.
func (t Target) Name() string {
	if t.Scheme == "tftp" {
		return t.File
	}
	if u, err := url.Parse(t.URL); err == nil && u.Path != "" {
		return u.Path
	}
	return "/"
}

// String is the target as a URL.
func (t Target) String() string {
	if t.Scheme != "tftp" {
		return t.URL
	}
	return (&url.URL{Scheme: "tftp", Host: t.Host, Path: "/" + t.File}).String()
}

// isURL reports whether an offered boot file is a URL (UEFI HTTP boot and
// iPXE take one) rather than a TFTP name.
func isURL(file string) bool {
	l := strings.ToLower(file)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}
