package webui

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/loginguard"
)

// Default lifetimes of a console session.
const (
	// DefaultIdleTimeout signs a browser out after this long without a
	// request.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultMaxSessionAge signs a browser out this long after sign-in,
	// however active.
	DefaultMaxSessionAge = 12 * time.Hour
)

// Config holds the settings of the console. The zero value of every field
// means its default; New reports settings that cannot work.
type Config struct {
	// Prefix is the path the console is mounted under, without a trailing
	// slash ("" at the root, "/console" when the embedder strips
	// "/console"). Links, redirects and the cookie path use it.
	Prefix string
	// Logger receives errors (default: discard).
	Logger *slog.Logger
	// LoginGuard holds the sign-in limits and the IP blocker; pass the one
	// given to httpapi.Config.LoginGuard so that both edges share them.
	// Nil builds a guard of the console's own with loginguard's defaults.
	LoginGuard *loginguard.Guard
	// ClientIP returns the client address of a request, for the sign-in
	// limits and the security audit (default: the connection's address).
	ClientIP func(*http.Request) string
	// IdleTimeout signs a browser out after this long without a request
	// (default DefaultIdleTimeout).
	IdleTimeout time.Duration
	// MaxSessionAge signs a browser out this long after sign-in (default
	// DefaultMaxSessionAge).
	MaxSessionAge time.Duration
	// SessionKey authenticates the activity stamp of the session cookie
	// (at least 32 bytes). Every instance behind one address must share
	// it; without it New draws a random key, and a restart signs everyone
	// out.
	SessionKey []byte
	// Operations answers the operations page's questions about the
	// deployment (readiness, schema, backups, warnings); nil shows what
	// the console knows by itself and no backup button.
	Operations Operations
	// Version is the program's version, shown on the operations page.
	Version string
	// BehindTLS marks cookies Secure even when the request arrived over
	// plain HTTP from a TLS-terminating proxy (requests over TLS always
	// get Secure cookies).
	BehindTLS bool
	// LiveHeartbeat is how often an idle live-update stream gets a
	// heartbeat, which also re-checks the session (default
	// DefaultLiveHeartbeat).
	LiveHeartbeat time.Duration
	// PresenceRefresh is how often each console refreshes the presence
	// records of its open ticket pages and re-reads everyone's (default
	// DefaultPresenceRefresh); records live for three refreshes, and at
	// least 5 seconds. It bounds how stale presence is across consoles on
	// one database: someone who opens or closes a ticket served by another
	// console shows up or goes within one refresh, and the pages of a
	// console that stopped without closing them go within one refresh
	// after their records lapse (40 seconds with the default).
	PresenceRefresh time.Duration
	// Context, once done, ends the open live-update streams: pass the
	// server's lifetime so that a graceful shutdown (http.Server.Shutdown
	// waits for requests to finish) is not held by them. Nil: streams end
	// only with their requests.
	Context context.Context
}

