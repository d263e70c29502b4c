package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// twoFactorTables hold enrolments, recovery codes, sign-in challenges,
// two-factor policies and session descriptions.
type twoFactorTables struct {
	enrolments map[tenant.UserID]directory.TwoFactor
	recovery   map[tenant.UserID][]directory.RecoveryCode
	challenges map[string]directory.LoginChallenge
	policies   map[tenant.CompanyID]directory.TwoFactorPolicy
	sessions   map[string]directory.SessionInfo
}

func newTwoFactorTables() *twoFactorTables {
	return &twoFactorTables{
		enrolments: map[tenant.UserID]directory.TwoFactor{},
		recovery:   map[tenant.UserID][]directory.RecoveryCode{},
		challenges: map[string]directory.LoginChallenge{},
		policies:   map[tenant.CompanyID]directory.TwoFactorPolicy{},
		sessions:   map[string]directory.SessionInfo{},
	}
}

// setKey writes m[k] = v (or deletes k when del) and records the undo.
func setKey[K comparable, V any](x *tx, m map[K]V, k K, v V, del bool) {
	old, had := m[k]
	if del {
		delete(m, k)
	} else {
		m[k] = v
	}
	x.onRollback(func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

// ---- reads ----

// TwoFactorByUser implements directory.Queries.
func (r reader) TwoFactorByUser(ctx context.Context, user tenant.UserID) (directory.TwoFactor, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.TwoFactor{}, err
	}
	defer release()
	f, ok := r.s.t.twoFactor.enrolments[user]
	if !ok {
		return directory.TwoFactor{}, fmt.Errorf("memory: two-factor enrolment of user %d: %w", user, storage.ErrNotFound)
	}
	return f, nil
}

// RecoveryCodesLeft implements directory.Queries.
func (r reader) RecoveryCodesLeft(ctx context.Context, user tenant.UserID) (int, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	n := 0
	for _, c := range r.s.t.twoFactor.recovery[user] {
		if c.UsedAt.IsZero() {
			n++
		}
	}
	return n, nil
}

// LoginChallengeByDigest implements directory.Queries.
func (r reader) LoginChallengeByDigest(ctx context.Context, digest string) (directory.LoginChallenge, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.LoginChallenge{}, err
	}
	defer release()
	c, ok := r.s.t.twoFactor.challenges[digest]
	if !ok {
		return directory.LoginChallenge{}, fmt.Errorf("memory: sign-in challenge: %w", storage.ErrNotFound)
	}
	return c, nil
}

// TwoFactorPolicyOf implements directory.Queries.
func (r reader) TwoFactorPolicyOf(ctx context.Context, company tenant.CompanyID) (directory.TwoFactorPolicy, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.TwoFactorPolicy{}, err
	}
	defer release()
	p, ok := r.s.t.twoFactor.policies[company]
	if !ok {
		return directory.TwoFactorPolicy{CompanyID: company}, nil
	}
	return p, nil
}

// SessionByID implements directory.Queries.
func (r reader) SessionByID(ctx context.Context, id string) (directory.SessionInfo, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return directory.SessionInfo{}, err
	}
	defer release()
	s, ok := r.s.t.twoFactor.sessions[id]
	if !ok {
		return directory.SessionInfo{}, fmt.Errorf("memory: session: %w", storage.ErrNotFound)
	}
	return s, nil
}

// ListLiveSessions implements directory.Queries.
func (r reader) ListLiveSessions(ctx context.Context, company tenant.CompanyID, user tenant.UserID, now time.Time) ([]directory.SessionInfo, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	live := map[string]bool{}
	for _, t := range r.s.t.refreshTokens {
		if t.UserID == user && t.UsedAt.IsZero() && t.RevokedAt.IsZero() && now.Before(t.ExpiresAt) {
			live[t.SessionID] = true
		}
	}
	out := []directory.SessionInfo{}
	for _, s := range r.s.t.twoFactor.sessions {
		if s.UserID == user && s.CompanyID == company && live[s.ID] {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b directory.SessionInfo) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return compareStrings(b.ID, a.ID)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ---- writes ----

// SaveTwoFactor implements directory.Tx.
func (x *tx) SaveTwoFactor(ctx context.Context, f directory.TwoFactor) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	setKey(x, x.s.t.twoFactor.enrolments, f.UserID, f, false)
	return nil
}

// DeleteTwoFactor implements directory.Tx.
func (x *tx) DeleteTwoFactor(ctx context.Context, user tenant.UserID) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t.twoFactor
	setKey(x, t.enrolments, user, directory.TwoFactor{}, true)
	setKey(x, t.recovery, user, nil, true)
	return nil
}

