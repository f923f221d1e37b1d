package inventory

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"unicode"

	"gopkg.in/yaml.v3"
)

// MaxTemplateSize is the largest answer-file template read. Preseeds,
// kickstarts and cloud-init user-data are a few KiB; the cap keeps a wrong
// path (an ISO image) from being read into memory.
const MaxTemplateSize = 1 << 20

// HostFile is one answer file a profile serves to each of its hosts: a Debian
// preseed, a kickstart, cloud-init user-data. It is rendered from a
// text/template per host (FileData) and served under the host's folder
// (bootfiles.HostFilesDir).
type HostFile struct {
	// Name is the file's name in the host's folder ("preseed.cfg").
	Name string
	// Template is the template's path as written in the file; Path is it
	// resolved against the configuration file's folder.
	Template, Path string
	Line           int
	tmpl           *template.Template
	state          fileState         // the file when it was read (Watcher)
	sum            [sha256.Size]byte // of the template's text (diff)
}

// FileData is what an answer-file template is executed with. Every field is
// a string (or a list or map of strings) so templates stay simple; a field
// bootyard cannot fill is "".
type FileData struct {
	Host    string // the host's name
	MAC     string // aa:bb:cc:dd:ee:ff
	IP      string // its reserved address, else its lease; "" when unknown
	Profile string // the profile being installed
	// The network as bootyard's DHCP hands it out: the subnet in both forms,
	// the router, DNS servers and domain.
	Subnet, Netmask, Router, Domain string
	DNS                             []string
	ServerIP                        string // the boot server's address
	// HTTP is bootyard's HTTP server ("http://198.51.100.1:8080", no trailing
	// slash), Files the URL of this host's folder of answer files, Callback
	// the host's installer callback URL; all "" when HTTP is off.
	HTTP, Files, Callback string
	// Kernel and Initrd are the profile's paths under the TFTP root, Cmdline
	// the kernel command line with its placeholders filled in.
	Kernel, Initrd, Cmdline string
	// Vars are the profile's vars with the host's on top.
	Vars map[string]string
}

// Render executes the template with d. The whole file is rendered before
// anything is returned: a template that fails gives an error, never half a
// file.
func (f *HostFile) Render(d FileData) ([]byte, error) {
	if f == nil || f.tmpl == nil {
		return nil, fmt.Errorf("%s: no template loaded", f.Name)
	}
	var b bytes.Buffer
	if err := f.tmpl.Execute(&b, d); err != nil {
		return nil, templateError(err)
	}
	return b.Bytes(), nil
}

// CmdlineFor is the kernel command line of host h booting p: the
// profile's words, then the host's, one space apart, on one line (a
// control character separates words; none is passed on), placeholders
// still in it.
func (p *Profile) CmdlineFor(h *Host) string {
	return strings.Join(strings.FieldsFunc(p.Cmdline+" "+h.Cmdline, func(r rune) bool {
		return unicode.IsSpace(r) || r < 0x20 || r == 0x7f
	}), " ")
}

