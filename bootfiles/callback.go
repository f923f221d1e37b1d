package bootfiles

import (
	"net/url"
	"strings"

	"github.com/bootyard/bootyard/inventory"
)

// CallbackPlaceholder, written in a profile's or host's cmdline, becomes the
// host's installer callback URL in generated files (templates also get it
// as .Callback). The installer, or the installed system, requests that URL
// when it is done: that spends the host's next-boot one-shot.
const CallbackPlaceholder = "{callback}"

// CallbackPrefix is the HTTP path under which callback URLs live, in the
// prefix reserved for bootyard's own endpoints (served.Clean refuses it as
// a file name).
const CallbackPrefix = "/_bootyard/callback/"

// HTTPBase gives the base URL of bootyard's HTTP server
// ("http://198.51.100.2", the port when it is not 80), from which callback URLs are made. Without it
// (HTTP off) the placeholder stays empty.
func HTTPBase(base string) Option {
	return func(f *FS) { f.httpBase = base }
}

// CallbackURL is the callback URL of host h: its one-shot's token when one
// is armed, else "none" (a URL that is refused: nothing to spend).
func CallbackURL(base string, h *inventory.Host) string {
	if base == "" || h == nil {
		return ""
	}
	token := "none"
	if h.NextBoot != nil && h.NextBoot.Token != "" {
		token = h.NextBoot.Token
	}
	return base + CallbackPrefix + url.PathEscape(h.Name) + "/" + token
}

// withCallback fills .Callback and replaces the placeholder in every
// command line of d.
func (f *FS) withCallback(d *templateData, h *inventory.Host) {
	d.Callback = CallbackURL(f.httpBase, h)
	d.Cmdline = strings.ReplaceAll(d.Cmdline, CallbackPlaceholder, d.Callback)
	for i := range d.Menu {
		d.Menu[i].Cmdline = strings.ReplaceAll(d.Menu[i].Cmdline, CallbackPlaceholder, d.Callback)
	}
}
