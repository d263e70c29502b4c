package directory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage/memory"
)

const oldPassword = "old-password-1"

// profileFixture is a directory over a memory store with one agent who has
// three login sessions.
func profileFixture(t *testing.T) (*directory.Service, directory.User, []string) {
	t.Helper()
	ctx := t.Context()
	s, err := directory.NewService(memory.New().Directory(), directory.WithBcryptCost(bcrypt.MinCost),
		directory.WithClock(func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }))
	require.NoError(t, err)
	co, err := s.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin, err := tenant.System().InCompany(co.ID)
	require.NoError(t, err)
	contact, err := s.CreateContact(ctx, admin, directory.ContactInput{Name: "Beto", Email: "beto@acme.test"})
	require.NoError(t, err)
	u, err := s.CreateUser(ctx, admin, directory.UserInput{Email: "beto@acme.test", Password: oldPassword, Role: tenant.RoleAgent, ContactID: contact.ID})
	require.NoError(t, err)
	var tokens []string
	for range 3 {
		plain, _, err := s.StartSession(ctx, u, 0)
		require.NoError(t, err)
		tokens = append(tokens, plain)
	}
	return s, u, tokens
}

func sessionOf(t *testing.T, s *directory.Service, token string) string {
	t.Helper()
	_, rt, err := s.CheckSession(t.Context(), token)
	require.NoError(t, err)
	return rt.SessionID
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		current, next    string
		field            string // the refused field; "" for success
		keepFirst        bool
		wantRevoked      int
		wantFirstSession bool
	}{
		{name: "keeps the session it is made from", current: oldPassword, next: "new-password-2", keepFirst: true, wantRevoked: 2, wantFirstSession: true},
		{name: "revokes every session without one to keep", current: oldPassword, next: "new-password-2", wantRevoked: 3},
		{name: "wrong current password", current: "not-it-at-all", next: "new-password-2", field: "current_password"},
		{name: "missing current password", current: "", next: "new-password-2", field: "current_password"},
		{name: "new password too short", current: oldPassword, next: "short", field: "password"},
		{name: "new password the same", current: oldPassword, next: oldPassword, field: "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, u, tokens := profileFixture(t)
			keep := ""
			if tt.keepFirst {
				keep = sessionOf(t, s, tokens[0])
			}
			n, err := s.ChangePassword(t.Context(), u.Actor(), tt.current, tt.next, keep)
			if tt.field != "" {
				var ve *validation.Error
				require.ErrorAs(t, err, &ve)
				require.Equal(t, tt.field, ve.Fields[0].Field)
				_, err := s.Authenticate(t.Context(), u.Email, oldPassword)
				require.NoError(t, err, "the password is unchanged")
				for _, tok := range tokens {
					_, _, err := s.CheckSession(t.Context(), tok)
					require.NoError(t, err, "no session is revoked")
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantRevoked, n)
			_, err = s.Authenticate(t.Context(), u.Email, oldPassword)
			require.ErrorIs(t, err, directory.ErrInvalidCredentials)
			_, err = s.Authenticate(t.Context(), u.Email, tt.next)
			require.NoError(t, err)
			for i, tok := range tokens {
				_, _, err := s.CheckSession(t.Context(), tok)
				if i == 0 && tt.wantFirstSession {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, directory.ErrRefreshTokenInvalid, "session %d", i)
				}
			}
		})
	}
}

func TestUpdateProfileLanguage(t *testing.T) {
	t.Parallel()
	s, u, _ := profileFixture(t)
	ctx := context.WithoutCancel(t.Context())
	for _, tt := range []struct {
		in, want string
		bad      bool
	}{{in: "pt-BR", want: "pt-BR"}, {in: "en", want: "en"}, {in: "", want: ""}, {in: "not a tag!", bad: true}} {
		lang := tt.in
		got, err := s.UpdateProfile(ctx, u.Actor(), directory.ProfilePatch{Language: &lang})
		if tt.bad {
			require.ErrorIs(t, err, validation.ErrInvalid)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, got.Language)
		again, err := s.Profile(ctx, u.Actor())
		require.NoError(t, err)
		require.Equal(t, tt.want, again.Language)
	}
	_, err := s.UpdateProfile(ctx, tenant.Actor{CompanyID: u.CompanyID}, directory.ProfilePatch{})
	require.ErrorIs(t, err, tenant.ErrForbidden, "an actor without a user has no profile")
}
