package bootfiles

import (
	"bytes"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/internal/netlab"
)

// TestOpenGeneratedGolden pins the exact bytes of every generated kind for
// known hosts. Run `go test ./bootfiles -update` after a deliberate template
// change and review the diff of testdata/.
func TestOpenGeneratedGolden(t *testing.T) {
	f, _ := newTestFS(t)
	tests := []struct {
		client netip.Addr
		name   string
		golden string
	}{
		{node1IP, "pxelinux.cfg/01-52-54-00-12-34-56", "pxelinux-node1.golden"},
		{node1IP, "boot/pxelinux.cfg/01-52-54-00-12-34-56", "pxelinux-node1-bootdir.golden"},
		{node1IP, "debian/pxelinux.cfg/01-52-54-00-12-34-56", "pxelinux-node1-kerneldir.golden"},
		{node1IP, "/grub/grub.cfg-01-52-54-00-12-34-56", "grub-node1.golden"},
		{node1IP, "boot.ipxe", "ipxe-node1.golden"},
		{node1IP, "boot.scr.uimg", "uboot-node1.scr.uimg.golden"},
		{oddIP, "pxelinux.cfg/01-52-54-00-00-00-0d", "pxelinux-odd.golden"},
		{oddIP, "grub/grub.cfg-01-52-54-00-00-00-0d", "grub-odd.golden"},
		{oddIP, "boot.ipxe", "ipxe-odd.golden"},
		{oddIP, "boot.scr.uimg", "uboot-odd.scr.uimg.golden"},
		{poolIP, "boot.ipxe", "ipxe-pooled.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got, err := read(t, f, tt.client, tt.name)
			if err != nil {
				t.Fatalf("Open(%s, %q): %v", tt.client, tt.name, err)
			}
			golden(t, tt.golden, got)
		})
	}
}

