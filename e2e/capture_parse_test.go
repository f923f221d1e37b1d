package e2e

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pcapOf builds a little-endian pcap file (Ethernet) from frames.
func pcapOf(frames ...[]byte) []byte {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 65535)
	binary.LittleEndian.PutUint32(h[20:], 1)
	for _, f := range frames {
		r := make([]byte, 16)
		binary.LittleEndian.PutUint32(r[8:], uint32(len(f)))
		binary.LittleEndian.PutUint32(r[12:], uint32(len(f)))
		h = append(append(h, r...), f...)
	}
	return h
}

// udpFrame is an Ethernet + IPv4 (20-byte header) + UDP frame around payload,
// with proto as the IP protocol number and pad bytes of Ethernet padding.
func udpFrame(proto byte, payload []byte, pad int) []byte {
	f := make([]byte, 14+20+8)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	f[14] = 0x45
	f[14+9] = proto
	binary.BigEndian.PutUint16(f[34+4:], uint16(8+len(payload)))
	f = append(f, payload...)
	return append(f, make([]byte, pad)...)
}

func TestUDPPayloads(t *testing.T) {
	a, b := []byte("first"), []byte("second payload")
	full := pcapOf(udpFrame(17, a, 6), udpFrame(6, []byte("tcp, skipped"), 0), udpFrame(17, b, 0))
	for _, tc := range []struct {
		name    string
		pcap    []byte
		want    [][]byte
		wantErr bool
	}{
		{"udp only, padding cut by the UDP length", full, [][]byte{a, b}, false},
		{"last record cut short by the stop", full[:len(full)-3], [][]byte{a}, false},
		{"no header", full[:10], nil, true},
		{"not a pcap", append([]byte{1, 2, 3, 4}, full[4:]...), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := udpPayloads(tc.pcap)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %t", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("payloads (-want +got):\n%s", diff)
			}
		})
	}
}
