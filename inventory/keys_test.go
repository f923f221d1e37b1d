package inventory

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestChangedKeysReportsANewField: the reload diff compares fields by their
// key tags, so a setting added to a section struct is reported without a
// hand-kept list. The struct here is TFTP's shape plus one new field.
func TestChangedKeysReportsANewField(t *testing.T) {
	type grown struct {
		Root      string   `key:"root"`
		Uploads   *Uploads `key:"uploads"`
		MaxWindow int      `key:"max_window"` // the field "added later"
		internal  int
	}
	a := grown{Root: "/srv", MaxWindow: 16, internal: 1}
	b := grown{Root: "/srv", MaxWindow: 4, Uploads: &Uploads{Dir: "/up", MaxBytes: 10}, internal: 2}
	got := changedKeys("tftp", a, b)
	want := []fieldChange{
		{"tftp.uploads", "off", "dir=/up max_bytes=10"},
		{"tftp.max_window", 16, 4},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(fieldChange{})); diff != "" {
		t.Errorf("changedKeys (-want +got):\n%s", diff)
	}
	if got := changedKeys("tftp", a, a); len(got) != 0 {
		t.Errorf("no change reported %v", got)
	}
}

// TestTFTPEveryFieldHasAKey: a TFTP field without a key tag would be
// neither accepted in the file nor compared on reload.
func TestTFTPEveryFieldHasAKey(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeOf(TFTP{}), reflect.TypeOf(Uploads{})} {
		for i := range typ.NumField() {
			if f := typ.Field(i); f.Tag.Get("key") == "" {
				t.Errorf("%s.%s has no key tag", typ.Name(), f.Name)
			}
		}
	}
	// And every default-bearing setting changes the diff.
	def := DefaultTFTP()
	other := def
	other.Timeout = 3 * time.Second
	if got := changedKeys("tftp", def, other); len(got) != 1 || got[0].name != "tftp.timeout" {
		t.Errorf("changedKeys = %v, want tftp.timeout", got)
	}
}
