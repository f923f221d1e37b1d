package inventory

import (
	"net/netip"
	"strconv"

	"gopkg.in/yaml.v3"
)

// DefaultAdminListen is where the admin listener (metrics, later the status
// page and the API) listens when admin: leaves listen out: loopback only, so
// that nothing of it is exposed on the boot LAN unless the user says so.
const DefaultAdminListen = "127.0.0.1:9867"

// Admin is the admin: section.
type Admin struct {
	// Listen is the address:port of the admin listener; "" turns it off.
	Listen string `key:"listen"`
	// TokenFile holds the bearer token the write API (next-boot) needs;
	// "" leaves the write API off.
	TokenFile string `key:"token_file"`
}

var adminKeys = keysOf(Admin{})

func (d *decoder) decodeAdmin(n *yaml.Node, dir string, c *Admin) {
	c.Listen = DefaultAdminListen
	if n == nil || isNull(d.resolve(n)) {
		return
	}
	m := d.mapping(n, "admin", adminKeys)
	if tf := d.str(m["token_file"], "admin.token_file"); tf != "" {
		c.TokenFile = resolvePath(dir, tf)
	}
	v := m["listen"]
	if v == nil {
		return
	}
	c.Listen = d.str(v, "admin.listen")
	if c.Listen == "" {
		return
	}
	ap, err := netip.ParseAddrPort(c.Listen)
	if err != nil {
		d.addf(v, "admin.listen", "%q is not an address:port (e.g. 127.0.0.1:9867, or \"\" to turn the admin listener off)", c.Listen)
		return
	}
	if ap.Port() == 0 {
		d.addf(v, "admin.listen", "%q: port 0; name a port (e.g. %s)", c.Listen, strconv.Itoa(9867))
	}
}
