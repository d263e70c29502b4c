package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIPResolver finds the client's IP address. By default it is the
// host of r.RemoteAddr; X-Forwarded-For is trusted only when the request
// comes from one of the trusted proxies, and then only as far back as the
// proxies chain is trusted: the client is the rightmost address that is not
// a trusted proxy. A nil *clientIPResolver trusts no proxy.
type clientIPResolver struct {
	trusted []netip.Prefix
}

// newClientIPResolver trusts X-Forwarded-For from the given proxies, each
// a CIDR ("10.0.0.0/8") or a single address ("127.0.0.1").
func newClientIPResolver(trustedProxies ...string) (*clientIPResolver, error) {
	c := &clientIPResolver{}
	for _, s := range trustedProxies {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			c.trusted = append(c.trusted, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("httpapi: trusted proxy %q: want a CIDR such as 10.0.0.0/8 or an address such as 127.0.0.1", s)
		}
		a = a.Unmap()
		c.trusted = append(c.trusted, netip.PrefixFrom(a, a.BitLen()))
	}
	return c, nil
}

func (c *clientIPResolver) isTrusted(a netip.Addr) bool {
	if c == nil {
		return false
	}
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP returns the client's address as a string, suitable as a key
// for the limiter and the blocker.
func (c *clientIPResolver) clientIP(r *http.Request) string {
	addr, ok := parseIP(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !c.isTrusted(addr) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		a, ok := parseIP(hop)
		if !ok {
			break // garbage: stop at the last address a trusted proxy vouched for
		}
		addr = a
		if !c.isTrusted(a) {
			break
		}
	}
	return addr.String()
}

// remoteIP is the host of r.RemoteAddr, trusting no proxy.
func remoteIP(r *http.Request) string {
	var c *clientIPResolver
	return c.clientIP(r)
}

// parseIP parses "1.2.3.4", "1.2.3.4:56", "::1", "[::1]" or "[::1]:56",
// unmapping IPv4-in-IPv6 and dropping zones.
func parseIP(s string) (netip.Addr, bool) {
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
