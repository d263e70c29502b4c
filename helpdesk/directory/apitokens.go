package directory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// APITokenTouchInterval bounds how often a use of an API token is noted
// for its LastUsedAt: at most once per interval, not on every request.
// The uses noted are written in batches by FlushUses, off the
// request path.
const APITokenTouchInterval = time.Minute

// ErrAPITokenInvalid covers malformed, unknown, revoked and expired API
// tokens alike.
var ErrAPITokenInvalid = errors.New("API token is invalid, revoked or expired")

// APITokenInput holds the fields of a new API token.
type APITokenInput struct {
	Name string
	// Permissions the token grants; each must be one the creator holds.
	Permissions []tenant.Permission
	// ExpiresAt is optional; zero means the token does not expire.
	ExpiresAt time.Time
	// Rate and Burst grant the token a request limit of its own (see
	// APIToken.Rate); zero keeps the server's. A rate without a burst gets
	// twice the rate, rounded up.
	Rate  float64
	Burst int
}

// MaxAPITokenRate bounds an API token's own rate (requests a second) and
// burst.
const MaxAPITokenRate = 100_000

// tokenLimit checks a token's own rate and burst into b and returns them,
// the burst defaulted.
func tokenLimit(b *validation.Builder, rate float64, burst int) (float64, int) {
	if !(rate >= 0 && rate <= MaxAPITokenRate) {
		b.Add("rate", "must be from 0 (the server's limit) to %d requests a second", MaxAPITokenRate)
		return 0, 0
	}
	if burst < 0 || burst > MaxAPITokenRate {
		b.Add("burst", "must be from 0 to %d requests", MaxAPITokenRate)
		return 0, 0
	}
	if rate == 0 {
		if burst != 0 {
			b.Add("burst", "needs a rate: the server's limit has its own burst")
		}
		return 0, 0
	}
	if burst == 0 {
		burst = int(math.Ceil(2 * rate))
	}
	return rate, burst
}

// CreateAPIToken creates an API token for the actor's company. It needs
// tenant.PermTokensManage, emits api_token.created, and returns the plain
// token, which is never available again.
func (s *Service) CreateAPIToken(ctx context.Context, actor tenant.Actor, in APITokenInput) (APIToken, string, error) {
	if err := actor.RequireIn(tenant.PermTokensManage); err != nil {
		return APIToken{}, "", err
	}
	var b validation.Builder
	now := s.clock()
	t := APIToken{CompanyID: actor.CompanyID, CreatedBy: actor.UserID, CreatedAt: now, UpdatedAt: now}
	t.Name = b.Text("name", in.Name, 1, MaxContactName)
	if len(in.Permissions) == 0 {
		b.Add("permissions", "must grant at least one permission")
	}
	for _, p := range in.Permissions {
		if !actor.Can(p) {
			b.Add("permissions", "%q is unknown or not yours to grant", p)
		}
	}
	t.Permissions = slices.Compact(slices.Sorted(slices.Values(in.Permissions)))
	t.Rate, t.Burst = tokenLimit(&b, in.Rate, in.Burst)
	if !in.ExpiresAt.IsZero() {
		if !in.ExpiresAt.After(now) {
			b.Add("expires_at", "must be in the future")
		}
		t.ExpiresAt = in.ExpiresAt.UTC().Truncate(time.Microsecond)
	}
	if err := b.Err(); err != nil {
		return APIToken{}, "", err
	}
	var plain string
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if _, err := activeCompany(ctx, tx, actor.CompanyID); err != nil {
			return err
		}
		var err error
		plain, t.LookupID, t.Digest, err = auth.NewAPIToken()
		if err != nil {
			return err
		}
		if err := tx.InsertAPIToken(ctx, &t); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, "api_token.created", t.CompanyID, "api_token", t.ID, now, apiTokenData(t))
	})
	if err != nil {
		return APIToken{}, "", fmt.Errorf("creating API token: %w", err)
	}
	return t, plain, nil
}

// GetAPIToken reads an API token of the actor's company.
func (s *Service) GetAPIToken(ctx context.Context, actor tenant.Actor, id int64) (APIToken, error) {
	if err := actor.RequireIn(tenant.PermTokensManage); err != nil {
		return APIToken{}, err
	}
	t, err := s.store.APITokenByID(ctx, actor.CompanyID, id)
	if err != nil {
		return APIToken{}, fmt.Errorf("API token %d: %w", id, err)
	}
	return s.tokens.lastUse(t), nil
}

// ListAPITokens lists the API tokens of the actor's company.
func (s *Service) ListAPITokens(ctx context.Context, actor tenant.Actor, f APITokenFilter, p storage.PageRequest) (storage.Page[APIToken], error) {
	if err := actor.RequireIn(tenant.PermTokensManage); err != nil {
		return storage.Page[APIToken]{}, err
	}
	page, err := s.store.ListAPITokens(ctx, actor.CompanyID, f, p.Normalize())
	for i, t := range page.Items {
		page.Items[i] = s.tokens.lastUse(t)
	}
	return page, err
}

// APITokenPatch holds the token fields to change: its name, its own
// request limit (Rate and Burst, set together; zero rate returns the token
// to the server's limit), or revocation.
type APITokenPatch struct {
	Name    *string
	Rate    *float64
	Burst   *int
	Revoke  bool
	Version int64
}

