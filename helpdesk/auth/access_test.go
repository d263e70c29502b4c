package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

func TestAccessRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		actor tenant.Actor
	}{
		{"agent", agent},
		{"admin", tenant.Actor{CompanyID: 1, UserID: 2, ContactID: 3, Role: tenant.RoleAdmin}},
		{"requester", tenant.Actor{CompanyID: 1, UserID: 4, ContactID: 5, Role: tenant.RoleRequester}},
		{"viewer without contact", tenant.Actor{CompanyID: 1, UserID: 6, Role: tenant.RoleViewer}},
		{"platform admin in a company", tenant.Actor{CompanyID: 9, UserID: 1, Role: tenant.RolePlatformAdmin}},
		{"platform admin in no company", tenant.Actor{UserID: 1, Role: tenant.RolePlatformAdmin}},
		{"large ids", tenant.Actor{CompanyID: 1<<62 + 1, UserID: 1<<63 - 1, ContactID: 1 << 53, Role: tenant.RoleAgent}},
	}
	iss := newIssuer(t, testConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, exp, err := iss.IssueAccess(tt.actor, "sess-"+tt.name, "")
			require.NoError(t, err)
			require.Equal(t, t0.Add(auth.DefaultAccessTTL), exp)

			c, err := iss.ParseAccess(tok)
			require.NoError(t, err)
			require.Equal(t, tt.actor, c.Actor())
			require.Equal(t, "sess-"+tt.name, c.SessionID)
			require.Equal(t, exp, c.ExpiresAt)
			require.Equal(t, t0, c.IssuedAt)
			require.NotEmpty(t, c.ID)
		})
	}
}

func TestAccessClaimsOnTheWire(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t, testConfig())
	tok, _, err := iss.IssueAccess(agent, "sess-1", "")
	require.NoError(t, err)
	p := decodePayload(t, tok)
	require.Equal(t, "boladao", p["iss"])
	require.Equal(t, []any{"boladao-api"}, p["aud"])
	require.Equal(t, "7", p["sub"])
	require.EqualValues(t, t0.Unix(), p["iat"])
	require.EqualValues(t, t0.Unix(), p["nbf"])
	require.EqualValues(t, t0.Add(15*time.Minute).Unix(), p["exp"])
	require.EqualValues(t, 42, p["company_id"])
	require.EqualValues(t, 99, p["contact_id"])
	require.Equal(t, "agent", p["role"])
	require.Equal(t, "sess-1", p["sid"])
	require.NotEmpty(t, p["jti"])

	h := decodeHeader(t, tok)
	require.Equal(t, "HS256", h["alg"])
	require.Equal(t, defaultKID(t), h["kid"])
}

func TestPlatformAdminClaims(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t, testConfig())
	admin := tenant.Actor{UserID: 1, Role: tenant.RolePlatformAdmin}

	tok, _, err := iss.IssueAccess(admin, "s", "")
	require.NoError(t, err)
	_, present := decodePayload(t, tok)["company_id"]
	require.False(t, present, "a platform admin acting in no company carries no company_id")
	c, err := iss.ParseAccess(tok)
	require.NoError(t, err)
	require.True(t, c.Actor().IsPlatformAdmin())
	require.Zero(t, c.CompanyID)

	inCompany, err := admin.InCompany(5)
	require.NoError(t, err)
	tok, _, err = iss.IssueAccess(inCompany, "s", "")
	require.NoError(t, err)
	c, err = iss.ParseAccess(tok)
	require.NoError(t, err)
	require.Equal(t, tenant.CompanyID(5), c.CompanyID)
	require.True(t, c.Actor().IsPlatformAdmin())
}

