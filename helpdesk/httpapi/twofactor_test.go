package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// oathCode is the TOTP code of secret at t according to Debian's
// oathtool, an implementation independent of ours. Without oathtool the
// test skips (fails under CI).
func oathCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("oathtool is missing: apt-get install -y oathtool (.ci/run installs it)")
		}
		t.Skip("oathtool not found: apt-get install -y oathtool to run the two-factor tests against it")
	}
	out, err := exec.CommandContext(t.Context(), path, "--totp", "-b", "--now", at.UTC().Format("2006-01-02 15:04:05 UTC"), secret).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

// twoFactorEnv is an env whose sign-in limits leave room for the
// attacks the tests try (the clock stands still, so buckets never
// refill).
func twoFactorEnv(t *testing.T, b backend) *env {
	return newEnv(t, b.open(t), httpapi.Config{LoginBurst: 1000, LoginIPBurst: 1000, BlockThreshold: 1000})
}

type challenge struct {
	Challenge     string `json:"challenge"`
	ChallengeType string `json:"challenge_type"`
	ExpiresIn     int    `json:"expires_in"`
}

// enrol enrols the holder of token and returns the secret and the
// recovery codes.
func (e *env) enrol(token string) (string, []string) {
	t := e.t
	t.Helper()
	r := e.do("POST", "/auth/2fa/enrolment", nil, "Authorization", token)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var en struct {
		Secret     string `json:"secret"`
		OTPAuthURL string `json:"otpauth_url"`
		QRCode     string `json:"qr_code"`
	}
	r.JSON(t, &en)
	require.Len(t, en.Secret, 32)
	require.True(t, strings.HasPrefix(en.OTPAuthURL, "otpauth://totp/"), en.OTPAuthURL)
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(en.QRCode, "data:image/png;base64,"))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")), "the QR code is a PNG")

	r = e.do("POST", "/auth/2fa/enrolment/confirm", map[string]string{"code": wrongCode(oathCode(t, en.Secret, e.clock.Now()))}, "Authorization", token)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "a wrong code does not confirm: %s", r.Body)
	require.Equal(t, []string{"code"}, r.Problem(t).Fields())

	r = e.do("POST", "/auth/2fa/enrolment/confirm", map[string]string{"code": oathCode(t, en.Secret, e.clock.Now())}, "Authorization", token)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var rc struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	r.JSON(t, &rc)
	require.Len(t, rc.RecoveryCodes, 10)
	return en.Secret, rc.RecoveryCodes
}

// wrongCode is a six-digit code other than c.
func wrongCode(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}

// signIn posts the password and requires a challenge.
func (e *env) signIn(email, password string) string {
	e.t.Helper()
	r := e.do("POST", "/auth/login", map[string]string{"email": email, "password": password})
	require.Equal(e.t, http.StatusOK, r.Status, "%s", r.Body)
	var c challenge
	r.JSON(e.t, &c)
	require.NotEmpty(e.t, c.Challenge, "a 2FA account gets a challenge, never tokens: %s", r.Body)
	require.NotContains(e.t, string(r.Body), "access_token")
	require.Equal(e.t, "totp", c.ChallengeType)
	require.Equal(e.t, 300, c.ExpiresIn)
	return c.Challenge
}

func (e *env) secondFactor(ch, code string) response {
	e.t.Helper()
	return e.do("POST", "/auth/login/2fa", map[string]string{"challenge": ch, "code": code})
}

func requireProblemType(t *testing.T, r response, status int, slug string) {
	t.Helper()
	require.Equal(t, status, r.Status, "%s", r.Body)
	require.Equal(t, httpapi.ProblemTypeBase+slug, r.Problem(t).Type, "%s", r.Body)
}

