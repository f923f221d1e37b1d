package leases

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net"
	"net/netip"
	"testing"
	"time"
	"unicode/utf8"
)

// encodeLineJSON is the reference encoding (json.Marshal of diskLease).
func encodeLineJSON(dst []byte, l Lease) []byte {
	d := diskLease{IP: l.IP.String(), State: l.State.String(), Expires: l.Expires.UTC(), Hostname: l.Hostname}
	if l.MAC != nil {
		d.MAC = l.MAC.String()
	}
	js, err := json.Marshal(d)
	if err != nil { // cannot happen: only strings and a time
		panic(err)
	}
	dst = fmt.Appendf(dst, "%08x ", crc32.Checksum(js, castagnoli))
	dst = append(dst, js...)
	return append(dst, '\n')
}

func TestEncodeLineMatchesJSON(t *testing.T) {
	ip := netip.MustParseAddr("198.51.100.7")
	ib := net.HardwareAddr(bytes.Repeat([]byte{0xa0}, 20))
	for _, host := range []string{"", "pc-1", "rock5b.lab", `a"b`, `back\slash`, "<b>&", "tab\there", "café", "\xff\xfe bad utf-8", "line\u2028sep", "x\x7f"} {
		for _, l := range []Lease{
			{MAC: mac(7), IP: ip, State: Bound, Expires: t0, Hostname: host},
			{IP: ip, State: Declined, Expires: t0.Add(123456789 * time.Nanosecond), Hostname: host},
			{MAC: ib, IP: ip, State: Offered, Expires: t0.In(time.FixedZone("X", 3600)), Hostname: host},
		} {
			got, want := encodeLine([]byte("prefix"), l), encodeLineJSON([]byte("prefix"), l)
			if !bytes.Equal(got, want) {
				t.Errorf("encodeLine(%+v)\n got %q\nwant %q", l, got, want)
			}
			back, err := decodeLine(bytes.TrimSuffix(got[len("prefix"):], []byte("\n")))
			if err != nil || back.Hostname != l.Hostname && utf8.ValidString(l.Hostname) {
				t.Errorf("decode of %q: %+v, %v", got, back, err)
			}
		}
	}
}

func FuzzEncodeLine(f *testing.F) {
	f.Add("pc-1", int64(0), []byte{2, 0, 0, 0, 0, 1})
	f.Add("\x00<>\"", int64(-1), []byte(nil))
	f.Fuzz(func(t *testing.T, host string, ns int64, m []byte) {
		l := Lease{IP: netip.MustParseAddr("198.51.100.7"), State: Bound, Expires: t0.Add(time.Duration(ns % int64(1000*time.Hour))), Hostname: host}
		if len(m) > 0 {
			l.MAC = m
		}
		if got, want := encodeLine(nil, l), encodeLineJSON(nil, l); !bytes.Equal(got, want) {
			t.Fatalf("got %q\nwant %q", got, want)
		}
	})
}

func BenchmarkEncodeLine(b *testing.B) {
	l := Lease{MAC: mac(7), IP: netip.MustParseAddr("198.51.100.7"), State: Bound, Expires: t0, Hostname: "pc-1"}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = encodeLine(buf[:0], l)
	}
}
