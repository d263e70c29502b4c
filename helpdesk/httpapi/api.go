package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/loginguard"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// Config holds the settings of the API. The zero value of every field means
// its default; Validate reports settings that cannot work, and New refuses
// them with the same errors.
type Config struct {
	// Version is reported by /health and the deployment status.
	Version string
	// Logger receives access logs and errors (default: discard).
	Logger *slog.Logger
	// AllowedHosts lists the Host values served; empty serves any host.
	AllowedHosts []string
	// CORSOrigins lists the origins allowed to call the API from a browser.
	CORSOrigins []string
	// TrustedProxies lists the CIDRs whose X-Forwarded-For is believed.
	TrustedProxies []string
	// PublicURL is the scheme and host people reach the server at
	// ("https://helpdesk.example.com"), for the single sign-on redirect URI
	// (PublicURL + "/auth/sso/callback"); give the path of a prefix the
	// API is mounted under ("https://example.com/helpdesk"). Empty: the
	// request's scheme (BehindTLS counts as https) and Host.
	PublicURL string
	// BehindTLS sends HSTS even when the server itself speaks plain HTTP
	// behind a TLS-terminating proxy.
	BehindTLS bool
	// MaxBodyBytes limits request bodies (default 1 MiB).
	MaxBodyBytes int64
	// MaxUploadBytes limits a multipart upload of files (default four
	// times the desk's per-file limit plus 1 MiB); each file is also held
	// to the per-file limit (BOLADAO_MAX_UPLOAD).
	MaxUploadBytes int64
	// MaxPageSize is the largest page a list answers (?limit=), from 1 to
	// storage.MaxLimit (the default, 200).
	MaxPageSize int
	// LoginRate and LoginBurst limit login attempts per account (default 10
	// per minute, burst 10).
	LoginRate  float64
	LoginBurst int
	// LoginIPRate and LoginIPBurst limit login and refresh attempts per
	// client IP (default 1 per second, burst 30: an office behind one NAT
	// address logs in many people).
	LoginIPRate  float64
	LoginIPBurst int
	// APIRate and APIBurst limit authenticated requests per principal
	// (default 50 per second, burst 100).
	APIRate  float64
	APIBurst int
	// BlockThreshold failures (failed logins, forged tokens) from one IP
	// within BlockWindow block it for BlockFor (defaults 20, 10 min, 15 min).
	BlockThreshold int
	BlockWindow    time.Duration
	BlockFor       time.Duration
	// LoginGuard, when set, holds the sign-in limits and the IP blocker
	// shared with other sign-in edges (the web console); LoginRate,
	// LoginIPRate and the Block settings are then the guard's business.
	LoginGuard *loginguard.Guard
	// Ops answers the operations endpoints about the deployment (backups,
	// migrations, configuration warnings); nil disables those that need it.
	Ops Ops
}