func TestTwoFactorSignIn(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := twoFactorEnv(t, b)
			_, users := e.company("Acme")
			agent := users[tenant.RoleAgent]
			const email, password = "agent@acme.test", "password-agent"

			r := e.do("GET", "/auth/2fa", nil, "Authorization", agent)
			require.Equal(t, http.StatusOK, r.Status)
			require.JSONEq(t, `{"enabled":false,"pending":false,"required":false,"recovery_codes_left":0}`, string(r.Body))

			secret, recovery := e.enrol(agent)
			r = e.do("GET", "/auth/2fa", nil, "Authorization", agent)
			require.Contains(t, string(r.Body), `"enabled":true`)
			require.Contains(t, string(r.Body), `"recovery_codes_left":10`)
			requireProblemType(t, e.do("POST", "/auth/2fa/enrolment", nil, "Authorization", agent), http.StatusConflict, "two-factor-enabled")

			// The password alone gives no tokens, over HTTP or in Go.
			ch := e.signIn(email, password)
			_, _, err := e.desk.Login(t.Context(), email, password)
			require.ErrorIs(t, err, helpdesk.ErrSecondFactorRequired)

			// The code accepted at confirmation is a replay within its window.
			requireProblemType(t, e.secondFactor(ch, oathCode(t, secret, e.clock.Now())), http.StatusUnauthorized, "invalid-code")
			e.clock.Advance(30 * time.Second)
			r = e.secondFactor(ch, oathCode(t, secret, e.clock.Now()))
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			var tk tokens
			r.JSON(t, &tk)
			require.NotEmpty(t, tk.AccessToken)
			require.Equal(t, http.StatusOK, e.do("GET", "/api/helpdesk/tickets", nil, "Authorization", tk.AccessToken).Status)

			// The challenge is single use, even with a fresh code.
			e.clock.Advance(30 * time.Second)
			requireProblemType(t, e.secondFactor(ch, oathCode(t, secret, e.clock.Now())), http.StatusUnauthorized, "invalid-challenge")

			// Refresh still works after a two-factor sign-in.
			r = e.do("POST", "/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken})
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

			// Forged and expired challenges.
			requireProblemType(t, e.secondFactor("blc_FORGEDFORGEDFORGEDFORGED", oathCode(t, secret, e.clock.Now())), http.StatusUnauthorized, "invalid-challenge")
			requireProblemType(t, e.secondFactor("not-a-challenge", "123456"), http.StatusUnauthorized, "invalid-challenge")
			ch = e.signIn(email, password)
			e.clock.Advance(directory.ChallengeTTL + time.Second)
			requireProblemType(t, e.secondFactor(ch, oathCode(t, secret, e.clock.Now())), http.StatusUnauthorized, "invalid-challenge")

			// Another user's code does not open this user's challenge.
			admin := users[tenant.RoleAdmin]
			adminSecret, _ := e.enrol(admin)
			e.clock.Advance(30 * time.Second)
			ch = e.signIn(email, password)
			requireProblemType(t, e.secondFactor(ch, oathCode(t, adminSecret, e.clock.Now())), http.StatusUnauthorized, "invalid-code")

			// A recovery code works once.
			r = e.secondFactor(ch, strings.ToUpper(recovery[0]))
			require.Equal(t, http.StatusOK, r.Status, "recovery codes are case-insensitive: %s", r.Body)
			ch = e.signIn(email, password)
			requireProblemType(t, e.secondFactor(ch, recovery[0]), http.StatusUnauthorized, "invalid-code")
			r = e.do("GET", "/auth/2fa", nil, "Authorization", agent)
			require.Contains(t, string(r.Body), `"recovery_codes_left":9`)

			// Turning it off needs the password or a code.
			requireProblemType(t, e.do("POST", "/auth/2fa/disable", map[string]string{"password": "wrong-password"}, "Authorization", agent),
				http.StatusUnprocessableEntity, "validation")
			requireProblemType(t, e.do("POST", "/auth/2fa/disable", map[string]string{"code": recovery[0]}, "Authorization", agent),
				http.StatusUnprocessableEntity, "validation")
			require.Equal(t, http.StatusNoContent, e.do("POST", "/auth/2fa/disable", map[string]string{"password": password}, "Authorization", agent).Status)
			e.login(email, password) // the password alone again
		})
	}
}

func TestTwoFactorBruteForce(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := twoFactorEnv(t, b)
			_, users := e.company("Acme")
			secret, _ := e.enrol(users[tenant.RoleAgent])
			const email, password = "agent@acme.test", "password-agent"
			e.clock.Advance(30 * time.Second)
			wrong := func() string { return wrongCode(oathCode(t, secret, e.clock.Now())) }

			// One challenge takes MaxChallengeAttempts codes, then even the
			// right one is refused.
			ch := e.signIn(email, password)
			for range directory.MaxChallengeAttempts {
				requireProblemType(t, e.secondFactor(ch, wrong()), http.StatusUnauthorized, "invalid-code")
			}
			requireProblemType(t, e.secondFactor(ch, oathCode(t, secret, e.clock.Now())), http.StatusUnauthorized, "invalid-challenge")

			// Across challenges, MaxCodeAttempts wrong codes in a row lock
			// the account's codes.
			ch = e.signIn(email, password)
			for range directory.MaxCodeAttempts - directory.MaxChallengeAttempts {
				requireProblemType(t, e.secondFactor(ch, wrong()), http.StatusUnauthorized, "invalid-code")
			}
			ch = e.signIn(email, password)
			r := e.secondFactor(ch, oathCode(t, secret, e.clock.Now()))
			requireProblemType(t, r, http.StatusTooManyRequests, "two-factor-locked")
			require.Equal(t, "900", r.Header.Get("Retry-After"))

			e.clock.Advance(directory.TwoFactorLockout)
			ch = e.signIn(email, password)
			r = e.secondFactor(ch, oathCode(t, secret, e.clock.Now()))
			require.Equal(t, http.StatusOK, r.Status, "the lock lifts: %s", r.Body)
		})
	}
}

