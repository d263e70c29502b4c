package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// MaxTokenBytes is the longest token [Issuer.ParseAccess] will look at.
// Longer input is refused before any decoding.
const MaxTokenBytes = 4096

// maxSessionIDLen bounds the "sid" claim.
const maxSessionIDLen = 128

// errBadClaim marks a claim that decodes but does not describe a valid
// actor; it is reported as ErrTokenInvalid.
var errBadClaim = errors.New("invalid claim")

// Issuer mints and verifies access tokens with one HS256 key. It is safe
// for concurrent use.
type Issuer struct {
	cfg    Config
	parser *jwt.Parser
}

// NewIssuer validates cfg (see [Config.Validate]), applies its defaults and
// returns an Issuer. It keeps a copy of cfg.Secret.
func NewIssuer(cfg Config) (*Issuer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cfg.Secret = slices.Clone(cfg.Secret)
	return &Issuer{
		cfg: cfg,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithNotBeforeRequired(),
			jwt.WithIssuedAt(),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithLeeway(cfg.Leeway),
			jwt.WithTimeFunc(cfg.Now),
			jwt.WithStrictDecoding(),
		),
	}, nil
}

// Claims is what a verified access token says: who the actor is, which
// session (refresh-token family) it belongs to, and when it expires.
type Claims struct {
	// UserID is the "sub" claim: the user the token was issued to.
	UserID tenant.UserID
	// CompanyID is the company the user acts in; zero for a platform
	// admin that has not chosen one.
	CompanyID tenant.CompanyID
	// ContactID is the user's contact, zero when it has none.
	ContactID tenant.ContactID
	// Role is the user's role in CompanyID.
	Role tenant.Role
	// SessionID is the "sid" claim: the login session, i.e. the refresh
	// token family. Revoking the session must refuse its access tokens.
	SessionID string
	// Email is the "email" claim: the user's login, so that describing
	// the caller needs no database read. Empty when not issued with one.
	Email string
	// ID is the "jti" claim, random per token.
	ID string
	// IssuedAt is the "iat" claim, in UTC.
	IssuedAt time.Time
	// ExpiresAt is the "exp" claim, in UTC.
	ExpiresAt time.Time
	// Restricted is true for a token whose "scope" claim is
	// ScopeEnrolTwoFactor: its user must enrol in two-factor sign-in and
	// may do nothing else until they have (see WithRestricted).
	Restricted bool
}

// ScopeEnrolTwoFactor is the "scope" claim of a restricted access token.
const ScopeEnrolTwoFactor = "enrol_2fa"

// AccessOption qualifies an access token issued by IssueAccess.
type AccessOption func(*wireClaims)

// WithRestricted issues a restricted token (scope ScopeEnrolTwoFactor):
// the edges let it enrol in two-factor sign-in and nothing else.
func WithRestricted() AccessOption { return func(w *wireClaims) { w.Scope = ScopeEnrolTwoFactor } }

// Actor returns the actor the token speaks for.
func (c Claims) Actor() tenant.Actor {
	return tenant.Actor{CompanyID: c.CompanyID, UserID: c.UserID, ContactID: c.ContactID, Role: c.Role}
}

// wireClaims is the JSON payload of an access token.
type wireClaims struct {
	jwt.RegisteredClaims
	CompanyID int64  `json:"company_id,omitempty"`
	ContactID int64  `json:"contact_id,omitempty"`
	Role      string `json:"role"`
	SessionID string `json:"sid"`
	Email     string `json:"email,omitempty"`
	Scope     string `json:"scope,omitempty"`
}

// UnmarshalJSON decodes the claims with their JSON types: the time claims
// must be NumericDates (JSON numbers, RFC 7519 §2), which the jwt library
// would otherwise also read from strings of digits.
func (w *wireClaims) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		v, ok := raw[name]
		if !ok {
			continue
		}
		if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
			return fmt.Errorf("%w: %s claim must be a NumericDate (a JSON number)", errBadClaim, name)
		}
	}
	type plain wireClaims // without this method
	return json.Unmarshal(b, (*plain)(w))
}

// Validate implements jwt.ClaimsValidator: it runs with the registered-claim
// checks, so a token that is both expired and malformed reports both.
func (w wireClaims) Validate() error {
	var errs []error
	if _, err := parseSubject(w.Subject); err != nil {
		errs = append(errs, err)
	}
	if err := checkActor(tenant.CompanyID(w.CompanyID), tenant.ContactID(w.ContactID), tenant.Role(w.Role), w.SessionID); err != nil {
		errs = append(errs, err)
	}
	if w.ID == "" {
		errs = append(errs, fmt.Errorf("%w: jti claim is required", errBadClaim))
	}
	if w.Scope != "" && w.Scope != ScopeEnrolTwoFactor {
		errs = append(errs, fmt.Errorf("%w: unknown scope", errBadClaim))
	}
	return errors.Join(errs...)
}

