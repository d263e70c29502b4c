package storagetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// twoFactorCases cover two-factor enrolments, recovery codes, sign-in
// challenges, policies and session descriptions.
var twoFactorCases = []struct {
	name string
	fn   func(t *testing.T, b Backend)
}{
	{"TwoFactorRoundTrip", testTwoFactorRoundTrip},
	{"TwoFactorAttemptsAndSteps", testTwoFactorAttempts},
	{"TwoFactorRecoveryCodesSingleUse", testRecoveryCodes},
	{"TwoFactorChallenges", testLoginChallenges},
	{"TwoFactorPolicies", testTwoFactorPolicies},
	{"SessionsLiveAndTouched", testSessionInfo},
}

func testTwoFactorRoundTrip(t *testing.T, b Backend) {
	s := b.Directory()
	_, err := s.TwoFactorByUser(ctx(t), 7)
	require.ErrorIs(t, err, storage.ErrNotFound)

	f := directory.TwoFactor{UserID: 7, CompanyID: 3, Secret: "JBSWY3DPEHPK3PXP", CreatedAt: at}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.SaveTwoFactor(ctx, f) })
	got, err := s.TwoFactorByUser(ctx(t), 7)
	require.NoError(t, err)
	require.Equal(t, f, got)
	require.False(t, got.Confirmed())

	// Replaced whole; a rolled-back save leaves the previous one.
	f.ConfirmedAt, f.LastStep, f.Failures, f.LastFailureAt = at.Add(time.Minute), 42, 2, at.Add(time.Second)
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.SaveTwoFactor(ctx, f) })
	err = s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error {
		require.NoError(t, tx.SaveTwoFactor(ctx, directory.TwoFactor{UserID: 7, Secret: "OTHER", CreatedAt: at}))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	got, err = s.TwoFactorByUser(ctx(t), 7)
	require.NoError(t, err)
	require.Equal(t, f, got)
	require.True(t, got.Confirmed())

	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		return tx.ReplaceRecoveryCodes(ctx, 7, []directory.RecoveryCode{{UserID: 7, Digest: "d1", CreatedAt: at}})
	})
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.DeleteTwoFactor(ctx, 7) })
	_, err = s.TwoFactorByUser(ctx(t), 7)
	require.ErrorIs(t, err, storage.ErrNotFound)
	n, err := s.RecoveryCodesLeft(ctx(t), 7)
	require.NoError(t, err)
	require.Zero(t, n, "deleting an enrolment deletes its recovery codes")
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.DeleteTwoFactor(ctx, 7) }) // nothing left: no error
}

