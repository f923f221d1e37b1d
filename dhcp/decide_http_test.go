package dhcp

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// edk2HTTP is what Debian's OVMF (EDK2 HttpBootDxe) sends with PXE off:
// option 60 "HTTPClient:Arch:00016:UNDI:003001", option 93 = 16.
func edk2HTTP(mac []byte, t dhcpv4.MessageType) pkt {
	return newPkt(mac, t).bcast().u16(93, 16).str(60, "HTTPClient:Arch:00016:UNDI:003001")
}

// withHTTP turns the HTTP server on at port.
func withHTTP(port int) snapOpt {
	return func(s *inventory.Snapshot, _ *[]*inventory.Profile, _ *[]*inventory.Host) {
		s.HTTP = inventory.DefaultHTTP()
		s.HTTP.Enabled, s.HTTP.Port = true, port
	}
}

// withTLS sets http.tls (after withHTTP).
func withTLS(port int, uefi bool) snapOpt {
	return func(s *inventory.Snapshot, _ *[]*inventory.Profile, _ *[]*inventory.Host) {
		s.HTTP.TLS = &inventory.HTTPTLS{Cert: "c.pem", Key: "k.pem", Port: port, UEFI: uefi}
	}
}

// optionBytes finds option code in the raw reply bytes (after the magic
// cookie), as the firmware parses them: nil when absent.
func optionBytes(t *testing.T, b []byte, code byte) []byte {
	t.Helper()
	const start = 240 // BOOTP header 236 + magic cookie 4
	if len(b) < start || !bytes.Equal(b[236:240], []byte{99, 130, 83, 99}) {
		t.Fatalf("reply has no magic cookie")
	}
	for i := start; i < len(b); {
		c := b[i]
		switch c {
		case 0:
			i++
			continue
		case 255:
			return nil
		}
		if i+1 >= len(b) || i+2+int(b[i+1]) > len(b) {
			t.Fatalf("option %d runs past the packet", c)
		}
		v := b[i+2 : i+2+int(b[i+1])]
		if c == code {
			return v
		}
		i += 2 + len(v)
	}
	return nil
}

// fileField is the BOOTP file field up to its NUL.
func fileField(b []byte) string {
	f := b[108:236]
	if i := bytes.IndexByte(f, 0); i >= 0 {
		f = f[:i]
	}
	return string(f)
}

