// Package dhcp is bootyard's DHCPv4 responder. It classifies each request by
// the firmware that sent it (BIOS PXE, UEFI, iPXE, U-Boot, Raspberry Pi, ...),
// decides in a pure function what that client gets (address, options, boot
// file, or a reasoned "ignore"), and runs the sockets: the interface-bound
// port 67 listener, the proxyDHCP port 4011 listener and relayed requests.
package dhcp
