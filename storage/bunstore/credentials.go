package bunstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// refreshTokenRow is a refresh token; company_id is NULL for platform
// admins, used_at and revoked_at are NULL until set.
type refreshTokenRow struct {
	bun.BaseModel `bun:"table:refresh_tokens"`
	Digest        string    `bun:"digest,pk"`
	SessionID     string    `bun:"session_id"`
	UserID        int64     `bun:"user_id"`
	CompanyID     int64     `bun:"company_id,nullzero"`
	CreatedAt     time.Time `bun:"created_at"`
	ExpiresAt     time.Time `bun:"expires_at"`
	UsedAt        time.Time `bun:"used_at,nullzero"`
	RevokedAt     time.Time `bun:"revoked_at,nullzero"`
}

func (r refreshTokenRow) model() directory.RefreshToken {
	return directory.RefreshToken{Digest: r.Digest, SessionID: r.SessionID, UserID: tenant.UserID(r.UserID),
		CompanyID: tenant.CompanyID(r.CompanyID), CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
		UsedAt: r.UsedAt.UTC(), RevokedAt: r.RevokedAt.UTC()}
}

func refreshTokenRowOf(t directory.RefreshToken) refreshTokenRow {
	return refreshTokenRow{Digest: t.Digest, SessionID: t.SessionID, UserID: int64(t.UserID), CompanyID: int64(t.CompanyID),
		CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC(), UsedAt: t.UsedAt.UTC(), RevokedAt: t.RevokedAt.UTC()}
}

// apiTokenRow is an API token. Permissions are a JSON array of strings;
// the optional times are NULL when zero.
type apiTokenRow struct {
	bun.BaseModel `bun:"table:api_tokens"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	Name          string    `bun:"name"`
	LookupID      string    `bun:"lookup_id"`
	Digest        string    `bun:"digest"`
	Permissions   string    `bun:"permissions"`
	CreatedBy     int64     `bun:"created_by"`
	ExpiresAt     time.Time `bun:"expires_at,nullzero"`
	LastUsedAt    time.Time `bun:"last_used_at,nullzero"`
	RevokedAt     time.Time `bun:"revoked_at,nullzero"`
	Rate          float64   `bun:"rate_limit"`
	Burst         int       `bun:"rate_burst"`
	Version       int64     `bun:"version"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func (r apiTokenRow) model() (directory.APIToken, error) {
	perms := []tenant.Permission{}
	if err := json.Unmarshal([]byte(r.Permissions), &perms); err != nil {
		return directory.APIToken{}, fmt.Errorf("decoding the permissions of API token %d: %w", r.ID, err)
	}
	if perms == nil { // the column held JSON null
		perms = []tenant.Permission{}
	}
	return directory.APIToken{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), Name: r.Name, LookupID: r.LookupID,
		Digest: r.Digest, Permissions: perms, CreatedBy: tenant.UserID(r.CreatedBy), ExpiresAt: r.ExpiresAt.UTC(),
		LastUsedAt: r.LastUsedAt.UTC(), RevokedAt: r.RevokedAt.UTC(), Rate: r.Rate, Burst: r.Burst, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}, nil
}

func apiTokenRowOf(t directory.APIToken) (apiTokenRow, error) {
	perms := t.Permissions
	if perms == nil {
		perms = []tenant.Permission{} // "[]", never "null"
	}
	b, err := json.Marshal(perms)
	if err != nil {
		return apiTokenRow{}, fmt.Errorf("encoding the permissions of API token %d: %w", t.ID, err)
	}
	return apiTokenRow{ID: t.ID, CompanyID: int64(t.CompanyID), Name: t.Name, LookupID: t.LookupID, Digest: t.Digest,
		Permissions: string(b), CreatedBy: int64(t.CreatedBy), ExpiresAt: t.ExpiresAt.UTC(),
		LastUsedAt: t.LastUsedAt.UTC(), RevokedAt: t.RevokedAt.UTC(), Rate: t.Rate, Burst: t.Burst, Version: t.Version,
		CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC()}, nil
}

// RefreshTokenByDigest implements directory.Queries.
func (q queries) RefreshTokenByDigest(ctx context.Context, digest string) (directory.RefreshToken, error) {
	var r refreshTokenRow
	err := q.db.NewSelect().Model(&r).Where("digest = ?", digest).Scan(ctx)
	if err != nil {
		return directory.RefreshToken{}, translate(err, "refresh token")
	}
	return r.model(), nil
}

// SessionLive implements directory.Queries (refresh_tokens_session_id_idx).
func (q queries) SessionLive(ctx context.Context, sessionID string) (bool, error) {
	live, err := q.db.NewSelect().Model((*refreshTokenRow)(nil)).Where("session_id = ?", sessionID).
		Where("revoked_at IS NULL").Exists(ctx)
	if err != nil {
		return false, translate(err, "reading a session")
	}
	return live, nil
}

