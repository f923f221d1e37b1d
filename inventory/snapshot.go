package inventory

import (
	"crypto/sha256"
	"net"
	"net/netip"
	"time"

	"github.com/bootyard/bootyard/firmware"
)

// Snapshot is one fully validated configuration and host inventory. It is
// immutable once Load returns it: readers share it without locks, and a reload
// builds a new Snapshot and swaps it in whole (see Store).
//
// Exported fields are for reading only; the maps behind the lookup methods are
// private so that nobody can edit a snapshot that other goroutines are using.
type Snapshot struct {
	// Path is the file this snapshot was loaded from ("" when parsed from bytes).
	Path string
	// Loaded is when the file was parsed, in whole seconds: the
	// modification time of every file generated from this snapshot.
	Loaded time.Time
	// Interface is the network interface DHCP and TFTP listen on.
	Interface string

	DHCP  DHCP
	TFTP  TFTP
	HTTP  HTTP
	Admin Admin
	// Boot maps a firmware class (firmware.Classes) to the boot file that class gets
	// when neither the host nor its profile names one. A class missing from the
	// map gets no boot options at all.
	Boot map[firmware.Class]string
	// Firmware lists the classes the file says this network has (firmware:),
	// nil when it does not say; see Expects.
	Firmware []firmware.Class
	// bootWritten holds the classes boot: names in the file (the others
	// have their default): a class the user wrote a file for is expected.
	bootWritten map[firmware.Class]bool

	profiles map[string]*Profile
	hosts    []*Host
	byMAC    map[string]*Host // key: MAC in canonical lower-case colon form
	byIP     map[netip.Addr]*Host
	byName   map[string]*Host

	// Warnings are problems that do not stop the snapshot from being used
	// (e.g. a per-firmware default boot file missing under the TFTP root).
	Warnings []Problem
	// RestartNeeded lists the start-up settings that the file changes but
	// that kept their running values (see Options.Running).
	RestartNeeded []SettingChange

	// sum is the SHA-256 of the file's bytes, so Watcher can tell whether
	// the file on disk is the one being served.
	sum [sha256.Size]byte
}

// Mode is how the DHCP responder takes part in the network.
type Mode string

// DHCP modes.
const (
	ModeAuthoritative Mode = "authoritative" // hands out addresses and boot options
	ModeProxy         Mode = "proxy"         // proxyDHCP: boot options only, another server owns addresses
	ModeOff           Mode = "off"           // no DHCP at all
)

// DHCP is the dhcp: section.
type DHCP struct {
	Mode Mode
	// ServerIP is the address put in option 54, siaddr and option 66. Zero
	// means "the first IPv4 address of Interface", resolved at start-up by cmd.
	ServerIP  netip.Addr
	Subnet    netip.Prefix
	Router    netip.Addr
	DNS       []netip.Addr
	Domain    string
	LeaseTime time.Duration
	Pool      *Range // nil: only inventory hosts are answered
	// Routes go to clients of Subnet in option 121 (with a default route
	// via Router added when none is listed).
	Routes []Route
	// LeaseFile is where pool leases are kept across restarts.
	LeaseFile string
	// ProxyUnknown lets proxy mode answer PXE clients that are not in the
	// inventory (with the class default boot file).
	ProxyUnknown bool
	// DefaultProfile names the profile machines not in the inventory boot
	// ("": none; they get the firmware class default only). See
	// Snapshot.Machine.
	DefaultProfile string
	// Relayed are subnets reached through DHCP relays (giaddr), each with its
	// own router, DNS and pool.
	Relayed []Relayed
	// Options are extra DHCP options sent to every client on this segment.
	Options []DHCPOption
	Limits  DHCPLimits
	// ConflictProbe enables an ARP probe before a pool address is first offered.
	ConflictProbe bool
	// BroadcastReplies sends every OFFER and ACK to a client without an
	// address to 255.255.255.255, even when its broadcast flag is clear
	// (default false: unicast to yiaddr at the client's MAC, RFC 2131 4.1).
	BroadcastReplies bool
	// AnswerRouterSolicit answers IPv6 router solicitations from machines
	// bootyard is booting with a router advertisement that offers nothing
	// (no prefix, router lifetime 0), so that iPXE stops waiting for one.
	AnswerRouterSolicit bool
	// RogueProbe is how often an authoritative server sends a probe
	// DISCOVER to find other DHCP servers on its segment (0: never; the
	// passive checks run anyway).
	RogueProbe time.Duration
}

// Relayed is one subnet behind a relay agent.
type Relayed struct {
	Subnet netip.Prefix
	Router netip.Addr
	DNS    []netip.Addr
	Pool   *Range
	Routes []Route
	// RelayAddresses select this subnet for a request whose giaddr is one
	// of them, wherever giaddr lies (Kea's relay.ip-addresses): a relay
	// numbered on another network than the clients it serves.
	RelayAddresses []netip.Addr
	Line           int
}

