package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// defaultCSP is the Content-Security-Policy sent when none is configured:
// a JSON API needs nothing else, and it is a sane base for the web UI.
const defaultCSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// defaultHSTSMaxAge is the Strict-Transport-Security max-age sent when none
// is configured: two years, as hstspreload.org asks.
const defaultHSTSMaxAge = 2 * 365 * 24 * time.Hour

// securityHeadersConfig configures securityHeaders. The zero value is
// ready to use.
type securityHeadersConfig struct {
	// CSP is the Content-Security-Policy; empty means defaultCSP.
	CSP string
	// BehindTLS says the server sits behind a TLS-terminating proxy, so
	// Strict-Transport-Security is sent on plain-HTTP requests too. Without
	// it HSTS is sent only when r.TLS != nil.
	BehindTLS bool
	// HSTSMaxAge is the HSTS max-age; zero means two years.
	HSTSMaxAge time.Duration
}

// securityHeaders sets Content-Security-Policy, X-Content-Type-Options:
// nosniff, X-Frame-Options: DENY, Referrer-Policy:
// strict-origin-when-cross-origin and, over TLS (or when cfg.BehindTLS),
// Strict-Transport-Security with includeSubDomains. They are set before
// next runs, so a handler may override one (the web UI, say, its CSP).
func securityHeaders(cfg securityHeadersConfig) func(http.Handler) http.Handler {
	csp := cfg.CSP
	if csp == "" {
		csp = defaultCSP
	}
	maxAge := cfg.HSTSMaxAge
	if maxAge <= 0 {
		maxAge = defaultHSTSMaxAge
	}
	hsts := "max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10) + "; includeSubDomains"
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			if r.TLS != nil || cfg.BehindTLS {
				h.Set("Strict-Transport-Security", hsts)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// hostRule is one trusted Host entry.
type hostRule struct {
	host     string // lower-case, no brackets, no trailing dot
	port     string // "" matches any port
	wildcard bool   // "*.example.com": any subdomain, not the apex
}

// trustedHosts refuses requests whose Host header is not in hosts with a
// 400 host-not-allowed problem (ErrHostNotAllowed), a defence against
// Host-header attacks and DNS rebinding. An entry is "example.com" (any
// port), "example.com:8443" (that port only), "[::1]:8080", or
// "*.example.com" (any subdomain, not example.com itself). Matching is
// case-insensitive and ignores a trailing dot. An empty list allows every
// host. It fails on an entry that is not a bare host.
func trustedHosts(hosts []string) (func(http.Handler) http.Handler, error) {
	rules := make([]hostRule, 0, len(hosts))
	for _, entry := range hosts {
		rule, ok := parseHostRule(entry)
		if !ok {
			return nil, fmt.Errorf("httpapi: trusted host %q: want a host such as \"helpdesk.example.com\", \"helpdesk.example.com:8443\" or \"*.example.com\", without scheme or path", entry)
		}
		rules = append(rules, rule)
	}
	return func(next http.Handler) http.Handler {
		if len(rules) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !hostAllowed(rules, r.Host) {
				writeError(w, r, ErrHostNotAllowed)
				return
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// splitHost splits "host", "host:port", "[v6]" or "[v6]:port" into a
// normalised host and port.
func splitHost(s string) (host, port string) {
	s = strings.ToLower(strings.TrimSpace(s))
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	return strings.TrimSuffix(host, "."), port
}

func parseHostRule(entry string) (hostRule, bool) {
	if strings.ContainsAny(entry, "/?#@ \t") || strings.TrimSpace(entry) == "" {
		return hostRule{}, false
	}
	host, port := splitHost(entry)
	rule := hostRule{host: host, port: port}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		rule.host, rule.wildcard = rest, true
	}
	if rule.host == "" || strings.Contains(rule.host, "*") {
		return hostRule{}, false
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return hostRule{}, false
		}
	}
	return rule, true
}

func hostAllowed(rules []hostRule, hostHeader string) bool {
	host, port := splitHost(hostHeader)
	if host == "" {
		return false
	}
	for _, rule := range rules {
		if rule.port != "" && rule.port != port {
			continue
		}
		if rule.wildcard {
			if strings.HasSuffix(host, "."+rule.host) {
				return true
			}
			continue
		}
		if host == rule.host {
			return true
		}
	}
	return false
}

// limitBody caps every request body at maxBytes (1 MiB when maxBytes <= 0)
// with http.MaxBytesReader: reading past it fails with an
// *http.MaxBytesError, which problemFor answers 413, and the server closes
// the connection. A request whose Content-Length already exceeds the limit
// is refused with 413 before next runs. Multipart uploads of files
// (isUpload) are held to uploadBytes instead.
func limitBody(maxBytes, uploadBytes int64) func(http.Handler) http.Handler {
	if maxBytes <= 0 {
		maxBytes = defaultMaxBodyBytes
	}
	uploadBytes = max(uploadBytes, maxBytes)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			maxBytes := maxBytes
			if isUpload(r) {
				maxBytes = uploadBytes
			}
			if r.ContentLength > maxBytes {
				writeError(w, r, tooLarge(&http.MaxBytesError{Limit: maxBytes}))
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
			}
			next.ServeHTTP(w, r)
		})
	}
}
