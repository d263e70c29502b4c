package sso

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Scopes are what a sign-in asks the provider for.
var scopes = []string{oidc.ScopeOpenID, "email", "profile"}

type cachedProvider struct {
	p  *oidc.Provider
	at time.Time
}

// provider returns the issuer's provider, discovered at most once per
// discovery lifetime. A failed discovery is not cached.
func (s *Service) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.providers[issuer]
	s.mu.Unlock()
	if ok && now.Sub(c.at) < s.discoveryTTL {
		return c.p, nil
	}
	p, err := oidc.NewProvider(s.clientContext(ctx), issuer)
	if err != nil {
		return nil, refuse(ReasonProviderUnavailable, err, "discovery of %s failed: %v", issuer, err)
	}
	for _, endpoint := range []string{p.Endpoint().AuthURL, p.Endpoint().TokenURL} {
		u, err := url.Parse(endpoint)
		if err != nil || checkIssuer(u.Scheme+"://"+u.Host) != nil {
			return nil, refuse(ReasonProviderUnavailable, err, "the discovery document of %s names an endpoint that is not https: %q", issuer, endpoint)
		}
	}
	s.mu.Lock()
	s.providers[issuer] = cachedProvider{p: p, at: now}
	s.mu.Unlock()
	return p, nil
}

func (s *Service) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.client)
}

// Start describes a sign-in to begin.
type Start struct {
	Company tenant.CompanyID
	// RedirectURL is the edge's callback URL, as registered with the
	// provider.
	RedirectURL string
	// Next is the local path to land on after sign-in; the edge checks it
	// is one of its own paths.
	Next string
	// LoginHint is the email the person typed, passed to the provider as
	// login_hint ("" for none).
	LoginHint string
}

// flow is what the browser carries between Begin and Finish, sealed.
type flow struct {
	Company  tenant.CompanyID `json:"c"`
	State    string           `json:"s"`
	Nonce    string           `json:"n"`
	Verifier string           `json:"v"`
	Next     string           `json:"x,omitempty"`
	Issuer   string           `json:"i"`
	ClientID string           `json:"k"`
	Redirect string           `json:"r"`
	Expires  int64            `json:"e"`
}

// Begin starts a sign-in with company's provider: it returns the URL to
// send the browser to and the sealed flow to keep in a short-lived cookie
// until the callback (Finish). ErrNotConfigured when the company offers no
// single sign-on; a *FlowError (ReasonProviderUnavailable) when discovery
// fails.
func (s *Service) Begin(ctx context.Context, in Start) (authURL, sealed string, err error) {
	st, err := s.Config(ctx, in.Company)
	if err != nil {
		return "", "", err
	}
	p, err := s.provider(ctx, st.Issuer)
	if err != nil {
		return "", "", err
	}
	f := flow{Company: in.Company, State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(),
		Next: in.Next, Issuer: st.Issuer, ClientID: st.ClientID, Redirect: in.RedirectURL,
		Expires: s.now().Add(s.flowTTL).Unix()}
	if sealed, err = s.seal(f); err != nil {
		return "", "", err
	}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)}
	if in.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", in.LoginHint))
	}
	return s.oauth(st, p, in.RedirectURL).AuthCodeURL(f.State, opts...), sealed, nil
}

func (s *Service) oauth(st Settings, p *oidc.Provider, redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: st.ClientID, ClientSecret: st.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirect, Scopes: scopes}
}

// FlowCompany returns the company of a sealed flow, for the audit of a
// refused callback (0 when the flow cannot be opened).
func (s *Service) FlowCompany(sealed string) tenant.CompanyID {
	f, err := s.open(sealed)
	if err != nil {
		return 0
	}
	return f.Company
}

