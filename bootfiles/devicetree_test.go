package bootfiles

import (
	"net/netip"
	"testing"

	"github.com/bootyard/bootyard/inventory"
)

// dtInventory has one host per way of naming a device tree: the profile's
// file, the profile's folder, and a host's own file over its profile's
// folder.
func dtInventory(root string) *inventory.Snapshot {
	file := &inventory.Profile{Name: "armfile", Kernel: "boot/Image", Initrd: "boot/initrd", Cmdline: "console=ttyAMA0", FDT: "dtbs/board.dtb"}
	dir := &inventory.Profile{Name: "armdir", Kernel: "boot/Image", FDTDir: "/dtbs/"}
	hosts := []*inventory.Host{
		{Name: "dtfile", MAC: mustMAC("52:54:00:d7:00:01"), IP: netip.MustParseAddr("198.51.100.21"), Profile: file},
		{Name: "dtdir", MAC: mustMAC("52:54:00:d7:00:02"), IP: netip.MustParseAddr("198.51.100.22"), Profile: dir},
		{Name: "dtown", MAC: mustMAC("52:54:00:d7:00:03"), IP: netip.MustParseAddr("198.51.100.23"), Profile: dir, FDT: "dtbs/own.dtb"},
	}
	return inventory.New(inventory.Snapshot{
		DHCP: inventory.DHCP{ServerIP: serverIP},
		TFTP: inventory.TFTP{Enabled: true, Root: root},
	}, []*inventory.Profile{file, dir}, hosts)
}

// TestDeviceTreeLines: each reader gets the device tree in its own words,
// with the path written the way it resolves paths (see kernelForm), byte
// for byte.
func TestDeviceTreeLines(t *testing.T) {
	root := t.TempDir()
	snap := dtInventory(root)
	f := New(func() *inventory.Snapshot { return snap }, nil, nil, ServerIP(snap.DHCP.ServerIP))
	t.Cleanup(func() { f.Close() })
	tests := []struct {
		client string
		name   string
		want   string
	}{
		{"198.51.100.21", "pxelinux.cfg/01-52-54-00-d7-00-01", `# bootyard: dtfile (52:54:00:d7:00:01), profile armfile
DEFAULT bootyard
PROMPT 0
TIMEOUT 1
LABEL bootyard
  KERNEL boot/Image
  INITRD boot/initrd
  FDT dtbs/board.dtb
  APPEND console=ttyAMA0
`},
		{"198.51.100.21", "boot/pxelinux.cfg/01-52-54-00-d7-00-01", `# bootyard: dtfile (52:54:00:d7:00:01), profile armfile
DEFAULT bootyard
PROMPT 0
TIMEOUT 1
LABEL bootyard
  KERNEL Image
  INITRD initrd
  FDT ../dtbs/board.dtb
  APPEND console=ttyAMA0
`},
		{"198.51.100.22", "pxelinux.cfg/01-52-54-00-d7-00-02", `# bootyard: dtdir (52:54:00:d7:00:02), profile armdir
DEFAULT bootyard
PROMPT 0
TIMEOUT 1
LABEL bootyard
  KERNEL boot/Image
  FDTDIR dtbs
`},
		{"198.51.100.23", "pxelinux.cfg/01-52-54-00-d7-00-03", `# bootyard: dtown (52:54:00:d7:00:03), profile armdir
DEFAULT bootyard
PROMPT 0
TIMEOUT 1
LABEL bootyard
  KERNEL boot/Image
  FDT dtbs/own.dtb
`},
		{"198.51.100.21", "grub/grub.cfg-01-52-54-00-d7-00-01", `# bootyard: dtfile (52:54:00:d7:00:01), profile armfile
set timeout=0
set default=0
menuentry 'bootyard: dtfile' {
	linux /boot/Image console=ttyAMA0
	initrd /boot/initrd
	devicetree /dtbs/board.dtb
}
`},
		// GRUB has no folder form: the firmware's device tree stays.
		{"198.51.100.22", "grub.cfg-01-52-54-00-d7-00-02", `# bootyard: dtdir (52:54:00:d7:00:02), profile armdir
set timeout=0
set default=0
menuentry 'bootyard: dtdir' {
	linux /boot/Image
}
`},
		{"198.51.100.21", "boot.scr.uimg", `# bootyard: dtfile (52:54:00:d7:00:01), profile armfile
echo 'bootyard: booting dtfile'
setenv serverip 198.51.100.2
setenv bootargs 'console=ttyAMA0'
if test -z "${fdt_addr_r}"; then
	setenv fdt_addr_r ${fdt_addr}
fi
if tftpboot ${kernel_addr_r} 'boot/Image' && test -n "${fdt_addr_r}" && tftpboot ${fdt_addr_r} 'dtbs/board.dtb' && tftpboot ${ramdisk_addr_r} 'boot/initrd'; then
	if test "${cpu}" = "armv8" || test "${arch}" = "riscv"; then
		booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdt_addr_r}
	else
		bootz ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdt_addr_r}
	fi
fi
echo "bootyard: boot failed"
`},
		{"198.51.100.22", "boot.scr.uimg", `# bootyard: dtdir (52:54:00:d7:00:02), profile armdir
echo 'bootyard: booting dtdir'
setenv serverip 198.51.100.2
setenv bootargs ''
if test -z "${fdt_addr_r}"; then
	setenv fdt_addr_r ${fdt_addr}
fi
if test -z "${fdtfile}"; then
	if test -n "${soc}"; then
		setenv fdtfile ${soc}-${board}.dtb
	else
		setenv fdtfile ${board}.dtb
	fi
fi
if tftpboot ${kernel_addr_r} 'boot/Image' && test -n "${fdt_addr_r}" && tftpboot ${fdt_addr_r} 'dtbs/'${fdtfile}; then
	if test "${cpu}" = "armv8" || test "${arch}" = "riscv"; then
		booti ${kernel_addr_r} - ${fdt_addr_r}
	else
		bootz ${kernel_addr_r} - ${fdt_addr_r}
	fi
fi
echo "bootyard: boot failed"
`},
	}
	for _, tt := range tests {
		t.Run(tt.name+"@"+tt.client, func(t *testing.T) {
			got, err := read(t, f, netip.MustParseAddr(tt.client), tt.name)
			if err != nil {
				t.Fatal(err)
			}
			want := []byte(tt.want)
			if tt.name == "boot.scr.uimg" {
				want = UImageScript("bootyard "+snapHostName(t, snap, tt.client), want)
			}
			if string(got) != string(want) {
				t.Errorf("%s for %s:\n--- got\n%s\n--- want\n%s", tt.name, tt.client, got, want)
			}
		})
	}
}

func snapHostName(t *testing.T, snap *inventory.Snapshot, ip string) string {
	t.Helper()
	h, ok := snap.HostByIP(netip.MustParseAddr(ip))
	if !ok {
		t.Fatalf("no host at %s", ip)
	}
	return h.Name
}
