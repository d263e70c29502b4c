package httpapi_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/storage/memory"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  httpapi.Config
		want []string // fragments of the error; none means valid
	}{
		{name: "zero value", cfg: httpapi.Config{}},
		{name: "every list well formed", cfg: httpapi.Config{TrustedProxies: []string{"10.0.0.0/8", "127.0.0.1", "::1"},
			AllowedHosts: []string{"helpdesk.example.com", "*.example.com", "helpdesk.example.com:8443"},
			CORSOrigins:  []string{"https://app.example.com", "http://localhost:3000"}}},
		{name: "any origin", cfg: httpapi.Config{CORSOrigins: []string{"*"}}},
		{name: "bad proxy", cfg: httpapi.Config{TrustedProxies: []string{"10.0.0.0/33"}},
			want: []string{`trusted proxy "10.0.0.0/33": want a CIDR`}},
		{name: "host with a scheme", cfg: httpapi.Config{AllowedHosts: []string{"https://helpdesk.example.com"}},
			want: []string{`trusted host "https://helpdesk.example.com"`}},
		{name: "origin with a path", cfg: httpapi.Config{CORSOrigins: []string{"https://app.example.com/app"}},
			want: []string{`CORS origin "https://app.example.com/app"`}},
		{name: "every fault at once", cfg: httpapi.Config{TrustedProxies: []string{"proxy"}, AllowedHosts: []string{"a/b"},
			CORSOrigins: []string{"app.example.com"}},
			want: []string{`trusted proxy "proxy"`, `trusted host "a/b"`, `CORS origin "app.example.com"`}},
	}
	desk, err := helpdesk.New(memory.New())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, desk.Close()) })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			h, newErr := httpapi.New(desk, tc.cfg)
			if len(tc.want) == 0 {
				require.NoError(t, err)
				require.NoError(t, newErr)
				require.NotNil(t, h)
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			require.EqualError(t, newErr, err.Error(), "New refuses the config with Validate's errors")
			require.Nil(t, h)
		})
	}
}
