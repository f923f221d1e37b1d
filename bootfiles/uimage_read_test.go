package bootfiles

import (
	"bytes"
	"testing"
)

func TestUImageScriptTextRoundTrip(t *testing.T) {
	script := []byte("setenv bootargs console=ttyS2\ntftpboot ${kernel_addr_r} debian/linux\nbooti ${kernel_addr_r}\n")
	img := UImageScript("bootyard node1", script)
	got, ok := UImageScriptText(img)
	if !ok || !bytes.Equal(got, script) {
		t.Fatalf("UImageScriptText = %q, %v; want the script", got, ok)
	}
	for name, bad := range map[string][]byte{
		"text":        script,
		"short":       img[:40],
		"cut":         img[:len(img)-3],
		"flipped bit": append(append([]byte{}, img[:70]...), append([]byte{img[70] ^ 1}, img[71:]...)...),
	} {
		if _, ok := UImageScriptText(bad); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}