// File returns the answer file name of p, if p serves one.
func (p *Profile) File(name string) (*HostFile, bool) {
	if p == nil {
		return nil, false
	}
	for _, f := range p.Files {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}

// HostFiles are the answer files served in host h's folder: its profile's,
// then those of the profiles its menu offers (an installer chosen from the
// menu fetches its own), first name wins. The profile each came from is
// returned beside it: its cmdline and kernel fill the template.
func (h *Host) HostFiles() (files []*HostFile, from []*Profile) {
	if h == nil || h.Profile == nil {
		return nil, nil
	}
	seen := map[string]bool{}
	add := func(p *Profile) {
		for _, f := range p.Files {
			if !seen[f.Name] {
				seen[f.Name] = true
				files, from = append(files, f), append(from, p)
			}
		}
	}
	add(h.Profile)
	if m := h.Profile.Menu; m != nil {
		for _, e := range m.Entries {
			if e.Profile != nil {
				add(e.Profile)
			}
		}
	}
	return files, from
}

// FileData fills what the inventory knows about host h, installing profile
// p, for its answer files: ip is the address it has (its reservation or its
// lease; invalid when unknown), server the boot server's address. The
// caller adds the URLs (HTTP, Files, Callback) and fills the cmdline's
// placeholders.
func (s *Snapshot) FileData(h *Host, p *Profile, ip, server netip.Addr) FileData {
	d := FileData{Host: h.Name, MAC: h.MAC.String(), Vars: map[string]string{}}
	if p != nil {
		d.Profile, d.Kernel, d.Initrd = p.Name, p.Kernel, p.Initrd
		d.Cmdline = p.CmdlineFor(h)
		for k, v := range p.Vars {
			d.Vars[k] = v
		}
	}
	for k, v := range h.Vars {
		d.Vars[k] = v
	}
	if ip.IsValid() {
		d.IP = ip.String()
	}
	if server.IsValid() {
		d.ServerIP = server.String()
	}
	c := s.DHCP
	if c.Subnet.IsValid() {
		d.Subnet = c.Subnet.String()
		d.Netmask = net.IP(net.CIDRMask(c.Subnet.Bits(), 32)).String()
	}
	if c.Router.IsValid() {
		d.Router = c.Router.String()
	}
	d.Domain = c.Domain
	for _, a := range c.DNS {
		d.DNS = append(d.DNS, a.String())
	}
	return d
}

var varNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)

// decodeFiles reads a profile's `files:` (name: template path) and `vars:`.
// Each template is read and parsed now, so a missing file or a syntax error
// is a problem at its line, not a failure at boot time.
func (d *decoder) decodeFiles(m map[string]*yaml.Node, p string, pr *Profile) {
	pr.Vars = d.vars(m["vars"], join(p, "vars"))
	fp := join(p, "files")
	ps, _ := d.pairs(m["files"], fp)
	for _, kv := range ps {
		name, field := kv.key.Value, join(fp, kv.key.Value)
		if !nameRE.MatchString(name) {
			d.addf(kv.key, field, "file name %q: one name in the host's folder, of letters, digits, '.', '-' and '_' (at most 63)", name)
			continue
		}
		tp := d.str(kv.val, field)
		if strings.TrimSpace(tp) == "" {
			d.addf(kv.key, field, "name the template file (a path, relative to this file's folder)")
			continue
		}
		f := &HostFile{Name: name, Template: tp, Path: resolvePath(d.dir, tp), Line: kv.key.Line}
		tmpl, st, sum, err := readTemplate(f.Path, tp)
		if err != nil {
			d.addf(kv.val, field, "%v", err)
			continue
		}
		f.tmpl, f.state, f.sum = tmpl, st, sum
		pr.Files = append(pr.Files, f)
	}
	sort.Slice(pr.Files, func(i, j int) bool { return pr.Files[i].Name < pr.Files[j].Name })
}

// vars decodes a mapping of names to strings (numbers and booleans are
// taken as written).
func (d *decoder) vars(n *yaml.Node, path string) map[string]string {
	ps, _ := d.pairs(n, path)
	if len(ps) == 0 {
		return nil
	}
	out := make(map[string]string, len(ps))
	for _, kv := range ps {
		field := join(path, kv.key.Value)
		v := d.resolve(kv.val)
		if v != nil && v.Kind != yaml.ScalarNode {
			d.addf(v, field, "a var is one value (a string), not %s", describe(v))
			continue
		}
		if !varNameRE.MatchString(kv.key.Value) {
			d.addf(kv.key, field, "var name %q: letters, digits and '_', starting with a letter (templates read it as .Vars.%s)", kv.key.Value, kv.key.Value)
			continue
		}
		out[kv.key.Value] = d.str(v, field)
	}
	return out
}