func testTwoFactorAttempts(t *testing.T, b Backend) {
	s := b.Directory()
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		return tx.SaveTwoFactor(ctx, directory.TwoFactor{UserID: 9, Secret: "S", ConfirmedAt: at, LastStep: 100, CreatedAt: at})
	})
	claim := func(when time.Time) bool {
		var ok bool
		tx(t, s, func(ctx context.Context, tx directory.Tx) error {
			var err error
			ok, err = tx.ClaimTwoFactorAttempt(ctx, 9, 3, when.Add(-15*time.Minute), when)
			return err
		})
		return ok
	}
	for i := range 3 {
		require.True(t, claim(at.Add(time.Duration(i)*time.Second)), "attempt %d", i+1)
	}
	require.False(t, claim(at.Add(5*time.Second)), "the fourth attempt within the lockout is refused")
	f, err := s.TwoFactorByUser(ctx(t), 9)
	require.NoError(t, err)
	require.Equal(t, 3, f.Failures, "a refused attempt is not counted")
	require.True(t, f.LastFailureAt.Equal(at.Add(2*time.Second)))
	require.True(t, claim(at.Add(2*time.Second+15*time.Minute)), "the lockout ends TwoFactorLockout after the last attempt")
	f, _ = s.TwoFactorByUser(ctx(t), 9)
	require.Equal(t, 1, f.Failures, "after the lockout the count starts again")

	accept := func(step int64) bool {
		var ok bool
		tx(t, s, func(ctx context.Context, tx directory.Tx) error {
			var err error
			ok, err = tx.AcceptTwoFactorStep(ctx, 9, step)
			return err
		})
		return ok
	}
	require.False(t, accept(100), "the step already accepted is a replay")
	require.False(t, accept(99))
	require.True(t, accept(101))
	f, _ = s.TwoFactorByUser(ctx(t), 9)
	require.EqualValues(t, 101, f.LastStep)
	require.Zero(t, f.Failures, "a success clears the attempts")

	// Concurrent claims never exceed the limit.
	var wg sync.WaitGroup
	var won atomic.Int32
	for range 8 {
		wg.Go(func() {
			if claim(at.Add(time.Hour)) {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 3, won.Load())

	// Accepting a step concurrently: exactly one wins.
	won.Store(0)
	for range 6 {
		wg.Go(func() {
			if accept(500) {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, won.Load())

	var ok bool
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		var err error
		ok, err = tx.ClaimTwoFactorAttempt(ctx, 12345, 3, at, at)
		return err
	})
	require.False(t, ok, "a user without an enrolment has nothing to claim")
}

func testRecoveryCodes(t *testing.T, b Backend) {
	s := b.Directory()
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		if err := tx.SaveTwoFactor(ctx, directory.TwoFactor{UserID: 5, Secret: "S", ConfirmedAt: at, Failures: 4, LastFailureAt: at, CreatedAt: at}); err != nil {
			return err
		}
		return tx.ReplaceRecoveryCodes(ctx, 5, []directory.RecoveryCode{{UserID: 5, Digest: "a", CreatedAt: at}, {UserID: 5, Digest: "b", CreatedAt: at}})
	})
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		return tx.ReplaceRecoveryCodes(ctx, 6, []directory.RecoveryCode{{UserID: 6, Digest: "a", CreatedAt: at}})
	})
	use := func(user tenant.UserID, digest string) bool {
		var ok bool
		tx(t, s, func(ctx context.Context, tx directory.Tx) error {
			var err error
			ok, err = tx.UseRecoveryCode(ctx, user, digest, at.Add(time.Minute))
			return err
		})
		return ok
	}
	n, err := s.RecoveryCodesLeft(ctx(t), 5)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.False(t, use(5, "zzz"))
	var wg sync.WaitGroup
	var won atomic.Int32
	for range 6 {
		wg.Go(func() {
			if use(5, "a") {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, won.Load(), "a recovery code is used exactly once")
	require.False(t, use(5, "a"))
	f, err := s.TwoFactorByUser(ctx(t), 5)
	require.NoError(t, err)
	require.Zero(t, f.Failures, "a used recovery code clears the attempts")
	n, _ = s.RecoveryCodesLeft(ctx(t), 5)
	require.Equal(t, 1, n)
	n, _ = s.RecoveryCodesLeft(ctx(t), 6)
	require.Equal(t, 1, n, "another user's code of the same digest is untouched")

	// Replacing drops the old codes, used or not.
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		return tx.ReplaceRecoveryCodes(ctx, 5, []directory.RecoveryCode{{UserID: 5, Digest: "c", CreatedAt: at}})
	})
	require.False(t, use(5, "b"))
	require.True(t, use(5, "c"))
}

func testLoginChallenges(t *testing.T, b Backend) {
	s := b.Directory()
	c := directory.LoginChallenge{Digest: "ch1", UserID: 7, CompanyID: 2, CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute)}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.InsertLoginChallenge(ctx, c) })
	got, err := s.LoginChallengeByDigest(ctx(t), "ch1")
	require.NoError(t, err)
	require.Equal(t, c, got)
	_, err = s.LoginChallengeByDigest(ctx(t), "nope")
	require.ErrorIs(t, err, storage.ErrNotFound)
	err = s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error { return tx.InsertLoginChallenge(ctx, c) })
	require.ErrorIs(t, err, storage.ErrConflict)

	claim := func(digest string, now time.Time) bool {
		var ok bool
		tx(t, s, func(ctx context.Context, tx directory.Tx) error {
			var err error
			ok, err = tx.ClaimChallengeAttempt(ctx, digest, 2, now)
			return err
		})
		return ok
	}
	require.False(t, claim("ch1", at.Add(5*time.Minute)), "expired")
	require.True(t, claim("ch1", at.Add(time.Minute)))
	require.True(t, claim("ch1", at.Add(time.Minute)))
	require.False(t, claim("ch1", at.Add(time.Minute)), "out of attempts")
	got, _ = s.LoginChallengeByDigest(ctx(t), "ch1")
	require.Equal(t, 2, got.Attempts)

	c2 := directory.LoginChallenge{Digest: "ch2", UserID: 7, CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute)}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.InsertLoginChallenge(ctx, c2) })
	var wg sync.WaitGroup
	var won atomic.Int32
	for range 6 {
		wg.Go(func() {
			var ok bool
			tx(t, s, func(ctx context.Context, tx directory.Tx) error {
				var err error
				ok, err = tx.UseLoginChallenge(ctx, "ch2", at.Add(time.Second))
				return err
			})
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, won.Load(), "a challenge is used exactly once")
	require.False(t, claim("ch2", at.Add(time.Second)), "a used challenge takes no attempt")
	got, _ = s.LoginChallengeByDigest(ctx(t), "ch2")
	require.True(t, got.UsedAt.Equal(at.Add(time.Second)))
}

func testTwoFactorPolicies(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	p, err := s.TwoFactorPolicyOf(ctx(t), co.ID)
	require.NoError(t, err)
	require.Equal(t, directory.TwoFactorPolicy{CompanyID: co.ID}, p, "never set: the zero policy")
	want := directory.TwoFactorPolicy{CompanyID: co.ID, RequireStaff: true, UpdatedAt: at}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.SaveTwoFactorPolicy(ctx, want) })
	platform := directory.TwoFactorPolicy{RequireAll: true, UpdatedAt: at}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.SaveTwoFactorPolicy(ctx, platform) })
	p, err = s.TwoFactorPolicyOf(ctx(t), co.ID)
	require.NoError(t, err)
	require.Equal(t, want, p)
	p, err = s.TwoFactorPolicyOf(ctx(t), 0)
	require.NoError(t, err)
	require.Equal(t, platform, p)
	want.RequireStaff, want.UpdatedAt = false, at.Add(time.Hour)
	tx(t, s, func(ctx context.Context, tx directory.Tx) error { return tx.SaveTwoFactorPolicy(ctx, want) })
	p, _ = s.TwoFactorPolicyOf(ctx(t), co.ID)
	require.Equal(t, want, p)
}

