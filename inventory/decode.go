package inventory

import (
	"regexp"
	"strings"
	"time"

	"github.com/bootyard/bootyard/firmware"
	"gopkg.in/yaml.v3"
)

// Defaults for keys the file leaves out. docs/configuration.md and
// config.example.yaml repeat them; keep the three in step.
const (
	DefaultLeaseTime       = time.Hour
	DefaultLeaseFile       = "/var/lib/bootyard/leases"
	DefaultMaxBlockSize    = 1468 // a 1500-byte MTU minus IP, UDP and TFTP headers
	DefaultMaxWindow       = 16   // RFC 7440 windowsize cap: OVMF asks 4, U-Boot what tftpwindowsize says
	DefaultTFTPTimeout     = time.Second
	DefaultTFTPRetries     = 5
	DefaultMaxTransfers    = 256
	DefaultMaxPerClient    = 8
	DefaultTransferTimeout = 10 * time.Minute
	DefaultUploadMaxBytes  = 64 << 20
)

// DefaultLimits returns the DHCP rate limits used when dhcp.limits leaves a
// key out. A booting board sends a handful of packets per second at most
// (iPXE and the firmware before it each run a full exchange), so these only
// bite on a looping client or a flood of made-up MACs.
func DefaultLimits() DHCPLimits {
	return DHCPLimits{PerClientRate: 5, PerClientBurst: 20, NewClientRate: 10, NewClientBurst: 40}
}

// DefaultBoot returns the boot file each firmware class gets when boot:
// leaves its key out. The names are the ones Debian and Ubuntu package
// (pxelinux, grub-efi-*-signed netboot images, U-Boot's default script, the
// Raspberry Pi first-stage loader); uefi-ia32, uefi-arm32 and uefi-http have
// no common default and get no boot options unless configured.
func DefaultBoot() map[firmware.Class]string {
	return map[firmware.Class]string{
		firmware.BIOS:       "pxelinux.0",
		firmware.UEFIX64:    "grubnetx64.efi",
		firmware.UEFIARM64:  "grubaa64.efi",
		firmware.IPXE:       "boot.ipxe",
		firmware.UBootARM:   "boot.scr.uimg",
		firmware.UBootARM64: "boot.scr.uimg",
		firmware.RPi:        "bootcode.bin",
	}
}

var (
	topKeys     = []string{"interface", "dhcp", "tftp", "http", "admin", "boot", "firmware", "profiles", "hosts"}
	dhcpKeys    = []string{"mode", "server_ip", "subnet", "router", "dns", "domain", "lease_time", "pool", "lease_file", "proxy_unknown", "default_profile", "relayed", "options", "limits", "conflict_probe", "rogue_probe", "routes", "broadcast_replies", "answer_router_solicit"}
	relayKeys   = []string{"subnet", "router", "dns", "pool", "routes", "relay_addresses"}
	limitKeys   = []string{"per_client_rate", "per_client_burst", "new_client_rate", "new_client_burst"}
	tftpKeys    = keysOf(TFTP{})
	uploadKeys  = keysOf(Uploads{})
	profileKeys = []string{"kernel", "initrd", "cmdline", "bootfile", "local", "menu", "pxelinux", "options", "fdt", "fdtdir", "tftp_max_window", "ipxe_options", "files", "vars"}
	pxeKeys     = []string{"config_file", "path_prefix", "reboot_time"}
	hostKeys    = []string{"name", "mac", "ip", "profile", "bootfile", "local", "cmdline", "options", "rpi_serial", "fdt", "fdtdir", "tftp_max_window", "vars"}
)

// raw is what decoding produces: the snapshot's parts plus the references
// that can only be resolved once everything is read.
type raw struct {
	base         Snapshot
	profiles     []*Profile
	hosts        []*Host
	hostProfiles []string // profile name each host asked for, by index
	menus        []menuRef
}

