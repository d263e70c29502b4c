package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		trusted []string
		remote  string
		xff     []string
		want    string
	}{
		{name: "remote addr", remote: "203.0.113.5:1234", want: "203.0.113.5"},
		{name: "ipv6 remote", remote: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "4in6 unmapped", remote: "[::ffff:203.0.113.5]:80", want: "203.0.113.5"},
		{name: "xff ignored without trusted proxies", remote: "203.0.113.5:1234", xff: []string{"1.1.1.1"}, want: "203.0.113.5"},
		{name: "xff ignored from untrusted peer", trusted: []string{"10.0.0.0/8"}, remote: "203.0.113.5:1234", xff: []string{"1.1.1.1"}, want: "203.0.113.5"},
		{name: "xff from trusted proxy", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.2:1234", xff: []string{"198.51.100.9"}, want: "198.51.100.9"},
		{name: "spoofed leftmost entry ignored", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.2:1234", xff: []string{"6.6.6.6, 198.51.100.9"}, want: "198.51.100.9"},
		{name: "chain of trusted proxies", trusted: []string{"10.0.0.0/8", "127.0.0.1"}, remote: "127.0.0.1:1", xff: []string{"6.6.6.6, 198.51.100.9, 10.1.1.1"}, want: "198.51.100.9"},
		{name: "multiple headers", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.2:1", xff: []string{"6.6.6.6", "198.51.100.9"}, want: "198.51.100.9"},
		{name: "garbage stops at the trusted hop", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.2:1", xff: []string{"6.6.6.6, not-an-ip"}, want: "10.0.0.2"},
		{name: "all trusted: leftmost", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.2:1", xff: []string{"10.9.9.9"}, want: "10.9.9.9"},
		{name: "no xff from trusted proxy", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.2:1", want: "10.0.0.2"},
		{name: "xff with port", trusted: []string{"10.0.0.0/8"}, remote: "10.0.0.2:1", xff: []string{"198.51.100.9:5555"}, want: "198.51.100.9"},
		{name: "unparseable remote kept", remote: "@unix", want: "@unix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := newClientIPResolver(tt.trusted...)
			require.NoError(t, err)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			require.Equal(t, tt.want, c.clientIP(r))
			if len(tt.trusted) == 0 {
				require.Equal(t, tt.want, remoteIP(r))
			}
		})
	}
}

func TestNewClientIPResolverRejectsGarbage(t *testing.T) {
	t.Parallel()
	_, err := newClientIPResolver("10.0.0.0/33")
	require.Error(t, err)
	_, err = newClientIPResolver("proxy.local")
	require.Error(t, err)
}
