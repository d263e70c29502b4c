package storagetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

func newRefreshToken(digest, session string, company tenant.CompanyID) directory.RefreshToken {
	return directory.RefreshToken{Digest: digest, SessionID: session, UserID: 7, CompanyID: company,
		CreatedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour)}
}

func insertRefreshTokens(t *testing.T, s directory.Store, toks ...directory.RefreshToken) {
	t.Helper()
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		for _, rt := range toks {
			if err := tx.InsertRefreshToken(ctx, rt); err != nil {
				return err
			}
		}
		return nil
	})
}

func useRefreshToken(t *testing.T, s directory.Store, digest string, when time.Time) bool {
	t.Helper()
	var ok bool
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		var err error
		ok, err = tx.UseRefreshToken(ctx, digest, when)
		return err
	})
	return ok
}

func testRefreshTokenRoundTrip(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	rt := newRefreshToken("digest-1", "session-1", co.ID)
	admin := newRefreshToken("digest-admin", "session-admin", 0) // platform admins have no company
	insertRefreshTokens(t, s, rt, admin)

	got, err := s.RefreshTokenByDigest(ctx(t), rt.Digest)
	require.NoError(t, err)
	require.Equal(t, rt, got)
	require.True(t, got.UsedAt.IsZero())
	require.True(t, got.RevokedAt.IsZero())
	gotAdmin, err := s.RefreshTokenByDigest(ctx(t), admin.Digest)
	require.NoError(t, err)
	require.Equal(t, admin, gotAdmin)

	_, err = s.RefreshTokenByDigest(ctx(t), "missing")
	require.ErrorIs(t, err, storage.ErrNotFound)
	dup := newRefreshToken(rt.Digest, "session-2", co.ID)
	err = s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error { return tx.InsertRefreshToken(ctx, dup) })
	require.ErrorIs(t, err, storage.ErrConflict)

	// A use rolled back with its unit of work leaves the token unused.
	err = s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error {
		ok, err := tx.UseRefreshToken(ctx, rt.Digest, at.Add(time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
		inside, err := tx.RefreshTokenByDigest(ctx, rt.Digest)
		require.NoError(t, err)
		require.True(t, inside.UsedAt.Equal(at.Add(time.Minute)), "the transaction reads its own write")
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	got, err = s.RefreshTokenByDigest(ctx(t), rt.Digest)
	require.NoError(t, err)
	require.True(t, got.UsedAt.IsZero(), "the use was rolled back")

	usedAt := at.Add(2 * time.Minute)
	require.True(t, useRefreshToken(t, s, rt.Digest, usedAt))
	require.False(t, useRefreshToken(t, s, rt.Digest, usedAt.Add(time.Minute)), "a token is used once")
	require.False(t, useRefreshToken(t, s, "missing", usedAt), "an unknown token is not used, without error")
	got, err = s.RefreshTokenByDigest(ctx(t), rt.Digest)
	require.NoError(t, err)
	want := rt
	want.UsedAt = usedAt
	require.Equal(t, want, got, "UsedAt keeps the first use")
}

func testRefreshTokenRevokeSession(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	insertRefreshTokens(t, s,
		newRefreshToken("s1-a", "session-1", co.ID),
		newRefreshToken("s1-b", "session-1", co.ID),
		newRefreshToken("s1-c", "session-1", co.ID),
		newRefreshToken("s2-a", "session-2", co.ID))
	usedAt := at.Add(time.Minute)
	require.True(t, useRefreshToken(t, s, "s1-a", usedAt))
	live := func(session string) bool {
		t.Helper()
		ok, err := s.SessionLive(ctx(t), session)
		require.NoError(t, err)
		return ok
	}
	require.True(t, live("session-1"), "a used token leaves its session live")
	require.False(t, live("no-such-session"))

	revokedAt := at.Add(time.Hour)
	var n int
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		var err error
		n, err = tx.RevokeSession(ctx, "session-1", revokedAt)
		return err
	})
	require.Equal(t, 3, n, "used tokens of the session are revoked too")
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		var err error
		n, err = tx.RevokeSession(ctx, "session-1", revokedAt.Add(time.Hour))
		return err
	})
	require.Zero(t, n, "already revoked tokens are not counted again")

	for _, d := range []string{"s1-a", "s1-b", "s1-c"} {
		got, err := s.RefreshTokenByDigest(ctx(t), d)
		require.NoError(t, err)
		require.True(t, got.RevokedAt.Equal(revokedAt), "%s keeps the first revocation time, got %v", d, got.RevokedAt)
		require.Equal(t, time.UTC, got.RevokedAt.Location())
	}
	a, err := s.RefreshTokenByDigest(ctx(t), "s1-a")
	require.NoError(t, err)
	require.True(t, a.UsedAt.Equal(usedAt), "revocation keeps UsedAt")
	other, err := s.RefreshTokenByDigest(ctx(t), "s2-a")
	require.NoError(t, err)
	require.True(t, other.RevokedAt.IsZero(), "another session is untouched")
	require.False(t, live("session-1"), "a revoked session is not live")
	require.True(t, live("session-2"))

	require.False(t, useRefreshToken(t, s, "s1-b", at.Add(2*time.Hour)), "a revoked token cannot be used")
	got, err := s.RefreshTokenByDigest(ctx(t), "s1-b")
	require.NoError(t, err)
	require.True(t, got.UsedAt.IsZero())
	require.True(t, useRefreshToken(t, s, "s2-a", at.Add(2*time.Hour)))
}

