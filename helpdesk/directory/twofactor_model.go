package directory

import (
	"context"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// TwoFactor is a user's TOTP enrolment (RFC 6238: SHA-1, six digits,
// 30-second steps). It is pending until a first code confirms it; only a
// confirmed enrolment asks for a code at sign-in.
type TwoFactor struct {
	UserID tenant.UserID
	// CompanyID is the user's company (zero for platform admins).
	CompanyID tenant.CompanyID
	// Secret is the base32 shared secret. The directory hands it out only
	// while the enrolment is pending, to draw the QR code.
	Secret string
	// ConfirmedAt is zero while the enrolment is pending.
	ConfirmedAt time.Time
	// LastStep is the last time step (Unix time / 30 s) whose code was
	// accepted: a code of that step or an earlier one is refused (replay).
	LastStep int64
	// Failures counts the code attempts since the last success;
	// LastFailureAt is the time of the latest.
	Failures      int
	LastFailureAt time.Time
	CreatedAt     time.Time
}

// Confirmed reports whether the enrolment is in force.
func (f TwoFactor) Confirmed() bool { return !f.ConfirmedAt.IsZero() }

// RecoveryCode is one single-use recovery code of a user, stored by
// digest only.
type RecoveryCode struct {
	UserID    tenant.UserID
	Digest    string
	CreatedAt time.Time
	UsedAt    time.Time
}

// LoginChallenge is the second step of a sign-in: the password was
// right, a code is still due. It is stored by digest, lives
// ChallengeTTL, takes at most MaxChallengeAttempts codes and is used
// once.
type LoginChallenge struct {
	Digest    string
	UserID    tenant.UserID
	CompanyID tenant.CompanyID
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// TwoFactorPolicy says who must sign in with a second factor. The policy
// of company zero is the platform's.
type TwoFactorPolicy struct {
	CompanyID tenant.CompanyID
	// RequireStaff requires it of the company's admins and agents.
	RequireStaff bool
	// RequireAll requires it of everyone (set on the platform's policy).
	RequireAll bool
	UpdatedAt  time.Time
}

// SessionInfo is what a person sees of one of their login sessions.
type SessionInfo struct {
	// ID is the session ID (the sid of its access tokens).
	ID        string
	UserID    tenant.UserID
	CompanyID tenant.CompanyID
	// UserAgent is the User-Agent that opened the session, cut to
	// MaxUserAgent bytes.
	UserAgent string
	// IP is the client address that opened it or was last seen using it.
	IP string
	// Restricted marks a session opened by a user who must enrol in
	// two-factor sign-in first: it may do nothing else.
	Restricted bool
	CreatedAt  time.Time
	// LastSeenAt is written at most once per SessionTouchInterval.
	LastSeenAt time.Time
}

// TwoFactorQueries are the reads of two-factor sign-in and sessions.
type TwoFactorQueries interface {
	// TwoFactorByUser reads the enrolment of a user;
	// storage.ErrNotFound when it has none.
	TwoFactorByUser(ctx context.Context, user tenant.UserID) (TwoFactor, error)
	// RecoveryCodesLeft counts the unused recovery codes of a user.
	RecoveryCodesLeft(ctx context.Context, user tenant.UserID) (int, error)
	// LoginChallengeByDigest reads a challenge; storage.ErrNotFound when
	// unknown.
	LoginChallengeByDigest(ctx context.Context, digest string) (LoginChallenge, error)
	// TwoFactorPolicyOf reads the policy of company (zero: the
	// platform's); a company that never set one reads as the zero policy
	// with its CompanyID, never storage.ErrNotFound.
	TwoFactorPolicyOf(ctx context.Context, company tenant.CompanyID) (TwoFactorPolicy, error)
	// SessionByID reads a session's description; storage.ErrNotFound
	// when it has none.
	SessionByID(ctx context.Context, id string) (SessionInfo, error)
	// ListLiveSessions lists the sessions of a user of company (zero for
	// platform admins) that have a refresh token neither used, revoked
	// nor expired at now, newest first.
	ListLiveSessions(ctx context.Context, company tenant.CompanyID, user tenant.UserID, now time.Time) ([]SessionInfo, error)
}

// TwoFactorTx are the writes of two-factor sign-in and sessions.
type TwoFactorTx interface {
	// SaveTwoFactor inserts or replaces the enrolment of f.UserID.
	SaveTwoFactor(ctx context.Context, f TwoFactor) error
	// DeleteTwoFactor removes a user's enrolment and recovery codes
	// (nothing to remove is no error).
	DeleteTwoFactor(ctx context.Context, user tenant.UserID) error
	// ClaimTwoFactorAttempt counts one code attempt against the user's
	// enrolment and reports whether it is allowed: it is unless max
	// attempts were counted since the last success and the latest was
	// after lockedSince. A refused attempt is not counted. One statement,
	// so concurrent attempts never exceed max.
	ClaimTwoFactorAttempt(ctx context.Context, user tenant.UserID, max int, lockedSince, at time.Time) (bool, error)
	// AcceptTwoFactorStep records a code of step as accepted and clears
	// the attempts, if and only if step is after the last accepted one;
	// it reports whether it did (false: a replay).
	AcceptTwoFactorStep(ctx context.Context, user tenant.UserID, step int64) (bool, error)
	// ReplaceRecoveryCodes deletes the user's recovery codes and stores
	// these.
	ReplaceRecoveryCodes(ctx context.Context, user tenant.UserID, codes []RecoveryCode) error
	// UseRecoveryCode marks an unused code of the user used and reports
	// whether it did; of two concurrent uses exactly one wins. It clears
	// the user's attempts when it does.
	UseRecoveryCode(ctx context.Context, user tenant.UserID, digest string, at time.Time) (bool, error)
	// InsertLoginChallenge stores a challenge; a duplicate digest is
	// storage.ErrConflict.
	InsertLoginChallenge(ctx context.Context, c LoginChallenge) error
	// ClaimChallengeAttempt counts one attempt against an unused challenge
	// that has had fewer than max and has not expired at now, and reports
	// whether it did.
	ClaimChallengeAttempt(ctx context.Context, digest string, max int, now time.Time) (bool, error)
	// UseLoginChallenge marks an unused challenge used and reports whether
	// it did.
	UseLoginChallenge(ctx context.Context, digest string, at time.Time) (bool, error)
	// SaveTwoFactorPolicy inserts or replaces the policy of p.CompanyID.
	SaveTwoFactorPolicy(ctx context.Context, p TwoFactorPolicy) error
	// InsertSession stores a session's description; a duplicate ID is
	// storage.ErrConflict.
	InsertSession(ctx context.Context, s SessionInfo) error
	// TouchSession sets a session's LastSeenAt (and IP, when not empty);
	// a session without a description is left alone.
	TouchSession(ctx context.Context, id string, ip string, at time.Time) error
	// UnrestrictSessions clears Restricted on every session of the user.
	UnrestrictSessions(ctx context.Context, user tenant.UserID) error
}
