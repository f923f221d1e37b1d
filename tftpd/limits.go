package tftpd

import "net/netip"

// admitLocked reserves a slot for a transfer from client under MaxTransfers
// and MaxPerClient (0: no cap). A refused request is answered "server busy,
// try again" at once: a boot ROM retries or fails visibly, where a silent
// drop would leave it hanging through its own timeouts.
func (s *Server) admitLocked(client netip.Addr) bool {
	if s.cfg.MaxTransfers > 0 && s.active >= s.cfg.MaxTransfers {
		return false
	}
	if s.cfg.MaxPerClient > 0 && s.perClient[client] >= s.cfg.MaxPerClient {
		return false
	}
	s.active++
	s.perClient[client]++
	return true
}

// releaseLocked frees the slot admitLocked reserved.
func (s *Server) releaseLocked(client netip.Addr) {
	s.active--
	if s.perClient[client]--; s.perClient[client] <= 0 {
		delete(s.perClient, client)
	}
}
