package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// testSecret is the tests' HS256 key: 32 bytes, the minimum.
const testSecret = "0123456789abcdef0123456789abcdef"

// t0 is the fixed instant the tests' clock starts at.
var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// fixedClock returns a clock that always reads at.
func fixedClock(at time.Time) func() time.Time { return func() time.Time { return at } }

// testConfig returns a valid config whose clock reads t0.
func testConfig() auth.Config {
	return auth.Config{Secret: []byte(testSecret), Now: fixedClock(t0)}
}

// newIssuer builds an issuer from cfg, failing the test on error.
func newIssuer(t testing.TB, cfg auth.Config) *auth.Issuer {
	t.Helper()
	iss, err := auth.NewIssuer(cfg)
	require.NoError(t, err)
	return iss
}

// parserAt returns an issuer with the default test config whose clock reads at.
func parserAt(t testing.TB, at time.Time) *auth.Issuer {
	cfg := testConfig()
	cfg.Now = fixedClock(at)
	return newIssuer(t, cfg)
}

// agent is an ordinary company actor.
var agent = tenant.Actor{CompanyID: 42, UserID: 7, ContactID: 99, Role: tenant.RoleAgent}

// defaultKID is the key ID derived from testSecret.
func defaultKID(t testing.TB) string {
	t.Helper()
	d := auth.Digest(testSecret)
	return d[:8]
}

// validClaims returns the payload the issuer would write for agent at t0.
func validClaims(t testing.TB) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":        auth.DefaultIssuer,
		"aud":        []string{auth.DefaultAudience},
		"sub":        "7",
		"iat":        t0.Unix(),
		"nbf":        t0.Unix(),
		"exp":        t0.Add(auth.DefaultAccessTTL).Unix(),
		"jti":        "test-jti",
		"company_id": 42,
		"contact_id": 99,
		"role":       "agent",
		"sid":        "session-1",
	}
}

// sign signs claims with method and key, setting the kid header.
func sign(t testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// segment base64url-encodes v as JSON, as a JWT segment.
func segment(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodePayload returns the JSON payload of a compact JWT.
func decodePayload(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// decodeHeader returns the JSON header of a compact JWT.
func decodeHeader(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}
