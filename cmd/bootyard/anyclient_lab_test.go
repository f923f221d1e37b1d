package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
)

// TestLabAnyClientFetchesBootFile: `bootyard serve` with DHCP and TFTP; a
// recovery initramfs's udhcpc and a Linux dhclient, neither sending any
// firmware option, ask for options 66/67, get their host's boot file and
// the server's name, and fetch that file by TFTP from where they were
// told: the bytes must be the file's.
func TestLabAnyClientFetchesBootFile(t *testing.T) {
	netlab.Require(t, "dhclient", "udhcpc", "busybox")
	bin := bootyardBinary(t)
	lab := netlab.New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	dh := lab.Host("dh")
	ud := lab.Host("ud")

	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(root, "recovery"), 0o755); err != nil {
		t.Fatal(err)
	}
	image := make([]byte, 70000) // several TFTP blocks, not a multiple of 512
	if _, err := rand.Read(image); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"linux": []byte("linux"), "pxelinux.0": []byte("pxe"), "recovery/initrd.img": image} {
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hosts := fmt.Sprintf("  - name: dh\n    mac: %s\n    ip: 198.51.100.30\n    bootfile: recovery/initrd.img\n"+
		"  - name: ud\n    mac: %s\n    ip: 198.51.100.31\n    bootfile: recovery/initrd.img\n", dh.MAC(), ud.MAC())
	path := filepath.Join(dir, "config.yaml")
	writeAtomically(t, path, labConfig(dir, hosts))
	proc := srv.Start(t, bin, "serve", "-config", path, "-log-level", "debug")
	if err := proc.WaitFor(30*time.Second, "bootyard serving"); err != nil {
		t.Fatalf("bootyard did not start: %v\n%s", err, proc.Output())
	}

	t.Run("dhclient", func(t *testing.T) {
		d := t.TempDir()
		script, log := envScript(t, d)
		conf := filepath.Join(d, "dhclient.conf")
		// Our own config: never the system's /etc/dhcp one. No vendor class.
		if err := os.WriteFile(conf, []byte("request subnet-mask, routers, tftp-server-name, bootfile-name;\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		dh.Start(t, "dhclient", "-d", "-v", "-4", "-cf", conf, "-sf", script,
			"-pf", filepath.Join(d, "pid"), "-lf", filepath.Join(d, "leases"), "eth0")
		env := waitEnv(t, log, "BOUND")
		for k, want := range map[string]string{"new_ip_address": "198.51.100.30", "new_filename": "recovery/initrd.img",
			"new_bootfile_name": "recovery/initrd.img", "new_tftp_server_name": "198.51.100.2", "new_next_server": "198.51.100.2"} {
			if env[k] != want {
				t.Errorf("%s = %q, want %q", k, env[k], want)
			}
		}
		fetch(t, dh, env["new_tftp_server_name"], env["new_filename"], image)
	})
	t.Run("udhcpc", func(t *testing.T) {
		d := t.TempDir()
		script, log := envScript(t, d)
		ud.Start(t, "udhcpc", "-f", "-i", "eth0", "-s", script, "-O", "tftp", "-O", "bootfile", "-t", "20", "-T", "1", "-A", "1")
		env := waitEnv(t, log, "bound")
		for k, want := range map[string]string{"ip": "198.51.100.31", "boot_file": "recovery/initrd.img",
			"bootfile": "recovery/initrd.img", "tftp": "198.51.100.2", "siaddr": "198.51.100.2"} {
			if env[k] != want {
				t.Errorf("%s = %q, want %q", k, env[k], want)
			}
		}
		fetch(t, ud, env["siaddr"], env["bootfile"], image)
	})
}

// envScript writes a DHCP client script that configures eth0's address and
// appends "event=<reason>" and the environment to a log.
func envScript(t *testing.T, dir string) (script, log string) {
	t.Helper()
	script, log = filepath.Join(dir, "script.sh"), filepath.Join(dir, "events.log")
	body := `#!/bin/sh
ev="${reason:-$1}"
{ echo "event=$ev"; env | sort; echo "--"; } >> ` + log + `
case "$ev" in
PREINIT) ip link set dev "$interface" up ;;
BOUND) ip addr replace "$new_ip_address/24" dev "$interface" ;;
bound) ip addr replace "$ip/24" dev "$interface" ;;
deconfig) ip link set dev "$interface" up ;;
esac
exit 0
`
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, log
}

// waitEnv waits (at most 60 s) for the first event named ev in the log and
// returns its environment.
func waitEnv(t *testing.T, log, ev string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(log)
		blocks := strings.Split(string(b), "--\n")
		// The last piece is a block the script may still be writing (its
		// "--" line not yet there): read only finished ones.
		for _, block := range blocks[:len(blocks)-1] {
			if !strings.HasPrefix(block, "event="+ev+"\n") {
				continue
			}
			env := map[string]string{}
			for _, l := range strings.Split(block, "\n") {
				if k, v, ok := strings.Cut(l, "="); ok {
					env[k] = v
				}
			}
			return env
		}
		time.Sleep(200 * time.Millisecond)
	}
	b, _ := os.ReadFile(log)
	t.Fatalf("no %s event within 60s; client log:\n%s", ev, b)
	return nil
}

// fetch downloads file from server by TFTP inside h (busybox tftp) and
// compares it with want.
func fetch(t *testing.T, h *netlab.Host, server, file string, want []byte) {
	t.Helper()
	if server == "" || file == "" {
		t.Fatalf("nothing to fetch: server %q, file %q", server, file)
	}
	out := filepath.Join(t.TempDir(), "fetched")
	if o, err := h.Run(t, 60*time.Second, "busybox", "tftp", "-g", "-r", file, "-l", out, server); err != nil {
		t.Fatalf("tftp get %s from %s: %v\n%s", file, server, err, o)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("fetched %d bytes, want the %d bytes of %s", len(got), len(want), file)
	}
}
