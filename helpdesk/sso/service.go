package sso

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// Default lifetimes.
const (
	// DefaultFlowTTL is how long a person has to come back from the
	// provider.
	DefaultFlowTTL = 10 * time.Minute
	// DefaultDiscoveryTTL is how long a provider's discovery document is
	// reused before it is read again.
	DefaultDiscoveryTTL = time.Hour
	// MinKeyBytes is the shortest key that seals flows.
	MinKeyBytes = 32
	// MaxDomains is how many email domains a company may allow.
	MaxDomains = 50
)

// Service keeps the companies' settings and runs sign-ins.
type Service struct {
	store        Store
	key          []byte
	now          func() time.Time
	client       *http.Client
	flowTTL      time.Duration
	discoveryTTL time.Duration

	mu        sync.Mutex
	providers map[string]cachedProvider
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock for flow lifetimes and ID token expiry.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithHTTPClient sets the client that talks to providers (default: one
// with a 10-second timeout).
func WithHTTPClient(c *http.Client) Option { return func(s *Service) { s.client = c } }

// WithFlowTTL sets how long a person has to come back from the provider
// (default DefaultFlowTTL).
func WithFlowTTL(d time.Duration) Option { return func(s *Service) { s.flowTTL = d } }

// WithDiscoveryTTL sets how long a discovery document is reused (default
// DefaultDiscoveryTTL).
func WithDiscoveryTTL(d time.Duration) Option { return func(s *Service) { s.discoveryTTL = d } }

// NewService returns the service over store. key seals the flows handed
// to browsers (at least MinKeyBytes); every instance behind one address
// must share it.
func NewService(store Store, key []byte, opts ...Option) (*Service, error) {
	if store == nil {
		return nil, errors.New("sso: store is nil")
	}
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("sso: key of %d bytes: give at least %d random bytes", len(key), MinKeyBytes)
	}
	s := &Service{store: store, key: key, now: time.Now, client: &http.Client{Timeout: 10 * time.Second},
		flowTTL: DefaultFlowTTL, discoveryTTL: DefaultDiscoveryTTL, providers: map[string]cachedProvider{}}
	for _, o := range opts {
		o(s)
	}
	if s.flowTTL <= 0 || s.discoveryTTL <= 0 {
		return nil, errors.New("sso: flow and discovery lifetimes must be positive")
	}
	return s, nil
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// settings reads a company's settings, the defaults when it has none.
func (s *Service) settings(ctx context.Context, company tenant.CompanyID) (Settings, error) {
	st, err := s.store.SSOSettings(ctx, company)
	if errors.Is(err, storage.ErrNotFound) {
		return Defaults(company), nil
	}
	return st, err
}

// View is what an API may show of a company's settings: the client secret
// is reported only as set or not.
type View struct {
	CompanyID       tenant.CompanyID
	Enabled         bool
	Issuer          string
	ClientID        string
	ClientSecretSet bool
	AllowedDomains  []string
	DefaultRole     tenant.Role
	CreateUsers     bool
	PasswordSignIn  bool
	Version         int64
	UpdatedAt       time.Time
}

func viewOf(st Settings) View {
	return View{CompanyID: st.CompanyID, Enabled: st.Enabled, Issuer: st.Issuer, ClientID: st.ClientID,
		ClientSecretSet: st.ClientSecret != "", AllowedDomains: slices.Clone(st.AllowedDomains), DefaultRole: st.DefaultRole,
		CreateUsers: st.CreateUsers, PasswordSignIn: st.PasswordSignIn, Version: st.Version, UpdatedAt: st.UpdatedAt}
}

// SettingsInput changes a company's settings; nil fields are kept.
// ClientSecret is write-only ("" clears it). Version, when non-zero, must
// be the current one.
type SettingsInput struct {
	Enabled        *bool
	Issuer         *string
	ClientID       *string
	ClientSecret   *string
	AllowedDomains *[]string
	DefaultRole    *tenant.Role
	CreateUsers    *bool
	PasswordSignIn *bool
	Version        int64
}

// Settings shows the actor's company's settings; it needs
// tenant.PermUsersManage.
func (s *Service) Settings(ctx context.Context, actor tenant.Actor) (View, error) {
	if err := actor.RequireIn(tenant.PermUsersManage); err != nil {
		return View{}, err
	}
	st, err := s.settings(ctx, actor.CompanyID)
	if err != nil {
		return View{}, fmt.Errorf("sso settings: %w", err)
	}
	return viewOf(st), nil
}

var domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// UpdateSettings changes the actor's company's settings; it needs
// tenant.PermUsersManage. Enabled settings need an issuer, a client ID and
// at least one allowed domain; password sign-in can be turned off only
// while single sign-on is on.
func (s *Service) UpdateSettings(ctx context.Context, actor tenant.Actor, in SettingsInput) (View, error) {
	if err := actor.RequireIn(tenant.PermUsersManage); err != nil {
		return View{}, err
	}
	st, err := s.settings(ctx, actor.CompanyID)
	if err != nil {
		return View{}, fmt.Errorf("sso settings: %w", err)
	}
	if in.Version != 0 && in.Version != st.Version {
		return View{}, fmt.Errorf("sso settings: expected version %d, current is %d: %w", in.Version, st.Version, storage.ErrStale)
	}
	var b validation.Builder
	if in.Enabled != nil {
		st.Enabled = *in.Enabled
	}
	if in.Issuer != nil {
		st.Issuer = strings.TrimRight(strings.TrimSpace(*in.Issuer), "/")
		if st.Issuer != "" && checkIssuer(st.Issuer) != nil {
			b.Add("issuer", "must be an https URL such as https://login.microsoftonline.com/TENANT_ID/v2.0 (http only on loopback)")
		}
	}
	if in.ClientID != nil {
		st.ClientID = b.Text("client_id", *in.ClientID, 0, 255)
	}
	if in.ClientSecret != nil {
		st.ClientSecret = strings.TrimSpace(*in.ClientSecret)
		if len(st.ClientSecret) > 1024 || strings.ContainsAny(st.ClientSecret, " \t\r\n") {
			b.Add("client_secret", "must be at most 1024 characters without spaces")
		}
	}
	if in.AllowedDomains != nil {
		st.AllowedDomains = normalizeDomains(&b, *in.AllowedDomains)
	}
	if in.DefaultRole != nil {
		st.DefaultRole = *in.DefaultRole
		if !slices.Contains([]tenant.Role{tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer}, st.DefaultRole) {
			b.Add("default_role", "must be one of agent, requester, viewer")
		}
	}
	if in.CreateUsers != nil {
		st.CreateUsers = *in.CreateUsers
	}
	if in.PasswordSignIn != nil {
		st.PasswordSignIn = *in.PasswordSignIn
	}
	if st.Enabled {
		if st.Issuer == "" {
			b.Add("issuer", "is required while single sign-on is enabled")
		}
		if st.ClientID == "" {
			b.Add("client_id", "is required while single sign-on is enabled")
		}
		if len(st.AllowedDomains) == 0 {
			b.Add("allowed_domains", "needs at least one domain while single sign-on is enabled")
		}
	}
	if !st.PasswordSignIn && !st.Enabled {
		b.Add("password_sign_in", "can be turned off only while single sign-on is enabled")
	}
	if err := b.Err(); err != nil {
		return View{}, err
	}
	now := s.clock()
	if st.Version == 0 {
		st.CreatedAt = now
	}
	st.UpdatedAt = now
	if err := s.store.SaveSSOSettings(ctx, &st); err != nil {
		return View{}, fmt.Errorf("saving sso settings: %w", err)
	}
	return viewOf(st), nil
}

// normalizeDomains lower-cases, trims, de-duplicates and checks domains.
func normalizeDomains(b *validation.Builder, in []string) []string {
	out := []string{}
	for _, d := range in {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" || slices.Contains(out, d) {
			continue
		}
		if len(d) > 253 || !domainPattern.MatchString(d) {
			b.Add("allowed_domains", "must list domains such as example.com, without @ or spaces")
			continue
		}
		out = append(out, d)
	}
	if len(out) > MaxDomains {
		b.Add("allowed_domains", "must list at most %d domains", MaxDomains)
	}
	slices.Sort(out)
	return out
}

// checkIssuer accepts https URLs, and http ones on loopback (a provider
// on the same machine, or tests).
func checkIssuer(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("not an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			return nil
		}
	}
	return errors.New("not https")
}

