package bootfiles

import (
	"net/url"

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

// withCallback fills .Callback and replaces the placeholders ({callback},
// {files}) in every command line of d. The base URL is the snapshot's HTTP
// server at the server address, as for the iPXE URLs (httpRequest);
// without HTTP it is "".
func (f *FS) withCallback(d *templateData, h *inventory.Host, snap *inventory.Snapshot) {
	base := f.httpBase(snap)
	d.Callback = CallbackURL(base, h)
	files := filesURL(base, h)
	d.Cmdline = fillPlaceholders(d.Cmdline, d.Callback, files)
	for i := range d.Menu {
		d.Menu[i].Cmdline = fillPlaceholders(d.Menu[i].Cmdline, d.Callback, files)
	}
}
