package dhcp

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"
)

// solicitFrame is a router solicitation as iPXE sends it: from its
// link-local address (or ::) to ff02::2, with its link-layer address.
func solicitFrame(mac net.HardwareAddr, src netip.Addr, hop byte) []byte {
	icmp := []byte{icmpv6RouterSolicit, 0, 0, 0, 0, 0, 0, 0}
	if !src.IsUnspecified() {
		icmp = append(icmp, ndpOptSourceLinkAddr, 1)
		icmp = append(icmp, mac...)
	}
	dst := netip.MustParseAddr("ff02::2")
	binary.BigEndian.PutUint16(icmp[2:4], ^icmpv6Sum(src, dst, icmp))
	f := make([]byte, 14+40, 14+40+len(icmp))
	copy(f[0:6], []byte{0x33, 0x33, 0, 0, 0, 2})
	copy(f[6:12], mac)
	binary.BigEndian.PutUint16(f[12:14], etherTypeIPv6)
	f[14] = 0x60
	binary.BigEndian.PutUint16(f[18:20], uint16(len(icmp)))
	f[20], f[21] = icmpv6Proto, hop
	s, d := src.As16(), dst.As16()
	copy(f[22:38], s[:])
	copy(f[38:54], d[:])
	return append(f, icmp...)
}

func TestRouterSolicitAndAdvert(t *testing.T) {
	client := net.HardwareAddr{0x52, 0x54, 0x00, 0xb1, 0x05, 0x02}
	ours := net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}
	ll := linkLocalOf(ours)
	if ll.String() != "fe80::ff:fe00:2" {
		t.Fatalf("linkLocalOf = %s", ll)
	}
	cll := linkLocalOf(client)
	for _, tc := range []struct {
		name    string
		frame   []byte
		ok      bool
		wantDst string
	}{
		{"from link-local: answered there", solicitFrame(client, cll, 255), true, cll.String()},
		{"from ::: answered to all nodes", solicitFrame(client, netip.IPv6Unspecified(), 255), true, "ff02::1"},
		{"hop limit below 255: forged or routed", solicitFrame(client, cll, 64), false, ""},
		{"global source: not a solicitation we answer", solicitFrame(client, netip.MustParseAddr("2001:db8::5"), 255), false, ""},
		{"bad checksum", func() []byte { f := solicitFrame(client, cll, 255); f[len(f)-1] ^= 1; return f }(), false, ""},
		{"truncated", solicitFrame(client, cll, 255)[:60], false, ""},
		{"not IPv6", append([]byte{}, make([]byte, 80)...), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, ok := parseRouterSolicit(tc.frame)
			if ok != tc.ok {
				t.Fatalf("parse ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if rs.mac.String() != client.String() {
				t.Errorf("mac = %s", rs.mac)
			}
			f := routerAdvert(rs, ours, ll)
			if net.HardwareAddr(f[0:6]).String() != client.String() || net.HardwareAddr(f[6:12]).String() != ours.String() {
				t.Errorf("frame goes %s -> %s, want %s -> %s", net.HardwareAddr(f[6:12]), net.HardwareAddr(f[0:6]), ours, client)
			}
			ip := f[14:]
			src, dst := netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40]))
			icmp := ip[40:]
			if ip[6] != icmpv6Proto || ip[7] != 255 || src != ll || dst.String() != tc.wantDst {
				t.Errorf("IPv6 header: next %d hop %d %s -> %s", ip[6], ip[7], src, dst)
			}
			if int(binary.BigEndian.Uint16(ip[4:6])) != len(icmp) || icmpv6Sum(src, dst, icmp) != 0xffff {
				t.Errorf("bad length or checksum")
			}
			// Type 134; hop limit, flags (no M, no O), router lifetime,
			// reachable and retransmit times all zero; one option: our MAC.
			if icmp[0] != icmpv6RouterAdvert || icmp[1] != 0 || string(icmp[4:16]) != string(make([]byte, 12)) {
				t.Errorf("advertisement body % x", icmp[:16])
			}
			if len(icmp) != 24 || icmp[16] != 1 || icmp[17] != 1 || net.HardwareAddr(icmp[18:24]).String() != ours.String() {
				t.Errorf("options % x", icmp[16:])
			}
		})
	}
}

// TestRouterSolicitOnlyFromBooting: a solicitation is answered only from a
// MAC we replied to; one that came just before our first reply is answered
// by that reply; an old one is not.
func TestRouterSolicitOnlyFromBooting(t *testing.T) {
	st := &raState{booting: map[string]time.Time{}, pending: map[string]pendingSolic{}, sent: map[string]time.Time{}}
	a := net.HardwareAddr{0x52, 0x54, 0, 0, 0, 1}
	b := net.HardwareAddr{0x52, 0x54, 0, 0, 0, 2}
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	rs := func(m net.HardwareAddr) routerSolicit { return routerSolicit{mac: m, src: linkLocalOf(m)} }
	if st.solicited(rs(a), now) {
		t.Fatal("answered a MAC we never replied to")
	}
	if got, ok := st.replied(a, now.Add(time.Second)); !ok || got.mac.String() != a.String() {
		t.Fatal("the solicitation waiting for our first reply was not answered")
	}
	if st.solicited(rs(a), now.Add(time.Second+100*time.Millisecond)) {
		t.Error("answered twice within raMinInterval")
	}
	if !st.solicited(rs(a), now.Add(3*time.Second)) {
		t.Error("a MAC we are booting was not answered")
	}
	st.solicited(rs(b), now)
	if _, ok := st.replied(b, now.Add(raPendingFor+time.Second)); ok {
		t.Error("answered a solicitation older than raPendingFor")
	}
	if st.solicited(rs(a), now.Add(raBootingFor+time.Minute)) {
		t.Error("answered a MAC we stopped booting long ago")
	}
}
