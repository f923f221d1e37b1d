package tftpd

import "time"

// Observer is told when each transfer starts and ends, for metrics. cmd
// hands the server one (Server.Observer); nil observes nothing.
type Observer interface {
	TFTPStarted()
	TFTPDone(Summary)
}

// Summary is what a finished transfer tells the Observer: bounded values
// only (no client address, no file name).
type Summary struct {
	Upload   bool
	Outcome  string // ok, probe, busy, not_found, denied, timeout, failed, ...
	Bytes    int64
	Duration time.Duration
}
