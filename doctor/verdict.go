package doctor

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// A Level says how much a verdict matters.
type Level int

const (
	// OK is something that works.
	OK Level = iota
	// Info is worth knowing but harmless.
	Info
	// Warn may break some boards or is likely a mistake.
	Warn
	// Fail breaks the boot of the firmware doctor acted as.
	Fail
)

func (l Level) String() string {
	return [...]string{"ok", "info", "WARN", "FAIL"}[l]
}

// A Verdict is one finding, in words a user can act on.
type Verdict struct {
	Level Level
	Text  string
}

// Failed reports whether any verdict is a Fail.
func Failed(vs []Verdict) bool {
	for _, v := range vs {
		if v.Level == Fail {
			return true
		}
	}
	return false
}

// Analyze turns what a run saw into verdicts, most general first: who
// answered, then each offer as the firmware would judge it, then the fetch
// and the REQUEST. It is pure: everything it needs is in r.
func Analyze(r Report) []Verdict {
	var vs []Verdict
	add := func(l Level, format string, args ...any) {
		vs = append(vs, Verdict{l, fmt.Sprintf(format, args...)})
	}
	fw := r.Firmware
	if len(r.Offers) == 0 {
		add(Fail, "no DHCP server answered within %s (DISCOVER as %s from %s on %s)", r.Window, fw.Name, r.MAC, r.Iface)
		if r.Expect.IsValid() {
			add(Fail, "the expected server %s did not answer", r.Expect)
		}
		return vs
	}
	vs = append(vs, serversVerdicts(r)...)
	withFile := 0
	for _, o := range r.Offers {
		if _, ok := o.Target(fw); ok {
			withFile++
		}
		vs = append(vs, offerVerdicts(fw, o)...)
	}
	if withFile == 0 {
		add(Fail, "no offer names a boot file for %s", fw.Name)
	}
	vs = append(vs, fetchVerdicts(r)...)
	if l := r.Lease; l != nil {
		switch {
		case l.Addr.IsValid():
			rel := "; released again"
			if !l.Released {
				rel = "; not released: it stays leased until it expires"
			}
			add(OK, "REQUEST for %s acknowledged by %s%s", l.Addr, l.Server, rel)
		case l.Nak:
			add(Fail, "%s refused the REQUEST with a NAK: %q", l.Server, l.NakText)
		default:
			add(Fail, "REQUEST to %s got no ACK: %v", l.Server, l.Err)
		}
	}
	return vs
}

// serversVerdicts: how many servers answered, and whether the expected one
// did and nobody else offers a boot file.
func serversVerdicts(r Report) []Verdict {
	var vs []Verdict
	servers := make([]string, len(r.Offers))
	addressServers := 0
	for i, o := range r.Offers {
		servers[i] = o.Server.String()
		if !o.Proxy() {
			addressServers++
		}
	}
	if n := len(r.Offers); n > 1 {
		text := fmt.Sprintf("%s DHCP servers answered: %s", count(n), strings.Join(servers, ", "))
		if addressServers == 1 {
			// One hands out the address, the others only boot options:
			// a proxyDHCP setup, which is how it is meant to work.
			vs = append(vs, Verdict{Info, text + " (one gives the address, the others are proxyDHCP)"})
		} else {
			vs = append(vs, Verdict{Warn, text})
		}
	}
	if !r.Expect.IsValid() {
		return vs
	}
	seen := false
	for _, o := range r.Offers {
		if o.Server == r.Expect {
			seen = true
			continue
		}
		if t, ok := o.Target(r.Firmware); ok {
			vs = append(vs, Verdict{Fail, fmt.Sprintf("%s is not the expected server %s but offers boot file %s: a board may boot from either", o.Server, r.Expect, t)})
		} else {
			vs = append(vs, Verdict{Warn, fmt.Sprintf("%s is not the expected server %s; it offers no boot file (fine if it only hands out addresses)", o.Server, r.Expect)})
		}
	}
	if !seen {
		vs = append(vs, Verdict{Fail, fmt.Sprintf("the expected server %s did not answer", r.Expect)})
	}
	return vs
}

