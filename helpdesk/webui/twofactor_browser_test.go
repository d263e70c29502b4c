package webui_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// oathCode is the TOTP code of secret at t from Debian's oathtool, an
// implementation independent of ours; without it the test skips (fails
// under CI).
func oathCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("oathtool is missing: apt-get install -y oathtool (.ci/run installs it)")
		}
		t.Skip("oathtool not found: apt-get install -y oathtool to run the two-factor browser test")
	}
	out, err := exec.CommandContext(t.Context(), path, "--totp", "-b", "--now", at.UTC().Format("2006-01-02 15:04:05 UTC"), secret).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

// TestBrowserTwoFactor enrols in two-factor sign-in from the profile
// (QR code, secret, a wrong then a right code, the recovery codes shown
// once), signs out, signs in with the password and a code, sees its
// sessions and signs another one out; then a company that requires
// two-factor sign-in sends an agent who has not enrolled to the
// enrolment page, whatever page they ask for.
func TestBrowserTwoFactor(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)}
	f := newFixture(t, fixtureOptions{clock: clk})
	b := newBrowser(t)

	other := b.tab("other-browser", f.srv.URL)
	other.signIn(f.admin)

	tb := b.tab("enrol", f.srv.URL)
	tb.signIn(f.admin)
	tb.visit("/profile", "profile")
	require.Contains(t, tb.text("[data-testid=two-factor-state]"), "Desativada")
	require.Equal(t, 2, tb.count("[data-testid=session]"), "both browsers' sessions are listed")
	require.True(t, tb.exists("[data-testid=current-session]"))
	require.Contains(t, tb.text("[data-testid=sessions]"), "Chrome no Linux", "the device, in the person's language")
	tb.submit("[data-testid=manage-two-factor]")
	tb.check("two-factor-page")
	tb.submit("[data-testid=begin-two-factor]")
	tb.check("scan")
	require.True(t, tb.exists("img[data-testid=qr-code][src^='data:image/png;base64,']"), "the QR code is a data: image the CSP allows")
	secret := tb.text("[data-testid=totp-secret]")
	require.Len(t, secret, 32)

	tb.fill("#confirm-code", "000000")
	if oathCode(t, secret, clk.Now()) == "000000" {
		tb.fill("#confirm-code", "000001")
	}
	tb.submit("[data-testid=confirm-two-factor]")
	tb.check("wrong-code")
	require.True(t, tb.exists("#code-error"), "a wrong code is a field error")
	tb.fill("#confirm-code", oathCode(t, secret, clk.Now()))
	tb.submit("[data-testid=confirm-two-factor]")
	tb.check("recovery-codes")
	require.Equal(t, 10, tb.count("[data-testid=recovery-codes] li"))
	tb.visit("/profile/two-factor", "enabled")
	require.True(t, tb.exists("[data-testid=two-factor-on]"))
	require.False(t, tb.exists("[data-testid=recovery-codes]"), "recovery codes are shown once")
	require.False(t, tb.exists("[data-testid=totp-secret]"), "the secret is never shown again")

	// Sign out; sign in again: the password, then a code.
	tb.submit("form[action$='/signout'] button")
	tb.check("signed-out")
	tb.visit("/signin", "signin-again")
	tb.fill("#email", f.admin.Email)
	tb.fill("#password", password)
	tb.submit("form[action$='/signin'] button[type=submit]")
	tb.check("code-step")
	require.Equal(t, "/signin/2fa", tb.path())
	tb.fill("#code", oathCode(t, secret, clk.Now()))
	tb.submit("[data-testid=verify-code]")
	tb.check("replayed-code")
	require.Contains(t, tb.text("[data-testid=signin-error]"), "já foi usado", "the code used to confirm is not accepted twice")
	clk.Advance(30 * time.Second)
	tb.fill("#code", oathCode(t, secret, clk.Now()))
	tb.submit("[data-testid=verify-code]")
	tb.check("signed-in-with-code")
	require.Equal(t, "/dashboard", tb.path())

	// The other browser's session is signed out from the profile.
	tb.visit("/profile", "sessions")
	require.Contains(t, tb.text("[data-testid=two-factor-state]"), "Ativa")
	require.Equal(t, 2, tb.count("[data-testid=session]"))
	tb.submit("[data-testid=revoke-session]")
	tb.check("session-revoked")
	require.Equal(t, 1, tb.count("[data-testid=session]"))
	other.visit("/dashboard", "other-signed-out")
	require.True(t, strings.HasPrefix(other.path(), "/signin"), "a revoked session is signed out at once")

	// A company that requires it sends an agent who has not enrolled to
	// the enrolment page.
	_, err := f.desk.Directory.SetCompanyTwoFactorPolicy(t.Context(), f.admin.actor(), true)
	require.NoError(t, err)
	ag := b.tab("required", f.srv.URL)
	ag.signIn(f.agent)
	require.Equal(t, "/profile/two-factor", ag.path())
	require.True(t, ag.exists("[data-testid=must-enrol]"))
	ag.visit("/tickets", "still-restricted")
	require.Equal(t, "/profile/two-factor", ag.path(), "every other page leads to enrolment")
	require.Equal(t, tenant.RoleAgent, f.agent.User.Role)
}

// count returns how many elements match sel now.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	return get(tb, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}