// decodeFile walks the document. dir is the config file's folder, against
// which relative paths are resolved.
func (d *decoder) decodeFile(doc *yaml.Node, dir string) *raw {
	r := &raw{}
	d.dir = dir
	if doc.Kind != yaml.MappingNode {
		d.addf(doc, "", "the file must be a mapping of settings (interface:, dhcp:, tftp:, ...), not %s", describe(doc))
		return r
	}
	top := d.mapping(doc, "", topKeys)
	if !d.present(top["interface"]) {
		d.missing(doc, "interface", "name the network interface DHCP and TFTP listen on (e.g. interface: eth0)")
	} else {
		r.base.Interface = d.str(top["interface"], "interface")
		if !validIfName(r.base.Interface) {
			d.addf(d.nodes["interface"], "interface", "%q is not a network interface name", r.base.Interface)
		}
	}
	d.decodeDHCP(top["dhcp"], dir, &r.base.DHCP, doc)
	d.decodeTFTP(top["tftp"], dir, &r.base.TFTP, doc)
	d.decodeHTTP(top["http"], dir, &r.base.HTTP)
	d.decodeAdmin(top["admin"], dir, &r.base.Admin)
	r.base.Boot = d.decodeBoot(top["boot"], r.base.HTTP.Enabled)
	r.base.Firmware, r.base.bootWritten = d.decodeFirmware(top["firmware"]), d.bootWritten()
	d.decodeProfiles(top["profiles"], r)
	d.decodeHosts(top["hosts"], r)
	return r
}

// missing reports a required key that has no value, at the key's own line
// when it was written empty, else at the line of the mapping it belongs in.
func (d *decoder) missing(parent *yaml.Node, field, why string) {
	if k := d.keys[field]; k != nil {
		parent = k
	}
	d.addf(parent, field, "missing: %s", why)
}

// present reports whether a key was given a value: absent and empty
// ("mac:" with nothing after it) both count as missing.
func (d *decoder) present(n *yaml.Node) bool {
	n = d.resolve(n)
	return n != nil && !isNull(n) && !(n.Kind == yaml.ScalarNode && strings.TrimSpace(n.Value) == "")
}

// validIfName follows the kernel's rules: 1-15 bytes, no '/', ':' or space.
func validIfName(s string) bool {
	return s != "" && len(s) <= 15 && s != "." && s != ".." && !strings.ContainsAny(s, "/: \t\n")
}