func TestIssueAccessRefusesBadActors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		actor   tenant.Actor
		sid     string
		wantErr string
	}{
		{"no user", tenant.Actor{CompanyID: 1, Role: tenant.RoleAgent}, "s", "actor has no user"},
		{"system actor", tenant.System(), "s", "actor has no user"},
		{"negative user", tenant.Actor{CompanyID: 1, UserID: -1, Role: tenant.RoleAgent}, "s", "actor has no user"},
		{"unknown role", tenant.Actor{CompanyID: 1, UserID: 1, Role: "root"}, "s", "unknown role"},
		{"empty role", tenant.Actor{CompanyID: 1, UserID: 1}, "s", "unknown role"},
		{"company role without company", tenant.Actor{UserID: 1, Role: tenant.RoleAdmin}, "s", "requires a company"},
		{"negative company", tenant.Actor{CompanyID: -1, UserID: 1, Role: tenant.RolePlatformAdmin}, "s", "negative"},
		{"negative contact", tenant.Actor{CompanyID: 1, UserID: 1, ContactID: -2, Role: tenant.RoleAgent}, "s", "negative"},
		{"no session", agent, "", "session ID"},
		{"huge session", agent, strings.Repeat("s", 129), "session ID"},
	}
	iss := newIssuer(t, testConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, exp, err := iss.IssueAccess(tt.actor, tt.sid, "")
			require.ErrorContains(t, err, tt.wantErr)
			require.Empty(t, tok)
			require.True(t, exp.IsZero())
		})
	}
}

func TestAccessTimeChecks(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t, testConfig())
	tok, exp, err := iss.IssueAccess(agent, "s", "") // iat = nbf = t0, exp = t0+15m
	require.NoError(t, err)

	tests := []struct {
		name    string
		now     time.Time
		wantErr error
	}{
		{"at issue", t0, nil},
		{"one second before expiry", exp.Add(-time.Second), nil},
		{"at expiry, inside leeway", exp, nil},
		{"expired 29s ago, inside 30s leeway", exp.Add(29 * time.Second), nil},
		{"expired, leeway exhausted", exp.Add(30 * time.Second), auth.ErrTokenExpired},
		{"expired an hour ago", exp.Add(time.Hour), auth.ErrTokenExpired},
		{"clock 29s behind issuer, inside leeway", t0.Add(-29 * time.Second), nil},
		{"not yet valid", t0.Add(-31 * time.Second), auth.ErrTokenInvalid},
		{"issued tomorrow", t0.Add(-24 * time.Hour), auth.ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parserAt(t, tt.now).ParseAccess(tok)
			if tt.wantErr == nil {
				require.NoError(t, err)
				require.Equal(t, agent, c.Actor())
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			require.Equal(t, auth.Claims{}, c)
			assertExactlyOneSentinel(t, err)
		})
	}
}

func TestLeewayIsConfigurable(t *testing.T) {
	t.Parallel()
	tok, exp, err := newIssuer(t, testConfig()).IssueAccess(agent, "s", "")
	require.NoError(t, err)
	cfg := testConfig()
	cfg.Leeway = 2 * time.Minute
	cfg.Now = fixedClock(exp.Add(90 * time.Second))
	_, err = newIssuer(t, cfg).ParseAccess(tok)
	require.NoError(t, err)
	cfg.Leeway = time.Second
	_, err = newIssuer(t, cfg).ParseAccess(tok)
	require.ErrorIs(t, err, auth.ErrTokenExpired)
}

// assertExactlyOneSentinel checks that err matches one of the two
// ParseAccess sentinels and not both.
func assertExactlyOneSentinel(t *testing.T, err error) {
	t.Helper()
	require.NotEqual(t, errors.Is(err, auth.ErrTokenExpired), errors.Is(err, auth.ErrTokenInvalid),
		"error must match exactly one sentinel: %v", err)
}

