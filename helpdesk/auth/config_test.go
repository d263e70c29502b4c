package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mutate  func(*auth.Config)
		wantErr string // substring; empty means valid
	}{
		{"defaults", func(*auth.Config) {}, ""},
		{"all set", func(c *auth.Config) {
			c.KeyID, c.Issuer, c.Audience = "k1", "me", "you"
			c.AccessTTL, c.Leeway = time.Hour, time.Minute
		}, ""},
		{"no secret", func(c *auth.Config) { c.Secret = nil }, "at least 32 random bytes"},
		{"short secret", func(c *auth.Config) { c.Secret = []byte("short") }, "Secret is 5 bytes"},
		{"kid with space", func(c *auth.Config) { c.KeyID = "a b" }, "KeyID must be"},
		{"kid too long", func(c *auth.Config) { c.KeyID = strings.Repeat("k", 65) }, "KeyID must be"},
		{"issuer control char", func(c *auth.Config) { c.Issuer = "bo\nladao" }, "Issuer must be"},
		{"audience non-ascii", func(c *auth.Config) { c.Audience = "ação" }, "Audience must be"},
		{"negative ttl", func(c *auth.Config) { c.AccessTTL = -time.Minute }, "AccessTTL -1m0s is too short"},
		{"ttl too long", func(c *auth.Config) { c.AccessTTL = 48 * time.Hour }, "use refresh tokens"},
		{"negative leeway", func(c *auth.Config) { c.Leeway = -time.Second }, "Leeway -1s is negative"},
		{"leeway too long", func(c *auth.Config) { c.Leeway = time.Hour }, "synchronise the servers' clocks"},
		{"leeway over ttl", func(c *auth.Config) { c.AccessTTL, c.Leeway = time.Minute, 2*time.Minute }, "must be shorter than AccessTTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			tt.mutate(&cfg)
			err := cfg.Validate()
			_, newErr := auth.NewIssuer(cfg)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NoError(t, newErr)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.ErrorContains(t, newErr, tt.wantErr)
		})
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	t.Parallel()
	err := auth.Config{Secret: []byte("x"), Leeway: -1}.Validate()
	require.ErrorContains(t, err, "Secret is 1 bytes")
	require.ErrorContains(t, err, "is negative")

	err = auth.Config{}.Validate()
	require.ErrorContains(t, err, "Secret is 0 bytes")
	require.NotContains(t, err.Error(), "KeyID", "a missing secret is one problem, not two")
}

func TestDefaultKeyIDDerivesFromSecret(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t, testConfig())
	tok, _, err := iss.IssueAccess(agent, "s", "")
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(testSecret))
	require.Equal(t, hex.EncodeToString(sum[:])[:8], decodeHeader(t, tok)["kid"])
	require.Equal(t, "HS256", decodeHeader(t, tok)["alg"])

	cfg := testConfig()
	cfg.KeyID = "2026-03"
	tok, _, err = newIssuer(t, cfg).IssueAccess(agent, "s", "")
	require.NoError(t, err)
	require.Equal(t, "2026-03", decodeHeader(t, tok)["kid"])
}

func TestIssuerCopiesSecret(t *testing.T) {
	t.Parallel()
	secret := []byte(testSecret)
	iss := newIssuer(t, auth.Config{Secret: secret, Now: fixedClock(t0)})
	tok, _, err := iss.IssueAccess(agent, "s", "")
	require.NoError(t, err)
	secret[0] ^= 0xff // the caller scribbles over its slice
	_, err = iss.ParseAccess(tok)
	require.NoError(t, err)
}
