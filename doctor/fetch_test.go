package doctor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestFetchHTTP: bytes, digest and Content-Length of a served file; 404 is
// ErrNotFound; a streamed answer has no announced size.
func TestFetchHTTP(t *testing.T) {
	body := bytes.Repeat([]byte("bootyard"), 10_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ipxe.efi":
			http.ServeContent(w, r, "ipxe.efi", time.Time{}, bytes.NewReader(body))
		case "/stream":
			w.Write(body[:100])
			w.(http.Flusher).Flush() // chunked: no Content-Length
			w.Write(body[100:])
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	fetch := func(path string) (*FetchResult, []byte, error) {
		t.Helper()
		tg, err := ParseTarget(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		rec := &recorder{}
		res, err := Fetch(context.Background(), tg, &got, FetchOptions{Timeout: 10 * time.Second, Progress: rec})
		if rec.done != 1 {
			t.Errorf("%s: progress told Done %d times, want once", path, rec.done)
		}
		if err == nil && (len(rec.updates) == 0 || rec.updates[len(rec.updates)-1] != int64(got.Len())) {
			t.Errorf("%s: progress updates %v do not end at %d bytes", path, rec.updates, got.Len())
		}
		return res, got.Bytes(), err
	}

	res, got, err := fetch("/ipxe.efi")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) || res.Bytes != int64(len(body)) || res.SHA256 != sha256.Sum256(body) {
		t.Errorf("got %d bytes (result says %d), want %d, digest %x", len(got), res.Bytes, len(body), res.SHA256)
	}
	if res.Size != int64(len(body)) {
		t.Errorf("Size %d, want the Content-Length %d", res.Size, len(body))
	}

	res, got, err = fetch("/stream")
	if err != nil || !bytes.Equal(got, body) || res.Size != -1 {
		t.Errorf("stream: %d bytes, Size %d, err %v: want all bytes and no size", len(got), res.Size, err)
	}

	if _, _, err = fetch("/missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing file: %v, want ErrNotFound", err)
	}
}

// TestFetchTFTPErrors: a server's "file not found" is ErrNotFound and
// silence is ErrNoAnswer, over loopback.
func TestFetchTFTPErrors(t *testing.T) {
	srv, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// A server that answers every read request with ERROR 1, as in.tftpd
	// and bootyard do for a missing file.
	go func() {
		buf := make([]byte, 600)
		for {
			_, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			srv.WriteTo(append([]byte{0, 5, 0, 1}, "File not found\x00"...), from)
		}
	}()
	opts := FetchOptions{BlockSize: 1468, TSize: true, Timeout: 200 * time.Millisecond, Retries: 2}
	_, err = Fetch(context.Background(), Target{Scheme: "tftp", Host: srv.LocalAddr().String(), File: "x"}, &bytes.Buffer{}, opts)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("error packet: %v, want ErrNotFound", err)
	}

	silent, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	_, err = Fetch(context.Background(), Target{Scheme: "tftp", Host: silent.LocalAddr().String(), File: "x"}, &bytes.Buffer{}, opts)
	if !errors.Is(err, ErrNoAnswer) {
		t.Errorf("silent server: %v, want ErrNoAnswer", err)
	}
}

// recorder is a Progress that remembers what it was told.
type recorder struct {
	updates []int64
	done    int
}

func (r *recorder) Update(done, _ int64) { r.updates = append(r.updates, done) }
func (r *recorder) Done()                { r.done++ }

func TestBarLine(t *testing.T) {
	for _, tc := range []struct {
		done, total int64
		want        string
	}{
		{512, 1024, " 50% [#####     ] 512 B of 1.0 KiB  512 B/s   "},
		{2048, -1, "   2.0 KiB  2.0 KiB/s   "},
		{2048, 1024, "100% [##########] 2.0 KiB of 1.0 KiB  2.0 KiB/s   "},
	} {
		if got := BarLine(tc.done, tc.total, time.Second, 10); got != tc.want {
			t.Errorf("BarLine(%d, %d) = %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}