func TestTwoFactorRequirement(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := twoFactorEnv(t, b)
			_, users := e.company("Acme")
			admin := users[tenant.RoleAdmin]

			requireProblemType(t, e.do("PUT", "/api/security/two-factor-policy", map[string]bool{"require_all": true}, "Authorization", admin),
				http.StatusForbidden, "forbidden")
			requireProblemType(t, e.do("PUT", "/api/security/two-factor-policy", map[string]bool{"require_staff": true}, "Authorization", users[tenant.RoleAgent]),
				http.StatusForbidden, "forbidden")
			r := e.do("PUT", "/api/security/two-factor-policy", map[string]bool{"require_staff": true}, "Authorization", admin)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.JSONEq(t, `{"require_staff":true,"require_all":false}`, string(r.Body))

			// An agent who has not enrolled may only enrol.
			agent := e.login("agent@acme.test", "password-agent")
			requireProblemType(t, e.do("GET", "/api/helpdesk/tickets", nil, "Authorization", agent.AccessToken), http.StatusForbidden, "two-factor-enrolment-required")
			require.Equal(t, http.StatusOK, e.do("GET", "/auth/me", nil, "Authorization", agent.AccessToken).Status)
			r = e.do("GET", "/auth/2fa", nil, "Authorization", agent.AccessToken)
			require.Contains(t, string(r.Body), `"required":true`)
			// A refresh before enrolling stays restricted.
			r = e.do("POST", "/auth/refresh", map[string]string{"refresh_token": agent.RefreshToken})
			require.Equal(t, http.StatusOK, r.Status)
			var again tokens
			r.JSON(t, &again)
			requireProblemType(t, e.do("GET", "/api/helpdesk/tickets", nil, "Authorization", again.AccessToken), http.StatusForbidden, "two-factor-enrolment-required")

			e.enrol(again.AccessToken)
			r = e.do("POST", "/auth/refresh", map[string]string{"refresh_token": again.RefreshToken})
			require.Equal(t, http.StatusOK, r.Status)
			r.JSON(t, &again)
			require.Equal(t, http.StatusOK, e.do("GET", "/api/helpdesk/tickets", nil, "Authorization", again.AccessToken).Status, "enrolled: no longer restricted")

			// Requesters are not staff; the platform can require everyone.
			requester := e.login("requester@acme.test", "password-requester")
			require.Equal(t, http.StatusOK, e.do("GET", "/api/helpdesk/tickets", nil, "Authorization", requester.AccessToken).Status)
			r = e.do("PUT", "/api/security/two-factor-policy", map[string]bool{"require_all": true}, "Authorization", e.root)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			requester = e.login("requester@acme.test", "password-requester")
			requireProblemType(t, e.do("GET", "/api/helpdesk/tickets", nil, "Authorization", requester.AccessToken), http.StatusForbidden, "two-factor-enrolment-required")
		})
	}
}

