package tftpd

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero is fine", Config{}, true},
		{"jumbo cap", Config{MaxBlockSize: 8192}, true},
		// pin/tftp's SetBlockSize ignores 512 and below: refuse rather
		// than silently serve without a cap.
		{"cap 512", Config{MaxBlockSize: 512}, false},
		{"cap too large", Config{MaxBlockSize: 65465}, false},
		{"negative timeout", Config{Timeout: -time.Second}, false},
		{"negative retries", Config{Retries: -1}, false},
		{"negative limit", Config{MaxPerClient: -1}, false},
		{"uploads without dir", Config{Uploads: &Uploads{}}, false},
		{"negative quota", Config{Uploads: &Uploads{Dir: "/x", MaxBytes: -1}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	got := Config{MaxBlockSize: 100, MaxPerClient: 3}.withDefaults()
	want := Config{
		MaxBlockSize:  DefaultMaxBlockSize,
		Timeout:       DefaultTimeout,
		Retries:       DefaultRetries,
		MaxPerClient:  3,
		ShutdownGrace: DefaultShutdownGrace,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("withDefaults (-want +got):\n%s", diff)
	}
}
