package doctor

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// goldenDir holds the DISCOVERs real firmware sent (see its README); doctor
// reads the files, it does not import the dhcp package.
const goldenDir = "../dhcp/testdata/golden"

// optionMap turns a message's options into code -> bytes for cmp.
func optionMap(m *dhcpv4.DHCPv4) map[uint8][]byte {
	out := map[uint8][]byte{}
	for code, v := range m.Options {
		out[code] = v
	}
	return out
}

// TestDiscoverMatchesCaptures: for every captured firmware, the DISCOVER
// doctor builds carries exactly the options the firmware sent, byte for byte,
// and the broadcast flag.
func TestDiscoverMatchesCaptures(t *testing.T) {
	captured := 0
	for _, fw := range Firmwares() {
		path := filepath.Join(goldenDir, fw.Source)
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue // derived, tested below
		}
		captured++
		t.Run(fw.Name, func(t *testing.T) {
			if err != nil {
				t.Fatal(err)
			}
			want, err := dhcpv4.FromBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fw.Discover(want.ClientHWAddr, want.TransactionID)
			if err != nil {
				t.Fatal(err)
			}
			// Round-trip through the wire format, as a server sees it.
			got, err = dhcpv4.FromBytes(got.ToBytes())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(optionMap(want), optionMap(got)); d != "" {
				t.Errorf("options differ from %s (-captured +doctor):\n%s", fw.Source, d)
			}
			if !got.IsBroadcast() {
				t.Error("broadcast flag not set")
			}
			if got.MessageType() != dhcpv4.MessageTypeDiscover {
				t.Errorf("message type %v", got.MessageType())
			}
		})
	}
	if captured != 5 {
		t.Errorf("%d firmwares match a capture in %s, want 5", captured, goldenDir)
	}
}

// TestDerivedFirmwares: the firmwares without a capture differ from the one
// they are derived from only where Source says.
func TestDerivedFirmwares(t *testing.T) {
	mac := []byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	opts := func(name string) map[uint8][]byte {
		fw, err := LookupFirmware(name)
		if err != nil {
			t.Fatal(err)
		}
		d, err := fw.Discover(mac, dhcpv4.TransactionID{1, 2, 3, 4})
		if err != nil {
			t.Fatal(err)
		}
		return optionMap(d)
	}
	for _, tc := range []struct {
		name, from string
		changed    map[uint8][]byte // nil value: option absent
	}{
		{"bios", "ipxe", map[uint8][]byte{77: nil, 175: nil}},
		{"uefi-arm64", "uefi-x64", map[uint8][]byte{93: {0, 11}, 60: []byte("PXEClient:Arch:00011:UNDI:003000")}},
		{"uefi-http", "uefi-x64", map[uint8][]byte{93: {0, 16}, 60: []byte("HTTPClient:Arch:00016:UNDI:003000")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := opts(tc.from)
			for code, v := range tc.changed {
				if v == nil {
					delete(want, code)
				} else {
					want[code] = v
				}
			}
			if d := cmp.Diff(want, opts(tc.name)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestLookupFirmware(t *testing.T) {
	if _, err := LookupFirmware("uefi-x64"); err != nil {
		t.Error(err)
	}
	if _, err := LookupFirmware("uefi"); err == nil {
		t.Error("unknown name accepted")
	}
	if _, err := (Firmware{}).Discover([]byte{1, 2, 3}, dhcpv4.TransactionID{}); err == nil {
		t.Error("3-byte MAC accepted")
	}
}
