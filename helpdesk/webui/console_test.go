package webui_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/loginguard"
	"github.com/sistemaboladao/boladao/helpdesk/webui"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestSessionLifetimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		steps  func(f *fixture, cl *client)
		signed bool
	}{
		{name: "active within the idle timeout", signed: true, steps: func(f *fixture, cl *client) {
			for range 5 { // each request renews the activity stamp
				f.clock.Advance(20 * time.Minute)
				require.Equal(cl.t, http.StatusOK, cl.get("/dashboard").StatusCode)
			}
		}},
		{name: "idle too long", steps: func(f *fixture, cl *client) { f.clock.Advance(31 * time.Minute) }},
		{name: "absolute lifetime", steps: func(f *fixture, cl *client) {
			for range 26 {
				f.clock.Advance(29 * time.Minute)
				cl.get("/dashboard")
			}
		}},
		{name: "session revoked elsewhere", steps: func(f *fixture, cl *client) {
			sessions := revokeAll(cl.t, f, cl)
			require.Equal(cl.t, 1, sessions)
		}},
		{name: "signed out", steps: func(f *fixture, cl *client) {
			require.Equal(cl.t, http.StatusSeeOther, cl.post("/signout", nil).StatusCode)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &clock{t: time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)}
			f := newFixture(t, fixtureOptions{clock: c, cfg: webui.Config{IdleTimeout: 30 * time.Minute, MaxSessionAge: 12 * time.Hour}})
			cl := f.client(t)
			cl.signIn(f.agent)
			tt.steps(f, cl)
			resp := cl.get("/dashboard")
			if tt.signed {
				require.Equal(t, http.StatusOK, resp.StatusCode)
				return
			}
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			require.Equal(t, "/signin?next=%2Fdashboard", resp.Header.Get("Location"))
		})
	}
}

// revokeAll revokes the server-side sessions behind the client's cookies,
// as an administrator ending them would, and returns how many.
func revokeAll(t testing.TB, f *fixture, cl *client) int {
	t.Helper()
	u, err := url.Parse(f.srv.URL)
	require.NoError(t, err)
	n := 0
	for _, ck := range cl.http.Jar.Cookies(u) {
		if ck.Name == "boladao_session" {
			token, _, _ := strings.Cut(ck.Value, "~")
			s, err := f.desk.CheckSession(t.Context(), token)
			require.NoError(t, err)
			require.NoError(t, f.desk.LogoutSession(t.Context(), s.Principal.SessionID))
			n++
		}
	}
	return n
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	cl := f.client(t)
	cl.signIn(f.agent)
	form := url.Values{"title": {"forged"}, "description": {"from another site"}, "priority": {"low"},
		"requester": {strconv.FormatInt(int64(f.requester.Contact.ID), 10)}}
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "same-site", "Origin", "https://sub." + strings.TrimPrefix(f.srv.URL, "http://")},
	} {
		resp := cl.post("/tickets/new", form, h...)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "%v", h)
		require.Contains(t, body(t, resp), "<html", "the refusal is the friendly error page")
	}
	page, err := f.desk.Tickets.List(t.Context(), f.agent.actor(), tickets.Filter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, page.Items, "nothing was written")
	require.Equal(t, http.StatusSeeOther, cl.post("/tickets/new", form).StatusCode, "the same form from the console's own page works")
}

func TestFriendlyNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	foreign, err := f.desk.Tickets.Create(t.Context(), f.outsider.actor(), tickets.CreateInput{Title: "Other company's", RequesterContactID: f.outsider.Contact.ID})
	require.NoError(t, err)
	cl := f.client(t)
	cl.signIn(f.agent)
	for _, path := range []string{"/no/such/page", "/tickets/" + strconv.FormatInt(foreign.Ticket.ID, 10), "/tickets/999999", "/tickets/abc",
		"/tickets/" + strconv.FormatInt(foreign.Ticket.ID, 10) + "/conversation"} {
		resp := cl.get(path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		require.Contains(t, resp.Header.Get("Content-Type"), "text/html", path)
		require.Contains(t, body(t, resp), "Página não encontrada", path)
	}
	resp := f.client(t).get("/no/such/page", "Accept-Language", "en-US,en;q=0.9")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body(t, resp), "Page not found", "visitors get the page too, in their language")
}

var assetURL = regexp.MustCompile(`(?:href|src)="(/static/[0-9a-f]{12}/[^"]+)"`)

func TestStaticFilesAndHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	cl := f.client(t)
	resp := cl.get("/signin")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	csp := resp.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
		require.Contains(t, csp, d)
	}
	require.NotContains(t, csp, "unsafe")
	html := body(t, resp)
	require.NotContains(t, html, "style=", "no inline styles")
	require.NotRegexp(t, `<script>|<script [^>]*>[^<]`, html, "no inline scripts")
	urls := assetURL.FindAllStringSubmatch(html, -1)
	require.Len(t, urls, 4, "favicon, Pico, our stylesheet, htmx")
	total := 0
	for _, m := range urls {
		u := m[1]
		plain := cl.get(u, "Accept-Encoding", "identity")
		require.Equal(t, http.StatusOK, plain.StatusCode, u)
		require.Equal(t, "public, max-age=31536000, immutable", plain.Header.Get("Cache-Control"), u)
		raw := body(t, plain)
		gz := cl.get(u, "Accept-Encoding", "gzip")
		require.Equal(t, "gzip", gz.Header.Get("Content-Encoding"), u)
		zr, err := gzip.NewReader(gz.Body)
		require.NoError(t, err)
		unzipped, err := io.ReadAll(zr)
		require.NoError(t, err)
		require.Equal(t, raw, string(unzipped), u)
		if !strings.HasSuffix(u, ".svg") {
			total += int(gz.ContentLength)
		}
		require.Equal(t, http.StatusNotModified, cl.get(u, "If-None-Match", plain.Header.Get("ETag")).StatusCode)
	}
	t.Logf("JavaScript + CSS shipped, gzip: %d bytes", total)
	require.LessOrEqual(t, total, 80<<10, "the page-weight budget is 80 KB compressed")
	require.Equal(t, http.StatusNotFound, cl.get("/static/000000000000/app.css").StatusCode, "a stale hash is not served")
}

