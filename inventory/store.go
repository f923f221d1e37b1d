package inventory

import "sync/atomic"

// Store holds the snapshot being served. Readers call Current once per
// request and use that snapshot throughout, so a reload in the middle of a
// DHCP exchange never mixes two configurations; a reload calls Swap.
type Store struct {
	p atomic.Pointer[Snapshot]
}

// NewStore returns a Store serving s.
func NewStore(s *Snapshot) *Store {
	st := &Store{}
	st.p.Store(s)
	return st
}

// Current returns the snapshot being served (nil only before the first
// Swap of a zero Store).
func (st *Store) Current() *Snapshot { return st.p.Load() }

// Swap makes s the snapshot being served and returns the one it replaces.
func (st *Store) Swap(s *Snapshot) (old *Snapshot) { return st.p.Swap(s) }
