// Package netlab builds small throwaway LANs out of Linux network namespaces
// so tests can run DHCP and TFTP on their real ports, broadcast for real, and
// talk to real clients (dhclient, udhcpc, atftp, qemu firmware) without
// touching the machine's own interfaces.
//
// A Lab is one "switch" namespace holding a bridge, br0, which is the main L2
// segment. Every Host is its own namespace whose interface eth0 is one end of a
// veth pair; the other end is a port of the bridge. Everything is created
// inside namespaces (veth peers are born in their target namespace, the bridge
// lives in the switch namespace), so the root namespace never sees a new
// interface and nothing a test sends can leave the lab.
//
// Namespace names embed the test process id and a random lab id
// ("by<pid>-<lab>-<name>"), so parallel test binaries never collide, and New
// removes the leftovers of test processes that died without running their
// cleanups (go test -timeout kills them outright).
//
// Processes started in a lab are stopped by their process id at cleanup; their
// output is kept and its tail is logged when the test failed. Host.Do runs Go
// code with the calling thread switched into a namespace, so a test can open a
// socket there (say on UDP port 67) and serve it from ordinary goroutines.
package netlab