func testSessionInfo(t *testing.T, b Backend) {
	s := b.Directory()
	co := newCompany(t, s, "Acme", "")
	_, err := s.SessionByID(ctx(t), "ses-none")
	require.ErrorIs(t, err, storage.ErrNotFound)
	mk := func(id string, created time.Time, restricted bool) directory.SessionInfo {
		return directory.SessionInfo{ID: id, UserID: 7, CompanyID: co.ID, UserAgent: "Firefox/140 (X11; Linux)", IP: "192.0.2.1",
			Restricted: restricted, CreatedAt: created, LastSeenAt: created}
	}
	a, b2, c := mk("ses-a", at, true), mk("ses-b", at.Add(time.Hour), false), mk("ses-c", at.Add(2*time.Hour), true)
	other := directory.SessionInfo{ID: "ses-other", UserID: 8, CompanyID: co.ID, CreatedAt: at, LastSeenAt: at}
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		for _, si := range []directory.SessionInfo{a, b2, c, other} {
			if err := tx.InsertSession(ctx, si); err != nil {
				return err
			}
		}
		return nil
	})
	err = s.InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error { return tx.InsertSession(ctx, a) })
	require.ErrorIs(t, err, storage.ErrConflict)
	got, err := s.SessionByID(ctx(t), "ses-a")
	require.NoError(t, err)
	require.Equal(t, a, got)

	// Live: a refresh token neither used, revoked nor expired.
	live := func(digest, session string) directory.RefreshToken {
		rt := newRefreshToken(digest, session, co.ID)
		return rt
	}
	used := live("d-b-old", "ses-b")
	used.UsedAt = at.Add(time.Minute)
	expired := live("d-c", "ses-c")
	expired.ExpiresAt = at.Add(time.Hour)
	insertRefreshTokens(t, s, live("d-a", "ses-a"), used, live("d-b", "ses-b"), expired)
	list, err := s.ListLiveSessions(ctx(t), co.ID, 7, at.Add(90*time.Minute))
	require.NoError(t, err)
	require.Equal(t, []directory.SessionInfo{b2, a}, list, "newest first; ses-c's only token expired")
	list, err = s.ListLiveSessions(ctx(t), co.ID+1, 7, at.Add(90*time.Minute))
	require.NoError(t, err)
	require.Empty(t, list, "another company's sessions are not listed")

	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		_, err := tx.RevokeSession(ctx, "ses-a", at.Add(time.Hour))
		return err
	})
	list, err = s.ListLiveSessions(ctx(t), co.ID, 7, at.Add(90*time.Minute))
	require.NoError(t, err)
	require.Equal(t, []directory.SessionInfo{b2}, list, "a revoked session is not listed")

	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		if err := tx.TouchSession(ctx, "ses-b", "198.51.100.7", at.Add(3*time.Hour)); err != nil {
			return err
		}
		if err := tx.TouchSession(ctx, "ses-missing", "", at); err != nil {
			return err
		}
		return tx.UnrestrictSessions(ctx, 7)
	})
	got, _ = s.SessionByID(ctx(t), "ses-b")
	require.True(t, got.LastSeenAt.Equal(at.Add(3*time.Hour)))
	require.Equal(t, "198.51.100.7", got.IP)
	tx(t, s, func(ctx context.Context, tx directory.Tx) error {
		return tx.TouchSession(ctx, "ses-b", "", at.Add(4*time.Hour))
	})
	got, _ = s.SessionByID(ctx(t), "ses-b")
	require.Equal(t, "198.51.100.7", got.IP, "an empty IP keeps the one known")
	for _, id := range []string{"ses-a", "ses-c"} {
		got, _ = s.SessionByID(ctx(t), id)
		require.False(t, got.Restricted, "%s lifted", id)
	}
}