// DHCPLimits bound the work one client, or a flood of clients, can cause.
// Zero values mean "no limit".
type DHCPLimits struct {
	// PerClientRate is the number of packets per second answered for one MAC.
	PerClientRate float64
	// PerClientBurst is the burst allowed above PerClientRate.
	PerClientBurst int
	// NewClientRate is the number of new (not yet leased, not in the
	// inventory) MACs per second that may take a pool address.
	NewClientRate float64
	// NewClientBurst is the burst allowed above NewClientRate.
	NewClientBurst int
}

// Range is an inclusive range of IPv4 addresses.
type Range struct {
	Start, End netip.Addr
}

// Contains reports whether a lies inside the range.
func (r Range) Contains(a netip.Addr) bool {
	return r.Start.Compare(a) <= 0 && a.Compare(r.End) <= 0
}

// Size is the number of addresses in the range.
func (r Range) Size() int {
	s, e := r.Start.As4(), r.End.As4()
	si := uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3])
	ei := uint32(e[0])<<24 | uint32(e[1])<<16 | uint32(e[2])<<8 | uint32(e[3])
	if ei < si {
		return 0
	}
	return int(ei-si) + 1
}

// TFTP is the tftp: section.
type TFTP struct {
	// Each field's key tag is its name under tftp:. The decoder's list of
	// allowed keys and the reload diff (a changed tftp: setting needs a
	// restart) are both derived from these tags, so a new setting cannot be
	// forgotten by either.

	// Enabled is false when the config says `tftp: {enabled: false}`.
	Enabled bool `key:"enabled"`
	// Root is the folder served; generated per-host files are layered on top.
	Root string `key:"root"`
	// MaxBlockSize caps the negotiated blksize (default 1468: fits a 1500-byte MTU).
	MaxBlockSize int `key:"max_block_size"`
	// MaxWindow caps the negotiated RFC 7440 windowsize (default 16; 1 is
	// lock-step for every client).
	MaxWindow int `key:"max_window"`
	// Timeout is the retransmit timeout, Retries the number of retransmits.
	Timeout time.Duration `key:"timeout"`
	Retries int           `key:"retries"`
	// MaxTransfers caps concurrent transfers (0: no cap); MaxPerClient caps
	// concurrent transfers from one client address (0: no cap). A request
	// beyond either gets "server busy, try again" at once.
	MaxTransfers int `key:"max_transfers"`
	MaxPerClient int `key:"max_per_client"`
	// TransferTimeout bounds one whole transfer (0: no bound).
	TransferTimeout time.Duration `key:"transfer_timeout"`
	// SinglePort answers every transfer from port 69 (for NAT and containers).
	SinglePort bool `key:"single_port"`
	// Uploads, when non-nil, enables write requests.
	Uploads *Uploads `key:"uploads"`
}

// DefaultTFTP is the tftp: section of a file that leaves every key out
// (except root, which has no default). The decoder starts from it; tests
// that build a TFTP server without a file use it too.
func DefaultTFTP() TFTP {
	return TFTP{
		Enabled:         true,
		MaxBlockSize:    DefaultMaxBlockSize,
		MaxWindow:       DefaultMaxWindow,
		Timeout:         DefaultTFTPTimeout,
		Retries:         DefaultTFTPRetries,
		MaxTransfers:    DefaultMaxTransfers,
		MaxPerClient:    DefaultMaxPerClient,
		TransferTimeout: DefaultTransferTimeout,
	}
}

// Uploads configures TFTP write requests.
type Uploads struct {
	// Dir is the folder uploads are written to; never inside the TFTP root.
	Dir string `key:"dir"`
	// MaxBytes is the quota for the whole folder, existing files included.
	MaxBytes int64 `key:"max_bytes"`
}

// Profile is a named thing to boot. Hosts refer to one by name.
type Profile struct {
	Name    string
	Kernel  string // path under the TFTP root
	Initrd  string // path under the TFTP root ("" for none)
	Cmdline string
	// BootFile overrides the firmware-class default for hosts of this profile.
	BootFile string
	// Local is true for a profile that boots from the local disk: no boot
	// file in DHCP, and generated scripts that exit to the next boot device.
	Local bool
	// Menu, when set, is offered instead of booting at once.
	Menu *Menu
	// PXELinux options 208-211 (RFC 5071), sent when set.
	PXELinux PXELinux
	// Options are extra DHCP options for hosts of this profile.
	Options []DHCPOption
	// IPXEOptions are iPXE settings sent as sub-options of option 175 to
	// iPXE clients of this profile (Code is the sub-option).
	IPXEOptions []DHCPOption
	// FDT is a device tree blob and FDTDir a folder of them, under the TFTP
	// root, for the generated configs; at most one is set (see
	// Host.DeviceTree).
	FDT, FDTDir string
	// TFTPMaxWindow caps the RFC 7440 windowsize for this profile's hosts
	// below tftp.max_window (0: no cap of its own), for NICs that drop bursts.
	TFTPMaxWindow int
	// Files are the answer files served to each host of this profile
	// (preseed, kickstart, cloud-init), sorted by name; Vars fill them.
	Files []*HostFile
	Vars  map[string]string
	Line  int
}