func (d *decoder) decodeDHCP(n *yaml.Node, dir string, c *DHCP, doc *yaml.Node) {
	const p = "dhcp"
	m := d.mapping(n, p, dhcpKeys)
	c.Mode = ModeAuthoritative
	if v := m["mode"]; v != nil {
		switch s := d.str(v, "dhcp.mode"); Mode(s) {
		case ModeAuthoritative, ModeProxy, ModeOff:
			c.Mode = Mode(s)
		default:
			d.addf(d.nodes["dhcp.mode"], "dhcp.mode", "%q is not a mode: use authoritative, proxy or off", s)
		}
	}
	c.ServerIP = d.addr(m["server_ip"], "dhcp.server_ip")
	c.Subnet = d.prefix(m["subnet"], "dhcp.subnet")
	c.Router = d.addr(m["router"], "dhcp.router")
	c.DNS = d.addrList(m["dns"], "dhcp.dns")
	c.Domain = d.str(m["domain"], "dhcp.domain")
	if c.Domain != "" && !validDomain(c.Domain) {
		d.addf(d.nodes["dhcp.domain"], "dhcp.domain", "%q is not a domain name", c.Domain)
	}
	// DHCP carries the lease time in whole seconds in 32 bits (RFC 2132 9.2).
	c.LeaseTime = d.duration(m["lease_time"], "dhcp.lease_time", DefaultLeaseTime, time.Minute, 0xfffffffe*time.Second)
	c.Pool = d.rangeOf(m["pool"], "dhcp.pool")
	c.Routes = d.routes(m["routes"], "dhcp.routes", c.Subnet)
	c.LeaseFile = DefaultLeaseFile
	if s := d.str(m["lease_file"], "dhcp.lease_file"); s != "" {
		c.LeaseFile = resolvePath(dir, s)
	}
	c.ProxyUnknown = d.boolean(m["proxy_unknown"], "dhcp.proxy_unknown", false)
	c.DefaultProfile = d.str(m["default_profile"], "dhcp.default_profile")
	c.ConflictProbe = d.boolean(m["conflict_probe"], "dhcp.conflict_probe", true)
	c.BroadcastReplies = d.boolean(m["broadcast_replies"], "dhcp.broadcast_replies", false)
	c.AnswerRouterSolicit = d.boolean(m["answer_router_solicit"], "dhcp.answer_router_solicit", false)
	c.RogueProbe = d.duration(m["rogue_probe"], "dhcp.rogue_probe", 0, 0, 24*time.Hour)
	if c.RogueProbe > 0 && c.RogueProbe < 5*time.Second {
		d.addf(m["rogue_probe"], "dhcp.rogue_probe", "%v is too often: at least 5s (or 0 to send no probe)", c.RogueProbe)
	}
	for i, rn := range d.list(m["relayed"], "dhcp.relayed") {
		rp := index("dhcp.relayed", i)
		rm := d.mapping(rn, rp, relayKeys)
		rel := Relayed{Line: lineOf(rn)}
		d.nodes[rp] = rn
		if !d.present(rm["subnet"]) {
			d.missing(d.resolve(rn), join(rp, "subnet"), "a relayed segment needs its subnet")
		}
		rel.Subnet = d.prefix(rm["subnet"], join(rp, "subnet"))
		rel.Router = d.addr(rm["router"], join(rp, "router"))
		rel.DNS = d.addrList(rm["dns"], join(rp, "dns"))
		rel.Pool = d.rangeOf(rm["pool"], join(rp, "pool"))
		rel.Routes = d.routes(rm["routes"], join(rp, "routes"), rel.Subnet)
		rel.RelayAddresses = d.addrList(rm["relay_addresses"], join(rp, "relay_addresses"))
		c.Relayed = append(c.Relayed, rel)
	}
	c.Options = d.options(m["options"], "dhcp.options")
	c.Limits = DefaultLimits()
	lm := d.mapping(m["limits"], "dhcp.limits", limitKeys)
	c.Limits.PerClientRate = d.float(lm["per_client_rate"], "dhcp.limits.per_client_rate", c.Limits.PerClientRate)
	c.Limits.PerClientBurst = int(d.integer(lm["per_client_burst"], "dhcp.limits.per_client_burst", int64(c.Limits.PerClientBurst), 0, 1<<20))
	c.Limits.NewClientRate = d.float(lm["new_client_rate"], "dhcp.limits.new_client_rate", c.Limits.NewClientRate)
	c.Limits.NewClientBurst = int(d.integer(lm["new_client_burst"], "dhcp.limits.new_client_burst", int64(c.Limits.NewClientBurst), 0, 1<<20))
	if c.Mode == ModeAuthoritative && !d.present(m["subnet"]) {
		d.noSubnetAt = d.keys["dhcp"]
		if d.noSubnetAt == nil {
			d.noSubnetAt = doc
		}
	}
}

