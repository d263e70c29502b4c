package directory

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk/auth"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// Two-factor sign-in limits.
const (
	// TOTPPeriod is the length of a time step; codes are six digits of
	// HMAC-SHA-1 (RFC 6238's defaults, what every authenticator app
	// reads from a QR code). A code of the step before or after the
	// current one is accepted too (clock drift).
	TOTPPeriod = 30 * time.Second
	// ChallengeTTL is how long the second step of a sign-in may wait for
	// its code.
	ChallengeTTL = 5 * time.Minute
	// MaxChallengeAttempts is how many codes one challenge takes; then the
	// sign-in must start again with the password.
	MaxChallengeAttempts = 5
	// MaxCodeAttempts is how many codes in a row a user may get wrong,
	// across challenges, before codes are refused for TwoFactorLockout.
	MaxCodeAttempts = 10
	// TwoFactorLockout is how long codes are refused after
	// MaxCodeAttempts wrong ones.
	TwoFactorLockout = 15 * time.Minute
	// RecoveryCodeCount is how many recovery codes an enrolment gets.
	RecoveryCodeCount = 10
	// ChallengePrefix starts every sign-in challenge.
	ChallengePrefix = "blc_"
)

// TOTPIssuer names the installation in authenticator apps.
const TOTPIssuer = "Boladão"

// Errors of two-factor sign-in.
var (
	// ErrChallengeInvalid covers unknown, expired, used and exhausted
	// sign-in challenges alike: sign in again with the password.
	ErrChallengeInvalid = errors.New("sign-in challenge is invalid, expired, used or out of attempts: sign in again with your password")
	// ErrTwoFactorCode is a wrong code, or one already used (a TOTP code
	// of a step already accepted, a used recovery code).
	ErrTwoFactorCode = errors.New("the code is wrong or was already used: enter the current code of your authenticator app or an unused recovery code")
	// ErrTwoFactorLocked is matched by *TwoFactorLockedError.
	ErrTwoFactorLocked = errors.New("too many wrong codes: codes are refused for a while")
	// ErrTwoFactorEnabled refuses to enrol a user already enrolled. It
	// matches storage.ErrConflict.
	ErrTwoFactorEnabled = fmt.Errorf("two-factor sign-in is already enabled: disable it before enrolling again: %w", storage.ErrConflict)
	// ErrTwoFactorNotEnabled is the answer about a user without a
	// (confirmed, or pending where one is expected) enrolment. It matches
	// storage.ErrNotFound.
	ErrTwoFactorNotEnabled = fmt.Errorf("two-factor sign-in is not enabled: %w", storage.ErrNotFound)
)

// TwoFactorLockedError refuses codes after MaxCodeAttempts wrong ones. It
// matches ErrTwoFactorLocked.
type TwoFactorLockedError struct {
	// RetryAfter is how long until codes are accepted again.
	RetryAfter time.Duration
}

// Error says how long to wait.
func (e *TwoFactorLockedError) Error() string {
	return fmt.Sprintf("%v: try again in %s", ErrTwoFactorLocked, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrTwoFactorLocked) true.
func (e *TwoFactorLockedError) Is(target error) bool { return target == ErrTwoFactorLocked }

// TOTPCode returns the six-digit code of secret (base32) at t: what an
// authenticator app shows.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts())
}

func totpOpts() totp.ValidateOpts {
	return totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
}

// matchStep finds the time step, among the one of now and its
// neighbours, whose code is code; every candidate is compared, in
// constant time.
func matchStep(secret, code string, now time.Time) (int64, bool) {
	period := int64(TOTPPeriod / time.Second)
	cur := now.Unix() / period
	var step int64
	found := false
	for _, s := range []int64{cur - 1, cur, cur + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*period, 0), totpOpts())
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, found = s, true
		}
	}
	return step, found
}

// normalizeCode drops spaces and hyphens and lower-cases.
func normalizeCode(code string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code))
}