// TestSignInSharesTheAPILimits checks that the console and the API count
// attempts against one guard: failures through one edge lock the other.
func TestSignInSharesTheAPILimits(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)}
	guard, err := loginguard.New(loginguard.Config{AccountRate: 1.0 / 60, AccountBurst: 3, Now: c.Now})
	require.NoError(t, err)
	f := newFixture(t, fixtureOptions{clock: c, cfg: webui.Config{LoginGuard: guard}})
	api, err := httpapi.New(f.desk, httpapi.Config{LoginGuard: guard})
	require.NoError(t, err)
	cl := f.client(t)
	for range 3 {
		resp := cl.post("/signin", url.Values{"email": {f.agent.Email}, "password": {"wrong"}})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Contains(t, body(t, resp), `value="`+f.agent.Email+`"`, "the email is kept")
	}
	req, err := http.NewRequest(http.MethodPost, "/auth/login", strings.NewReader(`{"email":"`+f.agent.Email+`","password":"`+password+`"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	api.ServeHTTP(w, req)
	require.Equal(t, http.StatusTooManyRequests, w.Code, "the API refuses the account the console saw attacked: %s", w.Body.String())
	resp := cl.post("/signin", url.Values{"email": {f.agent.Email}, "password": {password}})
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	c.Advance(time.Minute)
	cl.signIn(f.agent)
}

func TestNewTicketKeepsValuesAndWritesNothingOnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	cl := f.client(t)
	cl.signIn(f.agent)
	resp := cl.post("/tickets/new", url.Values{"title": {"   "}, "description": {"A <b>long</b> description"}, "priority": {"urgent"},
		"category": {"rede"}, "tags": {"vpn, urgente"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	html := body(t, resp)
	require.Contains(t, html, `id="title-error"`)
	require.Contains(t, html, `id="priority-error"`)
	require.Contains(t, html, "A &lt;b&gt;long&lt;/b&gt; description", "the description is kept, escaped")
	require.Contains(t, html, `value="vpn, urgente"`)
	require.Contains(t, html, `value="rede"`)
	page, err := f.desk.Tickets.List(t.Context(), f.agent.actor(), tickets.Filter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, page.Items)
}

func TestRequesterSeesOnlyOwnTicketsAndNoNotes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	ctx := t.Context()
	own, err := f.desk.Tickets.Create(ctx, f.requester.actor(), tickets.CreateInput{Title: "Rita's printer"})
	require.NoError(t, err)
	theirs, err := f.desk.Tickets.Create(ctx, f.requester2.actor(), tickets.CreateInput{Title: "Otto's laptop"})
	require.NoError(t, err)
	_, err = f.desk.Tickets.AddComment(ctx, f.agent.actor(), own.Ticket.ID, "secret internal remark", true)
	require.NoError(t, err)
	_, err = f.desk.Tickets.AddComment(ctx, f.agent.actor(), own.Ticket.ID, "public answer", false)
	require.NoError(t, err)
	cl := f.client(t)
	cl.signIn(f.requester)
	queue := body(t, cl.get("/tickets"))
	require.Contains(t, queue, "Rita&#39;s printer")
	require.NotContains(t, queue, "Otto")
	detail := cl.get("/tickets/" + strconv.FormatInt(own.Ticket.ID, 10))
	require.Equal(t, http.StatusOK, detail.StatusCode)
	html := body(t, detail)
	require.Contains(t, html, "public answer")
	require.NotContains(t, html, "secret internal remark")
	require.NotContains(t, html, "Nota interna</strong>", "the history does not reveal notes either")
	require.Contains(t, html, "Resposta pública</strong>", "the history lists the replies")
	require.NotContains(t, html, `data-testid="send-note"`, "no note control for requesters")
	require.Equal(t, http.StatusNotFound, cl.get("/tickets/"+strconv.FormatInt(theirs.Ticket.ID, 10)).StatusCode)
	resp := cl.post("/tickets/"+strconv.FormatInt(own.Ticket.ID, 10)+"/comments", url.Values{"body": {"forged note"}, "internal": {"1"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "a forged internal note is refused by the service")
	comments, err := f.desk.Tickets.Comments(ctx, f.agent.actor(), own.Ticket.ID, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, comments.Items, 2, "nothing was written")
}

func TestViewerCannotWrite(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	d, err := f.desk.Tickets.Create(t.Context(), f.agent.actor(), tickets.CreateInput{Title: "Read only", RequesterContactID: f.requester.Contact.ID})
	require.NoError(t, err)
	cl := f.client(t)
	cl.signIn(f.viewer)
	id := strconv.FormatInt(d.Ticket.ID, 10)
	html := body(t, cl.get("/tickets/"+id))
	require.NotContains(t, html, `action="/tickets/`+id+`/transition"`)
	require.NotContains(t, html, `id="edit-form"`)
	for _, post := range []struct {
		path string
		form url.Values
	}{
		{"/tickets/" + id + "/transition", url.Values{"status": {"in_progress"}}},
		{"/tickets/" + id + "/edit", url.Values{"title": {"changed"}, "priority": {"low"}, "version": {"1"}}},
		{"/tickets/" + id + "/assign", url.Values{"assignee": {strconv.FormatInt(int64(f.agent.User.ID), 10)}}},
		{"/tickets/new", url.Values{"title": {"x"}}},
	} {
		require.Equal(t, http.StatusForbidden, cl.post(post.path, post.form).StatusCode, post.path)
	}
	after, err := f.desk.Tickets.Get(t.Context(), f.agent.actor(), d.Ticket.ID)
	require.NoError(t, err)
	require.Equal(t, d.Ticket.Version, after.Ticket.Version, "nothing was written")
}

func TestStaleEditShowsTheOtherChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	d, err := f.desk.Tickets.Create(t.Context(), f.agent.actor(), tickets.CreateInput{Title: "Original", RequesterContactID: f.requester.Contact.ID})
	require.NoError(t, err)
	id := strconv.FormatInt(d.Ticket.ID, 10)
	theirs := "Changed by Ana"
	_, err = f.desk.Tickets.Update(t.Context(), f.admin.actor(), d.Ticket.ID, tickets.Patch{Title: &theirs, Version: d.Ticket.Version})
	require.NoError(t, err)
	cl := f.client(t)
	cl.signIn(f.agent)
	resp := cl.post("/tickets/"+id+"/edit", url.Values{"title": {"Changed by Beto"}, "priority": {"high"}, "version": {strconv.FormatInt(d.Ticket.Version, 10)}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	html := body(t, resp)
	require.Contains(t, html, `data-testid="conflict"`)
	require.Contains(t, html, theirs)
	require.Contains(t, html, `value="Changed by Beto"`, "the entered values are kept")
	after, err := f.desk.Tickets.Get(t.Context(), f.agent.actor(), d.Ticket.ID)
	require.NoError(t, err)
	require.Equal(t, theirs, after.Ticket.Title, "nothing was overwritten")
}

func TestSavedViews(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	cl := f.client(t)
	cl.signIn(f.agent)
	save := func(name, query string) *http.Response {
		form, err := url.ParseQuery(query)
		require.NoError(t, err)
		form.Set("view_name", name)
		return cl.post("/tickets/views", form)
	}
	resp := save("Críticos", "priority=critical&assignee=me&bogus=1")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/tickets?assignee=me&priority=critical", resp.Header.Get("Location"))
	html := body(t, cl.get("/tickets"))
	require.Contains(t, html, `href="/tickets?assignee=me&amp;priority=critical">Críticos</a>`)
	resp = save("", "status=new")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body(t, resp), `id="view_name-error"`)
	// The views live on the server: another browser of the same person
	// shows them.
	elsewhere := f.client(t)
	elsewhere.signIn(f.agent)
	require.Contains(t, body(t, elsewhere.get("/tickets")), `href="/tickets?assignee=me&amp;priority=critical">Críticos</a>`)
	for i := range tickets.MaxSavedViews - 1 {
		require.Equal(t, http.StatusSeeOther, save(fmt.Sprint("v", i), "status=new").StatusCode)
	}
	resp = save("one too many", "status=new")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body(t, resp), "no máximo 20 visões")
	require.Equal(t, http.StatusSeeOther, cl.post("/tickets/views/delete", url.Values{"view_name": {"Críticos"}}).StatusCode)
	require.NotContains(t, body(t, cl.get("/tickets")), ">Críticos</a>")
	require.NotContains(t, body(t, elsewhere.get("/tickets")), ">Críticos</a>")
	vs, err := f.desk.Tickets.Views(t.Context(), f.agent.actor())
	require.NoError(t, err)
	require.Len(t, vs, tickets.MaxSavedViews-1)

	other := f.client(t)
	other.signIn(f.admin)
	require.NotContains(t, body(t, other.get("/tickets")), ">v0</a>", "views belong to their person")
}

func TestQueueFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	ctx := t.Context()
	mk := func(title string, prio string, assign bool) {
		d, err := f.desk.Tickets.Create(ctx, f.agent.actor(), tickets.CreateInput{Title: title, Priority: sla.Priority(prio),
			RequesterContactID: f.requester.Contact.ID, Category: "rede"})
		require.NoError(t, err)
		if assign {
			_, err = f.desk.Tickets.Assign(ctx, f.agent.actor(), d.Ticket.ID, f.agent.User.ID, 0)
			require.NoError(t, err)
		}
	}
	mk("Alpha VPN caiu", "critical", true)
	mk("Bravo impressora", "low", false)
	mk("Charlie VPN lenta", "low", false)
	cl := f.client(t)
	cl.signIn(f.agent)
	tests := []struct {
		query  string
		status int
		want   []string
	}{
		{"", 200, []string{"Alpha", "Bravo", "Charlie"}},
		{"assignee=me", 200, []string{"Alpha"}},
		{"assignee=none", 200, []string{"Bravo", "Charlie"}},
		{"priority=low&q=vpn", 200, []string{"Charlie"}},
		{"requester=" + strconv.FormatInt(int64(f.requester.Contact.ID), 10) + "&category=rede&sla=on_track", 200, []string{"Alpha", "Bravo", "Charlie"}},
		{"sort=newest&q=vpn", 200, []string{"Alpha", "Charlie"}},
		{"sort=sideways", 422, nil},
		{"priority=urgent", 422, nil},
		{"assignee=abc", 422, nil},
		{"cursor=%21%21", 422, nil},
	}
	for _, tt := range tests {
		resp := cl.get("/tickets?" + tt.query)
		require.Equal(t, tt.status, resp.StatusCode, tt.query)
		html := body(t, resp)
		for _, name := range []string{"Alpha", "Bravo", "Charlie"} {
			require.Equal(t, slices.Contains(tt.want, name), strings.Contains(html, name+" "), "%s: %s", tt.query, name)
		}
	}
	newest := body(t, cl.get("/tickets?sort=newest"))
	require.Less(t, strings.Index(newest, "Charlie "), strings.Index(newest, "Alpha "), "newest first")
	rows := body(t, cl.get("/tickets/rows?assignee=none"))
	require.True(t, strings.HasPrefix(strings.TrimSpace(rows), `<tbody id="queue-rows">`), "the rows fragment is the tbody alone")
	require.NotContains(t, rows, "<html")
	require.Contains(t, rows, "Bravo")
	require.NotContains(t, rows, "Alpha")
}

func TestSignInEdges(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tests := []struct {
		next, want string
	}{
		{"/tickets?status=new", "/tickets?status=new"},
		{"//evil.example/x", "/dashboard"},
		{"https://evil.example/", "/dashboard"},
		{"/\\evil.example", "/dashboard"},
		{"", "/dashboard"},
	}
	for _, tt := range tests {
		cl := f.client(t)
		resp := cl.post("/signin", url.Values{"email": {f.agent.Email}, "password": {password}, "next": {tt.next}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, tt.next)
		require.Equal(t, tt.want, resp.Header.Get("Location"), "next=%q never leaves the console", tt.next)
	}

	cl := f.client(t)
	resp := cl.post("/signin", url.Values{"email": {""}, "password": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	html := body(t, resp)
	require.Contains(t, html, `id="email-error"`)
	require.Contains(t, html, `id="password-error"`)

	// An expired session met by an htmx request asks htmx to go to the
	// sign-in page instead of swapping it into a fragment.
	resp = cl.get("/tickets/rows", "HX-Request", "true")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "/signin?next=%2Ftickets%2Frows", resp.Header.Get("HX-Redirect"))

	// A platform admin who has not chosen a company is told to choose one.
	root := f.client(t)
	root.signIn(f.root)
	resp = root.get("/tickets")
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body(t, resp), "Escolha uma empresa antes")
	require.Equal(t, http.StatusSeeOther, root.post("/company", url.Values{"company": {strconv.FormatInt(int64(f.other.ID), 10)}, "back": {"/tickets"}}).StatusCode)
	resp = root.get("/tickets")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body(t, resp), "<option value=\""+strconv.FormatInt(int64(f.other.ID), 10)+"\" selected>Other SA</option>")
	require.Equal(t, http.StatusNotFound, root.post("/company", url.Values{"company": {"999999"}}).StatusCode)

	// Anyone else cannot switch.
	agent := f.client(t)
	agent.signIn(f.agent)
	require.Equal(t, http.StatusNotFound, agent.post("/company", url.Values{"company": {strconv.FormatInt(int64(f.other.ID), 10)}}).StatusCode)
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  webui.Config
		want string
	}{
		{webui.Config{}, ""},
		{webui.Config{Prefix: "/console/"}, ""},
		{webui.Config{Prefix: "console"}, "give a path such as /console"},
		{webui.Config{SessionKey: []byte("short")}, "at least 32 random bytes"},
		{webui.Config{IdleTimeout: 2 * time.Hour, MaxSessionAge: time.Hour}, "exceeds the maximum session age"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if tt.want == "" {
			require.NoError(t, err)
			continue
		}
		require.ErrorContains(t, err, tt.want)
	}
	_, err := webui.New(nil, webui.Config{})
	require.ErrorContains(t, err, "desk is nil")
}

// TestMountedUnderAPrefix mounts the console under /console like an
// embedder: links, redirects, assets and the cookie stay under it.
func TestMountedUnderAPrefix(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	h, err := webui.New(f.desk, webui.Config{Prefix: "/console"})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/console/", http.StripPrefix("/console", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	pf := *f
	pf.srv = srv
	cl := pf.client(t)
	resp := cl.get("/console/")
	require.Equal(t, "/console/signin", resp.Header.Get("Location"))
	resp = cl.get("/console/tickets")
	require.Equal(t, "/console/signin?next=%2Fconsole%2Ftickets", resp.Header.Get("Location"))
	resp = cl.post("/console/signin", url.Values{"email": {f.agent.Email}, "password": {password}, "next": {"/console/tickets"}})
	require.Equal(t, "/console/tickets", resp.Header.Get("Location"))
	for _, ck := range resp.Cookies() {
		require.Equal(t, "/console", ck.Path)
	}
	html := body(t, cl.get("/console/tickets"))
	require.Contains(t, html, `href="/console/tickets/new"`)
	require.Regexp(t, `src="/console/static/[0-9a-f]{12}/vendor/htmx-2.0.11.min.js"`, html)
	m := regexp.MustCompile(`href="(/console/static/[^"]+\.css)"`).FindStringSubmatch(html)
	require.NotNil(t, m)
	require.Equal(t, http.StatusOK, cl.get(m[1]).StatusCode)
	resp = cl.post("/console/signin", url.Values{"email": {f.agent.Email}, "password": {password}, "next": {"/elsewhere"}})
	require.Equal(t, "/console/dashboard", resp.Header.Get("Location"), "a next outside the console is dropped")
}