func (d *decoder) decodeTFTP(n *yaml.Node, dir string, c *TFTP, doc *yaml.Node) {
	const p = "tftp"
	m := d.mapping(n, p, tftpKeys)
	def := DefaultTFTP()
	c.Enabled = d.boolean(m["enabled"], "tftp.enabled", def.Enabled)
	if s := d.str(m["root"], "tftp.root"); s != "" {
		c.Root = resolvePath(dir, s)
	} else if c.Enabled {
		at := d.keys["tftp"]
		if at == nil {
			at = doc
		}
		d.missing(at, "tftp.root", "name the folder TFTP serves (or set tftp.enabled: false)")
	}
	// RFC 2348 allows up to 65464 octets.
	c.MaxBlockSize = int(d.integer(m["max_block_size"], "tftp.max_block_size", int64(def.MaxBlockSize), 513, 65464))
	// RFC 7440 allows 1 to 65535 blocks per window.
	c.MaxWindow = int(d.integer(m["max_window"], "tftp.max_window", int64(def.MaxWindow), 1, 65535))
	c.Timeout = d.duration(m["timeout"], "tftp.timeout", def.Timeout, 10*time.Millisecond, 255*time.Second)
	c.Retries = int(d.integer(m["retries"], "tftp.retries", int64(def.Retries), 1, 100))
	c.MaxTransfers = int(d.integer(m["max_transfers"], "tftp.max_transfers", int64(def.MaxTransfers), 0, 1<<20))
	c.MaxPerClient = int(d.integer(m["max_per_client"], "tftp.max_per_client", int64(def.MaxPerClient), 0, 1<<20))
	c.TransferTimeout = d.duration(m["transfer_timeout"], "tftp.transfer_timeout", def.TransferTimeout, 0, 24*time.Hour)
	c.SinglePort = d.boolean(m["single_port"], "tftp.single_port", def.SinglePort)
	if un := d.resolve(m["uploads"]); un != nil && !isNull(un) {
		um := d.mapping(un, "tftp.uploads", uploadKeys)
		up := &Uploads{MaxBytes: DefaultUploadMaxBytes}
		if s := d.str(um["dir"], "tftp.uploads.dir"); s != "" {
			up.Dir = resolvePath(dir, s)
		} else {
			d.missing(d.keys["tftp.uploads"], "tftp.uploads.dir", "name the folder uploads are written to")
		}
		up.MaxBytes = d.size(um["max_bytes"], "tftp.uploads.max_bytes", DefaultUploadMaxBytes)
		c.Uploads = up
		d.nodes["tftp.uploads"] = un
	}
}

var sizeRE = regexp.MustCompile(`^\s*([0-9]+)\s*([KMGT]i?B?|B)?\s*$`)

// size decodes a byte count: a number, or one with a unit (KiB, MiB, GiB,
// TiB; K, M, G and T mean the same powers of 1024).
func (d *decoder) size(n *yaml.Node, path string, def int64) int64 {
	s, ok := d.scalar(n, path)
	if s == nil || !ok {
		return def
	}
	m := sizeRE.FindStringSubmatch(s.Value)
	if m == nil {
		d.addf(s, path, "%q is not a size (e.g. 64MiB or 1048576)", s.Value)
		return def
	}
	var v int64
	for _, c := range m[1] {
		v = v*10 + int64(c-'0')
		if v > 1<<50 {
			d.addf(s, path, "%q is too large", s.Value)
			return def
		}
	}
	if m[2] != "" && m[2] != "B" {
		shift := 10 * (strings.IndexByte("KMGT", m[2][0]) + 1)
		if v > 1<<50>>shift {
			d.addf(s, path, "%q is too large", s.Value)
			return def
		}
		v <<= shift
	}
	if v <= 0 {
		d.addf(s, path, "must be more than 0")
		return def
	}
	return v
}