// testRefreshTokenRevokeUserSessions revokes every session of one user but
// the one kept, and nothing of another user.
func testRefreshTokenRevokeUserSessions(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	other := newRefreshToken("u8-a", "session-8", co.ID)
	other.UserID = 8
	insertRefreshTokens(t, s,
		newRefreshToken("u7-a", "session-1", co.ID),
		newRefreshToken("u7-b", "session-2", co.ID),
		newRefreshToken("u7-c", "session-2", co.ID),
		newRefreshToken("u7-keep", "session-keep", co.ID),
		other)
	revokedAt := at.Add(time.Hour)
	var n int
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		var err error
		n, err = tx.RevokeUserSessions(ctx, 7, "session-keep", revokedAt)
		return err
	})
	require.Equal(t, 3, n)
	for digest, revoked := range map[string]bool{"u7-a": true, "u7-b": true, "u7-c": true, "u7-keep": false, "u8-a": false} {
		got, err := s.RefreshTokenByDigest(ctx(t), digest)
		require.NoError(t, err)
		require.Equal(t, revoked, !got.RevokedAt.IsZero(), digest)
		if revoked {
			require.True(t, got.RevokedAt.Equal(revokedAt), digest)
		}
	}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		var err error
		n, err = tx.RevokeUserSessions(ctx, 7, "", revokedAt.Add(time.Hour))
		return err
	})
	require.Equal(t, 1, n, "an empty exception spares no session; revoked tokens are not counted again")
	got, err := s.RefreshTokenByDigest(ctx(t), "u7-a")
	require.NoError(t, err)
	require.True(t, got.RevokedAt.Equal(revokedAt), "the first revocation time is kept")
}

// testUserLanguageRoundTrip stores and reads back a user's language.
func testUserLanguageRoundTrip(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	u := directory.User{CompanyID: co.ID, Email: "lang@acme.test", PasswordHash: []byte("x"), Role: tenant.RoleAgent,
		Active: true, CreatedAt: at, UpdatedAt: at}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.InsertUser(ctx, &u) })
	got, err := s.UserByID(ctx(t), co.ID, u.ID)
	require.NoError(t, err)
	require.Empty(t, got.Language, "no preference until the user chooses")
	got.Language = "pt-BR"
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.UpdateUser(ctx, &got) })
	again, err := s.UserByID(ctx(t), co.ID, u.ID)
	require.NoError(t, err)
	require.Equal(t, "pt-BR", again.Language)
	byEmail, err := s.UserByEmail(ctx(t), "lang@acme.test")
	require.NoError(t, err)
	require.Equal(t, "pt-BR", byEmail.Language)
}

