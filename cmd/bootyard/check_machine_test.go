package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckKnowsTheMachine: `check` compares interface and dhcp.server_ip
// with the machine it runs on (only reading the loopback interface's
// addresses, never binding): a warning by default, an error with -server.
func TestCheckKnowsTheMachine(t *testing.T) {
	dir := t.TempDir()
	cfg := func(iface, serverIP string) string {
		path := filepath.Join(dir, iface+serverIP+".yaml")
		src := "interface: " + iface + "\ndhcp:\n  mode: authoritative\n  subnet: 198.51.100.0/24\n" +
			"  lease_file: " + filepath.Join(dir, "leases") + "\n"
		if serverIP != "" {
			src += "  server_ip: " + serverIP + "\n"
		}
		src += "tftp: {enabled: false}\n"
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, c := range []struct {
		name, iface, serverIP, says string
	}{
		{"no such interface", "bydnone0", "", `interface: "bydnone0" does not exist on this machine`},
		{"server_ip not on it", "lo", "198.51.100.2", `dhcp.server_ip: 198.51.100.2 is not an address of interface "lo" (it has 127.0.0.1`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := cfg(c.iface, c.serverIP)
			code, out, errOut := runCmd(t, "check", "-config", path)
			if code != 0 || !strings.Contains(out, c.says) || !strings.Contains(out, "warning") || !strings.Contains(out, "OK") {
				t.Fatalf("without -server: exit %d, want 0 and a warning %q\nstdout:\n%s\nstderr:\n%s", code, c.says, out, errOut)
			}
			code, out, errOut = runCmd(t, "check", "-server", "-config", path)
			if code == 0 || !strings.Contains(errOut, c.says) || strings.Contains(out, "OK") {
				t.Fatalf("with -server: exit %d, want an error %q\nstdout:\n%s\nstderr:\n%s", code, c.says, out, errOut)
			}
		})
	}
	code, out, errOut := runCmd(t, "check", "-server", "-config", cfg("lo", "127.0.0.1"))
	if code != 0 || strings.Contains(out, "this machine") || strings.Contains(out, "not an address") {
		t.Fatalf("lo with its own address: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
