package webui_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBrowserSignInEachRole signs in through the form as every role, sees
// the company on the page, switches language and signs out.
func TestBrowserSignInEachRole(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := newBrowser(t)

	tb := b.tab("wrong-password", f.srv.URL)
	tb.visit("/", "start")
	require.Equal(t, "/signin", tb.path(), "a visitor is sent to the sign-in page")
	tb.fill("#email", f.agent.Email)
	tb.fill("#password", "not-the-password")
	tb.submit("form[action$='/signin'] button[type=submit]")
	tb.check("refused")
	require.Contains(t, tb.text("[data-testid=signin-error]"), "E-mail ou senha incorretos")
	require.Equal(t, f.agent.Email, tb.value("#email"), "the email is kept")

	for _, p := range []struct {
		name string
		who  person
	}{{"admin", f.admin}, {"agent", f.agent}, {"requester", f.requester}, {"viewer", f.viewer}} {
		tb := b.tab(p.name, f.srv.URL)
		tb.signIn(p.who)
		require.Equal(t, "/dashboard", tb.path())
		require.Contains(t, tb.text("[data-testid=company]"), "Acme Ltda")
		require.Equal(t, p.who.Email != f.viewer.Email, tb.exists("a[href='/tickets/new']"),
			"only roles that may open tickets see the link")
	}

	tb = b.tab("language", f.srv.URL)
	tb.signIn(f.agent)
	require.Contains(t, tb.text("h1"), "Painel")
	tb.submit("form[action$='/language'] button")
	tb.check("english")
	require.Contains(t, tb.text("h1"), "Dashboard")
	tb.submit("form[action$='/signout'] button")
	tb.check("signed-out")
	require.Equal(t, "/signin", tb.path())
	require.Contains(t, tb.text("h1"), "Sign in", "the language choice outlives the session")
	tb.visit("/dashboard", "after-signout")
	require.Equal(t, "/signin?next=%2Fdashboard", tb.path(), "signed out means signed out")

	tb = b.tab("platform-admin", f.srv.URL)
	tb.signIn(f.root)
	require.True(t, tb.exists("[data-testid=choose-company]"))
	tb.setValue("#company-switch", itoa(int64(f.acme.ID)))
	tb.submit("form[action$='/company'] button")
	tb.check("company-chosen")
	require.False(t, tb.exists("[data-testid=choose-company]"))
	require.Contains(t, tb.text("main"), "Acme Ltda")

	tb = b.tab("phone", f.srv.URL)
	tb.phone()
	tb.signIn(f.agent)
	tb.check("phone-dashboard")
}