func isTOTPCode(c string) bool {
	if len(c) != 6 {
		return false
	}
	for _, r := range c {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// newRecoveryCodes returns n codes to show ("abcde-fghij", 50 random
// bits each) and their records.
func newRecoveryCodes(user tenant.UserID, now time.Time) ([]string, []RecoveryCode) {
	plain := make([]string, RecoveryCodeCount)
	recs := make([]RecoveryCode, RecoveryCodeCount)
	for i := range plain {
		t := strings.ToLower(rand.Text()[:10])
		plain[i] = t[:5] + "-" + t[5:]
		recs[i] = RecoveryCode{UserID: user, Digest: auth.Digest(t), CreatedAt: now}
	}
	return plain, recs
}

// Enrolment is a pending TOTP enrolment: what an authenticator app needs.
type Enrolment struct {
	// Secret is the base32 secret, for manual entry.
	Secret string
	// Account is the label the app shows (the user's email).
	Account string
	// URL is the otpauth:// URL the QR code holds.
	URL string
}

// QRCodePNG draws the enrolment's URL as a QR code PNG of size×size
// pixels.
func (e Enrolment) QRCodePNG(size int) ([]byte, error) {
	k, err := otp.NewKeyFromURL(e.URL)
	if err != nil {
		return nil, fmt.Errorf("reading the enrolment URL: %w", err)
	}
	img, err := k.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("drawing the QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encoding the QR code: %w", err)
	}
	return buf.Bytes(), nil
}

func enrolmentOf(f TwoFactor, account string) Enrolment {
	v := url.Values{}
	v.Set("secret", f.Secret)
	v.Set("issuer", TOTPIssuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", fmt.Sprint(int(TOTPPeriod/time.Second)))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + TOTPIssuer + ":" + account, RawQuery: v.Encode()}
	return Enrolment{Secret: f.Secret, Account: account, URL: u.String()}
}

// TwoFactorStatus describes a user's two-factor sign-in.
type TwoFactorStatus struct {
	// Enabled is true once an enrolment was confirmed.
	Enabled bool
	// Pending is true while an enrolment waits for its first code.
	Pending bool
	// Required is true when a policy requires the user to use it.
	Required bool
	// RecoveryCodesLeft counts the unused recovery codes.
	RecoveryCodesLeft int
	// ConfirmedAt is when the enrolment was confirmed.
	ConfirmedAt time.Time
}

// self reads the actor's own user: a platform admin acting in a company
// is still read as a platform admin.
func (s *Service) self(ctx context.Context, q Queries, actor tenant.Actor) (User, error) {
	if actor.UserID == 0 {
		return User{}, tenant.ErrForbidden
	}
	company := actor.CompanyID
	if actor.IsPlatformAdmin() {
		company = 0
	}
	u, err := q.UserByID(ctx, company, actor.UserID)
	if err != nil {
		return User{}, fmt.Errorf("reading own account: %w", err)
	}
	return u, nil
}

// TwoFactorStatusOf describes the actor's own two-factor sign-in.
func (s *Service) TwoFactorStatusOf(ctx context.Context, actor tenant.Actor) (TwoFactorStatus, error) {
	u, err := s.self(ctx, s.store, actor)
	if err != nil {
		return TwoFactorStatus{}, err
	}
	var st TwoFactorStatus
	if st.Required, err = s.TwoFactorRequired(ctx, u); err != nil {
		return TwoFactorStatus{}, err
	}
	f, err := s.store.TwoFactorByUser(ctx, u.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return st, nil
	} else if err != nil {
		return TwoFactorStatus{}, fmt.Errorf("reading two-factor enrolment: %w", err)
	}
	st.Enabled, st.Pending, st.ConfirmedAt = f.Confirmed(), !f.Confirmed(), f.ConfirmedAt
	if st.Enabled {
		if st.RecoveryCodesLeft, err = s.store.RecoveryCodesLeft(ctx, u.ID); err != nil {
			return TwoFactorStatus{}, fmt.Errorf("counting recovery codes: %w", err)
		}
	}
	return st, nil
}

// TwoFactorRequired reports whether a policy requires u to sign in with
// a second factor: the platform's RequireAll, or RequireStaff of u's
// company for its admins and agents.
func (s *Service) TwoFactorRequired(ctx context.Context, u User) (bool, error) {
	p, err := s.store.TwoFactorPolicyOf(ctx, 0)
	if err != nil {
		return false, fmt.Errorf("reading the platform's two-factor policy: %w", err)
	}
	if p.RequireAll {
		return true, nil
	}
	if u.CompanyID == 0 || (u.Role != tenant.RoleAdmin && u.Role != tenant.RoleAgent) {
		return false, nil
	}
	c, err := s.store.TwoFactorPolicyOf(ctx, u.CompanyID)
	if err != nil {
		return false, fmt.Errorf("reading the company's two-factor policy: %w", err)
	}
	return c.RequireStaff || c.RequireAll, nil
}

// TwoFactorEnabled reports whether u has a confirmed enrolment: a sign-in
// with its password alone gets a challenge, not a session.
func (s *Service) TwoFactorEnabled(ctx context.Context, u User) (bool, error) {
	f, err := s.store.TwoFactorByUser(ctx, u.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading two-factor enrolment: %w", err)
	}
	return f.Confirmed(), nil
}

// BeginTwoFactor starts (or starts again) the actor's enrolment: a new
// secret is generated and kept pending until ConfirmTwoFactor. A user
// already enrolled gets ErrTwoFactorEnabled.
func (s *Service) BeginTwoFactor(ctx context.Context, actor tenant.Actor) (Enrolment, error) {
	secret := make([]byte, 20)
	if _, err := rand.Read(secret); err != nil {
		return Enrolment{}, fmt.Errorf("generating a TOTP secret: %w", err)
	}
	var out Enrolment
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		u, err := s.self(ctx, tx, actor)
		if err != nil {
			return err
		}
		old, err := tx.TwoFactorByUser(ctx, u.ID)
		if err == nil && old.Confirmed() {
			return ErrTwoFactorEnabled
		} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		f := TwoFactor{UserID: u.ID, CompanyID: u.CompanyID, Secret: base32NoPad(secret), CreatedAt: s.clock()}
		if err := tx.SaveTwoFactor(ctx, f); err != nil {
			return err
		}
		out = enrolmentOf(f, u.Email)
		return nil
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("starting two-factor enrolment: %w", err)
	}
	return out, nil
}

// PendingTwoFactor returns the actor's pending enrolment (to draw its QR
// code again); ErrTwoFactorNotEnabled when none is pending. The secret of
// a confirmed enrolment is never handed out.
func (s *Service) PendingTwoFactor(ctx context.Context, actor tenant.Actor) (Enrolment, error) {
	u, err := s.self(ctx, s.store, actor)
	if err != nil {
		return Enrolment{}, err
	}
	f, err := s.store.TwoFactorByUser(ctx, u.ID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && f.Confirmed()) {
		return Enrolment{}, fmt.Errorf("no pending enrolment: start one first: %w", ErrTwoFactorNotEnabled)
	} else if err != nil {
		return Enrolment{}, fmt.Errorf("reading two-factor enrolment: %w", err)
	}
	return enrolmentOf(f, u.Email), nil
}

// ConfirmTwoFactor confirms the actor's pending enrolment with a first
// code and returns its recovery codes (shown once: only their digests
// are kept). A wrong code is a field error on code and leaves the
// enrolment pending. The user's restricted sessions (see
// SessionInfo.Restricted) become normal ones. It emits
// user.two_factor_enabled.
func (s *Service) ConfirmTwoFactor(ctx context.Context, actor tenant.Actor, code string) ([]string, error) {
	c := normalizeCode(code)
	if c == "" {
		return nil, validation.Field("code", "is required")
	}
	var (
		plain   []string
		outcome error
	)
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		u, err := s.self(ctx, tx, actor)
		if err != nil {
			return err
		}
		f, err := tx.TwoFactorByUser(ctx, u.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no pending enrolment: start one first: %w", ErrTwoFactorNotEnabled)
		} else if err != nil {
			return err
		}
		if f.Confirmed() {
			return ErrTwoFactorEnabled
		}
		now := s.clock()
		if !isTOTPCode(c) {
			outcome = validation.Field("code", "must be the 6-digit code your authenticator app shows")
			return nil
		}
		if outcome, err = s.checkTOTP(ctx, tx, f, c, now); err != nil || outcome != nil {
			if errors.Is(outcome, ErrTwoFactorCode) {
				outcome = validation.Field("code", "is wrong: enter the code your authenticator app shows now")
			}
			return err
		}
		step, _ := matchStep(f.Secret, c, now)
		f.ConfirmedAt, f.LastStep, f.Failures, f.LastFailureAt = now, step, 0, time.Time{}
		if err := tx.SaveTwoFactor(ctx, f); err != nil {
			return err
		}
		var recs []RecoveryCode
		plain, recs = newRecoveryCodes(u.ID, now)
		if err := tx.ReplaceRecoveryCodes(ctx, u.ID, recs); err != nil {
			return err
		}
		if err := tx.UnrestrictSessions(ctx, u.ID); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, "user.two_factor_enabled", u.CompanyID, "user", int64(u.ID), now,
			map[string]any{"id": u.ID, "email": u.Email})
	})
	if err != nil {
		return nil, fmt.Errorf("confirming two-factor enrolment: %w", err)
	}
	if outcome != nil {
		return nil, outcome
	}
	// The user's sessions lost their restriction: edges that remember
	// sessions read them again.
	s.observer.UserChanged(actor.UserID)
	return plain, nil
}

