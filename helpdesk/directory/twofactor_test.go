package directory_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// oathtool returns the TOTP code of secret at t from Debian's oathtool,
// an implementation independent of ours; without it the test skips
// (fails under CI).
func oathtool(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("oathtool is missing: apt-get install -y oathtool (.ci/run installs it)")
		}
		t.Skip("oathtool not found: apt-get install -y oathtool to check the TOTP codes against it")
	}
	out, err := exec.CommandContext(t.Context(), path, "--totp", "-b", "--now", at.UTC().Format("2006-01-02 15:04:05 UTC"), secret).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

// TestTOTPAgainstOathtool checks our codes against oathtool's for the
// RFC 6238 test secret and for secrets our enrolment generates, at step
// boundaries and around them, and that the service accepts oathtool's
// code (and refuses it again: replay).
func TestTOTPAgainstOathtool(t *testing.T) {
	t.Parallel()
	times := []time.Time{
		time.Unix(59, 0), time.Unix(1111111109, 0), time.Unix(1111111111, 0), time.Unix(1234567890, 0),
		time.Unix(2000000000, 0), time.Unix(20000000000, 0),
		time.Date(2026, 12, 7, 12, 0, 29, 999, time.UTC), time.Date(2026, 12, 7, 12, 0, 30, 0, time.UTC),
	}
	secrets := []string{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"} // "12345678901234567890", RFC 6238's SHA-1 key
	for range 3 {
		s, u, _ := profileFixture(t)
		e, err := s.BeginTwoFactor(t.Context(), u.Actor())
		require.NoError(t, err)
		secrets = append(secrets, e.Secret)
	}
	for _, secret := range secrets {
		for _, at := range times {
			ours, err := directory.TOTPCode(secret, at)
			require.NoError(t, err)
			require.Equal(t, oathtool(t, secret, at), ours, "secret %s at %s", secret, at)
		}
	}
	// RFC 6238 appendix B, eight digits truncated to six.
	code, err := directory.TOTPCode(secrets[0], time.Unix(59, 0))
	require.NoError(t, err)
	require.Equal(t, "287082", code)
}

// TestConfirmWithOathtool enrols with oathtool's codes: a wrong code
// leaves the enrolment pending, the right one confirms it, and the
// secret is never handed out again.
func TestConfirmWithOathtool(t *testing.T) {
	t.Parallel()
	s, u, _ := profileFixture(t)
	ctx := t.Context()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	e, err := s.BeginTwoFactor(ctx, u.Actor())
	require.NoError(t, err)
	again, err := s.PendingTwoFactor(ctx, u.Actor())
	require.NoError(t, err)
	require.Equal(t, e, again)

	for _, tc := range []struct {
		name, code string
	}{
		{"empty", ""},
		{"letters", "abcdef"},
		{"a code of two steps ago", oathtool(t, e.Secret, now.Add(-60*time.Second))},
		{"a code of two steps ahead", oathtool(t, e.Secret, now.Add(60*time.Second))},
	} {
		_, err := s.ConfirmTwoFactor(ctx, u.Actor(), tc.code)
		var verr *validation.Error
		require.ErrorAs(t, err, &verr, tc.name)
		require.True(t, verr.Has("code"), tc.name)
	}
	st, err := s.TwoFactorStatusOf(ctx, u.Actor())
	require.NoError(t, err)
	require.True(t, st.Pending)
	require.False(t, st.Enabled)

	// The previous step's code is accepted (clock drift).
	codes, err := s.ConfirmTwoFactor(ctx, u.Actor(), oathtool(t, e.Secret, now.Add(-30*time.Second)))
	require.NoError(t, err)
	require.Len(t, codes, directory.RecoveryCodeCount)
	seen := map[string]bool{}
	for _, c := range codes {
		require.Regexp(t, `^[a-z2-7]{5}-[a-z2-7]{5}$`, c)
		require.False(t, seen[c])
		seen[c] = true
	}
	_, err = s.PendingTwoFactor(ctx, u.Actor())
	require.ErrorIs(t, err, directory.ErrTwoFactorNotEnabled, "the secret is not handed out once confirmed")
	_, err = s.BeginTwoFactor(ctx, u.Actor())
	require.ErrorIs(t, err, directory.ErrTwoFactorEnabled)

	// Sign-in: the step used at confirmation is behind us; the current
	// step's code works once.
	ch, _, err := s.StartChallenge(ctx, u)
	require.NoError(t, err)
	_, err = s.CompleteChallenge(ctx, ch, oathtool(t, e.Secret, now.Add(-30*time.Second)))
	require.ErrorIs(t, err, directory.ErrTwoFactorCode)
	got, err := s.CompleteChallenge(ctx, ch, oathtool(t, e.Secret, now))
	require.NoError(t, err)
	require.Equal(t, u.ID, got.ID)
	ch, _, err = s.StartChallenge(ctx, u)
	require.NoError(t, err)
	_, err = s.CompleteChallenge(ctx, ch, oathtool(t, e.Secret, now))
	require.ErrorIs(t, err, directory.ErrTwoFactorCode, "a code is refused once its step was accepted")
}

func TestDeviceOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ua, want string }{
		{"", ""},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", "Firefox on Linux"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on macOS"},
		{"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"},
		{"curl/8.5.0", "curl"},
		{"Go-http-client/1.1", "Go-http-client"},
	} {
		require.Equal(t, tc.want, directory.DeviceOf(tc.ua), tc.ua)
	}
}
