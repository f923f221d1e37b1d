package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootyard/bootyard/internal/netlab"
)

// testCA makes a CA and a server certificate for 198.51.100.2 signed by
// it; it returns the CA's PEM and the server's certificate and key PEM.
func testCA(t *testing.T, name string) (caPEM, certPEM, keyPEM string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("198.51.100.2")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(typ string, b []byte) string { return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})) }
	return enc("CERTIFICATE", caDER), enc("CERTIFICATE", der), enc("EC PRIVATE KEY", kder)
}

// TestHTTPSCertReload serves HTTPS with an operator's certificate: curl
// trusting only that CA fetches a file; the certificate and key files are
// then replaced (a renewal) and the very next request presents the new
// certificate, with the same server process.
func TestHTTPSCertReload(t *testing.T) {
	netlab.Require(t, "curl")
	bin := bootyardBinary(t)
	lab := netlab.New(t)
	srv := lab.Host("srv", "198.51.100.2/24")
	cli := lab.Host("cli", "198.51.100.3/24")

	base := t.TempDir()
	dir := filepath.Join(base, "srv")
	if err := os.MkdirAll(filepath.Join(dir, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeAtomically(t, filepath.Join(dir, "root", "linux"), "kernel")
	caA, certA, keyA := testCA(t, "first")
	caB, certB, keyB := testCA(t, "renewed")
	caFileA, caFileB := filepath.Join(base, "caA.pem"), filepath.Join(base, "caB.pem")
	writeAtomically(t, caFileA, caA)
	writeAtomically(t, caFileB, caB)
	writeAtomically(t, filepath.Join(dir, "tls.crt"), certA)
	writeAtomically(t, filepath.Join(dir, "tls.key"), keyA)

	// Relative paths: resolved against the config file's folder.
	cfg := labConfig(dir, "") + "http:\n  enabled: true\n  tls:\n    cert: tls.crt\n    key: tls.key\n    port: 8443\n"
	path := filepath.Join(dir, "config.yaml")
	writeAtomically(t, path, cfg)
	proc := srv.Start(t, bin, "serve", "-config", path)
	if err := proc.WaitFor(30*time.Second, "bootyard serving"); err != nil {
		t.Fatalf("bootyard did not start: %v\n%s", err, proc.Output())
	}
	const url = "https://198.51.100.2:8443/linux"
	fetch := func(ca string) (string, error) {
		return cli.Run(t, 60*time.Second, "curl", "-sS", "--max-time", "30", "--cacert", ca, url)
	}
	if out, err := fetch(caFileA); err != nil || out != "kernel" {
		t.Fatalf("https with the first CA: %q, %v", out, err)
	}
	if out, err := fetch(caFileB); err == nil {
		t.Fatalf("https trusted the renewed CA before the renewal: %q", out)
	}
	if out, err := cli.Run(t, 60*time.Second, "curl", "-sS", "--max-time", "30", "http://198.51.100.2/linux"); err != nil || out != "kernel" {
		t.Errorf("plain http beside https: %q, %v", out, err)
	}

	writeAtomically(t, filepath.Join(dir, "tls.key"), keyB)
	writeAtomically(t, filepath.Join(dir, "tls.crt"), certB)
	if out, err := fetch(caFileB); err != nil || out != "kernel" {
		t.Fatalf("the request after the renewal did not present the new certificate: %q, %v\n%s", out, err, proc.Output())
	}
	if out, err := fetch(caFileA); err == nil {
		t.Errorf("the old certificate is still presented: %q", out)
	}
	if !strings.Contains(proc.Output(), "certificate reloaded") {
		t.Errorf("no reload logged:\n%s", proc.Output())
	}
}
