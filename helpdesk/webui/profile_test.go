package webui_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProfileShowsTheAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	cl := f.client(t)
	cl.signIn(f.agent)
	resp := cl.get("/profile")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	html := body(t, resp)
	require.Contains(t, html, `<dd data-testid="profile-email">beto@acme.test</dd>`)
	require.Contains(t, html, "America/Sao_Paulo")
	require.NotContains(t, html, "⟦")
}

func TestProfileLanguageWinsOverTheBrowser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	cl := f.client(t)
	cl.signIn(f.agent)
	resp := cl.post("/profile/language", url.Values{"language": {"en"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/profile?saved=language", resp.Header.Get("Location"))

	// Another browser, asking for Portuguese, without the cookie: the
	// account's choice wins.
	other := f.client(t)
	other.signIn(f.agent)
	html := body(t, other.get("/dashboard", "Accept-Language", "pt-BR,pt;q=0.9"))
	require.Contains(t, html, `<html lang="en">`)
	require.Contains(t, html, "<h1>Dashboard</h1>")

	// Automatic again: the browser decides.
	require.Equal(t, http.StatusSeeOther, other.post("/profile/language", url.Values{"language": {""}}).StatusCode)
	html = body(t, other.get("/dashboard", "Accept-Language", "pt-BR,pt;q=0.9"))
	require.Contains(t, html, `<html lang="pt-BR">`)

	// The language switch of the page stores the choice too.
	require.Equal(t, http.StatusSeeOther, other.post("/language", url.Values{"lang": {"en"}, "back": {"/dashboard"}}).StatusCode)
	html = body(t, cl.get("/dashboard", "Accept-Language", "pt-BR"))
	require.Contains(t, html, `<html lang="en">`)

	resp = cl.post("/profile/language", url.Values{"language": {"xx"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

func TestProfilePasswordChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		form   url.Values
		status int
		// field is the field whose error the page shows.
		field string
	}{
		{name: "wrong current password", status: http.StatusUnprocessableEntity, field: "current_password",
			form: url.Values{"current_password": {"wrong-password"}, "password": {"new-password-9"}, "password_confirm": {"new-password-9"}}},
		{name: "confirmation differs", status: http.StatusUnprocessableEntity, field: "password_confirm",
			form: url.Values{"current_password": {password}, "password": {"new-password-9"}, "password_confirm": {"new-password-8"}}},
		{name: "too short", status: http.StatusUnprocessableEntity, field: "password",
			form: url.Values{"current_password": {password}, "password": {"short"}, "password_confirm": {"short"}}},
		{name: "changed", status: http.StatusSeeOther,
			form: url.Values{"current_password": {password}, "password": {"new-password-9"}, "password_confirm": {"new-password-9"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, fixtureOptions{})
			here, elsewhere := f.client(t), f.client(t)
			here.signIn(f.agent)
			elsewhere.signIn(f.agent)
			resp := here.post("/profile/password", tt.form)
			require.Equal(t, tt.status, resp.StatusCode)
			if tt.field != "" {
				html := body(t, resp)
				require.Contains(t, html, `id="`+tt.field+`-error"`)
				require.NotContains(t, html, "⟦")
				require.NotContains(t, html, "new-password-9", "passwords are never echoed")
				_, err := f.desk.Directory.Authenticate(t.Context(), f.agent.Email, password)
				require.NoError(t, err, "the password is unchanged")
				require.Equal(t, http.StatusOK, elsewhere.get("/dashboard").StatusCode, "other sessions live on")
				return
			}
			require.Equal(t, "/profile?saved=password&revoked=1", resp.Header.Get("Location"))
			require.Equal(t, http.StatusOK, here.get("/dashboard").StatusCode, "this browser stays signed in")
			require.Equal(t, http.StatusSeeOther, elsewhere.get("/dashboard").StatusCode, "the other session is signed out")
			_, err := f.desk.Directory.Authenticate(t.Context(), f.agent.Email, "new-password-9")
			require.NoError(t, err)
		})
	}
}

func TestProfilePasswordChangeCountsAgainstTheSignInLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	cl := f.client(t)
	cl.signIn(f.agent)
	wrong := url.Values{"current_password": {"wrong-password"}, "password": {"new-password-9"}, "password_confirm": {"new-password-9"}}
	var last int
	for range 30 {
		last = cl.post("/profile/password", wrong).StatusCode
		if last != http.StatusUnprocessableEntity {
			break
		}
	}
	require.Contains(t, []int{http.StatusTooManyRequests, http.StatusForbidden}, last, "guessing the current password is limited")
	html := body(t, cl.get("/profile"))
	require.NotContains(t, html, `data-testid="limited"`, "the limit shows on the refused post only")
}
