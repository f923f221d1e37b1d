package e2e

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// TestUEFIHTTPBoot is UEFI HTTP Boot by EDK2's own network stack: Debian's
// OVMF with PXE switched off asks DHCP as "HTTPClient", gets option 60
// HTTPClient and the URL of the GRUB image on bootyard's HTTP server, HEADs
// and GETs it; GRUB (prefix (http,SERVER)/grub) reads grub/grub.cfg, which
// is the host's generated config, then the kernel and initrd over HTTP.
func TestUEFIHTTPBoot(t *testing.T) {
	b := newBootLab(t, "tcpdump")
	m := machine{name: "http1", mac: "52:54:00:e7:01:01", fw: fwUEFIHTTP}
	tok := token(t, "http1")
	boot := x86Boot()
	boot["uefi-http"] = "grubhttpx64.efi"
	cfg := labConfig{
		boot:     boot,
		profiles: map[string]string{"marker": "vmlinuz"},
		hosts:    []labHost{{name: "http1", mac: m.mac, ip: "198.51.100.30", profile: "marker", token: tok}},
		httpPort: 80,
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	capture := b.captureDHCPReplies(t)
	q := b.boot(t, m)
	q.waitMarker(t, tok)

	const url = "http://" + serverAddr + "/grubhttpx64.efi"
	offer := replyTo(capture.packets(t), m.mac, dhcpv4.MessageTypeOffer)
	if offer == nil {
		t.Fatalf("no OFFER to %s captured", m.mac)
	}
	if v := offer.ClassIdentifier(); v != "HTTPClient" {
		t.Errorf("OFFER option 60 = %q, want HTTPClient", v)
	}
	if f := offer.BootFileNameOption(); f != url {
		t.Errorf("OFFER option 67 = %q, want %q", f, url)
	}
	out := srv.Output()
	requireHTTP(t, out, "HEAD", "grubhttpx64.efi")
	requireHTTP(t, out, "GET", "grubhttpx64.efi", "grub/grub.cfg", "vmlinuz", "initrd.gz")
	if l := transferred(out, "vmlinuz"); l != "" {
		t.Errorf("the kernel went over TFTP: %s", l)
	}
}

// captureDHCPReplies records DHCP both ways on the server's eth0.
func (b *bootLab) captureDHCPReplies(t *testing.T) *dhcpCapture {
	t.Helper()
	file := filepath.Join(b.dir, "dhcp-both.pcap")
	p := b.srv.Start(t, "tcpdump", "-i", "eth0", "-n", "--immediate-mode", "-U", "-Z", "root", "-w", file, "udp port 67 or udp port 68")
	if err := p.WaitFor(serverUp, "listening on"); err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, p.Output())
	}
	return &dhcpCapture{p: p, file: file}
}

// replyTo returns the first server reply of type typ to mac, or nil.
func replyTo(pkts [][]byte, mac string, typ dhcpv4.MessageType) *dhcpv4.DHCPv4 {
	for _, p := range pkts {
		m, err := dhcpv4.FromBytes(p)
		if err == nil && m.OpCode == dhcpv4.OpcodeBootReply && m.ClientHWAddr.String() == mac && m.MessageType() == typ {
			return m
		}
	}
	return nil
}

// httpServed returns the server's log line of a request method for file
// answered 200 or 206, or "".
func httpServed(log, method, file string) string {
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l := sc.Text()
		if !strings.Contains(l, `msg="http request"`) || !strings.Contains(l, " method="+method+" ") {
			continue
		}
		if !strings.Contains(l, " status=200 ") && !strings.Contains(l, " status=206 ") {
			continue
		}
		if strings.HasSuffix(l, " file="+file) || strings.Contains(l, " file="+file+" ") {
			return l
		}
	}
	return ""
}

// requireHTTP fails unless the server answered method for each file.
func requireHTTP(t *testing.T, log, method string, files ...string) {
	t.Helper()
	for _, f := range files {
		l := httpServed(log, method, f)
		if l == "" {
			t.Errorf("server log has no %s of %s answered over HTTP", method, f)
			continue
		}
		if _, rest, ok := strings.Cut(l, " method="); ok {
			l = "method=" + rest
		}
		t.Logf("http: %s", l)
	}
}

// raw stops the capture and returns its file as bytes: the TCP payloads
// of HTTP requests are searched as text.
func (c *dhcpCapture) raw(t *testing.T) []byte {
	t.Helper()
	if err := c.p.Stop(); err != nil {
		t.Logf("tcpdump stop: %v", err)
	}
	b, err := os.ReadFile(c.file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// padInitrd writes initrd.gz followed by zeros up to size bytes as name
// under the root: Linux skips zero padding between initramfs archives, so
// the big file boots like the small one.
func padInitrd(t *testing.T, b *bootLab, name string, size int64) {
	t.Helper()
	dst := filepath.Join(b.root, name)
	copyFile(t, filepath.Join(b.assets, "initrd.gz"), dst)
	if err := os.Truncate(dst, size); err != nil {
		t.Fatal(err)
	}
}

// TestBIOSiPXEOverHTTP boots the BIOS iPXE ROM into its per-host script,
// which names kernel and a 32 MB initrd by HTTP URL: the capture shows
// them fetched by HTTP GET, and no TFTP request for either.
func TestBIOSiPXEOverHTTP(t *testing.T) {
	b := newBootLab(t, "tcpdump")
	padInitrd(t, b, "initrd-big.gz", 32<<20)
	m := machine{name: "ipxh1", mac: "52:54:00:e7:02:01", fw: fwBIOS}
	tok := token(t, "ipxh1")
	cfg := labConfig{
		boot:     x86Boot(),
		profiles: map[string]string{"marker": "vmlinuz"},
		hosts:    []labHost{{name: "ipxh1", mac: m.mac, ip: "198.51.100.31", profile: "marker", token: tok}},
		httpPort: 80,
		initrd:   "initrd-big.gz",
	}
	srv := b.startBootyard(t, cfg.yaml(b.dir, b.root))
	p := b.srv.Start(t, "tcpdump", "-i", "eth0", "-n", "-s", "512", "--immediate-mode", "-U", "-Z", "root",
		"-w", filepath.Join(b.dir, "files.pcap"), "tcp port 80 or udp port 69")
	if err := p.WaitFor(serverUp, "listening on"); err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, p.Output())
	}
	capture := &dhcpCapture{p: p, file: filepath.Join(b.dir, "files.pcap")}
	q := b.boot(t, m)
	q.waitMarker(t, tok)
	raw := capture.raw(t)
	for _, f := range []string{"vmlinuz", "initrd-big.gz"} {
		if !bytes.Contains(raw, []byte("GET /"+f+" HTTP/1.1")) {
			t.Errorf("capture has no HTTP GET of /%s", f)
		}
		if bytes.Contains(raw, []byte(f+"\x00octet")) {
			t.Errorf("capture has a TFTP read request for %s", f)
		}
	}
	if !bytes.Contains(raw, []byte("boot.ipxe\x00octet")) {
		t.Errorf("capture has no TFTP read of boot.ipxe: was the script not fetched by TFTP?")
	}
	out := srv.Output()
	requireTransferred(t, srv, "boot.ipxe")
	requireHTTP(t, out, "GET", "vmlinuz", "initrd-big.gz")
	if l := httpServed(out, "GET", "initrd-big.gz"); l != "" && !strings.Contains(l, " bytes=33554432 ") {
		t.Errorf("initrd-big.gz not sent whole: %s", l)
	}
}
