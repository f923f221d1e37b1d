package doctor

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// A Bar draws a one-line progress bar on a terminal, redrawn in place at
// most ten times a second.
type Bar struct {
	w     io.Writer
	start time.Time
	last  time.Time
	drawn bool
}

// NewBar returns a bar drawing on w (a terminal: it uses carriage returns).
func NewBar(w io.Writer) *Bar { return &Bar{w: w, start: time.Now()} }

// Update redraws the bar for done bytes of total (-1: unknown).
func (b *Bar) Update(done, total int64) {
	now := time.Now()
	if b.drawn && now.Sub(b.last) < 100*time.Millisecond && done != total {
		return
	}
	b.last, b.drawn = now, true
	fmt.Fprintf(b.w, "\r%s", BarLine(done, total, now.Sub(b.start), 30))
}

// Done ends the bar's line, so what is printed next starts on its own.
func (b *Bar) Done() {
	if b.drawn {
		fmt.Fprintln(b.w)
		b.drawn = false
	}
}

// BarLine is the bar's text: percentage and bar when the size is known,
// bytes so far and speed always.
func BarLine(done, total int64, elapsed time.Duration, width int) string {
	speed := Speed(done, elapsed)
	if total <= 0 {
		return fmt.Sprintf("%10s  %s   ", Bytes(done), speed)
	}
	frac := float64(done) / float64(total)
	if frac > 1 {
		frac = 1
	}
	full := int(frac * float64(width))
	return fmt.Sprintf("%3.0f%% [%s%s] %s of %s  %s   ", frac*100,
		strings.Repeat("#", full), strings.Repeat(" ", width-full), Bytes(done), Bytes(total), speed)
}