// checkTOTP counts one attempt and checks a six-digit code against f,
// accepting its step (so it cannot be used again). It returns the
// outcome (nil, ErrTwoFactorCode or a *TwoFactorLockedError) and the
// storage error, if any. The attempt commits whatever the outcome.
func (s *Service) checkTOTP(ctx context.Context, tx Tx, f TwoFactor, c string, now time.Time) (outcome, err error) {
	if locked, err := s.claimAttempt(ctx, tx, f, now); err != nil || locked != nil {
		return locked, err
	}
	step, ok := matchStep(f.Secret, c, now)
	if !ok {
		return ErrTwoFactorCode, nil
	}
	accepted, err := tx.AcceptTwoFactorStep(ctx, f.UserID, step)
	if err != nil {
		return nil, err
	}
	if !accepted { // a code of a step already used: a replay
		return ErrTwoFactorCode, nil
	}
	return nil, nil
}

func (s *Service) claimAttempt(ctx context.Context, tx Tx, f TwoFactor, now time.Time) (error, error) {
	ok, err := tx.ClaimTwoFactorAttempt(ctx, f.UserID, MaxCodeAttempts, now.Add(-TwoFactorLockout), now)
	if err != nil {
		return nil, err
	}
	if !ok {
		retry := f.LastFailureAt.Add(TwoFactorLockout).Sub(now)
		if retry < time.Second {
			retry = time.Second
		}
		return &TwoFactorLockedError{RetryAfter: retry}, nil
	}
	return nil, nil
}

