package ssotest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// User is the person the provider signs in.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// Config describes the one client the provider knows.
type Config struct {
	ClientID     string
	ClientSecret string
	// LoginPage makes the authorization endpoint show a page with a
	// "Sign in" button instead of approving at once.
	LoginPage bool
	// Now is the provider's clock (default time.Now).
	Now func() time.Time
	// TokenTTL is the ID token's lifetime (default 5 minutes).
	TokenTTL time.Duration
}

type grant struct {
	clientID, redirect, challenge, nonce string
	user                                 User
}

// Provider is an OpenID Connect provider served on loopback.
type Provider struct {
	cfg    Config
	server *httptest.Server
	key    *rsa.PrivateKey
	kid    string

	mu     sync.Mutex
	user   User
	tamper func(claims map[string]any)
	deny   bool
	codes  map[string]grant

	discoveries atomic.Int64
	exchanges   atomic.Int64
}

// New starts a provider; Close stops it.
func New(cfg Config) (*Provider, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 5 * time.Minute
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	p := &Provider{cfg: cfg, key: key, kid: "k" + rand.Text()[:8], codes: map[string]grant{},
		user: User{Subject: "subject-1", Email: "person@example.com", EmailVerified: true, Name: "Person"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.keys)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /authorize", p.approve)
	mux.HandleFunc("POST /token", p.token)
	p.server = httptest.NewServer(mux)
	return p, nil
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.server.URL }

// Close stops the provider.
func (p *Provider) Close() { p.server.Close() }

// SetUser chooses who signs in next.
func (p *Provider) SetUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// SetTamper bends the claims of the ID tokens issued next (nil: none).
func (p *Provider) SetTamper(fn func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = fn
}

// SetDeny makes the authorization endpoint answer access_denied.
func (p *Provider) SetDeny(deny bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deny = deny
}

// Discoveries counts the discovery documents served.
func (p *Provider) Discoveries() int64 { return p.discoveries.Load() }

// Exchanges counts the codes exchanged successfully.
func (p *Provider) Exchanges() int64 { return p.exchanges.Load() }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	p.discoveries.Add(1)
	iss := p.Issuer()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
		"jwks_uri": iss + "/keys", "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported": []string{"openid", "email", "profile"}, "code_challenge_methods_supported": []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (p *Provider) keys(w http.ResponseWriter, _ *http.Request) {
	pub := p.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": p.kid,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// authRequest checks an authorization request; a bad client or redirect
// URI is answered here, never redirected.
func (p *Provider) authRequest(w http.ResponseWriter, q url.Values) (grant, bool) {
	g := grant{clientID: q.Get("client_id"), redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"),
		nonce: q.Get("nonce")}
	u, err := url.Parse(g.redirect)
	switch {
	case g.clientID != p.cfg.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return g, false
	case err != nil || !u.IsAbs():
		http.Error(w, "redirect_uri must be absolute", http.StatusBadRequest)
		return g, false
	case q.Get("response_type") != "code" || !strings.Contains(" "+q.Get("scope")+" ", " openid "):
		http.Error(w, "response_type must be code and scope must hold openid", http.StatusBadRequest)
		return g, false
	case g.challenge == "" || q.Get("code_challenge_method") != "S256":
		http.Error(w, "PKCE with S256 is required", http.StatusBadRequest)
		return g, false
	}
	return g, true
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1><p>Sign in as {{.Email}}</p>
<form method="post" action="/authorize">{{range $k, $v := .Query}}{{range $v}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
<button type="submit" id="approve">Sign in</button></form></main></body></html>`))

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if _, ok := p.authRequest(w, q); !ok {
		return
	}
	if p.cfg.LoginPage {
		p.mu.Lock()
		email := p.user.Email
		p.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = loginPage.Execute(w, map[string]any{"Email": email, "Query": q})
		return
	}
	p.finishAuthorize(w, r, q)
}

func (p *Provider) approve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if _, ok := p.authRequest(w, r.PostForm); !ok {
		return
	}
	p.finishAuthorize(w, r, r.PostForm)
}

func (p *Provider) finishAuthorize(w http.ResponseWriter, r *http.Request, q url.Values) {
	g, _ := p.authRequest(w, q)
	back, _ := url.Parse(g.redirect)
	v := back.Query()
	v.Set("state", q.Get("state"))
	p.mu.Lock()
	if p.deny {
		v.Set("error", "access_denied")
	} else {
		g.user = p.user
		code := rand.Text()
		p.codes[code] = g
		v.Set("code", code)
	}
	p.mu.Unlock()
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.cfg.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.cfg.ClientSecret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code")
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, found := p.codes[code]
	delete(p.codes, code) // single use
	tamper := p.tamper
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !found || g.clientID != id:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
		return
	case g.redirect != r.PostForm.Get("redirect_uri"):
		tokenError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case subtle.ConstantTimeCompare([]byte(b64(sum[:])), []byte(g.challenge)) != 1:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	now := p.cfg.Now()
	claims := map[string]any{"iss": p.Issuer(), "sub": g.user.Subject, "aud": id, "iat": now.Unix(),
		"exp": now.Add(p.cfg.TokenTTL).Unix(), "email": g.user.Email, "email_verified": g.user.EmailVerified}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	if g.user.Name != "" {
		claims["name"] = g.user.Name
	}
	if tamper != nil {
		tamper(claims)
	}
	idToken, err := p.sign(claims)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	p.exchanges.Add(1)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": rand.Text(), "token_type": "Bearer",
		"expires_in": int(p.cfg.TokenTTL / time.Second), "id_token": idToken})
}

// sign makes an RS256 JWS of claims.
func (p *Provider) sign(claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": p.kid})
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64(header) + "." + b64(body)
	h := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, h[:])
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}
