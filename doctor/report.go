package doctor

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// ErrNotFound is a fetch the server answered with "no such file" (TFTP error
// 1, HTTP 404).
var ErrNotFound = errors.New("file not found")

// ErrNoAnswer is a fetch the server never answered.
var ErrNoAnswer = errors.New("no answer")

// A Report is everything one doctor run saw: Analyze turns it into verdicts.
type Report struct {
	Firmware Firmware
	MAC      net.HardwareAddr
	Iface    string
	// Window is how long offers were collected.
	Window time.Duration
	// Expect is -expect-server, the zero Addr for none.
	Expect netip.Addr
	// Offers are the offers received, one per server, in arrival order.
	Offers []Offer
	// Chosen is the index in Offers of the offer whose boot file was
	// fetched (or would have been), -1 for none; ChoiceWhy says why.
	Chosen    int
	ChoiceWhy string
	// Fetch is the fetch's outcome, nil when none was tried; FetchErr is
	// its error. NoFetch says why none was tried.
	Fetch    *FetchResult
	FetchErr error
	NoFetch  string
	// Lease is the REQUEST's outcome, nil without -request.
	Lease *LeaseResult
}

// A FetchResult is one boot file download.
type FetchResult struct {
	Target Target
	// Bytes is how many bytes arrived; Size is what the server announced
	// (TFTP tsize, HTTP Content-Length), -1 when it did not.
	Bytes, Size int64
	// FirstByte is the time to the first data; Duration the whole transfer.
	FirstByte, Duration time.Duration
	// BlockSize is the largest TFTP block seen (the negotiated blksize once
	// the file is longer than one block).
	BlockSize int
	// SHA256 is the digest of the bytes received.
	SHA256 [32]byte
}

// A LeaseResult is what -request got.
type LeaseResult struct {
	Server netip.Addr
	// Addr is the address acknowledged, invalid when none was.
	Addr netip.Addr
	// Nak is the NAK's message when the server refused.
	Nak      bool
	NakText  string
	Err      error
	Released bool
}

// ChooseOffer picks the offer whose boot file doctor fetches: the expected
// server's when one is named, else the first offer that names a boot file
// (the order firmware that takes the first usable offer would follow).
func ChooseOffer(fw Firmware, offers []Offer, expect netip.Addr) (int, string) {
	if expect.IsValid() {
		for i, o := range offers {
			if o.Server == expect {
				if _, ok := o.Target(fw); ok {
					return i, "the expected server's offer"
				}
				return -1, "the expected server's offer names no boot file"
			}
		}
		return -1, "the expected server did not answer"
	}
	for i, o := range offers {
		if _, ok := o.Target(fw); ok {
			return i, "the first offer with a boot file"
		}
	}
	return -1, "no offer names a boot file"
}