var providerCode = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Finish completes a sign-in on the provider's callback: sealed is the
// flow cookie from Begin and query the callback's query (state, code, or
// error). It returns the person's Identity, or a *FlowError.
func (s *Service) Finish(ctx context.Context, sealed string, query url.Values) (Identity, error) {
	if sealed == "" {
		return Identity{}, refuse(ReasonState, nil, "no sign-in in progress in this browser")
	}
	f, err := s.open(sealed)
	if err != nil {
		return Identity{}, refuse(ReasonState, nil, "the sign-in cookie is not valid")
	}
	if s.now().Unix() > f.Expires {
		return Identity{}, refuse(ReasonFlowExpired, nil, "the sign-in took longer than %v", s.flowTTL)
	}
	if st := query.Get("state"); st == "" || subtle.ConstantTimeCompare([]byte(st), []byte(f.State)) != 1 {
		return Identity{}, refuse(ReasonState, nil, "the callback's state does not match this browser's sign-in")
	}
	if e := query.Get("error"); e != "" {
		if !providerCode.MatchString(e) {
			e = "unknown"
		}
		return Identity{}, refuse(ReasonProviderError, nil, "the provider answered %s", e)
	}
	code := query.Get("code")
	if code == "" {
		return Identity{}, refuse(ReasonProviderError, nil, "the callback carries no code")
	}
	st, err := s.Config(ctx, f.Company)
	if err != nil {
		return Identity{}, err
	}
	if st.Issuer != f.Issuer || st.ClientID != f.ClientID {
		return Identity{}, refuse(ReasonFlowExpired, nil, "the company's single sign-on settings changed during the sign-in")
	}
	p, err := s.provider(ctx, st.Issuer)
	if err != nil {
		return Identity{}, err
	}
	cctx := s.clientContext(ctx)
	tok, err := s.oauth(st, p, f.Redirect).Exchange(cctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			c := re.ErrorCode
			if !providerCode.MatchString(c) {
				c = fmt.Sprintf("HTTP %d", re.Response.StatusCode)
			}
			return Identity{}, refuse(ReasonExchange, err, "the token endpoint refused the code: %s", c)
		}
		return Identity{}, refuse(ReasonProviderUnavailable, err, "the token endpoint failed: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, refuse(ReasonIDToken, nil, "the token endpoint returned no ID token")
	}
	idt, err := p.VerifierContext(cctx, &oidc.Config{ClientID: st.ClientID, Now: s.now}).Verify(cctx, raw)
	if err != nil {
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return Identity{}, refuse(ReasonIDTokenExpired, err, "the ID token expired at %s", exp.Expiry.UTC().Format(time.RFC3339))
		}
		return Identity{}, refuse(ReasonIDToken, err, "%s", strings.TrimPrefix(err.Error(), "oidc: "))
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return Identity{}, refuse(ReasonNonce, nil, "the ID token's nonce is not this sign-in's")
	}
	var claims struct {
		Email    string          `json:"email"`
		Verified json.RawMessage `json:"email_verified"`
		// DomainOwnerVerified is Microsoft Entra ID's optional claim
		// xms_edov: the email's domain is verified for the tenant (Entra
		// ID sends no email_verified).
		DomainOwnerVerified json.RawMessage `json:"xms_edov"`
		Name                string          `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, refuse(ReasonIDToken, err, "the ID token's claims cannot be read")
	}
	email := strings.ToLower(strings.TrimSpace(claims.Email))
	if email == "" || !strings.Contains(email, "@") {
		return Identity{}, refuse(ReasonEmailMissing, nil, "the ID token carries no email: ask for the email scope")
	}
	// Some providers send "true" as a string.
	if !isTrue(claims.Verified) && !isTrue(claims.DomainOwnerVerified) {
		return Identity{}, refuse(ReasonEmailUnverified, nil, "the provider has not verified %s", email)
	}
	if !st.AllowsDomain(email) {
		return Identity{}, refuse(ReasonDomain, nil, "%s is not of a domain allowed for company %d", email, f.Company)
	}
	return Identity{CompanyID: f.Company, Email: email, Subject: idt.Subject, Name: strings.TrimSpace(claims.Name),
		Next: f.Next, DefaultRole: st.DefaultRole, CreateUsers: st.CreateUsers}, nil
}

// aead is AES-256-GCM under a key derived from the service's key.
func (s *Service) aead() (cipher.AEAD, error) {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("boladao sso flow"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts and authenticates a flow for a cookie.
func (s *Service) seal(f flow) (string, error) {
	plain, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	a, err := s.aead()
	if err != nil {
		return "", fmt.Errorf("sso: sealing a flow: %w", err)
	}
	nonce := make([]byte, a.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(a.Seal(nonce, nonce, plain, nil)), nil
}

// open reverses seal; a changed or foreign value fails.
func (s *Service) open(sealed string) (flow, error) {
	var f flow
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return f, err
	}
	a, err := s.aead()
	if err != nil {
		return f, err
	}
	if len(raw) < a.NonceSize() {
		return f, errors.New("sso: flow too short")
	}
	plain, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], nil)
	if err != nil {
		return f, err
	}
	err = json.Unmarshal(plain, &f)
	return f, err
}

// isTrue reports a JSON true, or the string "true" some providers send.
func isTrue(raw json.RawMessage) bool {
	v := string(raw)
	return v == "true" || v == `"true"` || v == `"1"` || v == "1"
}
