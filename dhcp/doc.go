// Package dhcp is bootyard's DHCPv4 responder. It identifies the firmware
// that sent each request (BIOS PXE, UEFI, iPXE, U-Boot, Raspberry Pi, ...;
// the classes and their table are package firmware), decides in a pure
// function what that client gets (address, options, boot file, or an ignore
// with a Reason), and runs the sockets: the interface-bound port 67
// listener, the proxyDHCP port 4011 listener and relayed requests.
//
// The decision is Decide in decide.go, which lists the files of the rules in
// reading order; the server loop (socket, admit, decide, commit, write) is
// server.go and server_handle.go. docs/architecture.md has the whole map.
package dhcp
