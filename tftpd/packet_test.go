package tftpd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParseRequest: each request shape real firmware sends is a case.
func TestParseRequest(t *testing.T) {
	tests := []struct {
		name string
		pkt  string
		want request
		err  error
	}{
		{"plain", "\x00\x01f\x00octet\x00", request{name: "f", mode: "octet"}, nil},
		{"mode any case", "\x00\x01f\x00OcTeT\x00", request{name: "f", mode: "octet"}, nil},
		{"options any case", "\x00\x01f\x00octet\x00BLKSIZE\x001468\x00TSize\x000\x00",
			request{name: "f", mode: "octet", opts: []option{{"blksize", "1468"}, {"tsize", "0"}}}, nil},
		{"extra NULs after mode", "\x00\x01f\x00octet\x00\x00\x00", request{name: "f", mode: "octet"}, nil},
		{"extra NULs after options", "\x00\x01f\x00octet\x00tsize\x000\x00\x00\x00",
			request{name: "f", mode: "octet", opts: []option{{"tsize", "0"}}}, nil},
		{"no final NUL", "\x00\x01f\x00octet\x00blksize\x00512",
			request{name: "f", mode: "octet", opts: []option{{"blksize", "512"}}}, nil},
		{"mode without final NUL", "\x00\x01f\x00netascii", request{name: "f", mode: "netascii"}, nil},
		{"dangling option name", "\x00\x01f\x00octet\x00tsize\x000\x00windowsize\x00",
			request{name: "f", mode: "octet", opts: []option{{"tsize", "0"}}}, nil},
		{"repeated option keeps first", "\x00\x01f\x00octet\x00blksize\x00512\x00BLKSIZE\x001468\x00",
			request{name: "f", mode: "octet", opts: []option{{"blksize", "512"}}}, nil},
		{"empty value", "\x00\x01f\x00octet\x00multicast\x00\x00blksize\x00512\x00",
			request{name: "f", mode: "octet", opts: []option{{"multicast", ""}, {"blksize", "512"}}}, nil},
		{"write", "\x00\x02up\x00octet\x00", request{write: true, name: "up", mode: "octet"}, nil},
		{"no mode", "\x00\x01f\x00", request{}, errNoMode},
		{"mail mode (answered error 4 by the server)", "\x00\x01f\x00mail\x00", request{}, errBadMode},
		{"not a request", "\x00\x04\x00\x01", request{}, errOpcode},
		{"short", "\x00", request{}, errShort},
		{"too long", "\x00\x01" + string(bytes.Repeat([]byte("a"), 600)) + "\x00octet\x00", request{}, errTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRequest([]byte(tc.pkt))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(request{}, option{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseRequest: any datagram parses or is refused, never a panic, and
// what parses has a known mode and non-empty option names.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("\x00\x01pxelinux.0\x00octet\x00tsize\x000\x00blksize\x001468\x00windowsize\x004\x00"))
	f.Add([]byte("\x00\x02f\x00NETASCII"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRequest(b)
		if err != nil {
			return
		}
		if r.mode != "octet" && r.mode != "netascii" {
			t.Fatalf("mode %q accepted", r.mode)
		}
		for _, o := range r.opts {
			if o.name == "" {
				t.Fatalf("empty option name in %q", b)
			}
		}
	})
}

// scriptLink is a link whose client is a function: it sees every packet
// the server sends and queues the answers.
type scriptLink struct {
	sent  [][]byte
	queue [][]byte
	react func(sent []byte) [][]byte
}

func (l *scriptLink) send(b []byte) error {
	l.sent = append(l.sent, append([]byte(nil), b...))
	if l.react != nil {
		l.queue = append(l.queue, l.react(b)...)
	}
	return nil
}

func (l *scriptLink) recv(_ context.Context, buf []byte, _ time.Time) (int, error) {
	if len(l.queue) == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	p := l.queue[0]
	l.queue = l.queue[1:]
	return copy(buf, p), nil
}

func (l *scriptLink) close() {}

// FuzzSendStateMachine feeds arbitrary packets to a running send of a
// file: wrong opcodes, ACKs far outside the window, ERRORs, oversize
// datagrams. Never a panic, never a byte outside the file in a DATA
// packet, and the transfer ends.
func FuzzSendStateMachine(f *testing.F) {
	f.Add([]byte{0, 4, 0, 1, 0, 4, 0, 3, 0, 4, 0, 3, 0, 5, 0, 8}, uint16(3000), uint8(4))
	f.Add([]byte{0, 4, 0xff, 0xff, 0, 3, 0, 1, 0, 4, 0, 2, 0, 4, 0, 1}, uint16(2048), uint8(1))
	f.Fuzz(func(t *testing.T, script []byte, size uint16, window uint8) {
		file := make([]byte, size)
		for i := range file {
			file[i] = byte(i*7 + 3)
		}
		w := int(window%16) + 1
		var queue [][]byte
		for len(script) >= 4 {
			n := int(script[0]%8) + 4
			n = min(n, len(script))
			queue = append(queue, script[:n])
			script = script[n:]
		}
		l := &scriptLink{queue: queue}
		st := &xferStats{}
		ss := &session{ctx: context.Background(), l: l, timeout: time.Millisecond, retries: 3, st: st, buf: make([]byte, 65536)}
		_ = ss.sendFile(bytes.NewReader(file), 512, w, nil)
		for _, p := range l.sent {
			if len(p) < 4 || binary.BigEndian.Uint16(p) != opDATA {
				t.Fatalf("sent %x", p)
			}
			block := int(binary.BigEndian.Uint16(p[2:]))
			off := (block - 1) * 512
			if block == 0 || off > len(file) || !bytes.Equal(p[4:], file[off:min(off+512, len(file))]) {
				t.Fatalf("DATA %d holds bytes not at that place in the file", block)
			}
		}
	})
}

// TestLostBlockInWindow: a window of 4 loses its second block; the client
// ACKs block 1, the last it has, and the server resends from block 2 at
// once, without waiting for a timeout.
func TestLostBlockInWindow(t *testing.T) {
	file := make([]byte, 512*10+100)
	for i := range file {
		file[i] = byte(i)
	}
	var got []byte
	dropped, gapAcked := false, false
	want := uint16(1)
	l := &scriptLink{}
	l.react = func(p []byte) [][]byte {
		block := binary.BigEndian.Uint16(p[2:])
		if block == 2 && !dropped {
			dropped = true
			return nil
		}
		if block != want {
			// A block after the gap: ACK the last block in order, once
			// (RFC 7440 section 4), and drop the rest of the window.
			if !gapAcked {
				gapAcked = true
				return [][]byte{appendAck(nil, want-1)}
			}
			return nil
		}
		got = append(got, p[4:]...)
		want++
		if len(p)-4 < 512 || block%4 == 0 {
			return [][]byte{appendAck(nil, block)}
		}
		return nil
	}
	st := &xferStats{}
	// A timeout would show in st.timeouts: the scripted link times out at
	// once whenever the client has nothing queued.
	ss := &session{ctx: context.Background(), l: l, timeout: time.Hour, retries: 0, st: st, buf: make([]byte, 65536)}
	if err := ss.sendFile(bytes.NewReader(file), 512, 4, nil); err != nil {
		t.Fatalf("sendFile: %v (stats %+v)", err, *st)
	}
	if !bytes.Equal(got, file) {
		t.Fatalf("got %d bytes, want %d", len(got), len(file))
	}
	if st.timeouts != 0 || st.retransmits == 0 {
		t.Errorf("stats %+v: want no timeout, the window resent after the ACK", *st)
	}
}

// FuzzReceiveStateMachine feeds arbitrary packets to an upload in
// progress: never a panic, only ACKs sent, and what is written is exactly
// the DATA blocks taken in order, each at most blksize.
func FuzzReceiveStateMachine(f *testing.F) {
	f.Add([]byte{0, 3, 0, 1, 'a', 'b', 0, 3, 0, 2, 'c', 0, 5, 0, 3}, uint8(2))
	f.Add([]byte{0, 3, 0, 2, 'x', 0, 4, 0, 1, 0, 3, 0, 1, 'y'}, uint8(1))
	f.Fuzz(func(t *testing.T, script []byte, window uint8) {
		const blksize = 8
		var queue [][]byte
		for len(script) >= 4 {
			n := min(int(script[0]%16)+4, len(script))
			queue = append(queue, script[:n])
			script = script[n:]
		}
		var want []byte
		next := uint16(1)
		for _, p := range queue {
			if binary.BigEndian.Uint16(p) == opERROR {
				break
			}
			if binary.BigEndian.Uint16(p) == opDATA && binary.BigEndian.Uint16(p[2:]) == next && len(p)-4 <= blksize {
				want = append(want, p[4:]...)
				next++
				if len(p)-4 < blksize {
					break
				}
			}
		}
		l := &scriptLink{queue: queue}
		st := &xferStats{}
		ss := &session{ctx: context.Background(), l: l, timeout: time.Millisecond, retries: 2, st: st, buf: make([]byte, 65536)}
		var got bytes.Buffer
		_, err := ss.receiveFile(&got, blksize, int(window%8)+1, appendAck(nil, 0), nil)
		if err == nil && !bytes.Equal(got.Bytes(), want) || !bytes.HasPrefix(want, got.Bytes()) {
			t.Fatalf("wrote %q, want %q (err %v)", got.Bytes(), want, err)
		}
		for _, p := range l.sent {
			if binary.BigEndian.Uint16(p) != opACK {
				t.Fatalf("sent %x", p)
			}
		}
	})
}
