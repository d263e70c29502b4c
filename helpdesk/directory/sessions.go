package directory

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/storage"
)

// DefaultRefreshTTL is how long a refresh token stays valid when unused.
const DefaultRefreshTTL = 30 * 24 * time.Hour

// Errors of the session methods.
var (
	// ErrRefreshTokenInvalid covers unknown, expired and revoked refresh
	// tokens alike.
	ErrRefreshTokenInvalid = errors.New("refresh token is invalid, expired or revoked: log in again")
	// ErrRefreshTokenReused means a refresh token was presented a second
	// time. The whole session is revoked: whoever holds either copy must log
	// in again.
	ErrRefreshTokenReused = errors.New("refresh token reused: the session has been revoked")
)

// StartSession opens a login session for an authenticated user and returns
// its first refresh token (shown to the client once) and the stored record.
func (s *Service) StartSession(ctx context.Context, u User, ttl time.Duration) (string, RefreshToken, error) {
	return s.StartSessionWith(ctx, u, ttl, SessionStart{})
}

// StartSessionWith opens a login session like StartSession, describing
// it with the client that opened it (see ListSessions).
func (s *Service) StartSessionWith(ctx context.Context, u User, ttl time.Duration, st SessionStart) (string, RefreshToken, error) {
	if ttl <= 0 {
		ttl = DefaultRefreshTTL
	}
	var plain string
	var t RefreshToken
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		plain, t, err = s.issueRefresh(ctx, tx, u, "ses_"+rand.Text(), ttl)
		if err != nil {
			return err
		}
		return tx.InsertSession(ctx, st.info(t.SessionID, u, t.CreatedAt))
	})
	if err != nil {
		return "", RefreshToken{}, fmt.Errorf("starting session: %w", err)
	}
	return plain, t, nil
}

func (s *Service) issueRefresh(ctx context.Context, tx Tx, u User, session string, ttl time.Duration) (string, RefreshToken, error) {
	plain, digest, err := auth.NewRefreshToken()
	if err != nil {
		return "", RefreshToken{}, err
	}
	now := s.clock()
	t := RefreshToken{Digest: digest, SessionID: session, UserID: u.ID, CompanyID: u.CompanyID,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := tx.InsertRefreshToken(ctx, t); err != nil {
		return "", RefreshToken{}, err
	}
	return plain, t, nil
}

// Refresh exchanges a refresh token for a new one of the same session
// (rotation) and returns the user it belongs to. A token presented twice is
// reuse: the session is revoked and ErrRefreshTokenReused returned. A
// deactivated user or company gets ErrAccountDisabled.
func (s *Service) Refresh(ctx context.Context, plain string, ttl time.Duration) (User, string, RefreshToken, error) {
	if ttl <= 0 {
		ttl = DefaultRefreshTTL
	}
	if !strings.HasPrefix(plain, auth.RefreshTokenPrefix) || len(plain) > 256 {
		return User{}, "", RefreshToken{}, ErrRefreshTokenInvalid
	}
	digest := auth.Digest(plain)
	var (
		user     User
		newPlain string
		next     RefreshToken
		outcome  error
		reused   string // the session revoked for a reused token
	)
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		t, err := tx.RefreshTokenByDigest(ctx, digest)
		if errors.Is(err, storage.ErrNotFound) {
			outcome = ErrRefreshTokenInvalid
			return nil
		} else if err != nil {
			return err
		}
		now := s.clock()
		if !t.RevokedAt.IsZero() || !now.Before(t.ExpiresAt) {
			outcome = ErrRefreshTokenInvalid
			return nil
		}
		used, err := tx.UseRefreshToken(ctx, digest, now)
		if err != nil {
			return err
		}
		if !used {
			// Presented before: whoever replays it may hold a stolen copy.
			// The revocation commits; the caller gets the error.
			if _, err := tx.RevokeSession(ctx, t.SessionID, now); err != nil {
				return err
			}
			reused = t.SessionID
			outcome = ErrRefreshTokenReused
			return nil
		}
		user, err = tx.UserByID(ctx, t.CompanyID, t.UserID)
		if err != nil {
			return err
		}
		if !user.Active {
			outcome = ErrAccountDisabled
			return nil
		}
		if user.CompanyID != 0 {
			c, err := tx.CompanyByID(ctx, user.CompanyID)
			if err != nil {
				return err
			}
			if !c.Active {
				outcome = ErrAccountDisabled
				return nil
			}
		}
		newPlain, next, err = s.issueRefresh(ctx, tx, user, t.SessionID, ttl)
		if err != nil {
			return err
		}
		return tx.TouchSession(ctx, t.SessionID, "", now)
	})
	if err != nil {
		return User{}, "", RefreshToken{}, fmt.Errorf("refreshing session: %w", err)
	}
	if reused != "" {
		s.observer.SessionRevoked(reused)
	}
	if outcome != nil {
		return User{}, "", RefreshToken{}, outcome
	}
	return user, newPlain, next, nil
}