// testRefreshTokenUsedOnce races 8 refreshes of one token: exactly one wins.
func testRefreshTokenUsedOnce(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	for round := range 3 {
		digest := fmt.Sprintf("race-%d", round)
		insertRefreshTokens(t, s, newRefreshToken(digest, "session", co.ID))
		const workers = 8
		var (
			wg    sync.WaitGroup
			wins  atomic.Int32
			start = make(chan struct{})
		)
		for w := range workers {
			wg.Go(func() {
				<-start
				err := s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error {
					ok, err := tx.UseRefreshToken(ctx, digest, at.Add(time.Duration(w)*time.Second))
					if ok {
						wins.Add(1)
					}
					return err
				})
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
				}
			})
		}
		close(start)
		wg.Wait()
		require.EqualValues(t, 1, wins.Load(), "round %d: exactly one concurrent refresh wins", round)
		got, err := s.RefreshTokenByDigest(ctx(t), digest)
		require.NoError(t, err)
		require.False(t, got.UsedAt.IsZero())
	}
}

func newAPIToken(company tenant.CompanyID, name, lookup string, perms ...tenant.Permission) directory.APIToken {
	if perms == nil {
		perms = []tenant.Permission{}
	}
	return directory.APIToken{CompanyID: company, Name: name, LookupID: lookup, Digest: "digest-of-" + lookup,
		Permissions: perms, CreatedBy: 42, CreatedAt: at, UpdatedAt: at}
}

func insertAPIToken(t *testing.T, s directory.Store, tok directory.APIToken) directory.APIToken {
	t.Helper()
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.InsertAPIToken(ctx, &tok) })
	require.NotZero(t, tok.ID)
	require.EqualValues(t, 1, tok.Version)
	return tok
}

func updateAPIToken(s directory.Store, c context.Context, tok *directory.APIToken) error {
	return s.InTx(c, func(ctx context.Context, tx directory.Tx) error { return tx.UpdateAPIToken(ctx, tok) })
}

func touchAPIToken(s directory.Store, c context.Context, company tenant.CompanyID, id int64, when time.Time) error {
	return s.InTx(c, func(ctx context.Context, tx directory.Tx) error { return tx.TouchAPIToken(ctx, company, id, when) })
}