// offerVerdicts judges one offer as fw would.
func offerVerdicts(fw Firmware, o Offer) []Verdict {
	var vs []Verdict
	add := func(l Level, format string, args ...any) {
		vs = append(vs, Verdict{l, fmt.Sprintf("offer from %s: ", o.Server) + fmt.Sprintf(format, args...)})
	}
	file := o.BootFile(fw)
	if fw.UBoot {
		if o.Proxy() {
			add(Fail, "no address (yiaddr 0.0.0.0): U-Boot drops such offers, it cannot boot from proxyDHCP")
		}
		if o.File == "" && o.BootFileOpt != "" {
			add(Fail, "boot file %q only in option 67: U-Boot reads the BOOTP file field", o.BootFileOpt)
		}
	}
	if file == "" {
		return vs
	}
	// PXE 2.1: firmware that sent PXEClient looks for it in the reply. UEFI
	// ignores a proxy offer without it; an address offer without it is a
	// plain DHCP offer that UEFI ranks below any PXE offer.
	if fw.UEFI && fw.PXE() && !strings.HasPrefix(o.VendorClass, "PXEClient") {
		if o.Proxy() {
			add(Fail, "lacks option 60 PXEClient: UEFI will ignore it")
		} else {
			add(Info, "lacks option 60 PXEClient: UEFI takes it as a plain DHCP offer and prefers any PXE offer")
		}
	}
	if fw.HTTPClient() && !strings.HasPrefix(o.VendorClass, "HTTPClient") {
		add(Fail, "lacks option 60 HTTPClient: UEFI HTTP boot will ignore it")
	}
	if isURL(file) && !fw.HTTP {
		add(Fail, "the boot file is a URL (%s) but %s speaks only TFTP", file, fw.Name)
	}
	if !isURL(file) && !fw.TFTP {
		add(Fail, "the boot file %q is not a URL but %s fetches only http:// and https://", file, fw.Name)
	}
	if fw.IPXE && ipxeBinary(file) {
		add(Warn, "iPXE is offered an iPXE binary (%s): it will chainload itself in a loop", file)
	}
	return vs
}

// ipxeBinary reports whether a boot file name looks like an iPXE build.
func ipxeBinary(file string) bool {
	base := strings.ToLower(path.Base(strings.ReplaceAll(file, "\\", "/")))
	switch path.Ext(base) {
	case ".kpxe", ".kkpxe", ".kkkpxe":
		return true
	case ".efi", ".pxe", ".lkrn":
		return strings.Contains(base, "ipxe") || strings.HasPrefix(base, "snponly") || strings.HasPrefix(base, "undionly")
	}
	return false
}

// fetchVerdicts: what became of the boot file.
func fetchVerdicts(r Report) []Verdict {
	if r.Fetch == nil && r.FetchErr == nil {
		if r.NoFetch != "" {
			return []Verdict{{Info, "boot file not fetched: " + r.NoFetch}}
		}
		return nil
	}
	f := r.Fetch
	if f == nil {
		f = &FetchResult{Size: -1}
	}
	t := f.Target
	switch {
	case errors.Is(r.FetchErr, ErrNotFound):
		return []Verdict{{Fail, fmt.Sprintf("boot file %s not found on %s", t.Name(), t.Server())}}
	case errors.Is(r.FetchErr, ErrNoAnswer):
		return []Verdict{{Fail, fmt.Sprintf("%s server %s did not answer for %s", strings.ToUpper(t.Scheme), t.Server(), t.Name())}}
	case r.FetchErr != nil:
		return []Verdict{{Fail, fmt.Sprintf("fetching %s from %s failed after %d bytes: %v", t.Name(), t.Server(), f.Bytes, r.FetchErr)}}
	}
	var vs []Verdict
	vs = append(vs, Verdict{OK, fmt.Sprintf("boot file %s fetched from %s: %d bytes in %s (%s), first data after %s",
		t.Name(), t.Server(), f.Bytes, f.Duration.Round(time.Millisecond), Speed(f.Bytes, f.Duration), f.FirstByte.Round(time.Millisecond))})
	if f.Size >= 0 && f.Size != f.Bytes {
		vs = append(vs, Verdict{Fail, fmt.Sprintf("%s announced %d bytes for %s but sent %d", t.Server(), f.Size, t.Name(), f.Bytes)})
	}
	if f.Size < 0 && t.Scheme != "tftp" {
		vs = append(vs, Verdict{Warn, fmt.Sprintf("%s sent no Content-Length for %s: UEFI HTTP boot and iPXE need it", t.Server(), t.Name())})
	}
	return vs
}

// Speed formats bytes per second.
func Speed(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return Bytes(int64(float64(n)/d.Seconds())) + "/s"
}

// Bytes formats a byte count with a binary unit.
func Bytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// count spells small numbers the way the verdicts read best.
func count(n int) string {
	if n >= 2 && n <= 5 {
		return [...]string{"two", "three", "four", "five"}[n-2]
	}
	return fmt.Sprint(n)
}