// Config returns the settings of a company that offers single sign-on
// (ErrNotConfigured otherwise).
func (s *Service) Config(ctx context.Context, company tenant.CompanyID) (Settings, error) {
	if company <= 0 {
		return Settings{}, ErrNotConfigured
	}
	st, err := s.settings(ctx, company)
	if err != nil {
		return Settings{}, fmt.Errorf("sso settings: %w", err)
	}
	if !st.Enabled || st.Issuer == "" || st.ClientID == "" {
		return Settings{}, ErrNotConfigured
	}
	return st, nil
}

// CompanyForEmail finds the one company whose enabled settings allow
// email's domain (ErrNotConfigured when none or several do).
func (s *Service) CompanyForEmail(ctx context.Context, email string) (tenant.CompanyID, error) {
	_, domain, ok := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@")
	if !ok || domain == "" {
		domain = strings.ToLower(strings.TrimSpace(email))
	}
	if !domainPattern.MatchString(domain) {
		return 0, ErrNotConfigured
	}
	ids, err := s.store.SSOCompaniesForDomain(ctx, domain)
	if err != nil {
		return 0, fmt.Errorf("sso: finding the company of %s: %w", domain, err)
	}
	if len(ids) != 1 {
		return 0, ErrNotConfigured
	}
	return ids[0], nil
}

// PasswordSignInAllowed reports whether the users of company may sign in
// with a password (always true for platform admins, company 0).
func (s *Service) PasswordSignInAllowed(ctx context.Context, company tenant.CompanyID) (bool, error) {
	if company == 0 {
		return true, nil
	}
	st, err := s.settings(ctx, company)
	if err != nil {
		return false, fmt.Errorf("sso settings: %w", err)
	}
	return st.PasswordSignIn || !st.Enabled, nil
}
