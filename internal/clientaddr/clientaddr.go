// Package clientaddr decides which network address a request comes from: the connection's
// peer, or the client named in X-Forwarded-For / Forwarded only when that peer is a proxy the
// operator trusts (serve.public.trusted_proxies). Anything that limits or records clients by
// address asks here, so that a forged header can never choose the address.
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client address. The zero value trusts no proxy: the address is
// always the connection's peer.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver trusting the proxies in cidrs ("10.0.0.0/8", "192.0.2.7", "::1/128").
func New(cidrs []string) (*Resolver, error) {
	r := &Resolver{}
	for _, c := range cidrs {
		p, err := ParsePrefix(c)
		if err != nil {
			return nil, err
		}
		r.trusted = append(r.trusted, p)
	}
	return r, nil
}

// ParsePrefix parses a CIDR or a single address (a /32 or /128).
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR or an IP address", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR or an IP address", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// Address returns the client address of r: the peer of the connection, unless the peer is a
// trusted proxy; then the nearest address in the forwarding chain that is not itself a trusted
// proxy (walking X-Forwarded-For, or else Forwarded, from the right, since only the entries
// our proxies appended can be believed). An unparsable entry stops the walk at the last
// trusted hop. The zero Addr means the peer address could not be read.
func (rs *Resolver) Address(r *http.Request) netip.Addr {
	peer := peerAddr(r.RemoteAddr)
	if rs == nil || len(rs.trusted) == 0 || !rs.isTrusted(peer) {
		return peer
	}
	chain := forwardedFor(r.Header)
	addr := peer
	for i := len(chain) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(chain[i])
		if err != nil {
			return addr
		}
		addr = hop.Unmap()
		if !rs.isTrusted(addr) {
			return addr
		}
	}
	return addr
}

func (rs *Resolver) isTrusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range rs.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr parses RemoteAddr ("ip:port", or a bare ip from some test servers).
func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// forwardedFor lists the addresses proxies appended, left (client) to right (nearest proxy):
// X-Forwarded-For when present, otherwise the for= parameters of Forwarded (RFC 7239).
func forwardedFor(h http.Header) []string {
	var out []string
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, line := range xff {
			for _, part := range strings.Split(line, ",") {
				out = append(out, strings.TrimSpace(part))
			}
		}
		return out
	}
	for _, line := range h.Values("Forwarded") {
		for _, elem := range strings.Split(line, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok || !strings.EqualFold(k, "for") {
					continue
				}
				out = append(out, forwardedNode(v))
			}
		}
	}
	return out
}

// forwardedNode turns a Forwarded for= value ("192.0.2.60", "\"[2001:db8::1]:4711\"") into
// the bare address; an obfuscated or unknown node stays unparsable.
func forwardedNode(v string) string {
	v = strings.Trim(strings.TrimSpace(v), `"`)
	if strings.HasPrefix(v, "[") {
		if end := strings.Index(v, "]"); end > 0 {
			return v[1:end]
		}
	}
	if host, _, err := net.SplitHostPort(v); err == nil {
		return host
	}
	return v
}

// Key is the part of a client address that a per-source limit counts: an IPv4 address, or the
// /64 of an IPv6 address (one site usually holds a whole /64, so counting single IPv6
// addresses would let it spread attempts over billions of them).
func Key(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
