package dhcp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/bootyard/bootyard/inventory"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Importance of an option when a reply must shrink to fit the client's
// maximum message size: the lowest goes first. prioKeep is never dropped:
// without 53, 54, 51, 1, 61, 82 or the boot file the reply is useless or
// harmful (RFC 2131 4.3.1, RFC 6842, RFC 3046).
const (
	prioExtraSite    = 10 // dhcp.options
	prioExtraProfile = 11 // profile options
	prioExtraHost    = 12 // host options
	prioIPXE         = 13 // 175 from the profile's ipxe_options
	prioDomain       = 20
	prioDNS          = 21
	prioHostName     = 22
	prioPXELinux     = 30 // 209-211
	prioPXEMagic     = 31 // 208
	prioUUID         = 40 // 97 echo
	prioTimers       = 45 // 58, 59
	prioRouter       = 50
	prioTFTPServer   = 60 // 66
	prioVendor       = 61 // 43
	prioClassID      = 62 // 60
	prioKeep         = 100
)

// optEntry is one option of a reply being built.
type optEntry struct {
	code  uint8
	value []byte
	prio  int
	from  string // where an extra option came from, for explanations
}

// optionSet is the options of one reply in the order they were added; set
// replaces an existing code in place, so later sources win.
type optionSet struct {
	entries []optEntry
	// scratch holds the small values of a reply (times, addresses, the
	// mask, the message type), carved by value: one allocation for all of
	// them instead of one each.
	scratch []byte
}

// value returns n bytes of scratch space for one option's value, its
// capacity capped so that no append reaches the next value.
func (s *optionSet) value(n int) []byte {
	if cap(s.scratch)-len(s.scratch) < n {
		s.scratch = make([]byte, 0, max(n, 64))
	}
	l := len(s.scratch)
	s.scratch = s.scratch[:l+n]
	return s.scratch[l : l+n : l+n]
}

// u32 is a 4-byte big-endian option value (times, the mask).
func (s *optionSet) u32(v uint32) []byte {
	b := s.value(4)
	binary.BigEndian.PutUint32(b, v)
	return b
}

// addr is an address as a 4-byte option value.
func (s *optionSet) addr(a netip.Addr) []byte {
	b := s.value(4)
	a4 := a.As4()
	copy(b, a4[:])
	return b
}

func (s *optionSet) set(code dhcpv4.OptionCode, value []byte, prio int) {
	s.setRaw(code.Code(), value, prio, "")
}

func (s *optionSet) setRaw(code uint8, value []byte, prio int, from string) {
	for i := range s.entries {
		if s.entries[i].code == code {
			s.entries[i] = optEntry{code, value, prio, from}
			return
		}
	}
	s.entries = append(s.entries, optEntry{code, value, prio, from})
}

// addExtras applies inventory extra options (site, then profile, then
// host: later wins). Codes bootyard sets itself are skipped with a reason.
func (s *optionSet) addExtras(opts []inventory.DHCPOption, prio int, from string, why *[]string) {
	for _, o := range opts {
		if reason := inventory.ManagedOption(int(o.Code)); reason != "" {
			*why = append(*why, fmt.Sprintf("extra option %d from %s not sent: it %s", o.Code, from, reason))
			continue
		}
		s.setRaw(o.Code, o.Value, prio, from)
	}
}

// size is the encoded length of the options area, End included (RFC 3396:
// a value over 255 bytes is split into several instances).
func (s *optionSet) size() int {
	n := 1
	for _, e := range s.entries {
		chunks := (len(e.value) + 254) / 255
		if chunks == 0 {
			chunks = 1
		}
		n += 2*chunks + len(e.value)
	}
	return n
}

// fit drops the least important options until the whole DHCP message fits
// limit bytes, and says which went. Among equals the one added last goes
// first (for extras: the site's before the profile's before the host's
// thanks to their priorities).
func (s *optionSet) fit(limit int) (dropped []string) {
	for headerLen+s.size() > limit {
		victim := -1
		for i, e := range s.entries {
			if e.prio >= prioKeep {
				continue
			}
			if victim < 0 || e.prio <= s.entries[victim].prio {
				victim = i
			}
		}
		if victim < 0 {
			dropped = append(dropped, fmt.Sprintf("reply is %d bytes, over the %d-byte limit, with only essential options left: sent anyway", headerLen+s.size(), limit))
			return dropped
		}
		e := s.entries[victim]
		dropped = append(dropped, fmt.Sprintf("option %d dropped: the reply must fit %d bytes", e.code, limit))
		s.entries = append(s.entries[:victim], s.entries[victim+1:]...)
	}
	return dropped
}

