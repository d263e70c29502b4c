package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// twoFactorRow is a user's TOTP enrolment; confirmed_at and
// last_failure_at are NULL until set.
type twoFactorRow struct {
	bun.BaseModel `bun:"table:user_totp"`
	UserID        int64     `bun:"user_id,pk"`
	CompanyID     int64     `bun:"company_id"`
	Secret        string    `bun:"secret"`
	ConfirmedAt   time.Time `bun:"confirmed_at,nullzero"`
	LastStep      int64     `bun:"last_step"`
	Failures      int       `bun:"failures"`
	LastFailureAt time.Time `bun:"last_failure_at,nullzero"`
	CreatedAt     time.Time `bun:"created_at"`
}

func (r twoFactorRow) model() directory.TwoFactor {
	return directory.TwoFactor{UserID: tenant.UserID(r.UserID), CompanyID: tenant.CompanyID(r.CompanyID), Secret: r.Secret,
		ConfirmedAt: utcOrZero(r.ConfirmedAt), LastStep: r.LastStep, Failures: r.Failures,
		LastFailureAt: utcOrZero(r.LastFailureAt), CreatedAt: r.CreatedAt.UTC()}
}

type recoveryCodeRow struct {
	bun.BaseModel `bun:"table:user_recovery_codes"`
	UserID        int64     `bun:"user_id,pk"`
	Digest        string    `bun:"digest,pk"`
	CreatedAt     time.Time `bun:"created_at"`
	UsedAt        time.Time `bun:"used_at,nullzero"`
}

type loginChallengeRow struct {
	bun.BaseModel `bun:"table:login_challenges"`
	Digest        string    `bun:"digest,pk"`
	UserID        int64     `bun:"user_id"`
	CompanyID     int64     `bun:"company_id"`
	Attempts      int       `bun:"attempts"`
	CreatedAt     time.Time `bun:"created_at"`
	ExpiresAt     time.Time `bun:"expires_at"`
	UsedAt        time.Time `bun:"used_at,nullzero"`
}

func (r loginChallengeRow) model() directory.LoginChallenge {
	return directory.LoginChallenge{Digest: r.Digest, UserID: tenant.UserID(r.UserID), CompanyID: tenant.CompanyID(r.CompanyID),
		Attempts: r.Attempts, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utcOrZero(r.UsedAt)}
}

type twoFactorPolicyRow struct {
	bun.BaseModel `bun:"table:two_factor_policies"`
	CompanyID     int64     `bun:"company_id,pk"`
	RequireStaff  bool      `bun:"require_staff"`
	RequireAll    bool      `bun:"require_all"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions,alias:s"`
	ID            string    `bun:"id,pk"`
	UserID        int64     `bun:"user_id"`
	CompanyID     int64     `bun:"company_id"`
	UserAgent     string    `bun:"user_agent"`
	IP            string    `bun:"ip"`
	Restricted    bool      `bun:"restricted"`
	CreatedAt     time.Time `bun:"created_at"`
	LastSeenAt    time.Time `bun:"last_seen_at"`
}

func (r sessionRow) model() directory.SessionInfo {
	return directory.SessionInfo{ID: r.ID, UserID: tenant.UserID(r.UserID), CompanyID: tenant.CompanyID(r.CompanyID),
		UserAgent: r.UserAgent, IP: r.IP, Restricted: r.Restricted, CreatedAt: r.CreatedAt.UTC(), LastSeenAt: r.LastSeenAt.UTC()}
}

// affected reports how many rows a two-factor write changed.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, translate(err, "two-factor sign-in")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(err, "two-factor sign-in")
	}
	return n, nil
}

// ---- reads ----

// TwoFactorByUser implements directory.Queries.
func (q queries) TwoFactorByUser(ctx context.Context, user tenant.UserID) (directory.TwoFactor, error) {
	var r twoFactorRow
	if err := q.db.NewSelect().Model(&r).Where("user_id = ?", int64(user)).Scan(ctx); err != nil {
		return directory.TwoFactor{}, translate(err, "two-factor enrolment")
	}
	return r.model(), nil
}

// RecoveryCodesLeft implements directory.Queries.
func (q queries) RecoveryCodesLeft(ctx context.Context, user tenant.UserID) (int, error) {
	n, err := q.db.NewSelect().Model((*recoveryCodeRow)(nil)).Where("user_id = ?", int64(user)).Where("used_at IS NULL").Count(ctx)
	if err != nil {
		return 0, translate(err, "counting recovery codes")
	}
	return int(n), nil
}

// LoginChallengeByDigest implements directory.Queries.
func (q queries) LoginChallengeByDigest(ctx context.Context, digest string) (directory.LoginChallenge, error) {
	var r loginChallengeRow
	if err := q.db.NewSelect().Model(&r).Where("digest = ?", digest).Scan(ctx); err != nil {
		return directory.LoginChallenge{}, translate(err, "sign-in challenge")
	}
	return r.model(), nil
}