func (c Config) withDefaults() Config {
	c.Prefix = strings.TrimRight(c.Prefix, "/")
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ClientIP == nil {
		c.ClientIP = remoteIP
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxSessionAge <= 0 {
		c.MaxSessionAge = DefaultMaxSessionAge
	}
	if c.LiveHeartbeat <= 0 {
		c.LiveHeartbeat = DefaultLiveHeartbeat
	}
	if c.PresenceRefresh <= 0 {
		c.PresenceRefresh = DefaultPresenceRefresh
	}
	return c
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Prefix != "" && (!strings.HasPrefix(c.Prefix, "/") || strings.ContainsAny(c.Prefix, "?#")) {
		errs = append(errs, fmt.Errorf("webui: prefix %q: give a path such as /console", c.Prefix))
	}
	if c.SessionKey != nil && len(c.SessionKey) < 32 {
		errs = append(errs, fmt.Errorf("webui: session key of %d bytes: give at least 32 random bytes", len(c.SessionKey)))
	}
	if c.IdleTimeout > 0 && c.MaxSessionAge > 0 && c.IdleTimeout > c.MaxSessionAge {
		errs = append(errs, fmt.Errorf("webui: idle timeout %v exceeds the maximum session age %v", c.IdleTimeout, c.MaxSessionAge))
	}
	return errors.Join(errs...)
}

// console is the state behind the handler New returns.
type console struct {
	// buffers holds render buffers (*bytes.Buffer) for reuse: a page is
	// rendered whole before it is sent, and growing a fresh buffer to a
	// page's size was a fifth of the queue's allocations.
	buffers sync.Pool
	cfg     Config
	desk    *helpdesk.Desk
	log     *slog.Logger
	now     func() time.Time
	mux     *http.ServeMux
	guard   *loginguard.Guard
	key     []byte
	i18n    *i18n.Bundle
	matcher language.Matcher
	static  *staticFiles
	pages   map[string]*template.Template
	// started is when the console was built, for the operations page.
	started time.Time
	// zones caches time.LoadLocation by IANA name.
	zones sync.Map
	// names caches people's names and agent lists for a few seconds.
	names *nameCache
	// hub fans events out to the live-update streams (live.go).
	hub *hub
	// domainErrors are the kinds of domain errors pages explain (errors.go).
	domainErrors []domainError
}

// New returns the web console of desk as an http.Handler.
func New(desk *helpdesk.Desk, cfg Config) (http.Handler, error) {
	if desk == nil {
		return nil, errors.New("webui: desk is nil: pass the *helpdesk.Desk from helpdesk.New")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &console{cfg: cfg, desk: desk, log: cfg.Logger, now: desk.Now, mux: http.NewServeMux(), guard: cfg.LoginGuard,
		key: cfg.SessionKey, started: desk.Now(), names: newNameCache(desk.Now),
		domainErrors: domainErrors()}
	c.buffers.New = func() any { return new(bytes.Buffer) }
	if c.guard == nil {
		g, err := loginguard.New(loginguard.Config{Now: desk.Now})
		if err != nil {
			return nil, fmt.Errorf("webui: %w", err)
		}
		c.guard = g
	}
	if c.key == nil {
		c.key = make([]byte, 32)
		_, _ = rand.Read(c.key)
	}
	var err error
	if c.i18n, err = newBundle(); err != nil {
		return nil, err
	}
	c.matcher = newMatcher()
	c.hub = newHub(c)
	if c.static, err = newStaticFiles(); err != nil {
		return nil, err
	}
	if c.pages, err = c.parseTemplates(); err != nil {
		return nil, err
	}
	for _, register := range c.features() {
		register()
	}
	c.mux.HandleFunc("/", c.fallback)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(c.crossOrigin))
	return securityHeaders(c.recoverPanics(cop.Handler(c.mux))), nil
}

// features lists the console's parts: each registers its routes. A new
// part adds its method here and keeps its handlers, templates and
// messages in files of its own.
func (c *console) features() []func() {
	return []func(){
		c.staticRoutes,
		c.authRoutes,
		c.dashboardRoutes,
		c.ticketNewRoutes, // before the detail: /tickets/new is not a ticket ID
		c.ticketQueueRoutes,
		c.pickerRoutes,
		c.ticketViewRoutes,
		c.ticketDetailRoutes,
		c.adminUserRoutes,
		c.adminContactRoutes,
		c.adminTokenRoutes,
		c.adminCompanyRoutes,
		c.adminCompaniesRoutes,
		c.webhookRoutes,
		c.whatsappRoutes,
		c.aiRoutes,
		c.opsRoutes,
		c.liveRoutes,
		c.profileRoutes,
		c.assetRoutes,
		c.intakeRoutes,
		c.labelRoutes,
		c.serviceOrderRoutes,
	}
}

// path returns the console-relative path p under the mount prefix.
func (c *console) path(p string) string { return c.cfg.Prefix + p }

// sectionLanding returns the first page of the menu's section at path,
// where an address typed without a page leads.
func sectionLanding(path string) (string, bool) {
	switch strings.TrimSuffix(path, "/") {
	case "/admin":
		return "/admin/users", true
	case "/integrations":
		return "/integrations/webhooks", true
	}
	return "", false
}

// fallback answers "/" (the dashboard or the sign-in page), a section
// without a page (its first page) and every unknown route (the friendly
// 404 page).
func (c *console) fallback(w http.ResponseWriter, r *http.Request) {
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	if r.URL.Path == "/" && get {
		if _, ok := c.session(w, r); ok {
			http.Redirect(w, r, c.path("/dashboard"), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, c.path("/signin"), http.StatusSeeOther)
		return
	}
	if to, ok := sectionLanding(r.URL.Path); ok && get {
		http.Redirect(w, r, c.path(to), http.StatusSeeOther)
		return
	}
	c.renderError(w, r, c.visitor(w, r), http.StatusNotFound)
}

// crossOrigin answers a state-changing request that is not same-origin.
func (c *console) crossOrigin(w http.ResponseWriter, r *http.Request) {
	c.renderError(w, r, c.visitor(w, r), http.StatusForbidden)
}

// contentSecurityPolicy allows the console's own scripts, styles and
// images only (Pico CSS draws its icons with data: SVGs).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the CSP and the other protective headers on every
// response.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a handler's panic into the error page and a log
// entry.
func (c *console) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				c.log.ErrorContext(r.Context(), "webui: panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
				c.renderError(w, r, c.visitor(w, r), http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// remoteIP is the address of the connection.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
