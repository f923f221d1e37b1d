package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// debianPreseed is the test's answer-file template: the example's first
// lines, and an early_command that says on the console that it ran and
// calls bootyard back with the host's one-shot token. The installer need
// not reach a mirror: the test ends once the callback is recorded.
const debianPreseed = `# preseed for {{.Host}} ({{.MAC}}) at {{.IP}}
d-i debian-installer/locale string en_US.UTF-8
d-i keyboard-configuration/xkb-keymap select us
d-i netcfg/choose_interface select auto
d-i netcfg/get_hostname string {{.Host}}
d-i netcfg/get_domain string {{.Domain}}
d-i mirror/country string manual
d-i mirror/http/hostname string {{.Vars.mirror}}
d-i mirror/http/directory string /debian
d-i preseed/early_command string echo BOOTYARD-PRESEED host={{.Host}} >/dev/console; wget -q -O /dev/null '{{.Callback}}' && echo BOOTYARD-CALLBACK ok >/dev/console
`

// TestDebianInstallerPreseed boots Debian 12's own installer (linux and
// initrd.gz of debian-installer-12-netboot-amd64) from bootyard with
// auto=true priority=critical url={files}/preseed.cfg: the installer
// fetches the preseed bootyard renders for this host, and its
// early_command calls back the token of this run's one-shot.
func TestDebianInstallerPreseed(t *testing.T) {
	b := newBootLab(t)
	copyFile(t, filepath.Join(b.assets, "di-linux"), filepath.Join(b.root, "debian", "linux"))
	copyFile(t, filepath.Join(b.assets, "di-initrd.gz"), filepath.Join(b.root, "debian", "initrd.gz"))
	if err := os.WriteFile(filepath.Join(b.dir, "debian.preseed"), []byte(debianPreseed), 0o644); err != nil {
		t.Fatal(err)
	}
	m := machine{name: "di1", mac: "52:54:00:10:ca:23", fw: fwBIOS, mem: "1024"}
	tokenFile := b.adminToken(t)
	cfg := `interface: eth0
dhcp:
  subnet: 198.51.100.0/24
  # Without a router and a name server the installer stops to ask for
  # them. The name server is bootyard's own address, where nothing answers
  # on port 53: the installer's lookups fail at once instead of timing out.
  router: 198.51.100.1
  dns: [198.51.100.2]
  answer_router_solicit: true   # iPXE stops waiting for IPv6 routers
  domain: lab.example
  lease_file: ` + filepath.Join(b.dir, "leases") + `
  conflict_probe: false
tftp:
  root: ` + b.root + `
http: {enabled: true}
admin:
  listen: 127.0.0.1:9867
  token_file: ` + tokenFile + `
boot: {bios: pxelinux.0, ipxe: boot.ipxe}
profiles:
  debian-auto:
    kernel: debian/linux
    initrd: debian/initrd.gz
    cmdline: "console=ttyS0 auto=true priority=critical url={files}/preseed.cfg"
    files: {preseed.cfg: debian.preseed}
    vars: {mirror: mirror.invalid}
  installed: {local: true}
hosts:
  - {name: di1, mac: "` + m.mac + `", ip: 198.51.100.23, profile: installed}
  - {name: di2, mac: "52:54:00:10:ca:24", ip: 198.51.100.24, profile: debian-auto}
`
	srv := b.startBootyard(t, cfg)
	path := filepath.Join(b.dir, "bootyard.yaml")
	out, err := b.srv.Run(t, 30*time.Second, bootyardBin(t), "next-boot", "-config", path, "di1", "debian-auto")
	if err != nil || !strings.Contains(out, "by the running server") {
		t.Fatalf("next-boot: %v\n%s", err, out)
	}
	// explain renders the host's preseed with this run's token in it.
	ex, err := b.srv.Run(t, 30*time.Second, bootyardBin(t), "explain", "-config", path, "-mac", m.mac, "-arch", "0")
	token := regexp.MustCompile(`/_bootyard/callback/di1/([0-9a-f]{16,})'`).FindStringSubmatch(ex)
	if err != nil || !strings.Contains(ex, "hosts/di1/preseed.cfg") || token == nil {
		t.Fatalf("explain does not list di1's preseed with a one-shot token: %v\n%s", err, ex)
	}

	q := b.boot(t, m)
	q.waitConsole(t, "BOOTYARD-PRESEED host=di1")
	q.waitConsole(t, "BOOTYARD-CALLBACK ok")
	t.Logf("installer: preseed fetched and callback made %s after power-on", time.Since(q.start).Round(time.Second))
	log := srv.Output()
	fetched := regexp.MustCompile(`(?m)^.*file=/?hosts/di1/preseed\.cfg\b.*$`).FindAllString(log, -1)
	ok := false
	for _, l := range fetched {
		ok = ok || (strings.Contains(l, "198.51.100.23") && strings.Contains(l, "status=200"))
	}
	for _, l := range fetched {
		t.Logf("server: %s", l)
	}
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "next-boot spent") || strings.Contains(l, "file=debian/linux") {
			t.Logf("server: %s", l)
		}
	}
	if !ok {
		t.Errorf("the server log has no HTTP 200 of hosts/di1/preseed.cfg to 198.51.100.23:\n%s", strings.Join(fetched, "\n"))
	}
	if !strings.Contains(log, "next-boot spent: the installer called back") {
		t.Errorf("the server log does not show the one-shot spent by the callback:\n%s", tail(log, 3000))
	}
	if strings.Contains(log, "installer callback refused") {
		t.Errorf("a callback was refused:\n%s", tail(log, 3000))
	}
	list, _ := b.srv.Run(t, 30*time.Second, bootyardBin(t), "next-boot", "-config", path, "-list")
	if strings.Contains(list, "di1") {
		t.Errorf("di1's one-shot is still armed after the callback:\n%s", list)
	}
}
