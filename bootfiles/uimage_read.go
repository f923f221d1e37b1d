package bootfiles

import (
	"encoding/binary"
	"hash/crc32"
)

// UImageScriptText returns the script inside a legacy U-Boot script image
// (what `source` runs), so that a person can read boot.scr.uimg; ok is false
// when b is not a well-formed script image (wrong magic, type or CRCs, or a
// length table that does not fit). The first image of the table is the
// script, as U-Boot's `source` takes it.
func UImageScriptText(b []byte) (script []byte, ok bool) {
	if len(b) < uimageHeaderSize+8 {
		return nil, false
	}
	h := make([]byte, uimageHeaderSize)
	copy(h, b[:uimageHeaderSize])
	if binary.BigEndian.Uint32(h[0:4]) != uimageMagic || h[30] != ihTypeScript || h[31] != ihCompNone {
		return nil, false
	}
	hcrc := binary.BigEndian.Uint32(h[4:8])
	binary.BigEndian.PutUint32(h[4:8], 0)
	if crc32.ChecksumIEEE(h) != hcrc {
		return nil, false
	}
	size := binary.BigEndian.Uint32(h[12:16])
	data := b[uimageHeaderSize:]
	if uint64(size) != uint64(len(data)) || crc32.ChecksumIEEE(data) != binary.BigEndian.Uint32(h[24:28]) {
		return nil, false
	}
	// The length table: big-endian lengths ending with a zero.
	var lens []uint32
	off := 0
	for {
		if off+4 > len(data) {
			return nil, false
		}
		n := binary.BigEndian.Uint32(data[off : off+4])
		off += 4
		if n == 0 {
			break
		}
		lens = append(lens, n)
	}
	if len(lens) == 0 || uint64(off)+uint64(lens[0]) > uint64(len(data)) {
		return nil, false
	}
	return data[off : off+int(lens[0])], true
}
