package bootfiles

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bootyard/bootyard/internal/netlab"
)

// parsedUImage is a legacy image header read back the way U-Boot's
// image_check_hcrc/image_check_dcrc and image_multi_getimg read it.
type parsedUImage struct {
	magic, hcrc, time, size, load, ep, dcrc uint32
	os, arch, typ, comp                     uint8
	name                                    string
	hcrcOK, dcrcOK                          bool
	script                                  []byte
}

func parseUImage(t *testing.T, b []byte) parsedUImage {
	t.Helper()
	if len(b) < 64+8 {
		t.Fatalf("image of %d bytes is too short", len(b))
	}
	be := binary.BigEndian
	p := parsedUImage{
		magic: be.Uint32(b[0:]), hcrc: be.Uint32(b[4:]), time: be.Uint32(b[8:]),
		size: be.Uint32(b[12:]), load: be.Uint32(b[16:]), ep: be.Uint32(b[20:]),
		dcrc: be.Uint32(b[24:]), os: b[28], arch: b[29], typ: b[30], comp: b[31],
		name: string(bytes.TrimRight(b[32:64], "\x00")),
	}
	h := append([]byte(nil), b[:64]...)
	clear(h[4:8])
	p.hcrcOK = crc32.ChecksumIEEE(h) == p.hcrc
	data := b[64:]
	if int(p.size) != len(data) {
		t.Fatalf("header says %d data bytes, image has %d", p.size, len(data))
	}
	p.dcrcOK = crc32.ChecksumIEEE(data) == p.dcrc
	// Multi-file layout: lengths until a zero, then the images.
	n := be.Uint32(data[0:])
	if be.Uint32(data[4:]) != 0 {
		t.Fatalf("length table not terminated after one entry")
	}
	if int(n) != len(data)-8 {
		t.Fatalf("script length %d, %d bytes follow the table", n, len(data)-8)
	}
	p.script = data[8:]
	return p
}

func TestUImageScript(t *testing.T) {
	script := []byte("echo hello\nbooti ${kernel_addr_r} - ${fdtcontroladdr}\n")
	p := parseUImage(t, UImageScript("bootyard node1", script))
	if p.magic != 0x27051956 {
		t.Errorf("magic %#x", p.magic)
	}
	if !p.hcrcOK || !p.dcrcOK {
		t.Errorf("header CRC ok=%v, data CRC ok=%v", p.hcrcOK, p.dcrcOK)
	}
	if p.os != 5 || p.arch != 2 || p.typ != 6 || p.comp != 0 {
		t.Errorf("os/arch/type/comp = %d/%d/%d/%d, want 5/2/6/0 (linux, arm, script, none)", p.os, p.arch, p.typ, p.comp)
	}
	if p.time != 0 || p.load != 0 || p.ep != 0 {
		t.Errorf("time/load/entry = %d/%d/%d, want zeros", p.time, p.load, p.ep)
	}
	if p.name != "bootyard node1" {
		t.Errorf("name %q", p.name)
	}
	if !bytes.Equal(p.script, script) {
		t.Errorf("script %q, want %q", p.script, script)
	}

	long := UImageScript("a-host-name-much-longer-than-thirty-two-bytes", nil)
	if q := parseUImage(t, long); q.name != "a-host-name-much-longer-than-th" || !q.hcrcOK || !q.dcrcOK {
		t.Errorf("long name: %q, hcrc %v, dcrc %v", q.name, q.hcrcOK, q.dcrcOK)
	}
}

// TestUImageScriptServed: the boot.scr.uimg Open returns is a valid script
// image whose payload is the rendered script.
func TestUImageScriptServed(t *testing.T) {
	f, _ := newTestFS(t)
	b, err := read(t, f, node1IP, "boot.scr.uimg")
	if err != nil {
		t.Fatal(err)
	}
	p := parseUImage(t, b)
	if !p.hcrcOK || !p.dcrcOK || p.typ != 6 {
		t.Fatalf("served image: hcrc %v dcrc %v type %d", p.hcrcOK, p.dcrcOK, p.typ)
	}
	if !bytes.HasPrefix(p.script, []byte("# bootyard: node1 (")) {
		t.Errorf("payload %q", p.script)
	}
}

// TestUImageScriptMatchesMkimage compares with U-Boot's own mkimage
// (Debian u-boot-tools) byte for byte.
func TestUImageScriptMatchesMkimage(t *testing.T) {
	mkimage, err := exec.LookPath("mkimage")
	if err != nil {
		if netlab.Required() {
			t.Fatal("mkimage not found (BOOTYARD_E2E=1): install u-boot-tools")
		}
		t.Skip("mkimage not found: install u-boot-tools")
	}
	dir := t.TempDir()
	for _, script := range []string{"echo hi\n", "echo odd length!\n", "setenv bootargs 'a b'\nbooti ${kernel_addr_r} - ${fdtcontroladdr}\n"} {
		in := filepath.Join(dir, "script.txt")
		out := filepath.Join(dir, "script.img")
		if err := os.WriteFile(in, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(mkimage, "-A", "arm", "-O", "linux", "-T", "script", "-C", "none", "-n", "bootyard node1", "-d", in, out)
		cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mkimage: %v\n%s", err, msg)
		}
		want, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if got := UImageScript("bootyard node1", []byte(script)); !bytes.Equal(got, want) {
			t.Errorf("script %q:\n got %x\nwant %x", script, got, want)
		}
	}
}
