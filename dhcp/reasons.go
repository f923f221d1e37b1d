package dhcp

// Reason is a stable code for why a request got no reply: it is
// Decision.Reason, the reason= field of the "not answered" log line, and
// what tests match, so the English of Decision.Ignore can be reworded freely.
// A code, once released, keeps its meaning; new cases get new codes.
//
// The metrics do not get these codes but the coarse groups of observe.go
// (ReasonNotForUs, ReasonNotAnswered, ReasonUnusable, ...: untyped strings,
// a few label values), derived from the decision's level.
type Reason string

// Before the mode: the packet is unusable or not for us.
const (
	ReasonNoMessage       Reason = "no-message"         // no DHCP message at all (a caller's bug)
	ReasonNoInventory     Reason = "no-inventory"       // no snapshot loaded yet
	ReasonNotRequest      Reason = "not-bootrequest"    // op is not BOOTREQUEST: a server's message
	ReasonNoHWAddr        Reason = "no-hwaddr"          // hlen 0: nothing identifies the client
	ReasonHWAddrLength    Reason = "hwaddr-length"      // hlen is not Ethernet's 6
	ReasonNotEthernet     Reason = "not-ethernet"       // htype is not Ethernet
	ReasonZeroMAC         Reason = "zero-mac"           // chaddr 00:00:00:00:00:00
	ReasonGroupMAC        Reason = "group-mac"          // chaddr is a multicast/broadcast address
	ReasonModeOff         Reason = "mode-off"           // dhcp.mode is off
	ReasonNoServerAddress Reason = "no-server-address"  // neither dhcp.server_ip nor the interface's address
	ReasonBadMessageType  Reason = "bad-message-type"   // option 53 present but unreadable
	ReasonOtherServer     Reason = "other-server"       // option 54 names another server (RFC 2131 4.3.2)
	ReasonUnknownMode     Reason = "unknown-mode"       // a dhcp.mode this build does not know
	ReasonNotClient       Reason = "not-client-message" // OFFER, ACK, NAK: server message types
)

// Authoritative mode (decide_messages.go, decide_address.go).
const (
	ReasonUnknownRelay       Reason = "unknown-relay"           // giaddr in no configured subnet, no relay_addresses entry
	ReasonUnknownLink        Reason = "unknown-link"            // option 82 link-selection or 118 names no configured subnet
	ReasonNoSubnet           Reason = "no-subnet"               // dhcp.subnet unset
	ReasonHTTPNeedsURL       Reason = "http-needs-url"          // UEFI HTTP client, boot file not a URL
	ReasonRequestNoAddress   Reason = "request-no-address"      // REQUEST without option 50 or ciaddr
	ReasonDeclineNoAddress   Reason = "decline-no-address"      // DECLINE without option 50
	ReasonDeclineReserved    Reason = "decline-reserved"        // a reserved address is in use elsewhere
	ReasonDeclineNotItsOwn   Reason = "decline-not-its-address" // DECLINE of an address not leased to it
	ReasonDeclined           Reason = "declined"                // DECLINE accepted, address quarantined (no reply by RFC)
	ReasonReleased           Reason = "released"                // RELEASE accepted (no reply by RFC)
	ReasonReleaseNoLease     Reason = "release-no-lease"        // RELEASE of an address it does not hold
	ReasonInformOffSubnet    Reason = "inform-off-subnet"       // INFORM from outside the served subnet
	ReasonBOOTPUnknown       Reason = "bootp-unknown-mac"       // BOOTP from a MAC not in the inventory
	ReasonBOOTPNoReservation Reason = "bootp-no-reservation"    // BOOTP from a host without an address here
	ReasonPoolExhausted      Reason = "pool-exhausted"          // no free pool address
	ReasonUnknownNoPool      Reason = "unknown-mac-no-pool"     // unknown MAC and no pool: the line users look for
	ReasonHostNoPool         Reason = "host-no-pool"            // host without a reservation here and no pool
)

// Proxy mode and the port 4011 boot server (decide_proxy.go).
const (
	ReasonProxyBOOTP        Reason = "proxy-bootp"            // BOOTP needs an address; proxy has none
	ReasonProxyNotDiscover  Reason = "proxy-not-discover"     // REQUEST etc. on 67 belong to the address server
	ReasonBootServerMessage Reason = "bootserver-not-request" // port 4011 answers REQUEST/INFORM only
	ReasonNotPXE            Reason = "not-pxe"                // proxyDHCP answers PXE clients only
	ReasonUBootProxy        Reason = "uboot-proxy"            // U-Boot cannot boot from proxyDHCP
	ReasonProxyUnknownMAC   Reason = "proxy-unknown-mac"      // unknown MAC, dhcp.proxy_unknown off
	ReasonProxyNoBootFile   Reason = "proxy-no-bootfile"      // nothing to offer but a boot file, and there is none
	ReasonProxyLocalBoot    Reason = "proxy-local-boot"       // the host boots from its disk: proxy has nothing to say
)
