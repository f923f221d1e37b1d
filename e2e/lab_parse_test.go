package e2e

import "testing"

func TestTransferred(t *testing.T) {
	log := `time=1 level=INFO msg="tftp transfer" part=tftp id=1 op=read client=198.51.100.12:1 file=grubnetx64.efi outcome=probe bytes=0
time=2 level=INFO msg="tftp transfer" part=tftp id=2 op=read client=198.51.100.12:2 file=grub/grub.cfg-01-52-54-00-ef-01-01 outcome=ok bytes=199
time=3 level=INFO msg="tftp transfer" part=tftp id=3 op=read client=198.51.100.12:3 file="odd name.img" outcome=ok bytes=5
time=4 level=INFO msg="tftp transfer" part=tftp id=4 op=read client=198.51.100.12:4 file=xvmlinuz outcome=ok bytes=5`
	for _, tc := range []struct {
		file string
		want bool
	}{
		{"grubnetx64.efi", false},                    // only its aborted size probe
		{"grub.cfg-01-52-54-00-ef-01-01", true},      // logged under its folder
		{"grub/grub.cfg-01-52-54-00-ef-01-01", true}, // or named in full
		{"odd name.img", true},                       // quoted by slog
		{"vmlinuz", false},                           // xvmlinuz is another file
	} {
		if got := transferred(log, tc.file) != ""; got != tc.want {
			t.Errorf("transferred(%q) = %t, want %t", tc.file, got, tc.want)
		}
	}
}