// PXELinux holds the RFC 5071 options.
type PXELinux struct {
	ConfigFile string        // option 209
	PathPrefix string        // option 210
	RebootTime time.Duration // option 211 (0: not sent)
}

// Host is one machine of the inventory.
type Host struct {
	Name string
	MAC  net.HardwareAddr
	// IP is the reserved address; it may be invalid (zero) for a host that
	// takes a pool address but still wants its own profile.
	IP      netip.Addr
	Profile *Profile // nil when the host names none
	// BootFile overrides both the profile and the firmware-class default.
	BootFile string
	// Local is true for a host that boots from its local disk whatever its
	// profile says (local: true, or bootfile: "").
	Local bool
	// Unknown is true for the stand-in Snapshot.Machine returns for a MAC
	// that is not in the inventory.
	Unknown bool
	// NextBoot is set while a one-shot is armed for the host (see
	// Snapshot.WithNextBoot); Profile is then the armed profile.
	NextBoot *NextBoot
	// Cmdline, when set, is appended to the profile's cmdline.
	Cmdline string
	// Options are extra DHCP options for this host (they win over the profile's).
	Options []DHCPOption
	// RPiSerial is a Raspberry Pi's serial number (lower-case hex), used for
	// its TFTP folder; "" when not set.
	RPiSerial string
	// FDT and FDTDir, when either is set, replace the profile's pair.
	FDT, FDTDir string
	// TFTPMaxWindow caps the windowsize for this host; it wins over the
	// profile's (0: the profile's, if any).
	TFTPMaxWindow int
	// Vars, on top of the profile's, fill the host's answer files.
	Vars map[string]string
	Line int
}

// MaxWindow is the windowsize cap the host's own settings ask for: its
// own, else its profile's; 0 when neither sets one.
func (h *Host) MaxWindow() int {
	if h.TFTPMaxWindow > 0 {
		return h.TFTPMaxWindow
	}
	if h.Profile != nil {
		return h.Profile.TFTPMaxWindow
	}
	return 0
}

// DHCPOption is an extra DHCP option given by number (an entry of an options:
// list), sent as is unless bootyard sets that option itself.
type DHCPOption struct {
	Code  uint8
	Value []byte
	Line  int
}

// SettingChange is a setting whose value in the file differs from the one
// running, which a reload does not apply.
type SettingChange struct {
	Field   string // e.g. "dhcp.mode"
	Running string
	File    string
}

// Problem is one thing wrong with a configuration file, located at a line.
type Problem struct {
	File  string
	Line  int
	Field string // dotted path, e.g. "hosts[2].mac"
	Msg   string
}

// HostByMAC returns the host with that MAC.
func (s *Snapshot) HostByMAC(mac net.HardwareAddr) (*Host, bool) {
	h, ok := s.byMAC[mac.String()]
	return h, ok
}

// HostByIP returns the host that reserves that address.
func (s *Snapshot) HostByIP(ip netip.Addr) (*Host, bool) {
	h, ok := s.byIP[ip]
	return h, ok
}

// HostByName returns the host with that name.
func (s *Snapshot) HostByName(name string) (*Host, bool) {
	h, ok := s.byName[name]
	return h, ok
}

// Profile returns the named profile.
func (s *Snapshot) Profile(name string) (*Profile, bool) {
	p, ok := s.profiles[name]
	return p, ok
}

// Hosts returns the hosts in file order. The slice must not be modified.
func (s *Snapshot) Hosts() []*Host { return s.hosts }

// Profiles returns the profiles by name. The map must not be modified.
func (s *Snapshot) Profiles() map[string]*Profile { return s.profiles }

// Reserved reports whether ip is reserved by a host of the inventory.
func (s *Snapshot) Reserved(ip netip.Addr) bool {
	_, ok := s.byIP[ip]
	return ok
}

// PoolSize is the number of addresses in all pools: the main subnet's and
// the relayed subnets'.
func (s *Snapshot) PoolSize() int {
	n := 0
	if s.DHCP.Pool != nil {
		n += s.DHCP.Pool.Size()
	}
	for _, r := range s.DHCP.Relayed {
		if r.Pool != nil {
			n += r.Pool.Size()
		}
	}
	return n
}
