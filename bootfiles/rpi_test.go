package bootfiles

import (
	"fmt"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bootyard/bootyard/inventory"
)

var (
	pi4IP   = netip.MustParseAddr("198.51.100.41")
	pi5IP   = netip.MustParseAddr("198.51.100.42")
	plainIP = netip.MustParseAddr("198.51.100.43")
)

// piInventory: a Pi 4 with a full profile (initrd, device tree, host
// cmdline), a Pi 5 with a kernel only, a Pi without a profile, and a host
// that is no Pi (no rpi_serial).
func piInventory(root string) *inventory.Snapshot {
	full := &inventory.Profile{Name: "rpi-nfs", Kernel: "/rpi/Image", Initrd: "rpi/initrd.img",
		Cmdline: "console=serial0,115200 root=/dev/nfs nfsroot=198.51.100.2:/srv/nfs/pi,vers=3 rw ip=dhcp", FDT: "rpi/bcm2711-rpi-4-b.dtb"}
	kernelOnly := &inventory.Profile{Name: "rpi-min", Kernel: "rpi/kernel_2712.img"}
	hosts := []*inventory.Host{
		{Name: "pi4", MAC: mustMAC("dc:a6:32:01:36:c2"), IP: pi4IP, RPiSerial: "1a2b3c4d", Profile: full, Cmdline: "hostname=pi4"},
		{Name: "pi5", MAC: mustMAC("2c:cf:67:00:00:05"), IP: pi5IP, RPiSerial: "5eed0005", Profile: kernelOnly},
		{Name: "bare-pi", MAC: mustMAC("d8:3a:dd:00:00:01"), RPiSerial: "0000beef"},
		{Name: "plain", MAC: mustMAC("52:54:00:00:00:43"), IP: plainIP, Profile: full},
	}
	return inventory.New(inventory.Snapshot{
		DHCP: inventory.DHCP{ServerIP: serverIP},
		TFTP: inventory.TFTP{Enabled: true, Root: root},
	}, []*inventory.Profile{full, kernelOnly}, hosts)
}

func newPiFS(t *testing.T) (*FS, *inventory.Snapshot, string) {
	t.Helper()
	root := t.TempDir()
	snap := piInventory(root)
	f := New(func() *inventory.Snapshot { return snap }, nil, nil, ServerIP(snap.DHCP.ServerIP))
	t.Cleanup(func() { f.Close() })
	return f, snap, root
}

const pi4Config = `# bootyard: pi4 (dc:a6:32:01:36:c2), profile rpi-nfs
# Generated for the Raspberry Pi folder %s/. A config.txt put in that
# folder is served instead; one at the TFTP root is not.
arm_64bit=1
kernel=rpi/Image
initramfs rpi/initrd.img followkernel
device_tree=rpi/bcm2711-rpi-4-b.dtb
`