// EndSession revokes the session of a refresh token (logout). Ending an
// already revoked session succeeds; an unknown token is
// ErrRefreshTokenInvalid.
func (s *Service) EndSession(ctx context.Context, plain string) error {
	t, err := s.store.RefreshTokenByDigest(ctx, auth.Digest(plain))
	if errors.Is(err, storage.ErrNotFound) {
		return ErrRefreshTokenInvalid
	} else if err != nil {
		return fmt.Errorf("ending session: %w", err)
	}
	return s.RevokeSession(ctx, t.SessionID)
}

// RevokeSession revokes every refresh token of a session.
func (s *Service) RevokeSession(ctx context.Context, sessionID string) error {
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		_, err := tx.RevokeSession(ctx, sessionID, s.clock())
		return err
	})
	if err != nil {
		return fmt.Errorf("revoking session: %w", err)
	}
	s.observer.SessionRevoked(sessionID)
	return nil
}

// CheckSession reads the session of a refresh token without exchanging it,
// for a credential held by the server's own edge (the web console's
// session cookie carries a refresh token it never rotates). It returns the
// token's record and its user. Unknown, expired, exchanged and revoked
// tokens are ErrRefreshTokenInvalid; a deactivated user or company is
// ErrAccountDisabled.
func (s *Service) CheckSession(ctx context.Context, plain string) (User, RefreshToken, error) {
	if !strings.HasPrefix(plain, auth.RefreshTokenPrefix) || len(plain) > 256 {
		return User{}, RefreshToken{}, ErrRefreshTokenInvalid
	}
	t, err := s.store.RefreshTokenByDigest(ctx, auth.Digest(plain))
	if errors.Is(err, storage.ErrNotFound) {
		return User{}, RefreshToken{}, ErrRefreshTokenInvalid
	} else if err != nil {
		return User{}, RefreshToken{}, fmt.Errorf("checking session: %w", err)
	}
	if !t.RevokedAt.IsZero() || !t.UsedAt.IsZero() || !s.clock().Before(t.ExpiresAt) {
		return User{}, RefreshToken{}, ErrRefreshTokenInvalid
	}
	u, err := s.store.UserByID(ctx, t.CompanyID, t.UserID)
	if err != nil {
		return User{}, RefreshToken{}, fmt.Errorf("checking session: %w", err)
	}
	if !u.Active {
		return User{}, RefreshToken{}, ErrAccountDisabled
	}
	if u.CompanyID != 0 {
		c, err := s.store.CompanyByID(ctx, u.CompanyID)
		if err != nil {
			return User{}, RefreshToken{}, fmt.Errorf("checking session: %w", err)
		}
		if !c.Active {
			return User{}, RefreshToken{}, ErrAccountDisabled
		}
	}
	return u, t, nil
}