func testAPITokenRoundTrip(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	perms := []tenant.Permission{tenant.PermTicketsRead, tenant.PermContactsRead, tenant.PermCompanyRead}
	tok := newAPIToken(co.ID, "CI", "lookup-1", perms...)
	tok.ExpiresAt = at.Add(90 * 24 * time.Hour)
	tok.Rate, tok.Burst = 2.5, 7
	tok = insertAPIToken(t, s, tok)

	got, err := s.APITokenByID(ctx(t), co.ID, tok.ID)
	require.NoError(t, err)
	require.Equal(t, tok, got)
	require.Equal(t, perms, got.Permissions, "permissions keep their order")
	require.True(t, got.LastUsedAt.IsZero())
	require.True(t, got.RevokedAt.IsZero())
	byLookup, err := s.APITokenByLookup(ctx(t), "lookup-1")
	require.NoError(t, err)
	require.Equal(t, tok, byLookup)
	_, err = s.APITokenByLookup(ctx(t), "missing")
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.APITokenByID(ctx(t), co.ID, tok.ID+1000)
	require.ErrorIs(t, err, storage.ErrNotFound)

	// No permissions and no expiry: an empty list (never nil) and a zero time.
	empty := insertAPIToken(t, s, newAPIToken(co.ID, "Empty", "lookup-2"))
	got, err = s.APITokenByID(ctx(t), co.ID, empty.ID)
	require.NoError(t, err)
	require.Equal(t, empty, got)
	require.NotNil(t, got.Permissions)
	require.Empty(t, got.Permissions)
	require.True(t, got.ExpiresAt.IsZero())
	nilPerms := newAPIToken(co.ID, "Nil", "lookup-3")
	nilPerms.Permissions = nil
	nilPerms = insertAPIToken(t, s, nilPerms)
	got, err = s.APITokenByID(ctx(t), co.ID, nilPerms.ID)
	require.NoError(t, err)
	require.Equal(t, []tenant.Permission{}, got.Permissions, "nil permissions read back as an empty list")

	// An update writes every field and bumps the version; the caller's
	// slice is not shared with the store.
	got, err = s.APITokenByID(ctx(t), co.ID, tok.ID)
	require.NoError(t, err)
	got.Name = "CI renamed"
	got.Permissions = []tenant.Permission{tenant.PermAssetsRead}
	got.RevokedAt = at.Add(time.Hour)
	got.ExpiresAt = time.Time{}
	got.Rate, got.Burst = 0, 0
	got.UpdatedAt = at.Add(time.Hour)
	require.NoError(t, updateAPIToken(s, ctx(t), &got))
	require.EqualValues(t, 2, got.Version)
	got.Permissions[0] = tenant.PermUsersManage
	again, err := s.APITokenByID(ctx(t), co.ID, tok.ID)
	require.NoError(t, err)
	got.Permissions[0] = tenant.PermAssetsRead
	require.Equal(t, got, again)

	// A rolled back insert leaves nothing.
	err = s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error {
		doomed := newAPIToken(co.ID, "Doomed", "lookup-doomed")
		require.NoError(t, tx.InsertAPIToken(ctx, &doomed))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	_, err = s.APITokenByLookup(ctx(t), "lookup-doomed")
	require.ErrorIs(t, err, storage.ErrNotFound)
	insertAPIToken(t, s, newAPIToken(co.ID, "Reborn", "lookup-doomed"))
}

func testAPITokenConflictAndStale(t *testing.T, b Backend) {
	s := b.Directory()
	a := newCompany(t, s, "A", "")
	other := newCompany(t, s, "B", "")
	first := insertAPIToken(t, s, newAPIToken(a.ID, "First", "lookup-1", tenant.PermTicketsRead))
	second := insertAPIToken(t, s, newAPIToken(a.ID, "Second", "lookup-2"))

	dup := newAPIToken(other.ID, "Dup", "lookup-1")
	err := s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error { return tx.InsertAPIToken(ctx, &dup) })
	require.ErrorIs(t, err, storage.ErrConflict, "lookup IDs are unique across companies")

	clash := second
	clash.LookupID = "lookup-1"
	require.ErrorIs(t, updateAPIToken(s, ctx(t), &clash), storage.ErrConflict)
	got, err := s.APITokenByID(ctx(t), a.ID, second.ID)
	require.NoError(t, err)
	require.Equal(t, second, got, "a failed update changes nothing")

	x, y := first, first
	x.Name = "X"
	require.NoError(t, updateAPIToken(s, ctx(t), &x))
	y.Name = "Y"
	require.ErrorIs(t, updateAPIToken(s, ctx(t), &y), storage.ErrStale)
	got, err = s.APITokenByID(ctx(t), a.ID, first.ID)
	require.NoError(t, err)
	require.Equal(t, "X", got.Name)
	require.EqualValues(t, 2, got.Version)

	missing := newAPIToken(a.ID, "Missing", "lookup-missing")
	missing.ID, missing.Version = first.ID+1000, 1
	require.ErrorIs(t, updateAPIToken(s, ctx(t), &missing), storage.ErrNotFound)
}