// ClaimTwoFactorAttempt implements directory.Tx.
func (x *tx) ClaimTwoFactorAttempt(ctx context.Context, user tenant.UserID, max int, lockedSince, at time.Time) (bool, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	t := x.s.t.twoFactor
	f, ok := t.enrolments[user]
	if !ok {
		return false, nil
	}
	stale := !f.LastFailureAt.After(lockedSince)
	if f.Failures >= max && !stale {
		return false, nil
	}
	if stale {
		f.Failures = 1
	} else {
		f.Failures++
	}
	f.LastFailureAt = at
	setKey(x, t.enrolments, user, f, false)
	return true, nil
}

// AcceptTwoFactorStep implements directory.Tx.
func (x *tx) AcceptTwoFactorStep(ctx context.Context, user tenant.UserID, step int64) (bool, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	t := x.s.t.twoFactor
	f, ok := t.enrolments[user]
	if !ok || step <= f.LastStep {
		return false, nil
	}
	f.LastStep, f.Failures = step, 0
	setKey(x, t.enrolments, user, f, false)
	return true, nil
}

// ReplaceRecoveryCodes implements directory.Tx.
func (x *tx) ReplaceRecoveryCodes(ctx context.Context, user tenant.UserID, codes []directory.RecoveryCode) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	setKey(x, x.s.t.twoFactor.recovery, user, slices.Clone(codes), false)
	return nil
}

// UseRecoveryCode implements directory.Tx.
func (x *tx) UseRecoveryCode(ctx context.Context, user tenant.UserID, digest string, at time.Time) (bool, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	t := x.s.t.twoFactor
	codes := t.recovery[user]
	i := slices.IndexFunc(codes, func(c directory.RecoveryCode) bool { return c.Digest == digest && c.UsedAt.IsZero() })
	if i < 0 {
		return false, nil
	}
	next := slices.Clone(codes)
	next[i].UsedAt = at
	setKey(x, t.recovery, user, next, false)
	if f, ok := t.enrolments[user]; ok {
		f.Failures = 0
		setKey(x, t.enrolments, user, f, false)
	}
	return true, nil
}

// InsertLoginChallenge implements directory.Tx.
func (x *tx) InsertLoginChallenge(ctx context.Context, c directory.LoginChallenge) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t.twoFactor
	if _, dup := t.challenges[c.Digest]; dup {
		return fmt.Errorf("memory: insert sign-in challenge: digest already stored: %w", storage.ErrConflict)
	}
	setKey(x, t.challenges, c.Digest, c, false)
	return nil
}

// ClaimChallengeAttempt implements directory.Tx.
func (x *tx) ClaimChallengeAttempt(ctx context.Context, digest string, max int, now time.Time) (bool, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	t := x.s.t.twoFactor
	c, ok := t.challenges[digest]
	if !ok || !c.UsedAt.IsZero() || c.Attempts >= max || !now.Before(c.ExpiresAt) {
		return false, nil
	}
	c.Attempts++
	setKey(x, t.challenges, digest, c, false)
	return true, nil
}

// UseLoginChallenge implements directory.Tx.
func (x *tx) UseLoginChallenge(ctx context.Context, digest string, at time.Time) (bool, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	t := x.s.t.twoFactor
	c, ok := t.challenges[digest]
	if !ok || !c.UsedAt.IsZero() {
		return false, nil
	}
	c.UsedAt = at
	setKey(x, t.challenges, digest, c, false)
	return true, nil
}

// SaveTwoFactorPolicy implements directory.Tx.
func (x *tx) SaveTwoFactorPolicy(ctx context.Context, p directory.TwoFactorPolicy) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	setKey(x, x.s.t.twoFactor.policies, p.CompanyID, p, false)
	return nil
}

// InsertSession implements directory.Tx.
func (x *tx) InsertSession(ctx context.Context, s directory.SessionInfo) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t.twoFactor
	if _, dup := t.sessions[s.ID]; dup {
		return fmt.Errorf("memory: insert session %s: %w", s.ID, storage.ErrConflict)
	}
	setKey(x, t.sessions, s.ID, s, false)
	return nil
}

// TouchSession implements directory.Tx.
func (x *tx) TouchSession(ctx context.Context, id string, ip string, at time.Time) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t.twoFactor
	s, ok := t.sessions[id]
	if !ok {
		return nil
	}
	s.LastSeenAt = at
	if ip != "" {
		s.IP = ip
	}
	setKey(x, t.sessions, id, s, false)
	return nil
}

// UnrestrictSessions implements directory.Tx.
func (x *tx) UnrestrictSessions(ctx context.Context, user tenant.UserID) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t.twoFactor
	for id, s := range t.sessions {
		if s.UserID == user && s.Restricted {
			s.Restricted = false
			setKey(x, t.sessions, id, s, false)
		}
	}
	return nil
}