// checkCode checks a TOTP code or a recovery code of a confirmed
// enrolment, like checkTOTP.
func (s *Service) checkCode(ctx context.Context, tx Tx, f TwoFactor, code string, now time.Time) (outcome, err error) {
	c := normalizeCode(code)
	if isTOTPCode(c) {
		return s.checkTOTP(ctx, tx, f, c, now)
	}
	if locked, err := s.claimAttempt(ctx, tx, f, now); err != nil || locked != nil {
		return locked, err
	}
	if c == "" || len(c) > 64 {
		return ErrTwoFactorCode, nil
	}
	used, err := tx.UseRecoveryCode(ctx, f.UserID, auth.Digest(c), now)
	if err != nil {
		return nil, err
	}
	if !used {
		return ErrTwoFactorCode, nil
	}
	return nil, nil
}

// StartChallenge opens the second step of a sign-in for a user whose
// password was right and who has two-factor sign-in enabled. It returns
// the challenge to hand the client (once) and its record.
func (s *Service) StartChallenge(ctx context.Context, u User) (string, LoginChallenge, error) {
	plain := ChallengePrefix + rand.Text()
	now := s.clock()
	c := LoginChallenge{Digest: auth.Digest(plain), UserID: u.ID, CompanyID: u.CompanyID, CreatedAt: now, ExpiresAt: now.Add(ChallengeTTL)}
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error { return tx.InsertLoginChallenge(ctx, c) })
	if err != nil {
		return "", LoginChallenge{}, fmt.Errorf("starting sign-in challenge: %w", err)
	}
	return plain, c, nil
}