func testAPITokenTenantIsolation(t *testing.T, b Backend) {
	s := b.Directory()
	a := newCompany(t, s, "A", "")
	other := newCompany(t, s, "B", "")
	tok := insertAPIToken(t, s, newAPIToken(a.ID, "CI", "lookup-1", tenant.PermTicketsRead))

	_, err := s.APITokenByID(ctx(t), other.ID, tok.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	list, err := s.ListAPITokens(ctx(t), other.ID, directory.APITokenFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, list.Items)

	stolen := tok
	stolen.CompanyID = other.ID
	stolen.Name = "Stolen"
	err = updateAPIToken(s, ctx(t), &stolen)
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.NotErrorIs(t, err, storage.ErrStale)
	stolen.Version = 99
	require.ErrorIs(t, updateAPIToken(s, ctx(t), &stolen), storage.ErrNotFound, "a stale version elsewhere is still not found")

	require.ErrorIs(t, touchAPIToken(s, ctx(t), other.ID, tok.ID, at.Add(time.Hour)), storage.ErrNotFound)
	require.ErrorIs(t, touchAPIToken(s, ctx(t), a.ID, tok.ID+1000, at.Add(time.Hour)), storage.ErrNotFound)

	got, err := s.APITokenByID(ctx(t), a.ID, tok.ID)
	require.NoError(t, err)
	require.Equal(t, tok, got, "nothing changed")
}

func testAPITokenTouch(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	tok := insertAPIToken(t, s, newAPIToken(co.ID, "CI", "lookup-1", tenant.PermTicketsRead))
	used := at.Add(5 * time.Minute)
	require.NoError(t, touchAPIToken(s, ctx(t), co.ID, tok.ID, used))
	got, err := s.APITokenByID(ctx(t), co.ID, tok.ID)
	require.NoError(t, err)
	require.True(t, got.LastUsedAt.Equal(used))
	require.Equal(t, time.UTC, got.LastUsedAt.Location())
	require.EqualValues(t, 1, got.Version, "a touch is bookkeeping: the version stays")
	want := tok
	want.LastUsedAt = used
	require.Equal(t, want, got, "a touch changes LastUsedAt only")
	require.NoError(t, touchAPIToken(s, ctx(t), co.ID, tok.ID, used.Add(-time.Minute)))
	got, err = s.APITokenByID(ctx(t), co.ID, tok.ID)
	require.NoError(t, err)
	require.True(t, got.LastUsedAt.Equal(used), "an earlier use, written late by another instance, does not move it back")

	// The holder of the version read before the touch can still update.
	stale := tok
	stale.Name = "Renamed"
	require.NoError(t, updateAPIToken(s, ctx(t), &stale))
	require.EqualValues(t, 2, stale.Version)
}

func testAPITokenList(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	other := newCompany(t, s, "Other", "")
	var all, live, revoked []int64
	for i := range 7 {
		tok := insertAPIToken(t, s, newAPIToken(co.ID, fmt.Sprintf("T%d", i), fmt.Sprintf("lookup-%d", i)))
		insertAPIToken(t, s, newAPIToken(other.ID, fmt.Sprintf("O%d", i), fmt.Sprintf("other-%d", i)))
		all = append(all, tok.ID)
		if i%3 == 0 {
			tok.RevokedAt = at.Add(time.Duration(i) * time.Minute)
			require.NoError(t, updateAPIToken(s, ctx(t), &tok))
			revoked = append(revoked, tok.ID)
		} else {
			live = append(live, tok.ID)
		}
	}
	ids := func(f directory.APITokenFilter, limit int) []int64 {
		var out []int64
		req := storage.PageRequest{Limit: limit}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 100)
			p, err := s.ListAPITokens(ctx(t), co.ID, f, req)
			require.NoError(t, err)
			require.LessOrEqual(t, len(p.Items), limit)
			for _, tok := range p.Items {
				require.Equal(t, co.ID, tok.CompanyID)
				out = append(out, tok.ID)
			}
			if p.NextCursor == "" {
				return out
			}
			req.Cursor = p.NextCursor
		}
	}
	yes, no := true, false
	require.Equal(t, all, ids(directory.APITokenFilter{}, 200))
	require.Equal(t, all, ids(directory.APITokenFilter{}, 2), "paging by 2 sees every token once, in order")
	require.Equal(t, revoked, ids(directory.APITokenFilter{Revoked: &yes}, 2))
	require.Equal(t, live, ids(directory.APITokenFilter{Revoked: &no}, 3))

	_, err := s.ListAPITokens(ctx(t), co.ID, directory.APITokenFilter{}, storage.PageRequest{Cursor: "not-a-cursor"})
	require.ErrorIs(t, err, storage.ErrBadCursor)
}
