package webui_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/sso/ssotest"
)

// TestBrowserSSO signs in through the company's identity provider like a
// person: the sign-in page's single sign-on form, the provider's login
// page, back to the page asked for; then an admin opens the settings page.
func TestBrowserSSO(t *testing.T) {
	f, idp := ssoFixture(t, true)
	b := newBrowser(t)

	tb := b.tab("sso", f.srv.URL)
	tb.visit("/tickets", "signin")
	require.Equal(t, "/signin?next=%2Ftickets", tb.path())
	require.True(t, tb.exists("[data-testid=sso]"))
	// A person the company does not know yet.
	idp.SetUser(ssotest.User{Subject: "nova", Email: "nova@acme.test", EmailVerified: true, Name: "Nova Pessoa"})
	tb.fill("#sso_email", "nova@acme.test")
	tb.submit("[data-testid=sso-submit]")
	tb.waitAcross(`document.querySelector("#approve") !== null`, "the provider's login page")
	require.Contains(t, tb.text("main"), "nova@acme.test", "the provider's login page")
	tb.submit("#approve")
	tb.waitAcross(`location.pathname === "/tickets" && document.readyState === "complete"`, "the page asked for")
	tb.check("signed-in-by-sso")
	require.Contains(t, tb.text("[data-testid=company]"), "Acme Ltda")

	tb = b.tab("sso-refused", f.srv.URL)
	tb.visit("/signin", "signin")
	idp.SetUser(ssotest.User{Subject: "x", Email: "mallory@evil.test", EmailVerified: true})
	tb.fill("#sso_email", "someone@acme.test")
	tb.submit("[data-testid=sso-submit]")
	tb.waitAcross(`document.querySelector("#approve") !== null`, "the provider's login page")
	tb.submit("#approve")
	tb.waitAcross(`document.querySelector("[data-testid=signin-error]") !== null && document.readyState === "complete"`, "the refusal")
	tb.check("refused")
	require.Contains(t, tb.text("[data-testid=signin-error]"), "O domínio do seu e-mail não tem permissão")

	tb = b.tab("sso-settings", f.srv.URL)
	tb.signIn(f.admin)
	tb.visit("/admin/sso", "settings")
	require.Contains(t, tb.text("[data-testid=sso-redirect]"), "/signin/sso/callback")
	require.Contains(t, tb.text("[data-testid=client_secret-state]"), "definido")
	tb.fill("#allowed_domains", "acme.test, acme.com.br")
	tb.submit("form[action$='/admin/sso'] button[type=submit]")
	tb.check("saved")
	require.Contains(t, tb.text("[data-testid=notice]"), "login único")
	require.Equal(t, "acme.com.br, acme.test", tb.value("#allowed_domains"))
}

// waitAcross polls a JavaScript condition through navigations (the
// Refresh to the provider, its redirect back): an evaluation that meets a
// page being replaced is retried on the next one.
func (tb *tab) waitAcross(cond, what string) {
	tb.t.Helper()
	deadline := time.Now().Add(actionTimeout)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(4*time.Second)))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("waiting for %s on %s: %v", what, tb.name, err)
		}
	}
}
