// Package tftpd is bootyard's TFTP server, its own engine written from
// RFC 1350, 2347, 2348, 2349 and 7440: one send loop (lock-step is window 1)
// and one receive loop for uploads, over a socket per transfer or the
// listening port in single-port mode. It cleans the names firmware sends,
// enforces transfer limits and deadlines, records every transfer once at its
// end from its own counts, and asks a Resolver (bootfiles, in the binary)
// for the bytes of a name.
package tftpd