// CompleteChallenge finishes a sign-in with the code (TOTP or recovery
// code) of a challenge from StartChallenge, and returns its user. Each
// call counts an attempt against the challenge (MaxChallengeAttempts)
// and against the user (MaxCodeAttempts in a row, then
// TwoFactorLockout). Errors: ErrChallengeInvalid, ErrTwoFactorCode,
// *TwoFactorLockedError, ErrAccountDisabled.
func (s *Service) CompleteChallenge(ctx context.Context, challenge, code string) (User, error) {
	if !strings.HasPrefix(challenge, ChallengePrefix) || len(challenge) > 128 {
		return User{}, ErrChallengeInvalid
	}
	digest := auth.Digest(challenge)
	var (
		user    User
		outcome error
	)
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		now := s.clock()
		ch, err := tx.LoginChallengeByDigest(ctx, digest)
		if errors.Is(err, storage.ErrNotFound) {
			outcome = ErrChallengeInvalid
			return nil
		} else if err != nil {
			return err
		}
		ok, err := tx.ClaimChallengeAttempt(ctx, digest, MaxChallengeAttempts, now)
		if err != nil {
			return err
		}
		if !ok {
			outcome = ErrChallengeInvalid
			return nil
		}
		f, err := tx.TwoFactorByUser(ctx, ch.UserID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && !f.Confirmed()) {
			outcome = ErrChallengeInvalid // disabled meanwhile: the password alone decides again
			return nil
		} else if err != nil {
			return err
		}
		if outcome, err = s.checkCode(ctx, tx, f, code, now); err != nil || outcome != nil {
			return err
		}
		if used, err := tx.UseLoginChallenge(ctx, digest, now); err != nil {
			return err
		} else if !used {
			outcome = ErrChallengeInvalid
			return nil
		}
		if user, err = tx.UserByID(ctx, ch.CompanyID, ch.UserID); err != nil {
			return err
		}
		if !user.Active {
			outcome = ErrAccountDisabled
			return nil
		}
		if user.CompanyID != 0 {
			if c, err := tx.CompanyByID(ctx, user.CompanyID); err != nil {
				return err
			} else if !c.Active {
				outcome = ErrAccountDisabled
			}
		}
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("completing sign-in: %w", err)
	}
	if outcome != nil {
		return User{}, outcome
	}
	return user, nil
}

// DisableTwoFactor turns the actor's two-factor sign-in off, proven with
// the current password or a code (TOTP or recovery). A wrong proof is a
// field error (password or code) and changes nothing but the count of
// attempts. It emits user.two_factor_disabled.
func (s *Service) DisableTwoFactor(ctx context.Context, actor tenant.Actor, password, code string) error {
	if password == "" && strings.TrimSpace(code) == "" {
		return validation.Field("password", "give your password or a code to turn two-factor sign-in off")
	}
	u, err := s.self(ctx, s.store, actor)
	if err != nil {
		return err
	}
	if password != "" {
		if len(password) > MaxPasswordBytes || bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) != nil {
			return validation.Field("password", "is incorrect")
		}
	}
	var outcome error
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		f, err := tx.TwoFactorByUser(ctx, u.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return ErrTwoFactorNotEnabled
		} else if err != nil {
			return err
		}
		if password == "" {
			if !f.Confirmed() {
				outcome = validation.Field("password", "give your password to cancel a pending enrolment")
				return nil
			}
			if outcome, err = s.checkCode(ctx, tx, f, code, s.clock()); err != nil || outcome != nil {
				if errors.Is(outcome, ErrTwoFactorCode) {
					outcome = validation.Field("code", "is wrong or was already used")
				}
				return err
			}
		}
		if err := tx.DeleteTwoFactor(ctx, u.ID); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, "user.two_factor_disabled", u.CompanyID, "user", int64(u.ID), s.clock(),
			map[string]any{"id": u.ID, "email": u.Email})
	})
	if err != nil {
		return fmt.Errorf("disabling two-factor sign-in: %w", err)
	}
	return outcome
}

// RegenerateRecoveryCodes replaces the actor's recovery codes, proven
// with a current code (TOTP or recovery), and returns the new ones
// (shown once).
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, actor tenant.Actor, code string) ([]string, error) {
	if strings.TrimSpace(code) == "" {
		return nil, validation.Field("code", "is required")
	}
	var (
		plain   []string
		outcome error
	)
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		u, err := s.self(ctx, tx, actor)
		if err != nil {
			return err
		}
		f, err := tx.TwoFactorByUser(ctx, u.ID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && !f.Confirmed()) {
			return ErrTwoFactorNotEnabled
		} else if err != nil {
			return err
		}
		now := s.clock()
		if outcome, err = s.checkCode(ctx, tx, f, code, now); err != nil || outcome != nil {
			if errors.Is(outcome, ErrTwoFactorCode) {
				outcome = validation.Field("code", "is wrong or was already used")
			}
			return err
		}
		var recs []RecoveryCode
		plain, recs = newRecoveryCodes(u.ID, now)
		return tx.ReplaceRecoveryCodes(ctx, u.ID, recs)
	})
	if err != nil {
		return nil, fmt.Errorf("replacing recovery codes: %w", err)
	}
	if outcome != nil {
		return nil, outcome
	}
	return plain, nil
}

