package httpboot

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// selfSigned returns a certificate and key PEM named cn.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestCertsReload: a renewed pair is handed out from the next handshake;
// a pair that does not match keeps the previous certificate; missing or
// bad files at start are an error.
func TestCertsReload(t *testing.T) {
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	write := func(p string, b []byte) {
		t.Helper()
		if err := os.WriteFile(p+".tmp", b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := LoadCerts(crt, key, nil); err == nil {
		t.Fatal("LoadCerts with no files: no error")
	}
	c1, k1 := selfSigned(t, "first")
	c2, k2 := selfSigned(t, "second")
	write(crt, c1)
	write(key, k2)
	if _, err := LoadCerts(crt, key, nil); err == nil {
		t.Fatal("LoadCerts with a key of another certificate: no error")
	}
	write(key, k1)
	certs, err := LoadCerts(crt, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	name := func() string {
		t.Helper()
		c, err := certs.GetCertificate(nil)
		if err != nil || c == nil {
			t.Fatalf("GetCertificate: %v", err)
		}
		x, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return x.Subject.CommonName
	}
	if n := name(); n != "first" {
		t.Fatalf("presented %q, want first", n)
	}
	write(crt, c2) // half-way through a renewal: the key is still the old one
	if n := name(); n != "first" {
		t.Errorf("mismatched pair: presented %q, want the previous (first)", n)
	}
	write(key, k2)
	if n := name(); n != "second" {
		t.Errorf("after renewal presented %q, want second", n)
	}
	os.Remove(crt)
	if n := name(); n != "second" {
		t.Errorf("certificate file gone: presented %q, want the loaded one", n)
	}
}