// apply writes the options into a message.
func (s *optionSet) apply(m *dhcpv4.DHCPv4) {
	if len(m.Options) == 0 {
		m.Options = make(dhcpv4.Options, len(s.entries)) // sized once, not grown
	}
	for _, e := range s.entries {
		m.Options[e.code] = e.value
	}
}

// headerLen is the fixed BOOTP header (236 bytes, RFC 2131 figure 1) plus
// the magic cookie.
const headerLen = 240

// ipUDPHeaders is what an IPv4 datagram without IP options adds to the DHCP
// message: 20 bytes of IP and 8 of UDP.
const ipUDPHeaders = 28

// replyLimit is the largest DHCP message the client accepts. Option 57
// (RFC 2132 9.10) must be at least 576, which is exactly the minimum IP
// datagram every host accepts (RFC 2131 2: 548 bytes of DHCP in 576 of IP).
// Implementations disagree on whether 57 counts the IP and UDP headers
// (iPXE sends 1472 = 1500 - 28, i.e. it counts without them); we take the
// stricter reading and subtract them, so a reply always fits either way.
// No option 57 means 576. Above, the limit is capped at an Ethernet MTU:
// OVMF's REQUEST says 65280 (captured in testdata/golden), and a reply that
// needs IP fragmentation is lost on firmware that does not reassemble.
func replyLimit(m *dhcpv4.DHCPv4) int {
	mms := 576
	// Read as the library's MaxMessageSize does (exactly two bytes), without
	// the error it allocates when the option is absent, on every reply.
	if v := m.Options[dhcpv4.OptionMaximumDHCPMessageSize.Code()]; len(v) == 2 {
		if n := int(binary.BigEndian.Uint16(v)); n > mms {
			mms = min(n, ethernetMTU)
		}
	}
	return mms - ipUDPHeaders
}

// ethernetMTU is the largest IP datagram that crosses an Ethernet link
// unfragmented.
const ethernetMTU = 1500

// ip4 is the 4-byte form of an address for option values.
func ip4(a netip.Addr) []byte {
	b := a.As4()
	return b[:]
}

// ips4 concatenates addresses (option 3, 6).
func ips4(as []netip.Addr) []byte {
	var b []byte
	for _, a := range as {
		if a.Is4() {
			b = append(b, ip4(a)...)
		}
	}
	return b
}

// seconds encodes a duration as the 32-bit count of seconds of options 51,
// 58, 59 and 211.
func seconds(d time.Duration) uint32 {
	s := d / time.Second
	if s > 0xfffffffe {
		s = 0xfffffffe // 0xffffffff means infinity (RFC 2132 9.2): never by accident
	}
	return uint32(s)
}

// mask encodes a prefix length as option 1.
func mask(p netip.Prefix) uint32 {
	bits := p.Bits()
	m := ^uint32(0) << (32 - bits)
	if bits == 0 {
		m = 0
	}
	return m
}

// classlessRoutes encodes option 121 (RFC 3442 3): per route, the prefix
// length, the significant octets of the destination, the gateway. A client
// that reads 121 ignores option 3 (RFC 3442: "MUST ignore the Router
// option"), so a default route via router is added when routes has none.
// nil when there is nothing to send.
func classlessRoutes(routes []inventory.Route, router netip.Addr) []byte {
	if len(routes) == 0 {
		return nil
	}
	var b []byte
	hasDefault := false
	for _, r := range routes {
		bits := r.To.Bits()
		hasDefault = hasDefault || bits == 0
		dst := r.To.Masked().Addr().As4()
		b = append(b, byte(bits))
		b = append(b, dst[:(bits+7)/8]...)
		b = append(b, ip4(r.Via)...)
	}
	if !hasDefault && router.Is4() {
		b = append(b, 0)
		b = append(b, ip4(router)...)
	}
	return b
}
