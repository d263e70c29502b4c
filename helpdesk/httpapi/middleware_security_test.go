package httpapi

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      securityHeadersConfig
		tls      bool
		wantCSP  string
		wantHSTS string
	}{
		{name: "plain http: no HSTS", wantCSP: defaultCSP},
		{name: "tls: HSTS", tls: true, wantCSP: defaultCSP, wantHSTS: "max-age=63072000; includeSubDomains"},
		{name: "behind TLS proxy", cfg: securityHeadersConfig{BehindTLS: true, HSTSMaxAge: 3600e9}, wantCSP: defaultCSP, wantHSTS: "max-age=3600; includeSubDomains"},
		{name: "custom CSP", cfg: securityHeadersConfig{CSP: "default-src 'none'"}, wantCSP: "default-src 'none'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			securityHeaders(tt.cfg)(okHandler()).ServeHTTP(w, r)
			require.Equal(t, tt.wantCSP, w.Header().Get("Content-Security-Policy"))
			require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
			require.Equal(t, "DENY", w.Header().Get("X-Frame-Options"))
			require.Equal(t, "strict-origin-when-cross-origin", w.Header().Get("Referrer-Policy"))
			require.Equal(t, tt.wantHSTS, w.Header().Get("Strict-Transport-Security"))
		})
	}
}

func TestTrustedHosts(t *testing.T) {
	t.Parallel()
	allow := []string{"helpdesk.example.com", "API.example.com:8443", "*.tenants.example.com", "[::1]:8080", "127.0.0.1"}
	tests := []struct {
		host string
		ok   bool
	}{
		{"helpdesk.example.com", true},
		{"helpdesk.example.com:443", true},
		{"HELPDESK.example.com.", true},
		{"api.example.com:8443", true},
		{"api.example.com", false},
		{"api.example.com:443", false},
		{"acme.tenants.example.com", true},
		{"tenants.example.com", false},
		{"eviltenants.example.com", false},
		{"[::1]:8080", true},
		{"[::1]:9090", false},
		{"127.0.0.1:3000", true},
		{"evil.com", false},
		{"helpdesk.example.com.evil.com", false},
		{"", false},
	}
	mw, err := trustedHosts(allow)
	require.NoError(t, err)
	h := mw(okHandler())
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Host = tt.host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if tt.ok {
				require.Equal(t, http.StatusOK, w.Code)
				return
			}
			require.Equal(t, http.StatusBadRequest, w.Code)
			require.Contains(t, w.Body.String(), ProblemTypeBase+"host-not-allowed")
			require.Contains(t, w.Body.String(), "host not allowed")
		})
	}
}

func TestTrustedHostsEmptyAllowsAll(t *testing.T) {
	t.Parallel()
	mw, err := trustedHosts(nil)
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Host = "anything.example"
	w := httptest.NewRecorder()
	mw(okHandler()).ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
}

func TestTrustedHostsRejectsBadEntries(t *testing.T) {
	t.Parallel()
	for _, entry := range []string{"", "https://example.com", "example.com/path", "example.com:0", "example.com:x", "*.*.example.com", "*", "user@example.com"} {
		_, err := trustedHosts([]string{entry})
		require.Error(t, err, entry)
	}
}

func TestLimitBody(t *testing.T) {
	t.Parallel()
	read := func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			var mbe *http.MaxBytesError
			require.True(t, errors.As(err, &mbe))
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
	tests := []struct {
		name          string
		max           int64
		size          int
		unknownLength bool
		want          int
	}{
		{name: "under limit", max: 10, size: 10, want: 200},
		{name: "content-length over limit refused early", max: 10, size: 11, want: 413},
		{name: "chunked over limit fails on read", max: 10, size: 11, unknownLength: true, want: 413},
		{name: "default 1 MiB ok", size: 1 << 20, want: 200},
		{name: "default 1 MiB exceeded", size: 1<<20 + 1, unknownLength: true, want: 413},
		{name: "no body", max: 10, size: 0, want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", tt.size)))
			if tt.unknownLength {
				r.ContentLength = -1
			}
			w := httptest.NewRecorder()
			limitBody(tt.max, 0)(http.HandlerFunc(read)).ServeHTTP(w, r)
			require.Equal(t, tt.want, w.Code)
			if tt.want == 413 {
				require.Contains(t, w.Body.String(), ProblemTypeBase+"body-too-large")
			}
		})
	}
}