// TestDecideHTTPClientURL: a UEFI HTTP Boot client whose boot file is a
// name under the root gets, on the wire, option 60 exactly "HTTPClient" and
// the full URL of our HTTP server in option 67 and the file field, in
// authoritative and proxy mode (OFFER on 67, ACK on 4011).
func TestDecideHTTPClientURL(t *testing.T) {
	disc, reqT := dhcpv4.MessageTypeDiscover, dhcpv4.MessageTypeRequest
	named := func(h *inventory.Host, _ []*inventory.Profile) { h.BootFile = "efi/grubx64.efi" }
	on4011 := func(p pkt) Request {
		r := req(p.ciaddr("198.51.100.60"))
		r.Port, r.Peer = BootServerPort, netip.MustParseAddrPort("198.51.100.60:68")
		return r
	}
	tests := []struct {
		name, url string
		snap      *inventory.Snapshot
		req       Request
		typ       byte
		yiaddr    string
	}{
		{"authoritative, port 80", "http://198.51.100.2/efi/grubx64.efi",
			testSnap(withHTTP(80), withHost(macHTTP, named)), req(edk2HTTP(macHTTP, disc)), 2, "198.51.100.24"},
		{"authoritative, port 8080", "http://198.51.100.2:8080/efi/grubx64.efi",
			testSnap(withHTTP(8080), withHost(macHTTP, named)), req(edk2HTTP(macHTTP, disc)), 2, "198.51.100.24"},
		{"authoritative REQUEST", "http://198.51.100.2/efi/grubx64.efi",
			testSnap(withHTTP(80), withHost(macHTTP, named)), req(edk2HTTP(macHTTP, reqT).ip(50, "198.51.100.24").ip(54, "198.51.100.2")), 5, "198.51.100.24"},
		{"proxy DISCOVER", "http://198.51.100.2:8080/efi/grubx64.efi",
			testSnap(withMode(inventory.ModeProxy, false), withHTTP(8080), withHost(macHTTP, named)), req(edk2HTTP(macHTTP, disc)), 2, "0.0.0.0"},
		{"proxy REQUEST on 4011", "http://198.51.100.2:8080/efi/grubx64.efi",
			testSnap(withMode(inventory.ModeProxy, false), withHTTP(8080), withHost(macHTTP, named)), on4011(edk2HTTP(macHTTP, reqT)), 5, "0.0.0.0"},
		{"http.tls: https on the TLS port", "https://198.51.100.2:8443/efi/grubx64.efi",
			testSnap(withHTTP(80), withTLS(8443, true), withHost(macHTTP, named)), req(edk2HTTP(macHTTP, disc)), 2, "198.51.100.24"},
		{"http.tls on 443: no port in the URL", "https://198.51.100.2/efi/grubx64.efi",
			testSnap(withHTTP(80), withTLS(443, true), withHost(macHTTP, named)), req(edk2HTTP(macHTTP, disc)), 2, "198.51.100.24"},
		{"http.tls with uefi off keeps http", "http://198.51.100.2/efi/grubx64.efi",
			testSnap(withHTTP(80), withTLS(8443, false), withHost(macHTTP, named)), req(edk2HTTP(macHTTP, disc)), 2, "198.51.100.24"},
		{"an absolute URL is passed as it is", "https://boot.example.net/x/shim.efi",
			testSnap(withHTTP(8080), withHost(macHTTP, func(h *inventory.Host, _ []*inventory.Profile) {
				h.BootFile = "https://boot.example.net/x/shim.efi"
			})), req(edk2HTTP(macHTTP, disc)), 2, "198.51.100.24"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.req, tc.snap, &fakeLeases{})
			if d.Reply == nil {
				t.Fatalf("no reply: %s (%s)", d.Reason, d.Ignore)
			}
			b := d.Reply.ToBytes()
			if got := optionBytes(t, b, 53); !bytes.Equal(got, []byte{tc.typ}) {
				t.Errorf("option 53 = %v, want %d", got, tc.typ)
			}
			if got := optionBytes(t, b, 60); string(got) != "HTTPClient" {
				t.Errorf("option 60 = %q, want exactly HTTPClient", got)
			}
			if got := optionBytes(t, b, 67); string(got) != tc.url {
				t.Errorf("option 67 = %q, want %q", got, tc.url)
			}
			if got := fileField(b); got != tc.url {
				t.Errorf("file field = %q, want %q", got, tc.url)
			}
			if got := optionBytes(t, b, 43); got != nil {
				t.Errorf("option 43 = %x: PXE discovery control in an HTTP boot reply", got)
			}
			if got := netip.AddrFrom4([4]byte(b[16:20])).String(); got != tc.yiaddr {
				t.Errorf("yiaddr = %s, want %s", got, tc.yiaddr)
			}
		})
	}
}

// TestDecideHTTPClientNeedsServer: a file name for HTTP Boot firmware with
// the HTTP server off is not answered (EDK2 would ignore the offer and fail
// a minute later); a PXE client beside it still gets its TFTP name.
func TestDecideHTTPClientNeedsServer(t *testing.T) {
	snap := testSnap(withHost(macHTTP, func(h *inventory.Host, _ []*inventory.Profile) { h.BootFile = "efi/grubx64.efi" }))
	d, rep := Explain(req(edk2HTTP(macHTTP, dhcpv4.MessageTypeDiscover)), snap, &fakeLeases{})
	if d.Reply != nil || d.Reason != ReasonHTTPNeedsURL {
		t.Fatalf("reply %v, reason %q; want no reply with %q", d.Reply != nil, d.Reason, ReasonHTTPNeedsURL)
	}
	if !whyMentions(rep.Why, "http.enabled") {
		t.Errorf("explanation does not name http.enabled: %q", rep.Why)
	}
	httpOn := testSnap(withHTTP(80))
	v := viewOf(wire(t, Decide(req(ovmf(macOVMF, dhcpv4.MessageTypeDiscover, 7)), httpOn, &fakeLeases{})))
	if v.Opts[60] != "PXEClient" || isURL(v.File) || v.File == "" {
		t.Errorf("PXE client with HTTP on got file %q, 60 %q: want its TFTP name and PXEClient", v.File, v.Opts[60])
	}
}

// TestExplainHTTPClientURL: explain shows the URL the firmware gets.
func TestExplainHTTPClientURL(t *testing.T) {
	snap := testSnap(withHTTP(8080), withHost(macHTTP, func(h *inventory.Host, _ []*inventory.Profile) { h.BootFile = "efi/grubx64.efi" }))
	_, rep := Explain(req(edk2HTTP(macHTTP, dhcpv4.MessageTypeDiscover)), snap, &fakeLeases{})
	if rep.Boot.File != "http://198.51.100.2:8080/efi/grubx64.efi" {
		t.Errorf("report boot file %q, want the URL", rep.Boot.File)
	}
	if !whyMentions(rep.Why, "http://198.51.100.2:8080/efi/grubx64.efi") {
		t.Errorf("explanation does not show the URL: %q", rep.Why)
	}
}
