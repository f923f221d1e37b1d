package tftpd

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pin/tftp/v3"
)

// pinGetEnv makes this test binary pin/tftp's client instead of running
// tests: `env BOOTYARD_TFTP_PIN_GET=1 <test binary> host:port name dst`
// fetches name with tsize into dst, in 512-byte blocks (the block number
// wraps for the largest file) or in the blksize given as a fourth argument.
// TestInteropClients and TestLossyLink run it on a lab host.
const pinGetEnv = "BOOTYARD_TFTP_PIN_GET"

func TestMain(m *testing.M) {
	if os.Getenv(fastGetEnv) == "1" {
		if err := fastGet(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "fast client:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(pinGetEnv) == "1" {
		if err := pinGet(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "pin/tftp client:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func pinGet(args []string) error {
	if len(args) != 3 && len(args) != 4 {
		return fmt.Errorf("want host:port name dst [blksize], got %q", args)
	}
	c, err := tftp.NewClient(args[0])
	if err != nil {
		return err
	}
	if len(args) == 4 {
		n, err := strconv.Atoi(args[3])
		if err != nil {
			return fmt.Errorf("blksize %q: %v", args[3], err)
		}
		c.SetBlockSize(n)
	}
	c.SetTimeout(2 * time.Second)
	c.SetRetries(5)
	c.RequestTSize(true)
	wt, err := c.Receive(args[1], "octet")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return err
	}
	if size, ok := wt.(tftp.IncomingTransfer).Size(); ok && size != int64(b.Len()) {
		return fmt.Errorf("tsize %d, got %d bytes", size, b.Len())
	}
	return os.WriteFile(args[2], b.Bytes(), 0o644)
}
