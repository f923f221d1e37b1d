// Package leases keeps the DHCP responder's dynamic leases: pool allocation
// that prefers a client's previous address, expiry, and a crash-safe on-disk
// store so that leases survive kill -9 and restart without losing or
// duplicating an address.
package leases

import (
	"net"
	"net/netip"
	"time"
)

// State is where a lease stands.
type State uint8

// Lease states.
const (
	Offered  State = iota + 1 // OFFER sent, not yet REQUESTed; short-lived
	Bound                     // ACK sent
	Declined                  // the client said the address is in use (DHCPDECLINE); held as a conflict
)

// Lease is one address held for one client.
type Lease struct {
	MAC      net.HardwareAddr
	IP       netip.Addr
	State    State
	Expires  time.Time
	Hostname string // option 12 the client sent, if any
}

// Op is what a Change does.
type Op uint8

// Change operations.
const (
	OpOffer   Op = iota + 1 // hold IP for MAC as Offered until Expires
	OpBind                  // bind IP to MAC until Expires
	OpRelease               // the client gave IP back
	OpDecline               // IP is in use by someone else: quarantine it until Expires
)

// Change is a lease change proposed by the DHCP decision and committed by the
// server under one lock.
type Change struct {
	Op       Op
	MAC      net.HardwareAddr
	IP       netip.Addr
	Expires  time.Time
	Hostname string
}