func TestParseAccessRefusesForgeries(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t, testConfig())
	kid := defaultKID(t)
	good, _, err := iss.IssueAccess(agent, "s", "")
	require.NoError(t, err)

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)

	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims(t)
		edit(c)
		return c
	}
	hs256 := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodHS256, []byte(testSecret), kid, c) }
	parts := strings.Split(good, ".")

	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "not a token"},
		{"two segments", parts[0] + "." + parts[1]},
		{"four segments", good + ".x"},
		{"bad base64 in signature", parts[0] + "." + parts[1] + ".!!!"},
		{"too long", good + strings.Repeat("A", auth.MaxTokenBytes)},
		{"alg none, built by hand", segment(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) +
			"." + segment(t, validClaims(t)) + "."},
		{"alg none with the real signature", segment(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) +
			"." + parts[1] + "." + parts[2]},
		{"alg NONE", segment(t, map[string]any{"alg": "NONE", "kid": kid}) + "." + segment(t, validClaims(t)) + "."},
		{"no alg", segment(t, map[string]any{"kid": kid}) + "." + parts[1] + "." + parts[2]},
		{"signed with another key", sign(t, jwt.SigningMethodHS256, []byte("another secret, also 32 bytes!!!"), kid, validClaims(t))},
		{"HS512 with our key", sign(t, jwt.SigningMethodHS512, []byte(testSecret), kid, validClaims(t))},
		{"HS384 with our key", sign(t, jwt.SigningMethodHS384, []byte(testSecret), kid, validClaims(t))},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, kid, validClaims(t))},
		{"wrong kid", sign(t, jwt.SigningMethodHS256, []byte(testSecret), "other", validClaims(t))},
		{"no kid", sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", validClaims(t))},
		{"numeric kid", segment(t, map[string]any{"alg": "HS256", "kid": 1}) + "." + parts[1] + "." + parts[2]},
		{"tampered payload", parts[0] + "." + segment(t, with(func(c jwt.MapClaims) { c["role"] = "admin" })) + "." + parts[2]},
		{"tampered header", segment(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid, "x": 1}) + "." + parts[1] + "." + parts[2]},
		{"truncated signature", good[:len(good)-2]},
		{"wrong issuer", hs256(with(func(c jwt.MapClaims) { c["iss"] = "evil" }))},
		{"no issuer", hs256(with(func(c jwt.MapClaims) { delete(c, "iss") }))},
		{"wrong audience", hs256(with(func(c jwt.MapClaims) { c["aud"] = []string{"other-api"} }))},
		{"no audience", hs256(with(func(c jwt.MapClaims) { delete(c, "aud") }))},
		{"missing exp", hs256(with(func(c jwt.MapClaims) { delete(c, "exp") }))},
		{"string exp", hs256(with(func(c jwt.MapClaims) { c["exp"] = "tomorrow" }))},
		{"numeric string exp (not a NumericDate)", hs256(with(func(c jwt.MapClaims) { c["exp"] = strconv.FormatInt(t0.Add(time.Hour).Unix(), 10) }))},
		{"numeric string nbf", hs256(with(func(c jwt.MapClaims) { c["nbf"] = strconv.FormatInt(t0.Unix(), 10) }))},
		{"numeric string iat", hs256(with(func(c jwt.MapClaims) { c["iat"] = strconv.FormatInt(t0.Unix(), 10) }))},
		{"null exp", hs256(with(func(c jwt.MapClaims) { c["exp"] = nil }))},
		{"numeric sid", hs256(with(func(c jwt.MapClaims) { c["sid"] = 7 }))},
		{"missing nbf", hs256(with(func(c jwt.MapClaims) { delete(c, "nbf") }))},
		{"iat in the future", hs256(with(func(c jwt.MapClaims) { c["iat"] = t0.Add(time.Hour).Unix() }))},
		{"unknown role", hs256(with(func(c jwt.MapClaims) { c["role"] = "superuser" }))},
		{"missing role", hs256(with(func(c jwt.MapClaims) { delete(c, "role") }))},
		{"non-numeric sub", hs256(with(func(c jwt.MapClaims) { c["sub"] = "alice" }))},
		{"zero sub", hs256(with(func(c jwt.MapClaims) { c["sub"] = "0" }))},
		{"non-canonical sub", hs256(with(func(c jwt.MapClaims) { c["sub"] = "+7" }))},
		{"padded sub", hs256(with(func(c jwt.MapClaims) { c["sub"] = "007" }))},
		{"missing sub", hs256(with(func(c jwt.MapClaims) { delete(c, "sub") }))},
		{"missing sid", hs256(with(func(c jwt.MapClaims) { delete(c, "sid") }))},
		{"missing jti", hs256(with(func(c jwt.MapClaims) { delete(c, "jti") }))},
		{"company role without company", hs256(with(func(c jwt.MapClaims) { delete(c, "company_id") }))},
		{"negative company", hs256(with(func(c jwt.MapClaims) { c["company_id"] = -42 }))},
		{"fractional company", hs256(with(func(c jwt.MapClaims) { c["company_id"] = 4.2 }))},
		{"string company", hs256(with(func(c jwt.MapClaims) { c["company_id"] = "42" }))},
		{"expired and wrong audience", hs256(with(func(c jwt.MapClaims) {
			c["exp"] = t0.Add(-time.Hour).Unix()
			c["aud"] = "other-api"
		}))},
		{"expired and unknown role", hs256(with(func(c jwt.MapClaims) {
			c["exp"] = t0.Add(-time.Hour).Unix()
			c["role"] = "superuser"
		}))},
		{"expired with another key", sign(t, jwt.SigningMethodHS256, []byte("another secret, also 32 bytes!!!"), kid,
			with(func(c jwt.MapClaims) { c["exp"] = t0.Add(-time.Hour).Unix() }))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := iss.ParseAccess(tt.token)
			t.Log(err)
			require.ErrorIs(t, err, auth.ErrTokenInvalid)
			require.NotErrorIs(t, err, auth.ErrTokenExpired)
			require.Equal(t, auth.Claims{}, c)
		})
	}

	// The hand-built baseline is valid, so the refusals above come from the edits.
	c, err := iss.ParseAccess(hs256(validClaims(t)))
	require.NoError(t, err)
	require.Equal(t, agent, c.Actor())
	require.Equal(t, "session-1", c.SessionID)
	// So is a single-string audience (RFC 7519 §4.1.3).
	_, err = iss.ParseAccess(hs256(with(func(c jwt.MapClaims) { c["aud"] = auth.DefaultAudience })))
	require.NoError(t, err)
}

