package bootfiles

import (
	"encoding/binary"
	"hash/crc32"
)

// Legacy U-Boot image ("uImage") constants, from U-Boot's include/image.h.
// Only what a script image needs is here.
const (
	uimageMagic      = 0x27051956
	uimageHeaderSize = 64
	uimageNameLen    = 32
	ihOSLinux        = 5 // IH_OS_LINUX
	ihArchARM        = 2 // IH_ARCH_ARM: what `mkimage -A arm` writes; `source` ignores the arch of scripts
	ihTypeScript     = 6 // IH_TYPE_SCRIPT
	ihCompNone       = 0 // IH_COMP_NONE
)

// UImageScript wraps a U-Boot hush script in the legacy image header that
// U-Boot's `source` command (and so distro boot's boot.scr.uimg) expects. The
// result is byte for byte what `mkimage -A arm -O linux -T script -C none -n
// name -d script` writes with SOURCE_DATE_EPOCH=0: a script image is a
// "multi-file" image, so the data is a table of image lengths (one
// big-endian length, then a zero terminator) followed by the script itself.
// The timestamp is 0 so that the same inventory always gives the same bytes.
// name is cut to the 31 bytes the header has room for (the last byte of the
// field stays NUL, as mkimage leaves it).
func UImageScript(name string, script []byte) []byte {
	data := make([]byte, 8+len(script))
	binary.BigEndian.PutUint32(data[0:4], uint32(len(script)))
	// data[4:8] stays zero: the end of the length table.
	copy(data[8:], script)

	out := make([]byte, uimageHeaderSize+len(data))
	h := out[:uimageHeaderSize]
	binary.BigEndian.PutUint32(h[0:4], uimageMagic)
	// h[4:8] is the header CRC, computed below with the field zero.
	// h[8:12] is the creation time: 0, for reproducible bytes.
	binary.BigEndian.PutUint32(h[12:16], uint32(len(data)))
	// h[16:20] load address and h[20:24] entry point: 0, unused for scripts.
	binary.BigEndian.PutUint32(h[24:28], crc32.ChecksumIEEE(data))
	h[28] = ihOSLinux
	h[29] = ihArchARM
	h[30] = ihTypeScript
	h[31] = ihCompNone
	if len(name) > uimageNameLen-1 {
		name = name[:uimageNameLen-1]
	}
	copy(h[32:32+uimageNameLen], name)
	binary.BigEndian.PutUint32(h[4:8], crc32.ChecksumIEEE(h))
	copy(out[uimageHeaderSize:], data)
	return out
}