// decodeBoot reads boot:, starting from DefaultBoot. A class written with
// an empty value ("uefi-x64: \"\"") is removed: that class gets no boot
// options. httpOn is http.enabled: a uefi-http entry may then be a file
// name, handed to the firmware as the URL of our own HTTP server.
func (d *decoder) decodeBoot(n *yaml.Node, httpOn bool) map[firmware.Class]string {
	boot := DefaultBoot()
	var keys []string
	for _, c := range firmware.Classes() {
		keys = append(keys, string(c))
	}
	m := d.mapping(n, "boot", keys)
	for key, v := range m {
		class := firmware.Class(key)
		field := join("boot", key)
		f := d.str(v, field)
		if f == "" {
			delete(boot, class)
			continue
		}
		// UEFI HTTP boot firmware rejects anything but a URL (it has no
		// TFTP to fetch a bare name with); our HTTP server makes one.
		if class == firmware.UEFIHTTP && !httpOn && !IsURL(f) {
			d.addf(d.nodes[field], field, "%q: UEFI HTTP boot needs an http:// or https:// URL, or http.enabled: true to serve this file by HTTP", f)
		}
		boot[class] = f
	}
	return boot
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func (d *decoder) decodeProfiles(n *yaml.Node, r *raw) {
	ps, _ := d.pairs(n, "profiles")
	for _, kv := range ps {
		name := kv.key.Value
		p := join("profiles", name)
		if !nameRE.MatchString(name) {
			d.addf(kv.key, p, "profile name %q: use letters, digits, '.', '-' and '_' (at most 63)", name)
		}
		d.nodes[p] = kv.key
		m := d.mapping(kv.val, p, profileKeys)
		pr := &Profile{Name: name, Line: kv.key.Line}
		pr.Kernel = d.str(m["kernel"], join(p, "kernel"))
		pr.Initrd = d.str(m["initrd"], join(p, "initrd"))
		pr.Cmdline = d.str(m["cmdline"], join(p, "cmdline"))
		pr.BootFile, pr.Local = d.bootOrLocal(m, p)
		pr.FDT, pr.FDTDir = d.deviceTree(m, p)
		pr.Menu = d.menu(m["menu"], join(p, "menu"), r)
		if pr.Initrd != "" && pr.Kernel == "" {
			d.addf(d.nodes[join(p, "initrd")], join(p, "initrd"), "an initrd needs a kernel in the same profile")
		}
		pm := d.mapping(m["pxelinux"], join(p, "pxelinux"), pxeKeys)
		pp := join(p, "pxelinux")
		pr.PXELinux.ConfigFile = d.str(pm["config_file"], join(pp, "config_file"))
		pr.PXELinux.PathPrefix = d.str(pm["path_prefix"], join(pp, "path_prefix"))
		// Option 211 is a 32-bit count of seconds (RFC 5071 section 8).
		pr.PXELinux.RebootTime = d.duration(pm["reboot_time"], join(pp, "reboot_time"), 0, time.Second, 0xffffffff*time.Second)
		pr.Options = d.options(m["options"], join(p, "options"))
		pr.IPXEOptions = d.ipxeOptions(m, p)
		pr.TFTPMaxWindow = int(d.integer(m["tftp_max_window"], join(p, "tftp_max_window"), 0, 1, 65535))
		d.decodeFiles(m, p, pr)
		r.profiles = append(r.profiles, pr)
	}
}

func (d *decoder) decodeHosts(n *yaml.Node, r *raw) {
	for i, hn := range d.list(n, "hosts") {
		p := index("hosts", i)
		hn = d.resolve(hn)
		if hn == nil {
			continue
		}
		d.nodes[p] = hn
		m := d.mapping(hn, p, hostKeys)
		h := &Host{Line: hn.Line}
		if !d.present(m["name"]) {
			d.missing(hn, join(p, "name"), "every host needs a name")
		} else if h.Name = d.str(m["name"], join(p, "name")); !nameRE.MatchString(h.Name) {
			d.addf(d.nodes[join(p, "name")], join(p, "name"), "host name %q: use letters, digits, '.', '-' and '_' (at most 63)", h.Name)
		}
		if !d.present(m["mac"]) {
			d.missing(hn, join(p, "mac"), "a host is recognised by its MAC address")
		}
		h.MAC = d.mac(m["mac"], join(p, "mac"))
		h.IP = d.addr(m["ip"], join(p, "ip"))
		h.BootFile, h.Local = d.bootOrLocal(m, p)
		h.Cmdline = d.str(m["cmdline"], join(p, "cmdline"))
		h.Options = d.options(m["options"], join(p, "options"))
		h.RPiSerial = d.rpiSerial(m["rpi_serial"], join(p, "rpi_serial"))
		h.FDT, h.FDTDir = d.deviceTree(m, p)
		h.TFTPMaxWindow = int(d.integer(m["tftp_max_window"], join(p, "tftp_max_window"), 0, 1, 65535))
		h.Vars = d.vars(m["vars"], join(p, "vars"))
		r.hosts = append(r.hosts, h)
		r.hostProfiles = append(r.hostProfiles, d.str(m["profile"], join(p, "profile")))
	}
}
