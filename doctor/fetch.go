package doctor

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/pin/tftp/v3"
)

// FetchOptions are the client's settings for one download.
type FetchOptions struct {
	// BlockSize is the TFTP blksize asked for (RFC 2348); 0 asks none
	// (512-byte blocks).
	BlockSize int
	// TSize asks the TFTP server for the file's size (RFC 2349).
	TSize bool
	// Timeout is how long to wait for one answer (TFTP: per packet, with
	// Retries retransmissions; HTTP: for the response headers).
	Timeout time.Duration
	Retries int
	// LocalAddr is the address to send from, "" for the kernel's choice.
	LocalAddr string
	// Progress, when set, is told as data arrives and when the transfer
	// ended (a Bar on a terminal).
	Progress Progress
}

// Progress follows a transfer: Update with the bytes so far and the
// announced size (-1 unknown) as data arrives, Done once it ended.
type Progress interface {
	Update(done, total int64)
	Done()
}

// Fetch downloads t into w as it arrives and reports the transfer. The
// result is never nil: on error it holds what arrived before. Errors wrap
// ErrNotFound or ErrNoAnswer when the server said "no such file" or said
// nothing.
func Fetch(ctx context.Context, t Target, w io.Writer, o FetchOptions) (*FetchResult, error) {
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Retries <= 0 {
		o.Retries = 5
	}
	res := &FetchResult{Target: t, Size: -1}
	if o.Progress != nil {
		defer o.Progress.Done()
	}
	cw := &countingWriter{ctx: ctx, w: w, h: sha256.New(), res: res, progress: o.Progress, start: time.Now()}
	var err error
	if t.Scheme == "tftp" {
		err = fetchTFTP(t, cw, o)
	} else {
		err = fetchHTTP(ctx, t, cw, o)
	}
	res.Duration = time.Since(cw.start)
	copy(res.SHA256[:], cw.h.Sum(nil))
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return res, err
}

// fetchTFTP reads t with pin/tftp's client.
func fetchTFTP(t Target, cw *countingWriter, o FetchOptions) error {
	c, err := tftp.NewClient(t.Addr())
	if err != nil {
		return err
	}
	if o.LocalAddr != "" {
		if err := c.SetLocalAddr(o.LocalAddr); err != nil {
			return err
		}
	}
	c.SetTimeout(o.Timeout)
	c.SetRetries(o.Retries)
	// The default backoff sleeps up to a second before each retransmit;
	// boot firmware retransmits at once, and so does doctor.
	c.SetBackoff(func(int) time.Duration { return 0 })
	if o.BlockSize > 0 {
		c.SetBlockSize(o.BlockSize)
	}
	c.RequestTSize(o.TSize)
	wt, err := c.Receive(t.File, "octet")
	if err != nil {
		return tftpError(err)
	}
	// pin/tftp reports the tsize it asked for (0) when the server answered
	// with data instead of an OACK: a size of 0 is "not announced".
	if it, ok := wt.(tftp.IncomingTransfer); ok {
		if n, ok := it.Size(); ok && n > 0 {
			cw.res.Size = n
		}
	}
	_, err = wt.WriteTo(cw)
	return tftpError(err)
}

// tftpError maps pin/tftp's errors to the sentinels: it reports an ERROR
// packet as "code: N, message: TEXT" and silence as a net timeout.
func tftpError(err error) error {
	var ne net.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w: %v", ErrNoAnswer, err)
	case strings.HasPrefix(err.Error(), "code: 1,"):
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return err
}

// fetchHTTP GETs t.URL.
func fetchHTTP(ctx context.Context, t Target, cw *countingWriter, o FetchOptions) error {
	dialer := &net.Dialer{Timeout: o.Timeout * time.Duration(o.Retries)}
	if o.LocalAddr != "" {
		dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(o.LocalAddr)}
	}
	client := &http.Client{Transport: &http.Transport{
		DialContext:           dialer.DialContext,
		ResponseHeaderTimeout: o.Timeout * time.Duration(o.Retries),
		DisableKeepAlives:     true,
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "bootyard-doctor")
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("%w: %v", ErrNoAnswer, err)
		}
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("server answered %s", resp.Status)
	}
	cw.res.Size = resp.ContentLength
	_, err = io.Copy(cw, resp.Body)
	return err
}

// countingWriter passes data on and records what a report needs: bytes,
// digest, time to the first byte, the largest write (one TFTP block each).
// It stops the transfer once ctx is done.
type countingWriter struct {
	ctx      context.Context
	w        io.Writer
	h        hash.Hash
	res      *FetchResult
	progress Progress
	start    time.Time
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if c.res.Bytes == 0 && len(p) > 0 {
		c.res.FirstByte = time.Since(c.start)
	}
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.res.Bytes += int64(n)
	if n > c.res.BlockSize {
		c.res.BlockSize = n
	}
	if c.progress != nil {
		c.progress.Update(c.res.Bytes, c.res.Size)
	}
	return n, err
}
