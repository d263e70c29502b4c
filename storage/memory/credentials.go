package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// ---- reads ----

// RefreshTokenByDigest reads a refresh token by digest, in any company.
func (r reader) RefreshTokenByDigest(ctx context.Context, digest string) (directory.RefreshToken, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.RefreshToken{}, err
	}
	defer release()
	t, ok := r.s.t.refreshTokens[digest]
	if !ok {
		return directory.RefreshToken{}, fmt.Errorf("memory: refresh token: %w", storage.ErrNotFound)
	}
	return t, nil
}

// SessionLive reports whether the session has an unrevoked refresh token.
func (r reader) SessionLive(ctx context.Context, sessionID string) (bool, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	for _, t := range r.s.t.refreshTokens {
		if t.SessionID == sessionID && t.RevokedAt.IsZero() {
			return true, nil
		}
	}
	return false, nil
}

// APITokenByID reads one API token of company.
func (r reader) APITokenByID(ctx context.Context, company tenant.CompanyID, id int64) (directory.APIToken, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.APIToken{}, err
	}
	defer release()
	t, ok := r.s.t.apiTokens.get(id)
	if !ok || t.CompanyID != company {
		return directory.APIToken{}, fmt.Errorf("memory: API token %d of company %d: %w", id, company, storage.ErrNotFound)
	}
	return cloneAPIToken(t), nil
}

// APITokenByLookup reads an API token by its lookup ID, in any company.
func (r reader) APITokenByLookup(ctx context.Context, lookupID string) (directory.APIToken, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.APIToken{}, err
	}
	defer release()
	id, ok := r.s.t.apiTokenByLookup[lookupID]
	if !ok {
		return directory.APIToken{}, fmt.Errorf("memory: API token by lookup ID: %w", storage.ErrNotFound)
	}
	t, _ := r.s.t.apiTokens.get(id)
	return cloneAPIToken(t), nil
}

// ListAPITokens lists the API tokens of company by ascending ID.
func (r reader) ListAPITokens(ctx context.Context, company tenant.CompanyID, f directory.APITokenFilter, p storage.PageRequest) (storage.Page[directory.APIToken], error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[directory.APIToken]{}, fmt.Errorf("memory: list API tokens: %w", err)
	}
	release, err := r.enter(ctx)
	if err != nil {
		return storage.Page[directory.APIToken]{}, err
	}
	defer release()
	keep := func(t directory.APIToken) bool {
		return t.CompanyID == company && (f.Revoked == nil || !t.RevokedAt.IsZero() == *f.Revoked)
	}
	rows := list(r.s.t.apiTokens, after, p.Limit, keep, cloneAPIToken)
	return storage.PageOf(rows, p.Limit, func(t directory.APIToken) int64 { return t.ID }), nil
}

// cloneAPIToken copies t so that callers never share its Permissions. An
// empty or nil list comes out as an empty, non-nil slice, as from the SQL
// backends.
func cloneAPIToken(t directory.APIToken) directory.APIToken {
	t.Permissions = append(make([]tenant.Permission, 0, len(t.Permissions)), t.Permissions...)
	return t
}

// ---- writes ----

// InsertRefreshToken stores t; a digest already stored is
// storage.ErrConflict.
func (x *tx) InsertRefreshToken(ctx context.Context, t directory.RefreshToken) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tables := x.s.t
	if _, dup := tables.refreshTokens[t.Digest]; dup {
		return fmt.Errorf("memory: insert refresh token: digest already stored: %w", storage.ErrConflict)
	}
	tables.refreshTokens[t.Digest] = t
	x.onRollback(func() { delete(tables.refreshTokens, t.Digest) })
	return nil
}

// UseRefreshToken marks the token used at the given time when it is neither
// used nor revoked, and reports whether it did.
func (x *tx) UseRefreshToken(ctx context.Context, digest string, at time.Time) (bool, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	tables := x.s.t
	old, ok := tables.refreshTokens[digest]
	if !ok || !old.UsedAt.IsZero() || !old.RevokedAt.IsZero() {
		return false, nil
	}
	row := old
	row.UsedAt = at
	tables.refreshTokens[digest] = row
	x.onRollback(func() { tables.refreshTokens[digest] = old })
	return true, nil
}