// APITokenByID implements directory.Queries.
func (q queries) APITokenByID(ctx context.Context, company tenant.CompanyID, id int64) (directory.APIToken, error) {
	var r apiTokenRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ? AND id = ?", int64(company), id).Scan(ctx)
	if err != nil {
		return directory.APIToken{}, translate(err, fmt.Sprintf("API token %d", id))
	}
	return r.model()
}

// APITokenByLookup implements directory.Queries.
func (q queries) APITokenByLookup(ctx context.Context, lookupID string) (directory.APIToken, error) {
	var r apiTokenRow
	err := q.db.NewSelect().Model(&r).Where("lookup_id = ?", lookupID).Scan(ctx)
	if err != nil {
		return directory.APIToken{}, translate(err, "API token by lookup ID")
	}
	return r.model()
}

// ListAPITokens implements directory.Queries.
func (q queries) ListAPITokens(ctx context.Context, company tenant.CompanyID, f directory.APITokenFilter, p storage.PageRequest) (storage.Page[directory.APIToken], error) {
	var rows []apiTokenRow
	sq := q.db.NewSelect().Model(&rows).Where("company_id = ?", int64(company))
	if f.Revoked != nil {
		if *f.Revoked {
			sq = sq.Where("revoked_at IS NOT NULL")
		} else {
			sq = sq.Where("revoked_at IS NULL")
		}
	}
	sq, limit, err := page(sq, p)
	if err != nil {
		return storage.Page[directory.APIToken]{}, err
	}
	if err := sq.Scan(ctx); err != nil {
		return storage.Page[directory.APIToken]{}, translate(err, "listing API tokens")
	}
	items := make([]directory.APIToken, len(rows))
	for i, r := range rows {
		if items[i], err = r.model(); err != nil {
			return storage.Page[directory.APIToken]{}, err
		}
	}
	return storage.PageOf(items, limit, func(t directory.APIToken) int64 { return t.ID }), nil
}

// InsertRefreshToken implements directory.Tx.
func (t *Tx) InsertRefreshToken(ctx context.Context, rt directory.RefreshToken) error {
	r := refreshTokenRowOf(rt)
	_, err := t.db.NewInsert().Model(&r).Exec(ctx)
	return translate(err, "inserting refresh token")
}

// UseRefreshToken implements directory.Tx: one conditional UPDATE, so of
// two concurrent uses exactly one changes the row.
func (t *Tx) UseRefreshToken(ctx context.Context, digest string, at time.Time) (bool, error) {
	res, err := t.db.NewUpdate().Model((*refreshTokenRow)(nil)).Set("used_at = ?", at.UTC()).
		Where("digest = ?", digest).Where("used_at IS NULL").Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return false, translate(err, "using refresh token")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, translate(err, "using refresh token")
	}
	return n == 1, nil
}

// RevokeSession implements directory.Tx.
func (t *Tx) RevokeSession(ctx context.Context, sessionID string, at time.Time) (int, error) {
	res, err := t.db.NewUpdate().Model((*refreshTokenRow)(nil)).Set("revoked_at = ?", at.UTC()).
		Where("session_id = ?", sessionID).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return 0, translate(err, "revoking session")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(err, "revoking session")
	}
	return int(n), nil
}

// RevokeUserSessions implements directory.Tx.
func (t *Tx) RevokeUserSessions(ctx context.Context, user tenant.UserID, except string, at time.Time) (int, error) {
	q := t.db.NewUpdate().Model((*refreshTokenRow)(nil)).Set("revoked_at = ?", at.UTC()).
		Where("user_id = ?", int64(user)).Where("revoked_at IS NULL")
	if except != "" {
		q = q.Where("session_id <> ?", except)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, translate(err, "revoking the user's sessions")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(err, "revoking the user's sessions")
	}
	return int(n), nil
}

// InsertAPIToken implements directory.Tx.
func (t *Tx) InsertAPIToken(ctx context.Context, at *directory.APIToken) error {
	r, err := apiTokenRowOf(*at)
	if err != nil {
		return err
	}
	r.Version = 1
	if err := insert(ctx, t.db, &r, "API token"); err != nil {
		return err
	}
	at.ID, at.Version = r.ID, 1
	return nil
}

// UpdateAPIToken implements directory.Tx.
func (t *Tx) UpdateAPIToken(ctx context.Context, at *directory.APIToken) error {
	r, err := apiTokenRowOf(*at)
	if err != nil {
		return err
	}
	if err := update(ctx, t.db, &r, "api_tokens", r.ID, at.CompanyID, "company_id", at.Version, fmt.Sprintf("API token %d", at.ID)); err != nil {
		return err
	}
	at.Version++
	return nil
}

// TouchAPIToken implements directory.Tx; it leaves version alone.
func (t *Tx) TouchAPIToken(ctx context.Context, company tenant.CompanyID, id int64, at time.Time) error {
	what := fmt.Sprintf("touching API token %d", id)
	res, err := t.db.NewUpdate().Model((*apiTokenRow)(nil)).Set("last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END", at.UTC(), at.UTC()).
		Where("company_id = ? AND id = ?", int64(company), id).Exec(ctx)
	if err != nil {
		return translate(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, what)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, storage.ErrNotFound)
	}
	return nil
}