// TestRPiGeneratedFiles: config.txt and cmdline.txt in a Pi's folder, byte
// for byte, by serial and by dashed MAC; the folder's own file wins, the
// root's does not.
func TestRPiGeneratedFiles(t *testing.T) {
	f, _, root := newPiFS(t)
	writeFile(t, root, "config.txt", "root config from a copied boot partition")
	writeFile(t, root, "cmdline.txt", "root cmdline")
	writeFile(t, root, "5eed0005/cmdline.txt", "pi5's own cmdline\n")

	tests := []struct {
		client netip.Addr
		name   string
		want   string
	}{
		{pi4IP, "1a2b3c4d/config.txt", fmt.Sprintf(pi4Config, "1a2b3c4d")},
		{pi4IP, "1a2b3c4d/cmdline.txt", "console=serial0,115200 root=/dev/nfs nfsroot=198.51.100.2:/srv/nfs/pi,vers=3 rw ip=dhcp hostname=pi4\n"},
		{pi4IP, "dc-a6-32-01-36-c2/config.txt", fmt.Sprintf(pi4Config, "dc-a6-32-01-36-c2")},
		// The folder names the host, whoever asks (as a MAC in a pxelinux.cfg name).
		{plainIP, "1a2b3c4d/cmdline.txt", "console=serial0,115200 root=/dev/nfs nfsroot=198.51.100.2:/srv/nfs/pi,vers=3 rw ip=dhcp hostname=pi4\n"},
		{pi5IP, "5eed0005/config.txt", `# bootyard: pi5 (2c:cf:67:00:00:05), profile rpi-min
# Generated for the Raspberry Pi folder 5eed0005/. A config.txt put in that
# folder is served instead; one at the TFTP root is not.
arm_64bit=1
kernel=rpi/kernel_2712.img
`},
		{pi5IP, "5eed0005/cmdline.txt", "pi5's own cmdline\n"},                                                    // on disk in the folder: wins
		{netip.MustParseAddr("198.51.100.44"), "0000beef/config.txt", "root config from a copied boot partition"}, // no profile: nothing generated
		// No rpi_serial: nothing generated; the MAC folder still falls back to the root.
		{plainIP, "52-54-00-00-00-43/config.txt", "root config from a copied boot partition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(t, f, tt.client, tt.name)
			if tt.want == "" {
				if !isNotExist(err) {
					t.Fatalf("Open(%q) = %q, %v; want not found", tt.name, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("%s:\n--- got\n%s\n--- want\n%s", tt.name, got, tt.want)
			}
		})
	}
}

// TestRPiFolderMatchesOpen: what explain says each file of a Pi's folder
// resolves to is where Resolve takes its bytes from.
func TestRPiFolderMatchesOpen(t *testing.T) {
	f, snap, root := newPiFS(t)
	writeFile(t, root, "start4.elf", "root start4")
	writeFile(t, root, "rpi/Image", "kernel")
	writeFile(t, root, "1a2b3c4d/fixup4.dat", "own fixup")
	writeFile(t, root, "1a2b3c4d/config.txt", "own config")
	writeFile(t, root, "1a2b3c4d/extra.txt", "extra")

	h, _ := snap.HostByName("pi4")
	folder, files := RPiFolder(snap, h)
	if folder != "1a2b3c4d" {
		t.Fatalf("folder %q", folder)
	}
	got := map[string]RPiSource{}
	var order []string
	for _, fl := range files {
		got[fl.Name] = fl.Source
		order = append(order, fl.Name)
	}
	want := map[string]RPiSource{
		"start4.elf": RPiAtRoot, "fixup4.dat": RPiInFolder, "config.txt": RPiInFolder, "cmdline.txt": RPiGenerated,
		"rpi/Image": RPiAtRoot, "rpi/initrd.img": RPiMissing, "rpi/bcm2711-rpi-4-b.dtb": RPiMissing, "extra.txt": RPiInFolder,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	if order[len(order)-1] != "extra.txt" {
		t.Errorf("order %q: files only found on disk come last", order)
	}
	for _, fl := range files {
		b, err := read(t, f, pi4IP, path.Join(folder, fl.Name))
		switch fl.Source {
		case RPiMissing:
			if !isNotExist(err) {
				t.Errorf("%s: said missing, Open gave %q, %v", fl.Name, b, err)
			}
		case RPiInFolder, RPiAtRoot:
			dir := root
			if fl.Source == RPiInFolder {
				dir = filepath.Join(root, folder)
			}
			want, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(fl.Name)))
			if err != nil || string(b) != string(want) {
				t.Errorf("%s: said %s (%q), Open gave %q, %v", fl.Name, fl.Source, want, b, err)
			}
		case RPiGenerated:
			if err != nil || len(b) == 0 {
				t.Errorf("%s: said generated, Open gave %q, %v", fl.Name, b, err)
			}
		}
	}

	// Render lists only what is served: config.txt is shadowed by the
	// folder's own.
	rendered, err := Render(snap, h, serverIP)
	if err != nil {
		t.Fatal(err)
	}
	var piNames []string
	for _, g := range rendered {
		if path.Dir(g.Name) == folder {
			piNames = append(piNames, g.Name)
			if b, err := read(t, f, pi4IP, g.Name); err != nil || string(b) != string(g.Content) {
				t.Errorf("%s: Render and Open differ: %q vs %q, %v", g.Name, g.Content, b, err)
			}
		}
	}
	if diff := cmp.Diff([]string{"1a2b3c4d/cmdline.txt"}, piNames); diff != "" {
		t.Errorf("Render's Pi files (-want +got):\n%s", diff)
	}
}
