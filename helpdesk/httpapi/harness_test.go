package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// backend names a storage backend the end-to-end tests run on.
type backend struct {
	name string
	open func(t *testing.T) helpdesk.Store
}

// backends lists memory and SQLite always, and PostgreSQL when configured
// (required in CI).
func backends(t *testing.T) []backend {
	bs := []backend{
		{"memory", func(t *testing.T) helpdesk.Store { return memory.New() }},
		{"sqlite", func(t *testing.T) helpdesk.Store { return bunstoretest.SQLite(t) }},
	}
	if os.Getenv(bunstoretest.DSNVariable) != "" || os.Getenv("CI") != "" {
		bs = append(bs, backend{"postgres", func(t *testing.T) helpdesk.Store { return bunstoretest.Postgres(t) }})
	} else {
		t.Logf("PostgreSQL end-to-end runs skipped: set %s to include them", bunstoretest.DSNVariable)
	}
	return bs
}

// forEachBackend runs fn as a parallel subtest on every backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, b.open(t), httpapi.Config{}))
		})
	}
}

// clock is a settable clock shared by the desk and the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one API server over one backend, with a platform admin.
type env struct {
	t     *testing.T
	desk  *helpdesk.Desk
	srv   *httptest.Server
	clock *clock
	// root is the platform admin's access token.
	root string
}

const (
	rootEmail    = "root@boladao.test"
	rootPassword = "root-password-1"
)

func newEnv(t *testing.T, store helpdesk.Store, cfg httpapi.Config, opts ...helpdesk.Option) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}
	opts = append([]helpdesk.Option{helpdesk.WithClock(c.Now), helpdesk.WithBcryptCost(bcrypt.MinCost)}, opts...)
	desk, err := helpdesk.New(store, opts...)
	require.NoError(t, err)
	_, err = desk.Bootstrap(t.Context(), rootEmail, rootPassword)
	require.NoError(t, err)
	h, err := httpapi.New(desk, cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &env{t: t, desk: desk, srv: srv, clock: c}
	e.root = e.login(rootEmail, rootPassword).AccessToken
	return e
}

// response is what a request returned.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r response) JSON(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), "body: %s", r.Body)
}

// Problem decodes a problem+json body.
func (r response) Problem(t *testing.T) problem {
	t.Helper()
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), "body: %s", r.Body)
	var p problem
	r.JSON(t, &p)
	return p
}

type problem struct {
	Type               string `json:"type"`
	Title              string `json:"title"`
	Status             int    `json:"status"`
	Detail             string `json:"detail"`
	Errors             []struct{ Field, Message string }
	AllowedTransitions []string `json:"allowed_transitions"`
}

func (p problem) Fields() []string {
	var fs []string
	for _, f := range p.Errors {
		fs = append(fs, f.Field)
	}
	return fs
}

// do sends a request. body is nil, a string or []byte sent as is, or a
// value sent as JSON; headers are name, value pairs ("Authorization" gets
// "Bearer " prepended when the value has no scheme). Every exchange is
// checked by checkExchange.
func (e *env) do(method, path string, body any, headers ...string) response {
	e.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		raw, err = json.Marshal(b)
		require.NoError(e.t, err)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, bytes.NewReader(raw))
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		v := headers[i+1]
		if strings.EqualFold(headers[i], "Authorization") && !strings.Contains(v, " ") {
			v = "Bearer " + v
		}
		req.Header.Set(headers[i], v)
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: out}
	checkExchange(e.t, e.srv.URL, req, raw, r)
	return r
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// login logs in over HTTP and requires success.
func (e *env) login(email, password string) tokens {
	e.t.Helper()
	r := e.do("POST", "/auth/login", map[string]string{"email": email, "password": password})
	require.Equal(e.t, http.StatusOK, r.Status, "login %s: %s", email, r.Body)
	var tk tokens
	r.JSON(e.t, &tk)
	return tk
}

// company creates a company with an admin, agent, requester and viewer
// through the services, and returns their access tokens by role.
func (e *env) company(name string) (directory.Company, map[tenant.Role]string) {
	e.t.Helper()
	ctx := e.t.Context()
	co, err := e.desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: name})
	require.NoError(e.t, err)
	admin, err := tenant.System().InCompany(co.ID)
	require.NoError(e.t, err)
	out := map[tenant.Role]string{}
	for _, role := range []tenant.Role{tenant.RoleAdmin, tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer} {
		email := string(role) + "@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".test"
		ct, err := e.desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: name + " " + string(role), Email: email})
		require.NoError(e.t, err)
		_, err = e.desk.Directory.CreateUser(ctx, admin, directory.UserInput{Email: email, Password: "password-" + string(role), Role: role, ContactID: ct.ID})
		require.NoError(e.t, err)
		out[role] = e.login(email, "password-"+string(role)).AccessToken
	}
	return co, out
}
