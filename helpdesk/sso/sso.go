package sso

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Settings are a company's single sign-on settings. ClientSecret is
// write-only: services never hand it back through an API.
type Settings struct {
	CompanyID tenant.CompanyID
	// Enabled offers single sign-on to the company's people.
	Enabled bool
	// Issuer is the provider's issuer URL, where its discovery document
	// lives (Issuer + "/.well-known/openid-configuration").
	Issuer       string
	ClientID     string
	ClientSecret string
	// AllowedDomains are the lower-case email domains that may sign in.
	AllowedDomains []string
	// DefaultRole is the role of users created on their first sign-in.
	DefaultRole tenant.Role
	// CreateUsers lets a first sign-in create the user (and its contact).
	CreateUsers bool
	// PasswordSignIn keeps password sign-in open to the company's users.
	// Platform admins belong to no company and always keep it.
	PasswordSignIn bool
	Version        int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Defaults are the settings of a company that never saved any: single
// sign-on off, password sign-in on.
func Defaults(company tenant.CompanyID) Settings {
	return Settings{CompanyID: company, DefaultRole: tenant.RoleRequester, PasswordSignIn: true, AllowedDomains: []string{}}
}

// AllowsDomain reports whether email's domain is one of the allowed ones.
func (s Settings) AllowsDomain(email string) bool {
	_, domain, ok := strings.Cut(email, "@")
	return ok && slices.Contains(s.AllowedDomains, strings.ToLower(domain))
}

// Store keeps the companies' single sign-on settings; writes are single
// statements outside units of work.
type Store interface {
	// SSOSettings reads a company's settings (storage.ErrNotFound when it
	// has none).
	SSOSettings(ctx context.Context, company tenant.CompanyID) (Settings, error)
	// SaveSSOSettings inserts s when s.Version is zero (storage.ErrConflict
	// when the company has settings, storage.ErrNotFound when the company
	// does not exist) and otherwise updates the row of that version
	// (storage.ErrStale); Version is then incremented.
	SaveSSOSettings(ctx context.Context, s *Settings) error
	// SSOCompaniesForDomain lists, in ascending order, the companies whose
	// enabled settings allow the email domain (lower-case).
	SSOCompaniesForDomain(ctx context.Context, domain string) ([]tenant.CompanyID, error)
}

// ErrNotConfigured means the company offers no single sign-on (none set
// up, or turned off), or no company offers it for an email's domain.
var ErrNotConfigured = errors.New("single sign-on is not set up for this company: ask its admin, or sign in with a password")

// ErrPasswordSignInDisabled refuses a password sign-in of a user whose
// company allows only single sign-on.
var ErrPasswordSignInDisabled = errors.New("password sign-in is turned off for this company: sign in with single sign-on")

// Reason names why a single sign-on was refused.
type Reason string

// The reasons of a FlowError.
const (
	// ReasonState: the callback's state does not match the flow cookie,
	// or there is no (valid) flow cookie: a forged or replayed callback.
	ReasonState Reason = "state_invalid"
	// ReasonFlowExpired: the flow is older than its lifetime, or the
	// company's settings changed during it.
	ReasonFlowExpired Reason = "flow_expired"
	// ReasonProviderError: the provider answered the authorization
	// request with an error (for example access_denied).
	ReasonProviderError Reason = "provider_error"
	// ReasonProviderUnavailable: discovery or the token endpoint could
	// not be reached or answered nonsense.
	ReasonProviderUnavailable Reason = "provider_unavailable"
	// ReasonExchange: the token endpoint refused the code.
	ReasonExchange Reason = "code_exchange_failed"
	// ReasonIDToken: the ID token is missing, badly signed, of another
	// issuer or for another client.
	ReasonIDToken Reason = "id_token_invalid"
	// ReasonIDTokenExpired: the ID token has expired.
	ReasonIDTokenExpired Reason = "id_token_expired"
	// ReasonNonce: the ID token's nonce is not the flow's.
	ReasonNonce Reason = "nonce_mismatch"
	// ReasonEmailMissing: the ID token carries no email.
	ReasonEmailMissing Reason = "email_missing"
	// ReasonEmailUnverified: the provider has not verified the email.
	ReasonEmailUnverified Reason = "email_unverified"
	// ReasonDomain: the email's domain is not allowed for the company.
	ReasonDomain Reason = "domain_not_allowed"
	// ReasonUnknownUser: no user has the email and the company does not
	// create users on first sign-in.
	ReasonUnknownUser Reason = "user_unknown"
	// ReasonOtherCompany: the email belongs to a user of another company
	// (or to a platform admin).
	ReasonOtherCompany Reason = "user_of_another_company"
	// ReasonDisabled: the user or the company is deactivated.
	ReasonDisabled Reason = "account_disabled"
)

// FlowError is a refused single sign-on. Its message names the reason and
// a detail safe to log and show: never a secret, a code or a token.
type FlowError struct {
	Reason Reason
	// Detail says more, for the security audit.
	Detail string
	// Err is the underlying error, when there is one.
	Err error
}

func (e *FlowError) Error() string {
	if e.Detail == "" {
		return "single sign-on refused: " + string(e.Reason)
	}
	return fmt.Sprintf("single sign-on refused: %s: %s", e.Reason, e.Detail)
}

// Unwrap returns the underlying error.
func (e *FlowError) Unwrap() error { return e.Err }

func refuse(r Reason, err error, format string, args ...any) *FlowError {
	return &FlowError{Reason: r, Detail: fmt.Sprintf(format, args...), Err: err}
}

// Refuse returns a FlowError of reason r, for the caller that matches the
// Identity to a user (ReasonUnknownUser, ReasonOtherCompany,
// ReasonDisabled).
func Refuse(r Reason, detail string) error { return &FlowError{Reason: r, Detail: detail} }

// Identity is a person the provider vouched for.
type Identity struct {
	CompanyID tenant.CompanyID
	// Email is the verified, lower-cased email of an allowed domain.
	Email string
	// Subject is the provider's stable ID of the person (sub).
	Subject string
	// Name is the person's display name, "" when the provider gave none.
	Name string
	// Next is the local path the person asked to land on ("" for none).
	Next string
	// DefaultRole and CreateUsers are the company's settings at sign-in.
	DefaultRole tenant.Role
	CreateUsers bool
}
