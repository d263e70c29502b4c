package webhooks

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// refusedRanges are the destinations a webhook may not reach unless
// allowed explicitly: this host, private networks, link-local (cloud
// metadata at 169.254.169.254 and fd00:ec2::254 included), CGNAT,
// benchmarking, reserved, multicast and unspecified addresses.
var refusedRanges = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b::/96",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// ParseCIDRs parses a comma-separated list of CIDR ranges
// ("127.0.0.0/8,10.1.0.0/16"), as BOLADAO_WEBHOOK_ALLOW_CIDRS holds.
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("webhooks: allowed range %q: want CIDR notation such as 127.0.0.0/8: %w", part, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// guard refuses addresses in refusedRanges that no allowed range covers.
type guard struct {
	allow    []netip.Prefix
	resolver *net.Resolver
}

func (g guard) checkIP(ip netip.Addr) error {
	ip = ip.Unmap().WithZone("")
	for _, p := range g.allow {
		if p.Contains(ip) {
			return nil
		}
	}
	for _, p := range refusedRanges {
		if p.Contains(ip) {
			return fmt.Errorf("%w: %s is in %s (loopback, private, link-local or reserved); allow it with BOLADAO_WEBHOOK_ALLOW_CIDRS if intended",
				ErrAddressRefused, ip, p)
		}
	}
	return nil
}

// checkURL validates a webhook URL and every address its host resolves to.
func (g guard) checkURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q: use http or https", u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("credentials in the URL are not allowed")
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("the URL has no host")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return g.checkIP(ip)
	}
	addrs, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("resolving %s: %v", host, err)
	}
	for _, ip := range addrs {
		if err := g.checkIP(ip); err != nil {
			return err
		}
	}
	return nil
}

// control checks the address a connection is about to use, after DNS
// resolution: a name that resolved to a public address when the endpoint
// was saved cannot be re-pointed at an internal one.
func (g guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable address %q", ErrAddressRefused, address)
	}
	return g.checkIP(ap.Addr())
}
