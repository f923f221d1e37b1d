package tftpd

import (
	"net/netip"
	"time"
)

// Observer is told when each transfer starts and ends, for metrics. cmd
// hands the server one (Server.Observer); nil observes nothing.
type Observer interface {
	TFTPStarted()
	TFTPDone(Summary)
}

// Summary is what a finished transfer tells the Observer.
type Summary struct {
	// Client and File are for the boot timeline, never metric labels.
	Client    netip.Addr
	File      string // clean name; "" when the request was refused before
	Generated bool   // the resolver generated the file
	Upload    bool
	Outcome   string // ok, probe, busy, not_found, denied, timeout, failed, ...
	Bytes     int64
	Duration  time.Duration
	// As negotiated, and how many packets went out again.
	BlockSize, Window int
	Retransmits       int
}