// readTemplate reads and parses the template at path; shown is the path as
// the user wrote it, which names the template in errors.
func readTemplate(path, shown string) (*template.Template, fileState, [sha256.Size]byte, error) {
	fl, err := os.Open(path)
	if err != nil {
		return nil, fileState{}, [sha256.Size]byte{}, fmt.Errorf("template %s: %w", shown, unwrapPath(err))
	}
	defer fl.Close()
	fi, err := fl.Stat()
	if err != nil {
		return nil, fileState{}, [sha256.Size]byte{}, fmt.Errorf("template %s: %w", shown, unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fileState{}, [sha256.Size]byte{}, fmt.Errorf("template %s: not a regular file", shown)
	}
	b, err := io.ReadAll(io.LimitReader(fl, MaxTemplateSize+1))
	if err != nil {
		return nil, fileState{}, [sha256.Size]byte{}, fmt.Errorf("template %s: %w", shown, unwrapPath(err))
	}
	if len(b) > MaxTemplateSize {
		return nil, fileState{}, [sha256.Size]byte{}, fmt.Errorf("template %s: larger than %d KiB", shown, MaxTemplateSize>>10)
	}
	t, err := template.New(filepath.ToSlash(shown)).Option("missingkey=error").Parse(string(b))
	if err != nil {
		return nil, fileState{}, [sha256.Size]byte{}, templateError(err)
	}
	return t, stateOf(fi), sha256.Sum256(b), nil
}

// templateError drops text/template's "template: " prefix: what is left
// starts with the template's file:line.
func templateError(err error) error {
	return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "template: "))
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// checkHostFiles renders every answer file for every host that would be
// served it (its profile's and its menu's, and the stand-in of
// dhcp.default_profile), with placeholder URLs: a template that fails for
// a host (a var it lacks, a field that does not exist) is a problem now,
// naming the host and the template's line, not a failed install later.
func (d *decoder) checkHostFiles(s *Snapshot) {
	hosts := s.Hosts()
	if p := s.DefaultProfile(); p != nil {
		hosts = append(hosts[:len(hosts):len(hosts)], &Host{Name: "unknown-000000000000", MAC: make([]byte, 6), Profile: p, Unknown: true})
	}
	reported := map[string]bool{}
	for _, h := range hosts {
		f, p, err := s.dryRender(h, nil)
		if err == nil || reported[f.Path+"\x00"+err.Error()] {
			continue
		}
		reported[f.Path+"\x00"+err.Error()] = true
		what := "host " + h.Name
		if h.Unknown {
			what = "machines not in the inventory (dhcp.default_profile)"
		}
		d.problems = append(d.problems, Problem{File: d.file, Line: f.Line, Field: join(join(join("profiles", p.Name), "files"), f.Name),
			Msg: fmt.Sprintf("cannot render for %s: %v", what, err)})
	}
}

// CheckHostFiles renders every answer file host h would be served (with
// placeholder URLs) and returns the first error: what arming a one-shot
// checks before it makes a host boot an install profile it was not
// checked with.
func (s *Snapshot) CheckHostFiles(h *Host) error {
	if f, p, err := s.dryRender(h, nil); err != nil {
		return fmt.Errorf("answer file %s of profile %s cannot be rendered for host %s: %w", f.Name, p.Name, h.Name, err)
	}
	return nil
}

// CallsBack reports whether one of h's answer files holds h's callback URL
// (a preseed's late_command, say): the host's one-shot is then spent by
// that call, not by the kernel's download.
func (s *Snapshot) CallsBack(h *Host) bool {
	calls := false
	s.dryRender(h, func(b []byte) { calls = calls || bytes.Contains(b, []byte(dryCallback)) })
	return calls
}

// dryCallback stands for the callback URL in a dry render.
const dryCallback = "http://server/callback/c8f1e0d3"

// dryRender renders h's answer files with placeholder URLs, hands each to
// each (nil: none) and returns the first that fails, the profile it came
// from, and why.
func (s *Snapshot) dryRender(h *Host, each func([]byte)) (*HostFile, *Profile, error) {
	files, from := h.HostFiles()
	for i, f := range files {
		data := s.FileData(h, from[i], h.IP, s.DHCP.ServerIP)
		data.HTTP, data.Files, data.Callback = "http://server", "http://server/hosts/"+h.Name, dryCallback
		b, err := f.Render(data)
		if err != nil {
			return f, from[i], err
		}
		if each != nil {
			each(b)
		}
	}
	return nil, nil, nil
}

// content is what makes an answer file render as it does, for diff: the
// name and the template's text, not where it was read from or when.
func (f *HostFile) content() HostFile {
	return HostFile{Name: f.Name, sum: f.sum}
}