// RevokeSession marks every unrevoked token of the session revoked and
// returns how many it changed.
func (x *tx) RevokeSession(ctx context.Context, sessionID string, at time.Time) (int, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	tables := x.s.t
	var changed []directory.RefreshToken
	for digest, t := range tables.refreshTokens {
		if t.SessionID != sessionID || !t.RevokedAt.IsZero() {
			continue
		}
		changed = append(changed, t)
		t.RevokedAt = at
		tables.refreshTokens[digest] = t
	}
	x.onRollback(func() {
		for _, old := range changed {
			tables.refreshTokens[old.Digest] = old
		}
	})
	return len(changed), nil
}

// RevokeUserSessions marks every unrevoked token of the user revoked,
// except those of session except, and returns how many it changed.
func (x *tx) RevokeUserSessions(ctx context.Context, user tenant.UserID, except string, at time.Time) (int, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	tables := x.s.t
	var changed []directory.RefreshToken
	for digest, t := range tables.refreshTokens {
		if t.UserID != user || (except != "" && t.SessionID == except) || !t.RevokedAt.IsZero() {
			continue
		}
		changed = append(changed, t)
		t.RevokedAt = at
		tables.refreshTokens[digest] = t
	}
	x.onRollback(func() {
		for _, old := range changed {
			tables.refreshTokens[old.Digest] = old
		}
	})
	return len(changed), nil
}

// InsertAPIToken inserts t, setting its ID and Version.
func (x *tx) InsertAPIToken(ctx context.Context, t *directory.APIToken) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tables := x.s.t
	row := cloneAPIToken(*t)
	if err := tables.apiTokenUnique(row); err != nil {
		return fmt.Errorf("memory: insert API token: %w", err)
	}
	row.ID, row.Version = tables.apiTokens.allocate(), 1
	tables.putAPIToken(row)
	x.onRollback(func() { tables.deleteAPIToken(row.ID) })
	t.ID, t.Version = row.ID, row.Version
	return nil
}

// UpdateAPIToken writes t over the stored token with the same ID, company
// and Version, then increments t.Version.
func (x *tx) UpdateAPIToken(ctx context.Context, t *directory.APIToken) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tables := x.s.t
	old, ok := tables.apiTokens.get(t.ID)
	ok = ok && old.CompanyID == t.CompanyID
	if err := matchVersion(fmt.Sprintf("API token %d of company %d", t.ID, t.CompanyID), ok, old.Version, t.Version); err != nil {
		return err
	}
	row := cloneAPIToken(*t)
	if err := tables.apiTokenUnique(row); err != nil {
		return fmt.Errorf("memory: update API token %d: %w", t.ID, err)
	}
	row.CreatedAt = old.CreatedAt // like the SQL backends, which never write created_at on update
	row.Version++
	tables.putAPIToken(row)
	x.onRollback(func() { tables.putAPIToken(old) })
	t.Version = row.Version
	return nil
}

// TouchAPIToken sets LastUsedAt of a token of company, leaving its Version.
func (x *tx) TouchAPIToken(ctx context.Context, company tenant.CompanyID, id int64, at time.Time) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tables := x.s.t
	old, ok := tables.apiTokens.get(id)
	if !ok || old.CompanyID != company {
		return fmt.Errorf("memory: touch API token %d of company %d: %w", id, company, storage.ErrNotFound)
	}
	row := old
	if at.After(row.LastUsedAt) {
		row.LastUsedAt = at
	}
	tables.apiTokens.put(id, row)
	x.onRollback(func() { tables.apiTokens.put(id, old) })
	return nil
}

// ---- constraints and indexes ----

func (t *tables) apiTokenUnique(tok directory.APIToken) error {
	if id, ok := t.apiTokenByLookup[tok.LookupID]; ok && id != tok.ID {
		return fmt.Errorf("lookup ID %q is already used by another API token: %w", tok.LookupID, storage.ErrConflict)
	}
	return nil
}

func (t *tables) putAPIToken(tok directory.APIToken) {
	t.deleteAPITokenKeys(tok.ID)
	t.apiTokens.put(tok.ID, tok)
	t.apiTokenByLookup[tok.LookupID] = tok.ID
}

func (t *tables) deleteAPIToken(id int64) {
	t.deleteAPITokenKeys(id)
	t.apiTokens.remove(id)
}

func (t *tables) deleteAPITokenKeys(id int64) {
	if old, ok := t.apiTokens.get(id); ok && t.apiTokenByLookup[old.LookupID] == id {
		delete(t.apiTokenByLookup, old.LookupID)
	}
}