func TestSessionsListAndRevoke(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := twoFactorEnv(t, b)
			_, users := e.company("Acme")
			_, other := e.company("Other Co")
			login := func(ua string) tokens {
				r := e.do("POST", "/auth/login", map[string]string{"email": "agent@acme.test", "password": "password-agent"}, "User-Agent", ua)
				require.Equal(t, http.StatusOK, r.Status)
				var tk tokens
				r.JSON(t, &tk)
				return tk
			}
			e.clock.Advance(time.Second)
			ff := login("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
			e.clock.Advance(time.Second)
			phone := login("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")

			type session struct {
				ID         string    `json:"id"`
				Device     string    `json:"device"`
				IP         string    `json:"ip"`
				CreatedAt  time.Time `json:"created_at"`
				LastSeenAt time.Time `json:"last_seen_at"`
				Current    bool      `json:"current"`
			}
			list := func(token string) []session {
				r := e.do("GET", "/auth/sessions", nil, "Authorization", token)
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				var out struct{ Items []session }
				r.JSON(t, &out)
				return out.Items
			}
			got := list(ff.AccessToken)
			require.Len(t, got, 3, "the two logins and the one of e.company")
			require.Equal(t, "Safari on iPhone", got[0].Device)
			require.Equal(t, "Firefox on Linux", got[1].Device)
			require.True(t, got[1].Current)
			require.False(t, got[0].Current)
			require.NotEmpty(t, got[0].IP)

			// Last seen is written at most once a minute.
			seen := got[1].LastSeenAt
			e.clock.Advance(30 * time.Second)
			require.True(t, list(ff.AccessToken)[1].LastSeenAt.Equal(seen))
			e.clock.Advance(31 * time.Second)
			list(ff.AccessToken) // the write happens on this request
			require.True(t, list(ff.AccessToken)[1].LastSeenAt.After(seen))

			// Revoking one session stops its access token at once.
			phoneID := got[0].ID
			require.Equal(t, http.StatusOK, e.do("GET", "/auth/me", nil, "Authorization", phone.AccessToken).Status)
			require.Equal(t, http.StatusNoContent, e.do("DELETE", "/auth/sessions/"+phoneID, nil, "Authorization", ff.AccessToken).Status)
			require.Equal(t, http.StatusUnauthorized, e.do("GET", "/auth/me", nil, "Authorization", phone.AccessToken).Status)
			require.Len(t, list(ff.AccessToken), 2)

			// Someone else's session is not found.
			requireProblemType(t, e.do("DELETE", "/auth/sessions/"+got[1].ID, nil, "Authorization", users[tenant.RoleViewer]), http.StatusNotFound, "not-found")
			requireProblemType(t, e.do("DELETE", "/auth/sessions/ses_unknown", nil, "Authorization", ff.AccessToken), http.StatusNotFound, "not-found")

			// Revoke all others keeps the caller's.
			r := e.do("POST", "/auth/sessions/revoke-others", nil, "Authorization", ff.AccessToken)
			require.Equal(t, http.StatusOK, r.Status)
			require.JSONEq(t, `{"revoked":1}`, string(r.Body))
			require.Equal(t, http.StatusUnauthorized, e.do("GET", "/auth/me", nil, "Authorization", users[tenant.RoleAgent]).Status)
			require.Len(t, list(ff.AccessToken), 1)

			// Admins list and revoke a user's sessions; another company's
			// admin finds no such user; a viewer may not.
			r = e.do("GET", "/auth/me", nil, "Authorization", ff.AccessToken)
			var me struct {
				UserID int64 `json:"user_id"`
			}
			r.JSON(t, &me)
			path := "/admin/api/users/" + strconv.FormatInt(me.UserID, 10) + "/sessions"
			r = e.do("GET", path, nil, "Authorization", users[tenant.RoleAdmin])
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.Contains(t, string(r.Body), got[1].ID)
			requireProblemType(t, e.do("GET", path, nil, "Authorization", other[tenant.RoleAdmin]), http.StatusNotFound, "not-found")
			requireProblemType(t, e.do("DELETE", path, nil, "Authorization", other[tenant.RoleAdmin]), http.StatusNotFound, "not-found")
			requireProblemType(t, e.do("GET", path, nil, "Authorization", users[tenant.RoleViewer]), http.StatusForbidden, "forbidden")
			requireProblemType(t, e.do("DELETE", path+"/"+got[1].ID, nil, "Authorization", other[tenant.RoleAdmin]), http.StatusNotFound, "not-found")
			require.Equal(t, http.StatusOK, e.do("GET", "/auth/me", nil, "Authorization", ff.AccessToken).Status)
			r = e.do("DELETE", path, nil, "Authorization", users[tenant.RoleAdmin])
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.Equal(t, http.StatusUnauthorized, e.do("GET", "/auth/me", nil, "Authorization", ff.AccessToken).Status, "revoked by the admin: at once")
			requireProblemType(t, e.do("POST", "/auth/refresh", map[string]string{"refresh_token": ff.RefreshToken}), http.StatusUnauthorized, "invalid-refresh-token")
		})
	}
}

func TestAdminResetsTwoFactor(t *testing.T) {
	t.Parallel()
	e := twoFactorEnv(t, backend{"memory", backends(t)[0].open})
	_, users := e.company("Acme")
	_, other := e.company("Other Co")
	e.enrol(users[tenant.RoleAgent])
	r := e.do("GET", "/auth/me", nil, "Authorization", users[tenant.RoleAgent])
	var me struct {
		UserID int64 `json:"user_id"`
	}
	r.JSON(t, &me)
	path := "/admin/api/users/" + strconv.FormatInt(me.UserID, 10) + "/two-factor"
	requireProblemType(t, e.do("DELETE", path, nil, "Authorization", other[tenant.RoleAdmin]), http.StatusNotFound, "not-found")
	e.signIn("agent@acme.test", "password-agent")
	require.Equal(t, http.StatusNoContent, e.do("DELETE", path, nil, "Authorization", users[tenant.RoleAdmin]).Status)
	e.login("agent@acme.test", "password-agent")
	requireProblemType(t, e.do("DELETE", path, nil, "Authorization", users[tenant.RoleAdmin]), http.StatusNotFound, "not-found")
}
