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
	// Restricted is true when the user must enrol in two-factor sign-in
	// and has not: the access token allows that and nothing else (see
	// auth.WithRestricted). Refresh once enrolled for a normal one.
	Restricted bool
}

// ClientInfo describes the client signing in, for the list of sessions.
type ClientInfo struct {
	UserAgent string
	IP        string
}

// SignInResult is the outcome of a sign-in's first step: either tokens,
// or a challenge to complete with a code (CompleteSignIn).
type SignInResult struct {
	// Tokens are set when no second step is due.
	Tokens Tokens
	// User is the user whose password was checked.
	User directory.User
	// Challenge, when not empty, is the second step: the user has
	// two-factor sign-in enabled, and no session was opened yet.
	Challenge string
	// ChallengeExpiresAt is when Challenge expires.
	ChallengeExpiresAt time.Time
}

// ErrSecondFactorRequired is Login's answer for a user with two-factor
// sign-in enabled: the password alone opens no session. Use SignIn and
// CompleteSignIn.
var ErrSecondFactorRequired = errors.New("this account signs in with a second factor: use SignIn, then CompleteSignIn with a code")

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
	// Restricted is true for a user principal that must enrol in
	// two-factor sign-in before anything else (auth.Claims.Restricted).
	Restricted bool
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
// access token and a rotating refresh token. A user with two-factor
// sign-in enabled gets ErrSecondFactorRequired: use SignIn. A user whose
// company allows only single sign-on gets sso.ErrPasswordSignInDisabled
// (once the password is verified).
func (d *Desk) Login(ctx context.Context, email, password string) (Tokens, directory.User, error) {
	r, err := d.SignIn(ctx, email, password, ClientInfo{})
	if err != nil {
		return Tokens{}, directory.User{}, err
	}
	if r.Challenge != "" {
		return Tokens{}, directory.User{}, ErrSecondFactorRequired
	}
	return r.Tokens, r.User, nil
}

// SignIn checks an email and password. A user with two-factor sign-in
// enabled gets a challenge (directory.ChallengeTTL) and no session; any
// other user gets a session, restricted to enrolment when a policy
// requires two-factor sign-in of them (Tokens.Restricted). A user whose
// company allows only single sign-on gets sso.ErrPasswordSignInDisabled.
func (d *Desk) SignIn(ctx context.Context, email, password string, client ClientInfo) (SignInResult, error) {
	u, err := d.Directory.Authenticate(ctx, email, password)
	if err != nil {
		return SignInResult{}, err
	}
	if err := d.passwordAllowed(ctx, u); err != nil { // see sso.go
		return SignInResult{}, err
	}
	enabled, err := d.Directory.TwoFactorEnabled(ctx, u)
	if err != nil {
		return SignInResult{}, err
	}
	if enabled {
		challenge, c, err := d.Directory.StartChallenge(ctx, u)
		if err != nil {
			return SignInResult{}, err
		}
		return SignInResult{User: u, Challenge: challenge, ChallengeExpiresAt: c.ExpiresAt}, nil
	}
	required, err := d.Directory.TwoFactorRequired(ctx, u)
	if err != nil {
		return SignInResult{}, err
	}
	t, err := d.startSession(ctx, u, client, required)
	if err != nil {
		return SignInResult{}, err
	}
	return SignInResult{Tokens: t, User: u}, nil
}

// CompleteSignIn finishes a sign-in with the challenge SignIn returned
// and a code of the user's authenticator app (or a recovery code), and
// opens the session. Errors match directory.ErrChallengeInvalid,
// directory.ErrTwoFactorCode, directory.ErrTwoFactorLocked or
// directory.ErrAccountDisabled.
func (d *Desk) CompleteSignIn(ctx context.Context, challenge, code string, client ClientInfo) (Tokens, directory.User, error) {
	u, err := d.Directory.CompleteChallenge(ctx, challenge, code)
	if err != nil {
		return Tokens{}, directory.User{}, err
	}
	t, err := d.startSession(ctx, u, client, false)
	if err != nil {
		return Tokens{}, directory.User{}, err
	}
	return t, u, nil
}

func (d *Desk) startSession(ctx context.Context, u directory.User, client ClientInfo, restricted bool) (Tokens, error) {
	refresh, rt, err := d.Directory.StartSessionWith(ctx, u, d.refreshTTL,
		directory.SessionStart{UserAgent: client.UserAgent, IP: client.IP, Restricted: restricted})
	if err != nil {
		return Tokens{}, err
	}
	t, _, err := d.tokens(u, refresh, rt.SessionID, restricted)
	return t, err
}

// Refresh rotates a refresh token and issues a new access token. A reused
// refresh token revokes its session (directory.ErrRefreshTokenReused).
func (d *Desk) Refresh(ctx context.Context, refreshToken string) (Tokens, directory.User, error) {
	u, refresh, rt, err := d.Directory.Refresh(ctx, refreshToken, d.refreshTTL)
	if err != nil {
		return Tokens{}, directory.User{}, err
	}
	d.access.forgetWebSession(auth.Digest(refreshToken)) // exchanged: no longer a session's key
	restricted, err := d.restricted(ctx, rt.SessionID)
	if err != nil {
		return Tokens{}, directory.User{}, err
	}
	return d.tokens(u, refresh, rt.SessionID, restricted)
}

// restricted reports whether a session may only enrol in two-factor
// sign-in. A session without a description (opened before they were
// kept) is not.
func (d *Desk) restricted(ctx context.Context, session string) (bool, error) {
	return d.Directory.SessionRestricted(ctx, session)
}

func (d *Desk) tokens(u directory.User, refresh, session string, restricted bool) (Tokens, directory.User, error) {
	var opts []auth.AccessOption
	if restricted {
		opts = append(opts, auth.WithRestricted())
	}
	access, exp, err := d.issuer.IssueAccess(u.Actor(), session, u.Email, opts...)
	if err != nil {
		return Tokens{}, directory.User{}, fmt.Errorf("issuing access token: %w", err)
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, ExpiresAt: exp, SessionID: session, Restricted: restricted}, u, nil
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
	return Principal{Kind: PrincipalUser, Actor: c.Actor(), SessionID: c.SessionID, Email: c.Email, Restricted: c.Restricted}, nil
}

// AccessTTL is the lifetime of access tokens.
func (d *Desk) AccessTTL() time.Duration { return d.accessTTL }

// errNoSecret explains the only way New can fail on authentication setup.
var errNoSecret = errors.New("helpdesk: JWT secret must be at least 32 bytes: pass helpdesk.WithJWTSecret")