// UpdateAPIToken renames or revokes an API token of the actor's company and
// emits api_token.updated or api_token.revoked. Revocation is final.
func (s *Service) UpdateAPIToken(ctx context.Context, actor tenant.Actor, id int64, p APITokenPatch) (APIToken, error) {
	if err := actor.RequireIn(tenant.PermTokensManage); err != nil {
		return APIToken{}, err
	}
	var out APIToken
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		t, err := tx.APITokenByID(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(p.Version, t.Version); err != nil {
			return err
		}
		var b validation.Builder
		if p.Name != nil {
			t.Name = b.Text("name", *p.Name, 1, MaxContactName)
		}
		if p.Rate != nil || p.Burst != nil {
			rate, burst := t.Rate, 0
			if p.Rate != nil {
				rate = *p.Rate
			}
			if p.Burst != nil {
				burst = *p.Burst
			}
			t.Rate, t.Burst = tokenLimit(&b, rate, burst)
		}
		if err := b.Err(); err != nil {
			return err
		}
		typ := "api_token.updated"
		t.UpdatedAt = s.clock()
		if p.Revoke && t.RevokedAt.IsZero() {
			t.RevokedAt = t.UpdatedAt
			typ = "api_token.revoked"
		}
		if err := tx.UpdateAPIToken(ctx, &t); err != nil {
			return err
		}
		out = t
		return s.emit(ctx, tx, actor, typ, t.CompanyID, "api_token", t.ID, t.UpdatedAt, apiTokenData(t))
	})
	if err != nil {
		return APIToken{}, fmt.Errorf("updating API token %d: %w", id, err)
	}
	s.tokens.forget(out.LookupID)
	return out, nil
}

// RevokeAPIToken revokes an API token of the actor's company.
func (s *Service) RevokeAPIToken(ctx context.Context, actor tenant.Actor, id int64) (APIToken, error) {
	return s.UpdateAPIToken(ctx, actor, id, APITokenPatch{Revoke: true})
}

// AuthenticateAPIToken checks a presented API token and returns it with the
// actor it acts as: an admin of its company narrowed to the token's
// permissions, attributed to the user who created it. The token and its
// company are read at most once per recheck (WithAccessRecheck; a change
// made through this Service applies at once) and the digest is compared in
// constant time on every call. A use is noted for LastUsedAt at most once
// per APITokenTouchInterval and written later by FlushUses: the
// call itself writes nothing.
func (s *Service) AuthenticateAPIToken(ctx context.Context, plain string) (APIToken, tenant.Actor, error) {
	lookup, err := auth.ParseAPIToken(plain)
	if err != nil {
		return APIToken{}, tenant.Actor{}, ErrAPITokenInvalid
	}
	t, active, err := s.tokens.get(ctx, s.store, lookup)
	if errors.Is(err, storage.ErrNotFound) {
		return APIToken{}, tenant.Actor{}, ErrAPITokenInvalid
	} else if err != nil {
		return APIToken{}, tenant.Actor{}, fmt.Errorf("authenticating API token: %w", err)
	}
	now := s.clock()
	if !auth.EqualDigest(t.Digest, auth.Digest(plain)) || !t.RevokedAt.IsZero() ||
		(!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) {
		return APIToken{}, tenant.Actor{}, ErrAPITokenInvalid
	}
	if !active {
		return APIToken{}, tenant.Actor{}, ErrAccountDisabled
	}
	s.tokens.used(lookup, t, now)
	t = s.tokens.lastUse(t)
	actor := tenant.Actor{CompanyID: t.CompanyID, UserID: t.CreatedBy, Role: tenant.RoleAdmin,
		Scopes: slices.Clone(t.Permissions)}
	return t, actor, nil
}

// FlushUses writes, each in one transaction, the uses noted since the
// last flush: API tokens' LastUsedAt and sessions' LastSeenAt (and IP).
// It returns how many tokens and sessions it wrote. On failure the uses
// are kept for the next flush. Desk.Run calls it every few seconds and
// once more when it stops; an embedder that does not run the desk calls
// it itself.
func (s *Service) FlushUses(ctx context.Context) (int, error) {
	tokens, err := s.flushAPITokenUses(ctx)
	if err != nil {
		return tokens, err
	}
	sessions, err := s.flushSessionUses(ctx)
	return tokens + sessions, err
}

// flushAPITokenUses writes the API tokens' uses noted since the last
// flush.
func (s *Service) flushAPITokenUses(ctx context.Context) (int, error) {
	uses := s.tokens.takeUses()
	if len(uses) == 0 {
		return 0, nil
	}
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		for ref, at := range uses {
			if err := tx.TouchAPIToken(ctx, ref.company, ref.id, at); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.tokens.returnUses(uses)
		return 0, fmt.Errorf("writing API token uses: %w", err)
	}
	return len(uses), nil
}

func apiTokenData(t APIToken) map[string]any {
	return map[string]any{"id": t.ID, "name": t.Name, "lookup_id": t.LookupID, "permissions": t.Permissions,
		"expires_at": t.ExpiresAt, "revoked": !t.RevokedAt.IsZero(), "rate": t.Rate, "burst": t.Burst, "version": t.Version}
}
