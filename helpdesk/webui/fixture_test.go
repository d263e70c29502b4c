package webui_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/webui"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// password is every fixture user's password.
const password = "password-123"

// clock is a settable clock shared by the desk and a test.
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

// person is a fixture user.
type person struct {
	Email   string
	User    directory.User
	Contact directory.Contact
}

// actor is the person acting in their company.
func (p person) actor() tenant.Actor { return p.User.Actor() }

// fixture is a console over a memory store with one company ("Acme") whose
// people have every role, a second company ("Other") with a requester,
// and a platform admin.
type fixture struct {
	desk                                                  *helpdesk.Desk
	srv                                                   *httptest.Server
	clock                                                 *clock // nil when the desk runs on the real clock
	acme                                                  directory.Company
	other                                                 directory.Company
	root                                                  person
	admin, agent, requester, requester2, viewer, outsider person
}

type fixtureOptions struct {
	cfg   webui.Config
	clock *clock
	// store is the desk's store (default: a new memory store).
	store helpdesk.Store
}

func newFixture(t *testing.T, o fixtureOptions) *fixture {
	t.Helper()
	ctx := t.Context()
	opts := []helpdesk.Option{helpdesk.WithBcryptCost(bcrypt.MinCost)}
	if o.clock != nil {
		opts = append(opts, helpdesk.WithClock(o.clock.Now))
	}
	var store helpdesk.Store = memory.New()
	if o.store != nil {
		store = o.store
	}
	desk, err := helpdesk.New(store, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close() })
	f := &fixture{desk: desk, clock: o.clock}
	_, err = desk.Bootstrap(ctx, "root@boladao.test", password)
	require.NoError(t, err)
	rootUser, err := desk.Directory.Authenticate(ctx, "root@boladao.test", password)
	require.NoError(t, err)
	f.root = person{Email: "root@boladao.test", User: rootUser}
	sys := tenant.System()
	f.acme, err = desk.Directory.CreateCompany(ctx, sys, directory.CompanyInput{Name: "Acme Ltda", Timezone: "America/Sao_Paulo"})
	require.NoError(t, err)
	f.other, err = desk.Directory.CreateCompany(ctx, sys, directory.CompanyInput{Name: "Other SA", Timezone: "America/Sao_Paulo"})
	require.NoError(t, err)
	mk := func(co directory.Company, name, email string, role tenant.Role) person {
		actor, err := sys.InCompany(co.ID)
		require.NoError(t, err)
		contact, err := desk.Directory.CreateContact(ctx, actor, directory.ContactInput{Name: name, Email: email})
		require.NoError(t, err)
		u, err := desk.Directory.CreateUser(ctx, actor, directory.UserInput{Email: email, Password: password, Role: role, ContactID: contact.ID})
		require.NoError(t, err)
		return person{Email: email, User: u, Contact: contact}
	}
	f.admin = mk(f.acme, "Ana Admin", "ana@acme.test", tenant.RoleAdmin)
	f.agent = mk(f.acme, "Beto Agente", "beto@acme.test", tenant.RoleAgent)
	f.requester = mk(f.acme, "Rita Solicitante", "rita@acme.test", tenant.RoleRequester)
	f.requester2 = mk(f.acme, "Otto Solicitante", "otto@acme.test", tenant.RoleRequester)
	f.viewer = mk(f.acme, "Vera Leitora", "vera@acme.test", tenant.RoleViewer)
	f.outsider = mk(f.other, "Oscar Outro", "oscar@other.test", tenant.RoleAgent)
	h, err := webui.New(desk, o.cfg)
	require.NoError(t, err)
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// client is a cookie-keeping HTTP client that does not follow redirects,
// sending the headers a same-origin browser form post sends.
type client struct {
	t    *testing.T
	f    *fixture
	http *http.Client
}

func (f *fixture) client(t *testing.T) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, f: f, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// get fetches a console path.
func (c *client) get(path string, header ...string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodGet, c.f.srv.URL+path, nil)
	require.NoError(c.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	c.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// post submits a form like a same-origin page does (Sec-Fetch-Site:
// same-origin); header pairs override.
func (c *client) post(path string, form url.Values, header ...string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.f.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", c.f.srv.URL)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	c.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// signIn signs p in and checks the redirect to the dashboard.
func (c *client) signIn(p person) {
	c.t.Helper()
	resp := c.post("/signin", url.Values{"email": {p.Email}, "password": {password}})
	require.Equal(c.t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(c.t, "/dashboard", resp.Header.Get("Location"))
}
