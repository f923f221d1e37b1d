package timeline

import (
	"fmt"
	"testing"
	"time"
)

func TestStagesOfABoot(t *testing.T) {
	tl := New(Options{StallAfter: time.Minute})
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tl.now = func() time.Time { return now }
	mac := "52:54:00:00:00:01"
	step := func(e Event, want Stage) {
		t.Helper()
		e.MAC, e.Time = mac, now
		tl.Add(e)
		m, _, _ := tl.Machine(mac)
		if m.Stage != want {
			t.Fatalf("after %q: stage %q, want %q", e.Summary, m.Stage, want)
		}
	}
	step(Event{Kind: "dhcp", Summary: "not answered", Stage: StageNoAnswer}, StageNoAnswer)
	step(Event{Kind: "dhcp", Summary: "DISCOVER -> OFFER", Stage: StageAddress, OK: true}, StageAddress)
	step(Event{Kind: "tftp", Summary: "pxelinux.0", Stage: StageProgram, OK: true}, StageProgram)
	step(Event{Kind: "tftp", Summary: "config", Stage: StageConfig, OK: true}, StageConfig)
	step(Event{Kind: "tftp", Summary: "kernel", Stage: StageKernel, OK: true}, StageKernel)
	// Stalled: a minute without an event after a stage short of done.
	now = now.Add(2 * time.Minute)
	if m, _, _ := tl.Machine(mac); m.Stage != StageStalled {
		t.Fatalf("after two quiet minutes: %q, want stalled", m.Stage)
	}
	step(Event{Kind: "tftp", Summary: "initrd", Stage: StageInitrd, OK: true}, StageDone)
	now = now.Add(time.Hour)
	if m, _, _ := tl.Machine(mac); m.Stage != StageDone {
		t.Fatalf("done does not stall: %q", m.Stage)
	}
	// The next boot starts over; a failed kernel transfer fails it.
	step(Event{Kind: "dhcp", Stage: StageAddress, OK: true}, StageAddress)
	step(Event{Kind: "tftp", Summary: "kernel", Stage: StageKernel, OK: false}, StageFailed)
	_, ev, _ := tl.Machine(mac)
	if len(ev) != 8 || ev[0].Summary != "not answered" {
		t.Errorf("events %d, first %q; want 8 oldest first", len(ev), ev[0].Summary)
	}
}

func TestBounds(t *testing.T) {
	tl := New(Options{MaxMACs: 100, PerMAC: 5})
	for i := range 10000 {
		tl.Add(Event{MAC: fmt.Sprintf("02:00:00:00:%02x:%02x", i>>8, i&0xff), Kind: "dhcp"})
	}
	if n := tl.Len(); n != 100 {
		t.Errorf("tracked %d MACs after a flood of 10000, want the bound 100", n)
	}
	// The newest survive; the oldest were evicted.
	if _, _, ok := tl.Machine("02:00:00:00:27:0f"); !ok {
		t.Error("the newest MAC was evicted")
	}
	if _, _, ok := tl.Machine("02:00:00:00:00:00"); ok {
		t.Error("the oldest MAC survived")
	}
	for i := range 12 {
		tl.Add(Event{MAC: "02:00:00:00:27:0f", Kind: "tftp", Summary: fmt.Sprint(i)})
	}
	_, ev, _ := tl.Machine("02:00:00:00:27:0f")
	if len(ev) != 5 || ev[0].Summary != "7" || ev[4].Summary != "11" {
		t.Errorf("ring holds %d events from %q to %q; want the 5 newest, 7..11", len(ev), ev[0].Summary, ev[len(ev)-1].Summary)
	}
}

func TestSubscribe(t *testing.T) {
	tl := New(Options{})
	ch, stop := tl.Subscribe()
	defer stop()
	tl.Add(Event{MAC: "52:54:00:00:00:01", Kind: "dhcp", Summary: "x"})
	select {
	case e := <-ch:
		if e.Summary != "x" {
			t.Errorf("got %q", e.Summary)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
}

// TestEvictsLeastRecentlySeen: a machine seen again moves to the front, so
// the one evicted is the least recently seen, not the first added.
func TestEvictsLeastRecentlySeen(t *testing.T) {
	tl := New(Options{MaxMACs: 3, PerMAC: 2})
	for _, m := range []string{"02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03", "02:00:00:00:00:01", "02:00:00:00:00:04"} {
		tl.Add(Event{MAC: m, Kind: "dhcp"})
	}
	for mac, want := range map[string]bool{"02:00:00:00:00:01": true, "02:00:00:00:00:02": false, "02:00:00:00:00:03": true, "02:00:00:00:00:04": true} {
		if _, _, ok := tl.Machine(mac); ok != want {
			t.Errorf("%s tracked = %v, want %v", mac, ok, want)
		}
	}
	if n := tl.Len(); n != 3 {
		t.Errorf("tracked %d, want 3", n)
	}
}

// TestEvictedEventsDoNotLeak: a machine that takes the place of a forgotten
// one (and its recycled event list) sees only its own events.
func TestEvictedEventsDoNotLeak(t *testing.T) {
	tl := New(Options{MaxMACs: 1, PerMAC: 3})
	for i := range 5 { // a full ring that has wrapped
		tl.Add(Event{MAC: "02:00:00:00:00:01", Kind: "dhcp", Summary: fmt.Sprint("old ", i)})
	}
	tl.Add(Event{MAC: "02:00:00:00:00:02", Kind: "dhcp", Summary: "new 0"})
	tl.Add(Event{MAC: "02:00:00:00:00:02", Kind: "dhcp", Summary: "new 1"})
	_, ev, ok := tl.Machine("02:00:00:00:00:02")
	if !ok || len(ev) != 2 || ev[0].Summary != "new 0" || ev[1].Summary != "new 1" {
		t.Fatalf("events of the new machine = %+v, %v", ev, ok)
	}
}

// BenchmarkAddNewMACs is bench/dhcp's pool scenario for the timeline: every
// exchange from a MAC it has not seen, past MaxMACs.
func BenchmarkAddNewMACs(b *testing.B) {
	tl := New(Options{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		tl.Add(Event{MAC: fmt.Sprintf("02:00:00:%02x:%02x:%02x", byte(i>>16), byte(i>>8), byte(i)), Kind: "dhcp", Summary: "DISCOVER -> OFFER"})
	}
}
