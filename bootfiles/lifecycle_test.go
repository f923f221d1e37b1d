package bootfiles

import (
	"errors"
	"io/fs"
	"net/netip"
	"strings"
	"testing"

	"github.com/bootyard/bootyard/inventory"
	"github.com/bootyard/bootyard/served"
)

// lifecycleInventory parses a config with a menu, a local host and a
// default profile, the way users write them.
func lifecycleInventory(t *testing.T, root string) *inventory.Snapshot {
	t.Helper()
	for _, f := range []string{"inst/vmlinuz", "inst/initrd.gz", "rescue/vmlinuz"} {
		writeFile(t, root, f, "x")
	}
	yaml := `
interface: eth0
dhcp:
  subnet: 198.51.100.0/24
  server_ip: 198.51.100.2
  pool: 198.51.100.100-198.51.100.199
  default_profile: chooser
tftp:
  root: ` + root + `
profiles:
  installer:
    kernel: inst/vmlinuz
    initrd: inst/initrd.gz
    cmdline: auto=true
  rescue:
    kernel: rescue/vmlinuz
  disk:
    local: true
  chooser:
    menu:
      entries: [installer, rescue, local]
      default: rescue
      timeout: 5s
hosts:
  - {name: done, mac: "52:54:00:00:00:0a", ip: 198.51.100.10, profile: installer, local: true}
  - {name: empty, mac: "52:54:00:00:00:0b", ip: 198.51.100.11, bootfile: ""}
  - {name: viaprofile, mac: "52:54:00:00:00:0c", ip: 198.51.100.12, profile: disk}
  - {name: menu, mac: "52:54:00:00:00:0d", ip: 198.51.100.13, profile: chooser, cmdline: hostname=menu}
`
	snap, err := inventory.Parse("", []byte(yaml), inventory.Options{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return snap
}

func lifecycleFS(t *testing.T) *FS {
	root := t.TempDir()
	snap := lifecycleInventory(t, root)
	f := New(func() *inventory.Snapshot { return snap }, nil, nil, ServerIP(serverIP))
	t.Cleanup(func() { f.Close() })
	return f
}

func resolveText(t *testing.T, f *FS, c served.Client, name string) (string, error) {
	t.Helper()
	ct, err := f.Resolve(c, name)
	if err != nil {
		return "", err
	}
	defer ct.Body.Close()
	b := make([]byte, ct.Size)
	if _, err := ct.Body.Read(b); err != nil && len(b) > 0 {
		t.Fatalf("reading %s: %v", name, err)
	}
	if c.MAC != nil && !ct.Generated {
		t.Errorf("%s for %s came from disk, want generated", name, c.MAC)
	}
	return string(b), nil
}

// TestLocalBootScripts: a host that boots from its disk gets scripts that
// hand the machine back to its firmware, whichever way local was written.
func TestLocalBootScripts(t *testing.T) {
	f := lifecycleFS(t)
	for _, mac := range []string{"52:54:00:00:00:0a", "52:54:00:00:00:0b", "52:54:00:00:00:0c"} {
		c := served.Client{MAC: mustMAC(mac)}
		dashed := "01-" + strings.ReplaceAll(mac, ":", "-")
		for name, want := range map[string]string{
			"boot.ipxe":               "\nexit\n",
			"grub/grub.cfg-" + dashed: "\nexit\n",
			"pxelinux.cfg/" + dashed:  "LOCALBOOT 0",
			"boot.scr.uimg":           "exit",
		} {
			got, err := resolveText(t, f, c, name)
			if err != nil {
				t.Fatalf("%s %s: %v", mac, name, err)
			}
			if !strings.Contains(got, want) || strings.Contains(got, "kernel") || strings.Contains(got, "KERNEL") {
				t.Errorf("%s %s = %q, want a local boot (%q) and no kernel", mac, name, got, want)
			}
		}
	}
}

// TestMenus: the menu lists its entries with the default and timeout in
// each reader's units, and each entry boots its own profile's kernel.
func TestMenus(t *testing.T) {
	f := lifecycleFS(t)
	c := served.Client{MAC: mustMAC("52:54:00:00:00:0d")}
	ipxe, err := resolveText(t, f, c, "boot.ipxe")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"item installer installer\n", "item rescue rescue\n", "item local Boot from the local disk\n",
		"choose --timeout 5000 --default rescue target || goto rescue\n",
		":installer\necho bootyard: menu boots installer\nkernel /inst/vmlinuz initrd=initrd auto=true hostname=menu\ninitrd --name initrd /inst/initrd.gz\nboot\n",
		":rescue\necho bootyard: menu boots rescue\nkernel /rescue/vmlinuz hostname=menu\nboot\n",
		":local\necho bootyard: menu boots from its local disk\nexit",
	} {
		if !strings.Contains(ipxe, want) {
			t.Errorf("iPXE menu lacks %q:\n%s", want, ipxe)
		}
	}
	grub, err := resolveText(t, f, c, "grub/grub.cfg-01-52-54-00-00-00-0d")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"set timeout=5\n", "set default=1\n", "menuentry installer --id installer {\n\tlinux /inst/vmlinuz auto=true hostname=menu\n\tinitrd /inst/initrd.gz\n}", "menuentry 'Boot from the local disk' --id local {\n\texit\n}"} {
		if !strings.Contains(grub, want) {
			t.Errorf("GRUB menu lacks %q:\n%s", want, grub)
		}
	}
	pxe, err := resolveText(t, f, c, "pxelinux.cfg/01-52-54-00-00-00-0d")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DEFAULT rescue\n", "PROMPT 1\n", "TIMEOUT 50\n", "LABEL local\n  LOCALBOOT 0", "LABEL installer\n  KERNEL inst/vmlinuz\n  INITRD inst/initrd.gz\n  APPEND auto=true hostname=menu"} {
		if !strings.Contains(pxe, want) {
			t.Errorf("PXELINUX menu lacks %q:\n%s", want, pxe)
		}
	}
}