// parseSubject parses "sub" as a positive user ID in canonical decimal.
func parseSubject(sub string) (tenant.UserID, error) {
	n, err := strconv.ParseInt(sub, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != sub {
		return 0, fmt.Errorf("%w: sub claim must be a positive decimal user ID", errBadClaim)
	}
	return tenant.UserID(n), nil
}

// checkActor checks the actor-describing claims shared by IssueAccess and
// ParseAccess.
func checkActor(company tenant.CompanyID, contact tenant.ContactID, role tenant.Role, sid string) error {
	switch {
	case !role.Valid():
		return fmt.Errorf("%w: unknown role", errBadClaim)
	case company < 0 || contact < 0:
		return fmt.Errorf("%w: negative company or contact ID", errBadClaim)
	case company == 0 && role != tenant.RolePlatformAdmin:
		return fmt.Errorf("%w: role %s requires a company", errBadClaim, role)
	case sid == "" || len(sid) > maxSessionIDLen:
		return fmt.Errorf("%w: session ID must be 1 to %d bytes", errBadClaim, maxSessionIDLen)
	}
	return nil
}

// IssueAccess mints an access token for actor in session sessionID (the
// refresh-token family the login created). The actor must have a user, a
// known role and, unless it is a platform admin, a company. email, when
// given, travels in the "email" claim. It returns the signed token and its
// expiry.
func (i *Issuer) IssueAccess(actor tenant.Actor, sessionID, email string, opts ...AccessOption) (token string, expiresAt time.Time, err error) {
	if actor.UserID <= 0 {
		return "", time.Time{}, errors.New("auth: issuing access token: actor has no user: access tokens are for people; use API tokens for integrations")
	}
	if err := checkActor(actor.CompanyID, actor.ContactID, actor.Role, sessionID); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: issuing access token: %w", err)
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: issuing access token: reading random jti: %w", err)
	}
	now := i.cfg.Now().UTC().Truncate(time.Second) // JWT dates are whole seconds
	expiresAt = now.Add(i.cfg.AccessTTL)
	claims := wireClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.cfg.Issuer,
			Subject:   strconv.FormatInt(int64(actor.UserID), 10),
			Audience:  jwt.ClaimStrings{i.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(expiresAt),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        base64.RawURLEncoding.EncodeToString(jti[:]),
		},
		CompanyID: int64(actor.CompanyID),
		ContactID: int64(actor.ContactID),
		Role:      string(actor.Role),
		SessionID: sessionID,
		Email:     email,
	}
	for _, o := range opts {
		o(&claims)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	t.Header["kid"] = i.cfg.KeyID
	token, err = t.SignedString(i.cfg.Secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: signing access token: %w", err)
	}
	return token, expiresAt, nil
}

// ParseAccess verifies an access token and returns its claims. It accepts
// only HS256 tokens signed with this Issuer's secret and carrying its key
// ID, issuer and audience, with exp, nbf and iat valid at the configured
// clock (give or take Leeway), and with claims describing a valid actor.
//
// Every error matches exactly one of [ErrTokenExpired] (authentic and
// otherwise valid, only too old: refresh) and [ErrTokenInvalid] (anything
// else: authenticate again). The message says why, never echoing the token.
func (i *Issuer) ParseAccess(token string) (Claims, error) {
	if len(token) > MaxTokenBytes {
		return Claims{}, fmt.Errorf("auth: access token longer than %d bytes: %w", MaxTokenBytes, ErrTokenInvalid)
	}
	var w wireClaims
	_, err := i.parser.ParseWithClaims(token, &w, i.key)
	if err != nil {
		if onlyExpired(err) {
			return Claims{}, fmt.Errorf("auth: access token: %w", ErrTokenExpired)
		}
		return Claims{}, fmt.Errorf("auth: access token: %w: %w", ErrTokenInvalid, err)
	}
	user, _ := parseSubject(w.Subject) // checked by wireClaims.Validate
	return Claims{
		UserID:     user,
		CompanyID:  tenant.CompanyID(w.CompanyID),
		ContactID:  tenant.ContactID(w.ContactID),
		Role:       tenant.Role(w.Role),
		SessionID:  w.SessionID,
		Email:      w.Email,
		ID:         w.ID,
		IssuedAt:   w.IssuedAt.UTC(),
		ExpiresAt:  w.ExpiresAt.UTC(),
		Restricted: w.Scope == ScopeEnrolTwoFactor,
	}, nil
}

// key is the jwt.Keyfunc: it runs after the algorithm check and refuses
// tokens whose kid is not ours.
func (i *Issuer) key(t *jwt.Token) (any, error) {
	if kid, _ := t.Header["kid"].(string); kid != i.cfg.KeyID {
		return nil, errors.New("unknown key ID (kid): the token was signed with another key")
	}
	return i.cfg.Secret, nil
}

// onlyExpired reports whether expiry is the only thing wrong with a token:
// jwt reports every failed claim check together, so an expired token with,
// say, the wrong audience must still come out as invalid.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	for _, p := range []error{
		jwt.ErrTokenMalformed, jwt.ErrTokenUnverifiable, jwt.ErrTokenSignatureInvalid,
		jwt.ErrTokenRequiredClaimMissing, jwt.ErrTokenInvalidAudience, jwt.ErrTokenInvalidIssuer,
		jwt.ErrTokenInvalidSubject, jwt.ErrTokenInvalidId, jwt.ErrTokenNotValidYet,
		jwt.ErrTokenUsedBeforeIssued, jwt.ErrInvalidType, errBadClaim,
	} {
		if errors.Is(err, p) {
			return false
		}
	}
	return true
}