// TestKernelPathForms checks the path conventions each reader needs,
// independently of the golden files (see kernelForm).
func TestKernelPathForms(t *testing.T) {
	f, _ := newTestFS(t)
	tests := []struct {
		name string
		want []string // lines that must appear
	}{
		// pxelinux/U-Boot: relative to the folder the config came from.
		{"pxelinux.cfg/01-52-54-00-12-34-56", []string{"  KERNEL debian/linux", "  INITRD debian/initrd.gz", "  APPEND console=ttyS0 quiet hostname=node1"}},
		{"boot/pxelinux.cfg/01-52-54-00-12-34-56", []string{"  KERNEL ../debian/linux", "  INITRD ../debian/initrd.gz"}},
		{"a/b/pxelinux.cfg/01-52-54-00-12-34-56", []string{"  KERNEL ../../debian/linux"}},
		{"debian/pxelinux.cfg/01-52-54-00-12-34-56", []string{"  KERNEL linux", "  INITRD initrd.gz"}},
		// GRUB: "/" from $root = (tftp,server), whatever its prefix folder.
		{"grub/grub.cfg-01-52-54-00-12-34-56", []string{"\tlinux /debian/linux console=ttyS0 quiet hostname=node1", "\tinitrd /debian/initrd.gz"}},
		// iPXE: "/" resolves against the script's URI: same server, root.
		{"ipxe/boot.ipxe", nil}, // not the configured name: not generated
		{"boot.ipxe", []string{"kernel /debian/linux initrd=initrd console=ttyS0 quiet hostname=node1", "initrd --name initrd /debian/initrd.gz"}},
		// U-Boot tftpboot: root-relative.
		{"boot.scr.uimg", []string{"if tftpboot ${kernel_addr_r} 'debian/linux' && tftpboot ${ramdisk_addr_r} 'debian/initrd.gz'; then", "setenv serverip 198.51.100.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(t, f, node1IP, tt.name)
			if tt.want == nil {
				if !isNotExist(err) {
					t.Fatalf("Open(%q) = %q, %v; want not found", tt.name, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(got), "\n")
			for _, w := range tt.want {
				if !contains(lines, w) {
					t.Errorf("%q has no line %q:\n%s", tt.name, w, got)
				}
			}
		})
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// TestCmdlineCannotInject: a cmdline with newlines and shell syntax stays
// on its one line in every kind, and is quoted where the reader is a shell.
func TestCmdlineCannotInject(t *testing.T) {
	f, _ := newTestFS(t)
	for _, name := range []string{"pxelinux.cfg/01-52-54-00-00-00-0d", "grub.cfg-01-52-54-00-00-00-0d", "boot.ipxe", "boot.scr"} {
		got, err := read(t, f, oddIP, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if i := bytes.Index(got, []byte("#")); name == "boot.scr" && i > 0 {
			got = got[i:] // skip the uImage header
		}
		for _, line := range strings.Split(string(got), "\n") {
			l := strings.TrimSpace(line)
			if strings.HasPrefix(l, "APPEND injected") || strings.HasPrefix(l, "LABEL evil") {
				t.Errorf("%s: cmdline injected a line %q:\n%s", name, line, got)
			}
		}
		if name == "grub.cfg-01-52-54-00-00-00-0d" && !strings.Contains(string(got), `linux /tiny/Image 'x=$y;reboot' '{a}' 'b='\''c' 'd'\''' e 'dyndbg=file x +p' APPEND injected LABEL evil`+"\n") {
			t.Errorf("grub cmdline not quoted word by word:\n%s", got)
		}
		if name == "boot.scr" && !strings.Contains(string(got), `setenv bootargs 'x=$y;reboot {a} b='\''c d'\'' "e" dyndbg="file x +p" APPEND injected LABEL evil'`+"\n") {
			t.Errorf("U-Boot bootargs not single-quoted:\n%s", got)
		}
	}
}

// TestGeneratedLookups: which client gets which generated file, and when a
// name falls through to the disk.
func TestGeneratedLookups(t *testing.T) {
	f, root := newTestFS(t)
	writeFile(t, root, "pxelinux.cfg/default", "disk default\n")
	writeFile(t, root, "pxelinux.cfg/01-52-54-00-00-00-01", "disk bare mac\n")
	writeFile(t, root, "boot.scr.uimg", "disk script\n")
	writeFile(t, root, "boot.ipxe", "#!ipxe\nchain menu.ipxe\n")
	writeFile(t, root, "pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d", "disk uuid\n")

	const (
		node1  = "host node1"
		pooled = "host pooled"
		odd    = "host odd"
	)
	tests := []struct {
		desc   string
		client netip.Addr
		name   string
		want   string // "host X": generated for X; "disk ...": that disk content prefix; "": not found
	}{
		{"mac name from its own host", node1IP, "pxelinux.cfg/01-52-54-00-12-34-56", node1},
		{"mac name from another client", strayIP, "pxelinux.cfg/01-52-54-00-12-34-56", node1},
		{"mac name from ipv4-mapped client", netip.AddrFrom16(node1IP.As16()), "pxelinux.cfg/01-52-54-00-12-34-56", node1},
		{"unknown mac", node1IP, "pxelinux.cfg/01-52-54-00-99-99-99", ""},
		{"upper-case mac is not a pxelinux name", node1IP, "pxelinux.cfg/01-52-54-00-AA-BB-CC", ""},
		{"host without profile: disk", bareIP, "pxelinux.cfg/01-52-54-00-00-00-01", "disk bare mac"},
		{"uuid falls through", node1IP, "pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d", "disk uuid"},
		{"plain default stays on disk", node1IP, "pxelinux.cfg/default", "disk default"},
		{"hex ip full", node1IP, "pxelinux.cfg/C633640A", node1},
		{"hex ip shortened", node1IP, "pxelinux.cfg/C633640", node1},
		{"hex ip shortest", node1IP, "pxelinux.cfg/C", node1},
		{"hex ip of another address", node1IP, "pxelinux.cfg/C633640B", ""},
		{"hex ip from unknown client", strayIP, "pxelinux.cfg/C6336463", ""},
		{"hex ip lower case is not asked", node1IP, "pxelinux.cfg/c633640a", ""},
		{"hex ip in a subfolder", node1IP, "bios/pxelinux.cfg/C63364", node1},
		{"u-boot default-arch-soc-board", node1IP, "pxelinux.cfg/default-arm-armv8-qemu", node1},
		{"u-boot default-arch", node1IP, "pxelinux.cfg/default-arm", node1},
		{"u-boot default-arch unknown client", strayIP, "pxelinux.cfg/default-arm", ""},
		{"pool client by lease", poolIP, "pxelinux.cfg/default-arm", pooled},
		{"grub mac with leading slash and prefix", strayIP, "/grub/grub.cfg-01-52-54-00-12-34-56", node1},
		{"grub mac at root", node1IP, "grub.cfg-01-52-54-00-12-34-56", node1},
		{"grub hex ip", node1IP, "/boot/grub/grub.cfg-C633640A", node1},
		{"grub hex ip shortened", node1IP, "/EFI/grub.cfg-C6", node1},
		{"grub hex ip other client", oddIP, "/grub/grub.cfg-C633640A", ""},
		{"grub.cfg is the host's by address (GRUB over HTTP)", node1IP, "/grub/grub.cfg", node1},
		{"grub.cfg for no host falls through", strayIP, "/grub/grub.cfg", ""},
		{"ipxe script for host", node1IP, "boot.ipxe", node1},
		{"ipxe script with leading slash", node1IP, "/boot.ipxe", node1},
		{"ipxe script for pool client", poolIP, "boot.ipxe", pooled},
		{"ipxe script for unknown client: disk", strayIP, "boot.ipxe", "#!ipxe\nchain menu.ipxe"},
		{"ipxe script for host without profile: disk", bareIP, "boot.ipxe", "#!ipxe\nchain menu.ipxe"},
		{"ipxe by mac hex", strayIP, "525400123456.ipxe", node1},
		{"ipxe by mac hex in a folder", strayIP, "ipxe/52540000000d.ipxe", odd},
		{"boot.scr.uimg for host", node1IP, "boot.scr.uimg", node1},
		{"boot.scr for host", node1IP, "boot.scr", node1},
		{"boot.scr.uimg for unknown client: disk", strayIP, "boot.scr.uimg", "disk script"},
		{"boot.scr for unknown client: none", strayIP, "boot.scr", ""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := read(t, f, tt.client, tt.name)
			switch {
			case tt.want == "":
				if !isNotExist(err) {
					t.Fatalf("Open(%s, %q) = %q, %v; want not found", tt.client, tt.name, got, err)
				}
			case err != nil:
				t.Fatalf("Open(%s, %q): %v", tt.client, tt.name, err)
			case strings.HasPrefix(tt.want, "host "):
				if !strings.Contains(string(got), "# bootyard: "+strings.TrimPrefix(tt.want, "host ")+" (") {
					t.Fatalf("Open(%s, %q) = %q; want the generated file of %s", tt.client, tt.name, got, tt.want)
				}
			default:
				if !strings.HasPrefix(string(got), tt.want) {
					t.Fatalf("Open(%s, %q) = %q; want disk file %q", tt.client, tt.name, got, tt.want)
				}
			}
		})
	}
}

// TestGRUBConfigParses runs GRUB's own parser (grub-script-check, Debian
// grub-common) over the generated configs, the odd cmdline included.
func TestGRUBConfigParses(t *testing.T) {
	check, err := exec.LookPath("grub-script-check")
	if err != nil {
		if netlab.Required() {
			t.Fatal("grub-script-check not found (BOOTYARD_E2E=1): install grub-common")
		}
		t.Skip("grub-script-check not found: install grub-common")
	}
	f, _ := newTestFS(t)
	for _, c := range []struct {
		client netip.Addr
		name   string
	}{{node1IP, "grub.cfg-01-52-54-00-12-34-56"}, {oddIP, "grub.cfg-01-52-54-00-00-00-0d"}} {
		b, err := read(t, f, c.client, c.name)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(check)
		cmd.Stdin = bytes.NewReader(b)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("grub-script-check %s: %v\n%s\n%s", c.name, err, out, b)
		}
	}
	// The check itself must be able to fail: an unbalanced quote does.
	cmd := exec.Command(check)
	cmd.Stdin = strings.NewReader("menuentry 'x {\n")
	if err := cmd.Run(); err == nil {
		t.Error("grub-script-check accepted a broken script: the test above proves nothing")
	}
}
