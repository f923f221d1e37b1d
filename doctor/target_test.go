package doctor

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Target
		addr    string
		str     string
		wantErr bool
	}{
		{in: "tftp://198.51.100.2/pxelinux.0", want: Target{Scheme: "tftp", Host: "198.51.100.2", File: "pxelinux.0"},
			addr: "198.51.100.2:69", str: "tftp://198.51.100.2/pxelinux.0"},
		{in: "tftp://198.51.100.2:6969/efi/grubx64.efi", want: Target{Scheme: "tftp", Host: "198.51.100.2:6969", File: "efi/grubx64.efi"},
			addr: "198.51.100.2:6969", str: "tftp://198.51.100.2:6969/efi/grubx64.efi"},
		// GRUB asks for names with a leading slash: two slashes keep it.
		{in: "tftp://198.51.100.2//grub/grub.cfg", want: Target{Scheme: "tftp", Host: "198.51.100.2", File: "/grub/grub.cfg"},
			addr: "198.51.100.2:69", str: "tftp://198.51.100.2//grub/grub.cfg"},
		{in: "tftp://boot.example/a%20b", want: Target{Scheme: "tftp", Host: "boot.example", File: "a b"},
			addr: "boot.example:69", str: "tftp://boot.example/a%20b"},
		{in: "http://198.51.100.2/boot/ipxe.efi", want: Target{Scheme: "http", Host: "198.51.100.2", URL: "http://198.51.100.2/boot/ipxe.efi"},
			addr: "198.51.100.2:80", str: "http://198.51.100.2/boot/ipxe.efi"},
		{in: "https://198.51.100.2:8443/x?y=1", want: Target{Scheme: "https", Host: "198.51.100.2:8443", URL: "https://198.51.100.2:8443/x?y=1"},
			addr: "198.51.100.2:8443", str: "https://198.51.100.2:8443/x?y=1"},
		{in: "tftp://198.51.100.2/", wantErr: true},
		{in: "tftp://198.51.100.2", wantErr: true},
		{in: "tftp:///pxelinux.0", wantErr: true},
		{in: "tftp://198.51.100.2/a?b", wantErr: true},
		{in: "tftp://198.51.100.2/a%00b", wantErr: true},
		{in: "tftp://user@198.51.100.2/a", wantErr: true},
		{in: "ftp://198.51.100.2/a", wantErr: true},
		{in: "pxelinux.0", wantErr: true},
		{in: "198.51.100.2/pxelinux.0", wantErr: true},
		{in: "http://%zz/", wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTarget(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if got.Addr() != tc.addr || got.String() != tc.str {
				t.Errorf("Addr %q String %q, want %q %q", got.Addr(), got.String(), tc.addr, tc.str)
			}
		})
	}
}