// TwoFactorPolicyOf implements directory.Queries.
func (q queries) TwoFactorPolicyOf(ctx context.Context, company tenant.CompanyID) (directory.TwoFactorPolicy, error) {
	var r twoFactorPolicyRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ?", int64(company)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return directory.TwoFactorPolicy{CompanyID: company}, nil
	} else if err != nil {
		return directory.TwoFactorPolicy{}, translate(err, "two-factor policy")
	}
	return directory.TwoFactorPolicy{CompanyID: company, RequireStaff: r.RequireStaff, RequireAll: r.RequireAll,
		UpdatedAt: r.UpdatedAt.UTC()}, nil
}

// SessionByID implements directory.Queries.
func (q queries) SessionByID(ctx context.Context, id string) (directory.SessionInfo, error) {
	var r sessionRow
	if err := q.db.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return directory.SessionInfo{}, translate(err, "session")
	}
	return r.model(), nil
}

// ListLiveSessions implements directory.Queries
// (sessions_company_id_user_id_idx, refresh_tokens_session_id_idx).
func (q queries) ListLiveSessions(ctx context.Context, company tenant.CompanyID, user tenant.UserID, now time.Time) ([]directory.SessionInfo, error) {
	var rows []sessionRow
	live := q.db.NewSelect().Model((*refreshTokenRow)(nil)).ColumnExpr("1").
		Where("session_id = s.id").Where("used_at IS NULL").Where("revoked_at IS NULL").Where("expires_at > ?", now.UTC())
	err := q.db.NewSelect().Model(&rows).Where("s.company_id = ?", int64(company)).Where("s.user_id = ?", int64(user)).
		Where("EXISTS (?)", live).OrderExpr("s.created_at DESC, s.id DESC").Scan(ctx)
	if err != nil {
		return nil, translate(err, "listing sessions")
	}
	out := make([]directory.SessionInfo, len(rows))
	for i, r := range rows {
		out[i] = r.model()
	}
	return out, nil
}

// ---- writes ----

// SaveTwoFactor implements directory.Tx.
func (t *Tx) SaveTwoFactor(ctx context.Context, f directory.TwoFactor) error {
	r := twoFactorRow{UserID: int64(f.UserID), CompanyID: int64(f.CompanyID), Secret: f.Secret, ConfirmedAt: utcOrZero(f.ConfirmedAt),
		LastStep: f.LastStep, Failures: f.Failures, LastFailureAt: utcOrZero(f.LastFailureAt), CreatedAt: f.CreatedAt.UTC()}
	_, err := t.db.NewInsert().Model(&r).On("CONFLICT (user_id) DO UPDATE").
		Set("company_id = EXCLUDED.company_id, secret = EXCLUDED.secret, confirmed_at = EXCLUDED.confirmed_at").
		Set("last_step = EXCLUDED.last_step, failures = EXCLUDED.failures, last_failure_at = EXCLUDED.last_failure_at").
		Set("created_at = EXCLUDED.created_at").Exec(ctx)
	return translate(err, "saving two-factor enrolment")
}

// DeleteTwoFactor implements directory.Tx.
func (t *Tx) DeleteTwoFactor(ctx context.Context, user tenant.UserID) error {
	if _, err := t.db.NewDelete().Model((*recoveryCodeRow)(nil)).Where("user_id = ?", int64(user)).Exec(ctx); err != nil {
		return translate(err, "deleting recovery codes")
	}
	_, err := t.db.NewDelete().Model((*twoFactorRow)(nil)).Where("user_id = ?", int64(user)).Exec(ctx)
	return translate(err, "deleting two-factor enrolment")
}

// ClaimTwoFactorAttempt implements directory.Tx: one conditional UPDATE.
func (t *Tx) ClaimTwoFactorAttempt(ctx context.Context, user tenant.UserID, max int, lockedSince, at time.Time) (bool, error) {
	since := lockedSince.UTC()
	n, err := affected(t.db.NewUpdate().Model((*twoFactorRow)(nil)).
		Set("failures = CASE WHEN last_failure_at IS NULL OR last_failure_at <= ? THEN 1 ELSE failures + 1 END", since).
		Set("last_failure_at = ?", at.UTC()).
		Where("user_id = ?", int64(user)).
		Where("(failures < ? OR last_failure_at IS NULL OR last_failure_at <= ?)", max, since).Exec(ctx))
	return n == 1, err
}

// AcceptTwoFactorStep implements directory.Tx: one conditional UPDATE.
func (t *Tx) AcceptTwoFactorStep(ctx context.Context, user tenant.UserID, step int64) (bool, error) {
	n, err := affected(t.db.NewUpdate().Model((*twoFactorRow)(nil)).Set("last_step = ?", step).Set("failures = 0").
		Where("user_id = ?", int64(user)).Where("last_step < ?", step).Exec(ctx))
	return n == 1, err
}

