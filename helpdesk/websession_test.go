package helpdesk_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

func TestCheckSession(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	desk, err := helpdesk.New(memory.New(), helpdesk.WithClock(clock), helpdesk.WithBcryptCost(bcrypt.MinCost),
		helpdesk.WithTokenTTLs(15*time.Minute, 24*time.Hour))
	require.NoError(t, err)
	ctx := t.Context()
	co, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin, err := tenant.System().InCompany(co.ID)
	require.NoError(t, err)
	contact, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Ana", Email: "ana@acme.test"})
	require.NoError(t, err)
	u, err := desk.Directory.CreateUser(ctx, admin, directory.UserInput{Email: "ana@acme.test", Password: "password-123",
		Role: tenant.RoleAgent, ContactID: contact.ID})
	require.NoError(t, err)

	login := func() helpdesk.Tokens {
		tokens, _, err := desk.Login(ctx, "ana@acme.test", "password-123")
		require.NoError(t, err)
		return tokens
	}
	tests := []struct {
		name  string
		setup func(tokens helpdesk.Tokens) string
		want  error
	}{
		{name: "live", setup: func(tk helpdesk.Tokens) string { return tk.RefreshToken }},
		{name: "garbage", setup: func(helpdesk.Tokens) string { return "nope" }, want: directory.ErrRefreshTokenInvalid},
		{name: "revoked", want: directory.ErrRefreshTokenInvalid, setup: func(tk helpdesk.Tokens) string {
			require.NoError(t, desk.LogoutSession(ctx, tk.SessionID))
			return tk.RefreshToken
		}},
		{name: "exchanged", want: directory.ErrRefreshTokenInvalid, setup: func(tk helpdesk.Tokens) string {
			_, _, err := desk.Refresh(ctx, tk.RefreshToken)
			require.NoError(t, err)
			return tk.RefreshToken
		}},
	}
	for _, tt := range tests {
		tk := login()
		// Checked once before the change, so that what the first check
		// read is remembered: the change must still take effect at once.
		_, err := desk.CheckSession(ctx, tk.RefreshToken)
		require.NoError(t, err, tt.name)
		s, err := desk.CheckSession(ctx, tt.setup(tk))
		if tt.want != nil {
			require.ErrorIs(t, err, tt.want, tt.name)
			continue
		}
		require.NoError(t, err, tt.name)
		require.Equal(t, u.ID, s.Principal.Actor.UserID)
		require.Equal(t, co.ID, s.Principal.Actor.CompanyID)
		require.Equal(t, tk.SessionID, s.Principal.SessionID)
		require.Equal(t, now, s.StartedAt)
		require.Equal(t, now.Add(24*time.Hour), s.ExpiresAt)
	}

	tk := login()
	_, err = desk.CheckSession(ctx, tk.RefreshToken)
	require.NoError(t, err)
	lang := "en"
	_, err = desk.Directory.UpdateProfile(ctx, u.Actor(), directory.ProfilePatch{Language: &lang})
	require.NoError(t, err)
	s, err := desk.CheckSession(ctx, tk.RefreshToken)
	require.NoError(t, err)
	require.Equal(t, "en", s.Language, "a profile change shows on the next request")

	inactive := false
	_, err = desk.Directory.UpdateUser(ctx, admin, u.ID, directory.UserPatch{Active: &inactive})
	require.NoError(t, err)
	_, err = desk.CheckSession(ctx, tk.RefreshToken)
	require.ErrorIs(t, err, directory.ErrAccountDisabled, "a deactivated user's session stops at once")
}

// TestCheckSessionOnAnotherInstance: a session revoked through one desk is
// refused by another desk over the same store once its access recheck has
// passed, even though that desk remembered it as live.
func TestCheckSessionOnAnotherInstance(t *testing.T) {
	t.Parallel()
	store := memory.New()
	newDesk := func() *helpdesk.Desk {
		d, err := helpdesk.New(store, helpdesk.WithBcryptCost(bcrypt.MinCost), helpdesk.WithJWTSecret([]byte("0123456789abcdef0123456789abcdef")),
			helpdesk.WithAccessRecheck(20*time.Millisecond))
		require.NoError(t, err)
		return d
	}
	a, b := newDesk(), newDesk()
	ctx := t.Context()
	co, err := a.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin, err := tenant.System().InCompany(co.ID)
	require.NoError(t, err)
	contact, err := a.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: "Ana", Email: "ana@acme.test"})
	require.NoError(t, err)
	_, err = a.Directory.CreateUser(ctx, admin, directory.UserInput{Email: "ana@acme.test", Password: "password-123",
		Role: tenant.RoleAgent, ContactID: contact.ID})
	require.NoError(t, err)
	tk, _, err := a.Login(ctx, "ana@acme.test", "password-123")
	require.NoError(t, err)
	_, err = b.CheckSession(ctx, tk.RefreshToken)
	require.NoError(t, err)

	require.NoError(t, a.LogoutSession(ctx, tk.SessionID))
	_, err = a.CheckSession(ctx, tk.RefreshToken)
	require.ErrorIs(t, err, directory.ErrRefreshTokenInvalid, "at once on the instance that revoked it")
	require.Eventually(t, func() bool {
		_, err := b.CheckSession(ctx, tk.RefreshToken)
		return errors.Is(err, directory.ErrRefreshTokenInvalid)
	}, 5*time.Second, 5*time.Millisecond, "within the recheck on another instance")
}
