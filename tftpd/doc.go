// Package tftpd is bootyard's read-mostly TFTP server on top of pin/tftp. It
// cleans the names firmware sends, enforces transfer limits and deadlines,
// records every transfer once at its end, and asks a Files implementation
// (bootfiles, in the binary) for the bytes of a name.
package tftpd
