package helpdesk_test

import (
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
	inactive := false
	_, err = desk.Directory.UpdateUser(ctx, admin, u.ID, directory.UserPatch{Active: &inactive})
	require.NoError(t, err)
	_, err = desk.CheckSession(ctx, tk.RefreshToken)
	require.ErrorIs(t, err, directory.ErrAccountDisabled, "a deactivated user's session stops at once")
}