func TestParseAccessOtherIssuerConfigs(t *testing.T) {
	t.Parallel()
	tok, _, err := newIssuer(t, testConfig()).IssueAccess(agent, "s", "")
	require.NoError(t, err)
	tests := []struct {
		name   string
		mutate func(*auth.Config)
	}{
		{"rotated secret", func(c *auth.Config) { c.Secret = []byte("a brand new secret of 32+ bytes.") }},
		{"same secret, other kid", func(c *auth.Config) { c.KeyID = "next" }},
		{"other issuer", func(c *auth.Config) { c.Issuer = "staging" }},
		{"other audience", func(c *auth.Config) { c.Audience = "boladao-admin" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			tt.mutate(&cfg)
			_, err := newIssuer(t, cfg).ParseAccess(tok)
			require.ErrorIs(t, err, auth.ErrTokenInvalid)
		})
	}
}

func TestJTIsAreUnique(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t, testConfig())
	seen := make(map[string]bool)
	for range 200 {
		tok, _, err := iss.IssueAccess(agent, "s", "")
		require.NoError(t, err)
		c, err := iss.ParseAccess(tok)
		require.NoError(t, err)
		require.False(t, seen[c.ID], "duplicate jti %s", c.ID)
		seen[c.ID] = true
	}
}

func TestIssuerIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t, testConfig())
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for range 50 {
				a := agent
				a.UserID = tenant.UserID(g + 1)
				tok, _, err := iss.IssueAccess(a, "s", "")
				if err == nil {
					var c auth.Claims
					c, err = iss.ParseAccess(tok)
					if err == nil && c.UserID != a.UserID {
						err = errors.New("claims mixed up between goroutines")
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