// ResetTwoFactor removes the enrolment of a user of the actor's company
// (one who lost their phone and recovery codes); it needs
// tenant.PermUsersManage and emits user.two_factor_disabled. The user
// signs in with the password alone, or enrols again when a policy
// requires it.
func (s *Service) ResetTwoFactor(ctx context.Context, actor tenant.Actor, id tenant.UserID) error {
	if err := s.requireUsers(actor, tenant.PermUsersManage); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		u, err := tx.UserByID(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if _, err := tx.TwoFactorByUser(ctx, u.ID); errors.Is(err, storage.ErrNotFound) {
			return ErrTwoFactorNotEnabled
		} else if err != nil {
			return err
		}
		if err := tx.DeleteTwoFactor(ctx, u.ID); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, "user.two_factor_disabled", u.CompanyID, "user", int64(u.ID), s.clock(),
			map[string]any{"id": u.ID, "email": u.Email, "reset": true})
	})
	if err != nil {
		return fmt.Errorf("resetting two-factor sign-in of user %d: %w", id, err)
	}
	return nil
}

// TwoFactorPolicies returns the policy of the actor's company (the zero
// policy for a platform admin that chose none) and the platform's. Any
// signed-in user may read them.
func (s *Service) TwoFactorPolicies(ctx context.Context, actor tenant.Actor) (company, platform TwoFactorPolicy, err error) {
	if actor.UserID == 0 && actor.Role == "" {
		return TwoFactorPolicy{}, TwoFactorPolicy{}, tenant.ErrForbidden
	}
	if platform, err = s.store.TwoFactorPolicyOf(ctx, 0); err != nil {
		return TwoFactorPolicy{}, TwoFactorPolicy{}, fmt.Errorf("reading two-factor policy: %w", err)
	}
	if actor.CompanyID != 0 {
		if company, err = s.store.TwoFactorPolicyOf(ctx, actor.CompanyID); err != nil {
			return TwoFactorPolicy{}, TwoFactorPolicy{}, fmt.Errorf("reading two-factor policy: %w", err)
		}
	}
	return company, platform, nil
}

// SetCompanyTwoFactorPolicy sets whether the admins and agents of the
// actor's company must use two-factor sign-in. It needs
// tenant.PermUsersManage and emits company.two_factor_policy_changed.
// It applies from their next sign-in.
func (s *Service) SetCompanyTwoFactorPolicy(ctx context.Context, actor tenant.Actor, requireStaff bool) (TwoFactorPolicy, error) {
	if err := actor.RequireIn(tenant.PermUsersManage); err != nil {
		return TwoFactorPolicy{}, err
	}
	return s.savePolicy(ctx, actor, TwoFactorPolicy{CompanyID: actor.CompanyID, RequireStaff: requireStaff})
}

// SetPlatformTwoFactorPolicy sets whether everyone must use two-factor
// sign-in. Only platform admins may; it emits
// company.two_factor_policy_changed with company zero.
func (s *Service) SetPlatformTwoFactorPolicy(ctx context.Context, actor tenant.Actor, requireAll bool) (TwoFactorPolicy, error) {
	if !actor.IsPlatformAdmin() {
		return TwoFactorPolicy{}, &tenant.ForbiddenError{Role: actor.Role, Permission: tenant.PermCompaniesManage}
	}
	return s.savePolicy(ctx, actor, TwoFactorPolicy{RequireAll: requireAll})
}

func (s *Service) savePolicy(ctx context.Context, actor tenant.Actor, p TwoFactorPolicy) (TwoFactorPolicy, error) {
	p.UpdatedAt = s.clock()
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.SaveTwoFactorPolicy(ctx, p); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, "company.two_factor_policy_changed", p.CompanyID, "company", int64(p.CompanyID), p.UpdatedAt,
			map[string]any{"company_id": p.CompanyID, "require_staff": p.RequireStaff, "require_all": p.RequireAll})
	})
	if err != nil {
		return TwoFactorPolicy{}, fmt.Errorf("saving two-factor policy: %w", err)
	}
	return p, nil
}

// base32NoPad encodes b as unpadded base32, the form of TOTP secrets.
func base32NoPad(b []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}
