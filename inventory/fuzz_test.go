package inventory

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAliasesAndMergeKeys(t *testing.T) {
	src := head + `profiles:
  base: &base {kernel: linux, cmdline: quiet}
  rescue:
    <<: *base
    cmdline: rescue
hosts:
  - &h1 {name: a, mac: 52:54:00:00:00:01, profile: base}
  - <<: *h1
    name: b
    mac: 52:54:00:00:00:02
`
	snap, err := Parse("a.yaml", []byte(src), Options{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := snap.Profile("rescue")
	if r.Kernel != "linux" || r.Cmdline != "rescue" {
		t.Errorf("rescue = %+v, want kernel from base and its own cmdline", r)
	}
	b, _ := snap.HostByName("b")
	if b == nil || b.Profile == nil || b.Profile.Name != "base" || b.MAC.String() != "52:54:00:00:00:02" {
		t.Errorf("b = %+v", b)
	}
}

// TestAliasBomb feeds an exponential alias file: a few hundred bytes whose
// merge keys expand to 10^9 values if followed naively.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(head + "profiles:\n  m0: &m0 {kernel: linux}\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "  m%d: &m%d {<<: [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*m%d", i-1)
		}
		b.WriteString("]}\n")
	}
	start := time.Now()
	_, err := Parse("bomb.yaml", []byte(b.String()), Options{SkipFileChecks: true})
	t.Logf("%d bytes rejected in %v", b.Len(), time.Since(start))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	// The line is wherever the budget ran out: somewhere in the bomb.
	if len(errs) == 1 && errs[0].Line >= 6 {
		errs[0].Line = 0
	}
	want := Errors{{File: "bomb.yaml", Msg: "the file's aliases expand to too many values; refusing to expand it"}}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestOversizedInput(t *testing.T) {
	data := make([]byte, MaxFileSize+1)
	_, err := Parse("big.yaml", data, Options{})
	want := Errors{{File: "big.yaml", Msg: "the file is larger than 16 MiB"}}
	if diff := cmp.Diff(error(want), err, cmp.Comparer(func(a, b error) bool { return a.Error() == b.Error() })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// FuzzParse checks that no input makes Parse panic or return both a
// snapshot and an error, and that every problem names the file.
func FuzzParse(f *testing.F) {
	if example, err := os.ReadFile("../config.example.yaml"); err == nil {
		f.Add(example)
	}
	for _, s := range []string{
		head,
		head + "hosts:\n  - {name: a, mac: 52:54:00:00:00:01, ip: 198.51.100.10, options: {26: {uint16: 1500}}}\n",
		"interface: eth0\ndhcp:\n  mode: [off\n",
		"a: &a [*a]\n",
		"hosts: [&x {<<: *x}]\n",
		"\t\x00\xff",
		"%YAML 1.1\n---\n!!binary x: 1\n",
		"interface: eth0\ndhcp: {subnet: 198.51.100.0/24, pool: 198.51.100.9-198.51.100.1, relayed: [{subnet: 203.0.113.0/24}]}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := Parse("fuzz.yaml", data, Options{SkipFileChecks: true})
		if (snap == nil) == (err == nil) {
			t.Fatalf("snap %v with err %v", snap != nil, err)
		}
		var errs Errors
		if err != nil && !errors.As(err, &errs) {
			t.Fatalf("error is %T", err)
		}
		for _, p := range errs {
			if p.File != "fuzz.yaml" || p.Msg == "" || strings.Contains(p.Msg, internalError) {
				t.Fatalf("problem %#v", p)
			}
		}
	})
}