// TestDefaultProfileForUnknownMACs: a MAC not in the inventory gets the
// default profile's files, by the MAC in the name or the client's own.
func TestDefaultProfileForUnknownMACs(t *testing.T) {
	f := lifecycleFS(t)
	stranger := served.Client{Addr: netip.MustParseAddr("198.51.100.150"), MAC: mustMAC("52:54:00:99:99:99")}
	got, err := resolveText(t, f, stranger, "boot.ipxe")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "unknown-525400999999") || !strings.Contains(got, "choose") {
		t.Errorf("unknown MAC's iPXE script = %q, want the default profile's menu", got)
	}
	got, err = resolveText(t, f, served.Client{}, "grub.cfg-01-52-54-00-99-99-99")
	if err != nil || !strings.Contains(got, "menuentry rescue") {
		t.Errorf("unknown MAC's GRUB config by name = %q, %v", got, err)
	}
	if !Generated(lifecycleInventory(t, t.TempDir()), "pxelinux.cfg/01-52-54-00-99-99-99") {
		t.Error("Generated says a default-profile name is not generated")
	}
	// Without a default profile the same client gets nothing generated.
	snap := testInventory(t.TempDir())
	g := New(func() *inventory.Snapshot { return snap }, nil, nil)
	defer g.Close()
	if _, err := g.Resolve(stranger, "grub.cfg-01-52-54-00-99-99-99"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("without default_profile: %v, want not found", err)
	}
}

// TestLifecycleRender: explain lists the same files.
func TestLifecycleRender(t *testing.T) {
	snap := lifecycleInventory(t, t.TempDir())
	h, _ := snap.HostByName("empty")
	files, err := Render(snap, h, serverIP)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("Render lists nothing for a local host")
	}
	for _, gf := range files {
		if strings.Contains(string(gf.Content), "kernel") {
			t.Errorf("%s of a local host names a kernel:\n%s", gf.Name, gf.Content)
		}
	}
	u, ok := snap.Machine(mustMAC("02:00:00:00:00:01"))
	if !ok {
		t.Fatal("Machine: no stand-in with default_profile set")
	}
	files, err = Render(snap, u, serverIP)
	if err != nil || len(files) == 0 {
		t.Fatalf("Render(unknown) = %d files, %v", len(files), err)
	}
}
