package tftpd

import (
	"errors"
	"fmt"
	"time"
)

// Defaults applied by New to zero fields of Config.
const (
	// DefaultMaxBlockSize fits one DATA packet in a 1500-byte Ethernet MTU:
	// 1500 - 20 (IPv4) - 8 (UDP) - 4 (TFTP header) = 1468, the value U-Boot and
	// EDK2 ask for. pin/tftp's own MTU clamp forgets the 4-byte header and would
	// allow 1472, which fragments.
	DefaultMaxBlockSize = 1468
	// DefaultTimeout is the retransmit timeout: boot ROMs retransmit after about
	// a second themselves, and tftpd-hpa waits one second too.
	DefaultTimeout = time.Second
	// DefaultRetries is how many times a packet is sent again before giving up.
	DefaultRetries = 5
	// DefaultShutdownGrace is how long a stop waits for transfers in flight.
	DefaultShutdownGrace = 5 * time.Second
)

// Block size bounds pin/tftp accepts in SetBlockSize (it ignores 512 itself
// and anything from 65465 up, silently).
const (
	minBlockCap = 513
	maxBlockCap = 65464
)

// Config tunes the TFTP server. Zero values mean the documented default; a
// zero limit means "no limit". cmd fills it from the inventory's tftp: section.
type Config struct {
	// MaxBlockSize caps the blksize a client may negotiate (RFC 2348);
	// 0 means DefaultMaxBlockSize. Range 513..65464 (pin/tftp limits).
	MaxBlockSize int
	// Timeout is how long to wait for an ACK before sending again (0: DefaultTimeout).
	Timeout time.Duration
	// Retries is how many times a packet is sent again (0: DefaultRetries).
	Retries int
	// MaxTransfers caps concurrent transfers; MaxPerClient caps concurrent
	// transfers from one client address. A request beyond either gets the
	// error "server busy, try again" at once. 0: no cap.
	MaxTransfers int
	MaxPerClient int
	// TransferTimeout bounds one whole transfer (0: no bound). The transfer is
	// aborted at the first block sent after the deadline.
	TransferTimeout time.Duration
	// SinglePort answers every transfer from the listening port (69) instead
	// of a fresh port per transfer, for clients behind NAT or in containers.
	SinglePort bool
	// Uploads enables write requests into a separate folder; nil: refused.
	Uploads *Uploads
	// ShutdownGrace is how long Serve lets transfers in flight finish after
	// its context is cancelled (0: DefaultShutdownGrace).
	ShutdownGrace time.Duration
}

// Uploads lets clients write files into Dir (never into the served root).
type Uploads struct {
	// Dir is the folder uploads go to; it must exist.
	Dir string
	// MaxBytes is the quota for everything in Dir, existing files included.
	// 0 means no quota.
	MaxBytes int64
}

// Validate reports every setting New would otherwise replace or ignore, so
// cmd can refuse a bad config instead of serving with a surprise.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBlockSize != 0 && (c.MaxBlockSize < minBlockCap || c.MaxBlockSize > maxBlockCap) {
		errs = append(errs, fmt.Errorf("max block size %d: must be %d..%d", c.MaxBlockSize, minBlockCap, maxBlockCap))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %v: must not be negative", c.Timeout))
	}
	if c.Retries < 0 {
		errs = append(errs, fmt.Errorf("retries %d: must not be negative", c.Retries))
	}
	if c.MaxTransfers < 0 || c.MaxPerClient < 0 {
		errs = append(errs, errors.New("transfer limits must not be negative"))
	}
	if c.TransferTimeout < 0 || c.ShutdownGrace < 0 {
		errs = append(errs, errors.New("transfer timeout and shutdown grace must not be negative"))
	}
	if c.Uploads != nil {
		if c.Uploads.Dir == "" {
			errs = append(errs, errors.New("uploads: dir is empty"))
		}
		if c.Uploads.MaxBytes < 0 {
			errs = append(errs, errors.New("uploads: max bytes must not be negative"))
		}
	}
	return errors.Join(errs...)
}

// withDefaults fills zero and out-of-range fields.
func (c Config) withDefaults() Config {
	if c.MaxBlockSize < minBlockCap || c.MaxBlockSize > maxBlockCap {
		c.MaxBlockSize = DefaultMaxBlockSize
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Retries <= 0 {
		c.Retries = DefaultRetries
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	return c
}
