package tftpd

import "time"

// DefaultShutdownGrace is how long a stop waits for transfers in flight when
// Server.ShutdownGrace is zero.
const DefaultShutdownGrace = 5 * time.Second

// The TFTP settings are inventory.TFTP, the tftp: section as loaded: one
// struct, its defaults and its validation in one place (inventory), used here
// as they are. Nothing in this package re-defaults or re-checks them.