// Validate reports the settings that cannot work, all of them at once
// (joined with errors.Join): trusted proxies that are neither a CIDR nor
// an address, allowed hosts with a scheme or a path, CORS origins that are
// not scheme://host[:port], "*" among the origins beside credentials, and
// a MaxPageSize above storage.MaxLimit.
func (c Config) Validate() error {
	var errs []error
	if _, err := newClientIPResolver(c.TrustedProxies...); err != nil {
		errs = append(errs, err)
	}
	if _, err := trustedHosts(c.AllowedHosts); err != nil {
		errs = append(errs, err)
	}
	if _, err := cors(corsConfig{AllowedOrigins: c.CORSOrigins}); err != nil {
		errs = append(errs, err)
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("httpapi: public URL %q: give scheme and host such as https://helpdesk.example.com", c.PublicURL))
		}
	}
	if c.MaxPageSize > storage.MaxLimit {
		errs = append(errs, fmt.Errorf("httpapi: MaxPageSize %d is above the stores' largest page, %d", c.MaxPageSize, storage.MaxLimit))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Version == "" {
		c.Version = "dev"
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxPageSize <= 0 {
		c.MaxPageSize = storage.MaxLimit
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.LoginRate <= 0 {
		c.LoginRate = 10.0 / 60
	}
	if c.LoginBurst <= 0 {
		c.LoginBurst = 10
	}
	if c.LoginIPRate <= 0 {
		c.LoginIPRate = 1
	}
	if c.LoginIPBurst <= 0 {
		c.LoginIPBurst = 30
	}
	if c.APIRate <= 0 {
		c.APIRate = 50
	}
	if c.APIBurst <= 0 {
		c.APIBurst = 100
	}
	if c.BlockThreshold <= 0 {
		c.BlockThreshold = 20
	}
	if c.BlockWindow <= 0 {
		c.BlockWindow = 10 * time.Minute
	}
	if c.BlockFor <= 0 {
		c.BlockFor = 15 * time.Minute
	}
	return c
}

// api is the state behind the handler New returns.
type api struct {
	cfg     Config
	desk    *helpdesk.Desk
	log     *slog.Logger
	now     func() time.Time
	mux     *http.ServeMux
	ip      func(*http.Request) string
	account *loginguard.Limiter // login attempts per account
	loginIP *loginguard.Limiter // login and refresh attempts per client IP
	perCall *loginguard.Limiter // per authenticated principal
	// own holds the limiters of API tokens granted a limit of their own,
	// one per rate and burst.
	ownMu   sync.Mutex
	own     map[ownLimit]*loginguard.Limiter
	blocks  *blocker
	metrics *metrics
	// perms are the permissions each authenticated route needs, checked
	// before its handler runs (routePermissions).
	perms map[string][]tenant.Permission
}

// New returns the whole API of desk as an http.Handler, with its middleware
// stack, answering at the root of its paths (/auth/login, /api/...): mount
// it under a prefix with http.StripPrefix. A Config that cannot work is
// refused with the errors of Config.Validate.
func New(desk *helpdesk.Desk, cfg Config) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 4*desk.Attachments.Policy().MaxFileBytes + 1<<20
	}
	a := &api{cfg: cfg, desk: desk, log: cfg.Logger, now: desk.Now, mux: http.NewServeMux()}
	resolver, err := newClientIPResolver(cfg.TrustedProxies...)
	if err != nil {
		return nil, fmt.Errorf("httpapi: trusted proxies: %w", err)
	}
	a.ip = resolver.clientIP
	guard := cfg.LoginGuard
	if guard == nil {
		if guard, err = loginguard.New(loginguard.Config{AccountRate: cfg.LoginRate, AccountBurst: cfg.LoginBurst,
			IPRate: cfg.LoginIPRate, IPBurst: cfg.LoginIPBurst, BlockThreshold: cfg.BlockThreshold,
			BlockWindow: cfg.BlockWindow, BlockFor: cfg.BlockFor, Now: desk.Now}); err != nil {
			return nil, fmt.Errorf("httpapi: %w", err)
		}
	}
	a.account = guard.Accounts()
	a.loginIP = guard.IPs()
	a.perCall = loginguard.NewLimiter(cfg.APIRate, cfg.APIBurst, desk.Now)
	a.blocks = &blocker{b: guard.Blocks(), now: desk.Now}
	a.metrics = newMetrics()
	a.metrics.failures = desk.BackgroundFailures
	if desk.Webhooks != nil {
		a.metrics.hooks = &webhookGauges{r: desk.Webhooks}
	}
	a.perms = routePermissions()
	hosts, err := trustedHosts(cfg.AllowedHosts)
	if err != nil {
		return nil, fmt.Errorf("httpapi: allowed hosts: %w", err)
	}
	if len(cfg.AllowedHosts) > 0 {
		hosts = a.auditHosts(hosts)
	}
	corsMW, err := cors(corsConfig{AllowedOrigins: cfg.CORSOrigins})
	if err != nil {
		return nil, fmt.Errorf("httpapi: CORS origins: %w", err)
	}
	a.routes()
	return chain(capturePattern(http.HandlerFunc(a.serveRoutes)),
		requestID(true),
		a.metrics.middleware,
		accessLog(a.log, a.ip),
		recoverPanics(a.log),
		securityHeaders(securityHeadersConfig{BehindTLS: cfg.BehindTLS}),
		hosts,
		corsMW,
		limitBody(cfg.MaxBodyBytes, cfg.MaxUploadBytes),
		blockIPs(a.blocks, a.ip),
	), nil
}

// routes registers every endpoint.
func (a *api) routes() {
	a.mux.HandleFunc("GET /health", a.health)
	a.authRoutes()
	a.adminRoutes()
	a.inventoryRoutes()
	a.ticketRoutes()
	a.integrationRoutes()
	a.ssoRoutes()
	a.serviceOrderRoutes()
	a.attachmentRoutes()
	a.eventRoutes()
	a.opsRoutes()
	a.auditRoutes()
	a.docRoutes()
	// No catch-all: serveRoutes answers 404 and 405 in problem+json.
}

func (a *api) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": a.cfg.Version})
}

// ownLimit is the request limit an API token was granted.
type ownLimit struct {
	rate  float64
	burst int
}

// maxOwnLimiters bounds the limiters kept for tokens' own limits; past it
// they start over (their buckets refill, which errs towards allowing).
const maxOwnLimiters = 1000

// limiter returns the rate limiter of p: the per-principal one, or for an
// API token granted a limit of its own, that limit's.
func (a *api) limiter(p helpdesk.Principal) *loginguard.Limiter {
	if p.Rate <= 0 || p.Burst < 1 {
		return a.perCall
	}
	k := ownLimit{p.Rate, p.Burst}
	a.ownMu.Lock()
	defer a.ownMu.Unlock()
	l, ok := a.own[k]
	if !ok {
		if a.own == nil || len(a.own) >= maxOwnLimiters {
			a.own = map[ownLimit]*loginguard.Limiter{}
		}
		l = loginguard.NewLimiter(p.Rate, p.Burst, a.desk.Now)
		a.own[k] = l
	}
	return l
}
