package dhcp

import "github.com/bootyard/bootyard/inventory"

// This file exports to the dhcp_test package what only tests may touch.

// SetDecide replaces the decision function of s; call it before Serve. The
// server tests use it to drive the packet loop with a decision that panics.
func (s *Server) SetDecide(f func(Request, *inventory.Snapshot, LeaseView) Decision) { s.decide = f }
