package helpdesk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Tokens is what a login or a refresh returns to the client.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	// ExpiresAt is when the access token expires.
	ExpiresAt time.Time
	// SessionID identifies the login session (the refresh token family).
	SessionID string
}

// PrincipalKind tells a person's session from an integration's API token.
type PrincipalKind string

// The kinds of principals.
const (
	PrincipalUser  PrincipalKind = "user"
	PrincipalToken PrincipalKind = "token"
)

// Principal is who an authenticated request acts for.
type Principal struct {
	Kind  PrincipalKind
	Actor tenant.Actor
	// SessionID is the login session of a user principal.
	SessionID string
	// Email is the login of a user principal.
	Email string
	// TokenID is the API token of a token principal.
	TokenID int64
	// Rate and Burst are a token principal's own request limit
	// (directory.APIToken.Rate); zero for the edge's default.
	Rate  float64
	Burst int
}

// Key returns a stable string naming the principal ("user:42", "token:7"),
// used to scope idempotency keys and rate limits.
func (p Principal) Key() string {
	if p.Kind == PrincipalToken {
		return fmt.Sprintf("token:%d", p.TokenID)
	}
	return fmt.Sprintf("user:%d", p.Actor.UserID)
}

// Login checks an email and password and opens a session: a short-lived
// access token and a rotating refresh token.
func (d *Desk) Login(ctx context.Context, email, password string) (Tokens, directory.User, error) {
	u, err := d.Directory.Authenticate(ctx, email, password)
	if err != nil {
		return Tokens{}, directory.User{}, err
	}
	refresh, rt, err := d.Directory.StartSession(ctx, u, d.refreshTTL)
	if err != nil {
		return Tokens{}, directory.User{}, err
	}
	return d.tokens(u, refresh, rt.SessionID)
}

// Refresh rotates a refresh token and issues a new access token. A reused
// refresh token revokes its session (directory.ErrRefreshTokenReused).
func (d *Desk) Refresh(ctx context.Context, refreshToken string) (Tokens, directory.User, error) {
	u, refresh, rt, err := d.Directory.Refresh(ctx, refreshToken, d.refreshTTL)
	if err != nil {
		return Tokens{}, directory.User{}, err
	}
	d.access.forgetWebSession(auth.Digest(refreshToken)) // exchanged: no longer a session's key
	return d.tokens(u, refresh, rt.SessionID)
}

func (d *Desk) tokens(u directory.User, refresh, session string) (Tokens, directory.User, error) {
	access, exp, err := d.issuer.IssueAccess(u.Actor(), session, u.Email)
	if err != nil {
		return Tokens{}, directory.User{}, fmt.Errorf("issuing access token: %w", err)
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, ExpiresAt: exp, SessionID: session}, u, nil
}

// Logout revokes the session of a refresh token.
func (d *Desk) Logout(ctx context.Context, refreshToken string) error {
	return d.Directory.EndSession(ctx, refreshToken)
}

// LogoutSession revokes a session by its ID (the sid of an access token).
func (d *Desk) LogoutSession(ctx context.Context, sessionID string) error {
	return d.Directory.RevokeSession(ctx, sessionID)
}

// Authenticate checks a bearer credential: an API token ("bld_…") or a JWT
// access token. Errors match auth.ErrTokenExpired, auth.ErrTokenInvalid,
// directory.ErrAPITokenInvalid or directory.ErrAccountDisabled.
//
// An access token is verified by its signature, then against what the
// desk knows of its user (read at most once per WithAccessRecheck, and
// again at once after a change made through this desk): a session
// revoked (logout, password change, refresh-token reuse), a user demoted,
// moved or deactivated, or a company deactivated, stop the tokens issued
// before on the next request (auth.ErrTokenInvalid, or
// directory.ErrAccountDisabled for a deactivated account).
func (d *Desk) Authenticate(ctx context.Context, credential string) (Principal, error) {
	if strings.HasPrefix(credential, auth.APITokenPrefix) {
		t, actor, err := d.Directory.AuthenticateAPIToken(ctx, credential)
		if err != nil {
			return Principal{}, err
		}
		return Principal{Kind: PrincipalToken, Actor: actor, TokenID: t.ID, Rate: t.Rate, Burst: t.Burst}, nil
	}
	c, ok := d.verified.get(credential, d.now())
	if !ok {
		var err error
		if c, err = d.issuer.ParseAccess(credential); err != nil {
			return Principal{}, err
		}
		d.verified.put(credential, c)
	}
	if err := d.access.check(ctx, c); err != nil {
		return Principal{}, err
	}
	return Principal{Kind: PrincipalUser, Actor: c.Actor(), SessionID: c.SessionID, Email: c.Email}, nil
}

// AccessTTL is the lifetime of access tokens.
func (d *Desk) AccessTTL() time.Duration { return d.accessTTL }

// errNoSecret explains the only way New can fail on authentication setup.
var errNoSecret = errors.New("helpdesk: JWT secret must be at least 32 bytes: pass helpdesk.WithJWTSecret")
