package bootfiles

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bootyard/bootyard/firmware"
	"github.com/bootyard/bootyard/inventory"
)

func TestClassify(t *testing.T) {
	mac := mustMAC("52:54:00:12:34:56")
	tests := []struct {
		name string
		want request
		ok   bool
	}{
		{"pxelinux.cfg/01-52-54-00-12-34-56", request{kind: kindPXELinux, key: byMAC, mac: mac}, true},
		{"boot/x/pxelinux.cfg/01-52-54-00-12-34-56", request{kind: kindPXELinux, key: byMAC, mac: mac, dir: "boot/x"}, true},
		{"pxelinux.cfg/C0A80102", request{kind: kindPXELinux, key: byClient, hexIP: "C0A80102"}, true},
		{"pxelinux.cfg/C", request{kind: kindPXELinux, key: byClient, hexIP: "C"}, true},
		{"pxelinux.cfg/C0A801020", request{}, false}, // nine digits
		{"pxelinux.cfg/default-arm-armv8-qemu", request{kind: kindPXELinux, key: byClient}, true},
		{"pxelinux.cfg/default-", request{}, false},
		{"pxelinux.cfg/default", request{}, false},
		{"pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d", request{}, false},
		{"pxelinux.cfg/01-52-54-00-12-34", request{}, false},
		{"pxelinux.cfg/01-52:54:00:12:34:56", request{}, false},
		{"pxelinux.cfg", request{}, false},
		{"grub.cfg-01-52-54-00-12-34-56", request{kind: kindGRUB, key: byMAC, mac: mac}, true},
		{"grub/grub.cfg-01-52-54-00-12-34-56", request{kind: kindGRUB, key: byMAC, mac: mac, dir: "grub"}, true},
		{"EFI/grub.cfg-C0A801", request{kind: kindGRUB, key: byClient, hexIP: "C0A801", dir: "EFI"}, true},
		{"grub.cfg", request{kind: kindGRUB, key: byClient}, true},
		{"grub/grub.cfg", request{kind: kindGRUB, key: byClient, dir: "grub"}, true},
		{"grub.cfg-", request{}, false},
		{"boot.scr.uimg", request{kind: kindUBootScript, key: byClient}, true},
		{"x/boot.scr", request{kind: kindUBootScript, key: byClient, dir: "x"}, true},
		{"boot.ipxe", request{kind: kindIPXE, key: byClient}, true},
		{"x/boot.ipxe", request{}, false},
		{"525400123456.ipxe", request{kind: kindIPXE, key: byMAC, mac: mac}, true},
		{"52540012345.ipxe", request{}, false},
		{"undionly.kpxe", request{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := matchGenerated(tt.name, "boot.ipxe")
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(request{})); diff != "" {
				t.Errorf("matchGenerated(%q) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestKernelParams(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a b  c", []string{"a", "b", "c"}},
		{`x="a b" y`, []string{"x=a b", "y"}},
		{`"quoted all" z=""`, []string{"quoted all", "z="}},
		{`unterminated="a b`, []string{"unterminated=a b"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, kernelParams(tt.in)); diff != "" {
			t.Errorf("kernelParams(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestRenderMatchesOpen: what `bootyard explain` shows is byte for byte what
// the host's firmware is served.
func TestRenderMatchesOpen(t *testing.T) {
	f, root := newTestFS(t)
	snap := testInventory(root)
	h, _ := snap.HostByName("node1")
	files, err := Render(snap, h, serverIP)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range files {
		names = append(names, g.Name)
		got, err := read(t, f, node1IP, g.Name)
		if err != nil {
			t.Errorf("Open(%q): %v", g.Name, err)
			continue
		}
		if !bytes.Equal(got, g.Content) {
			t.Errorf("%s: Render and Open differ:\n%s\n---\n%s", g.Name, g.Content, got)
		}
	}
	want := []string{
		"pxelinux.cfg/01-52-54-00-12-34-56", "pxelinux.cfg/C633640A",
		"grub.cfg-01-52-54-00-12-34-56", "grub.cfg-C633640A",
		"boot.ipxe", "525400123456.ipxe", "boot.scr.uimg", "boot.scr",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("Render names (-want +got):\n%s", diff)
	}

	bare, _ := snap.HostByName("bare")
	if files, err := Render(snap, bare, serverIP); err != nil || files != nil {
		t.Errorf("host without profile: %v, %v; want nothing", files, err)
	}
}

func TestGenerated(t *testing.T) {
	snap := testInventory(t.TempDir())
	tests := []struct {
		name string
		want bool
	}{
		{"boot.ipxe", true},
		{"/boot.ipxe", true},
		{"boot.scr.uimg", true},
		{"pxelinux.cfg/01-52-54-00-12-34-56", true},
		{"pxelinux.cfg/01-52-54-00-00-00-01", false}, // host without profile
		{"pxelinux.cfg/01-52-54-00-99-99-99", false}, // unknown MAC
		{"pxelinux.cfg/C633640A", true},
		{"pxelinux.cfg/0A000001", true}, // a pool host may get any address
		{"grub/grub.cfg-01-52-54-00-12-34-56", true},
		{"undionly.kpxe", false},
		{"../boot.ipxe", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := Generated(snap, tt.name); got != tt.want {
			t.Errorf("Generated(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Without any bootable host nothing is generated.
	empty := inventory.New(inventory.Snapshot{Boot: map[firmware.Class]string{firmware.IPXE: "boot.ipxe"}}, nil, nil)
	if Generated(empty, "boot.ipxe") || Generated(nil, "boot.ipxe") {
		t.Error("generated for an inventory without hosts")
	}
	// An iPXE boot file that is a URL is no TFTP name.
	web := inventory.New(inventory.Snapshot{Boot: map[firmware.Class]string{firmware.IPXE: "http://198.51.100.2/boot.ipxe"}}, nil, snap.Hosts())
	if Generated(web, "http://198.51.100.2/boot.ipxe") {
		t.Error("URL counted as a generated TFTP name")
	}
}

// TestTemplateOverrides: .bootyard/<kind>.tmpl under the TFTP root replaces
// a default for everyone, .bootyard/<profile>/<kind>.tmpl for one profile;
// a broken override is an error, never a panic or a silent default.
func TestTemplateOverrides(t *testing.T) {
	f, root := newTestFS(t)
	writeFile(t, root, ".bootyard/uboot-script.tmpl",
		"echo BOOTYARD-MARKER {{.Host}} {{.IP}} {{.ServerIP}}\ntftpboot ${kernel_addr_r} {{.Kernel}}\ncrc32 ${kernel_addr_r} ${filesize}\n")
	writeFile(t, root, ".bootyard/tiny/ipxe.tmpl", "#!ipxe\necho tiny {{.Host}} {{.KernelPath}}\n")

	b, err := read(t, f, poolIP, "boot.scr.uimg")
	if err != nil {
		t.Fatal(err)
	}
	p := parseUImage(t, b)
	want := "echo BOOTYARD-MARKER pooled 198.51.100.200 198.51.100.2\ntftpboot ${kernel_addr_r} debian/linux\ncrc32 ${kernel_addr_r} ${filesize}\n"
	if string(p.script) != want || !p.hcrcOK || !p.dcrcOK {
		t.Errorf("override script %q (crc ok %v %v), want %q", p.script, p.hcrcOK, p.dcrcOK, want)
	}

	if b, err := read(t, f, oddIP, "boot.ipxe"); err != nil || string(b) != "#!ipxe\necho tiny odd tiny/Image\n" {
		t.Errorf("profile override: %q, %v", b, err)
	}
	if b, err := read(t, f, node1IP, "boot.ipxe"); err != nil || !strings.HasPrefix(string(b), "#!ipxe\n# bootyard: node1") {
		t.Errorf("other profile keeps the default: %q, %v", b, err)
	}

	for _, broken := range []string{"{{.Host", "{{.NoSuchField}}", "{{template \"x\"}}", `{{define "r"}}{{template "r"}}{{end}}{{template "r"}}`} {
		writeFile(t, root, ".bootyard/grub.tmpl", broken)
		got, err := read(t, f, node1IP, "grub.cfg-01-52-54-00-12-34-56")
		if err == nil {
			t.Errorf("broken template %q served %q", broken, got)
		}
		if isNotExist(err) {
			t.Errorf("broken template %q reported as not found: %v", broken, err)
		}
	}
}

// TestNoAddressNoHexNames: a client without an IPv4 address matches no
// address-derived name.
func TestNoAddressNoHexNames(t *testing.T) {
	f, _ := newTestFS(t)
	for _, c := range []netip.Addr{{}, netip.MustParseAddr("2001:db8::1")} {
		if _, err := read(t, f, c, "pxelinux.cfg/C"); !isNotExist(err) {
			t.Errorf("client %v: %v", c, err)
		}
		if b, err := read(t, f, c, "pxelinux.cfg/01-52-54-00-12-34-56"); err != nil || !strings.Contains(string(b), "node1") {
			t.Errorf("client %v, MAC name: %q %v", c, b, err)
		}
	}
}

func TestKernelForm(t *testing.T) {
	tests := []struct {
		req  request
		in   string
		want string
	}{
		{request{kind: kindPXELinux}, "debian/linux", "debian/linux"},
		{request{kind: kindPXELinux, dir: "boot"}, "debian/linux", "../debian/linux"},
		{request{kind: kindPXELinux, dir: "debian"}, "debian/linux", "linux"},
		{request{kind: kindPXELinux, dir: "deb"}, "debian/linux", "../debian/linux"},
		{request{kind: kindGRUB, dir: "grub"}, "debian/linux", "/debian/linux"},
		{request{kind: kindIPXE}, "debian/linux", "/debian/linux"},
		{request{kind: kindIPXE}, "http://198.51.100.2/linux", "http://198.51.100.2/linux"},
		{request{kind: kindUBootScript, dir: "x"}, "debian/linux", "debian/linux"},
		{request{kind: kindUBootScript}, "", ""},
	}
	for _, tt := range tests {
		if got := kernelForm(tt.req, rootPath(tt.in)); got != tt.want {
			t.Errorf("kernelForm(%s in %q, %q) = %q, want %q", tt.req.kind, tt.req.dir, tt.in, got, tt.want)
		}
	}
	for in, want := range map[string]string{"/a//b/../c": "a/c", " x ": "x", "../../etc": "etc", "/": ""} {
		if got := rootPath(in); got != want {
			t.Errorf("rootPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestServerIP: generated files name the server address cmd resolved once
// and handed over, and nothing else: no second precedence rule here.
func TestServerIP(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, ".bootyard/ipxe.tmpl", "#!ipxe\necho [{{.ServerIP}}]\n")
	for _, tt := range []struct {
		opts []Option
		want string
	}{{[]Option{ServerIP(netip.MustParseAddr("203.0.113.1"))}, "203.0.113.1"}, {nil, ""}} {
		snap := testInventory(root) // its dhcp.server_ip is 198.51.100.2: not used here
		f := New(func() *inventory.Snapshot { return snap }, nil, nil, tt.opts...)
		b, err := read(t, f, node1IP, "boot.ipxe")
		f.Close()
		if err != nil || string(b) != "#!ipxe\necho ["+tt.want+"]\n" {
			t.Errorf("got %q, %v; want server [%s]", b, err, tt.want)
		}
	}
}