// ReplaceRecoveryCodes implements directory.Tx.
func (t *Tx) ReplaceRecoveryCodes(ctx context.Context, user tenant.UserID, codes []directory.RecoveryCode) error {
	if _, err := t.db.NewDelete().Model((*recoveryCodeRow)(nil)).Where("user_id = ?", int64(user)).Exec(ctx); err != nil {
		return translate(err, "deleting recovery codes")
	}
	if len(codes) == 0 {
		return nil
	}
	rows := make([]recoveryCodeRow, len(codes))
	for i, c := range codes {
		rows[i] = recoveryCodeRow{UserID: int64(user), Digest: c.Digest, CreatedAt: c.CreatedAt.UTC(), UsedAt: utcOrZero(c.UsedAt)}
	}
	_, err := t.db.NewInsert().Model(&rows).Exec(ctx)
	return translate(err, "storing recovery codes")
}

// UseRecoveryCode implements directory.Tx: one conditional UPDATE, then
// the attempts are cleared.
func (t *Tx) UseRecoveryCode(ctx context.Context, user tenant.UserID, digest string, at time.Time) (bool, error) {
	n, err := affected(t.db.NewUpdate().Model((*recoveryCodeRow)(nil)).Set("used_at = ?", at.UTC()).
		Where("user_id = ?", int64(user)).Where("digest = ?", digest).Where("used_at IS NULL").Exec(ctx))
	if err != nil || n != 1 {
		return false, err
	}
	_, err = t.db.NewUpdate().Model((*twoFactorRow)(nil)).Set("failures = 0").Where("user_id = ?", int64(user)).Exec(ctx)
	return err == nil, translate(err, "clearing code attempts")
}

// InsertLoginChallenge implements directory.Tx.
func (t *Tx) InsertLoginChallenge(ctx context.Context, c directory.LoginChallenge) error {
	r := loginChallengeRow{Digest: c.Digest, UserID: int64(c.UserID), CompanyID: int64(c.CompanyID), Attempts: c.Attempts,
		CreatedAt: c.CreatedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC(), UsedAt: utcOrZero(c.UsedAt)}
	_, err := t.db.NewInsert().Model(&r).Exec(ctx)
	return translate(err, "inserting sign-in challenge")
}

// ClaimChallengeAttempt implements directory.Tx: one conditional UPDATE.
func (t *Tx) ClaimChallengeAttempt(ctx context.Context, digest string, max int, now time.Time) (bool, error) {
	n, err := affected(t.db.NewUpdate().Model((*loginChallengeRow)(nil)).Set("attempts = attempts + 1").
		Where("digest = ?", digest).Where("used_at IS NULL").Where("attempts < ?", max).Where("expires_at > ?", now.UTC()).Exec(ctx))
	return n == 1, err
}

// UseLoginChallenge implements directory.Tx: one conditional UPDATE.
func (t *Tx) UseLoginChallenge(ctx context.Context, digest string, at time.Time) (bool, error) {
	n, err := affected(t.db.NewUpdate().Model((*loginChallengeRow)(nil)).Set("used_at = ?", at.UTC()).
		Where("digest = ?", digest).Where("used_at IS NULL").Exec(ctx))
	return n == 1, err
}

// SaveTwoFactorPolicy implements directory.Tx.
func (t *Tx) SaveTwoFactorPolicy(ctx context.Context, p directory.TwoFactorPolicy) error {
	r := twoFactorPolicyRow{CompanyID: int64(p.CompanyID), RequireStaff: p.RequireStaff, RequireAll: p.RequireAll, UpdatedAt: p.UpdatedAt.UTC()}
	_, err := t.db.NewInsert().Model(&r).On("CONFLICT (company_id) DO UPDATE").
		Set("require_staff = EXCLUDED.require_staff, require_all = EXCLUDED.require_all, updated_at = EXCLUDED.updated_at").Exec(ctx)
	return translate(err, "saving two-factor policy")
}

// InsertSession implements directory.Tx.
func (t *Tx) InsertSession(ctx context.Context, s directory.SessionInfo) error {
	r := sessionRow{ID: s.ID, UserID: int64(s.UserID), CompanyID: int64(s.CompanyID), UserAgent: s.UserAgent, IP: s.IP,
		Restricted: s.Restricted, CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC()}
	_, err := t.db.NewInsert().Model(&r).Exec(ctx)
	return translate(err, "inserting session")
}

// TouchSession implements directory.Tx.
func (t *Tx) TouchSession(ctx context.Context, id string, ip string, at time.Time) error {
	q := t.db.NewUpdate().Model((*sessionRow)(nil)).Set("last_seen_at = ?", at.UTC()).Where("id = ?", id)
	if ip != "" {
		q = q.Set("ip = ?", ip)
	}
	_, err := q.Exec(ctx)
	return translate(err, "noting session activity")
}

// UnrestrictSessions implements directory.Tx.
func (t *Tx) UnrestrictSessions(ctx context.Context, user tenant.UserID) error {
	_, err := t.db.NewUpdate().Model((*sessionRow)(nil)).Set("restricted = ?", false).
		Where("user_id = ?", int64(user)).Where("restricted = ?", true).Exec(ctx)
	return translate(err, "lifting session restriction")
}
