package helpdesk

import (
	"context"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
)

// Session describes a login session checked by CheckSession.
type Session struct {
	// Principal is the session's user, acting in its own company.
	Principal Principal
	// StartedAt is when the session's current refresh token was issued
	// (the login, for a token never exchanged).
	StartedAt time.Time
	// ExpiresAt is when that refresh token expires.
	ExpiresAt time.Time
	// Language is the user's chosen language ("" for none; see
	// directory.User.Language).
	Language string
}

// CheckSession checks a refresh token without rotating it and returns its
// session: an edge that keeps the refresh token on the server's side of a
// cookie (the web console) calls it on every request, so that revoking the
// session (logout, LogoutSession, refresh-token reuse) signs the browser
// out at once. Errors match directory.ErrRefreshTokenInvalid or
// directory.ErrAccountDisabled.
//
// What it reads is remembered for the access recheck (WithAccessRecheck),
// like an access token's checks: a change made through this desk (logout,
// revocation, a user or company changed) forgets it at once, one made
// through another instance takes effect within the recheck.
func (d *Desk) CheckSession(ctx context.Context, refreshToken string) (Session, error) {
	key := auth.Digest(refreshToken)
	if s, ok := d.access.webSession(key); ok && d.now().Before(s.ExpiresAt) {
		return s, nil
	}
	at, gen := d.access.begin()
	u, t, err := d.Directory.CheckSession(ctx, refreshToken)
	if err != nil {
		return Session{}, err
	}
	s := Session{Principal: Principal{Kind: PrincipalUser, Actor: u.Actor(), SessionID: t.SessionID, Email: u.Email},
		StartedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Language: u.Language}
	d.access.rememberWebSession(key, s, at, gen)
	return s, nil
}
