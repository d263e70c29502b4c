package directory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// TestAPITokenUsesAreWrittenInBatches: authenticating with an API token
// writes nothing; its use shows at once through the service that noted it
// and is in the store after FlushUses, once per touch interval.
func TestAPITokenUsesAreWrittenInBatches(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	store := memory.New().Directory()
	s, err := directory.NewService(store, directory.WithBcryptCost(bcrypt.MinCost), directory.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	co, err := s.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin, err := tenant.System().InCompany(co.ID)
	require.NoError(t, err)
	tok, plain, err := s.CreateAPIToken(ctx, admin, directory.APITokenInput{Name: "CRM", Permissions: []tenant.Permission{tenant.PermTicketsRead}})
	require.NoError(t, err)
	stored := func() time.Time {
		got, err := store.APITokenByID(ctx, co.ID, tok.ID)
		require.NoError(t, err)
		return got.LastUsedAt
	}

	n, err := s.FlushUses(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing to write before any use")
	_, _, err = s.AuthenticateAPIToken(ctx, plain)
	require.NoError(t, err)
	require.True(t, stored().IsZero(), "authenticating writes nothing")
	shown, err := s.GetAPIToken(ctx, admin, tok.ID)
	require.NoError(t, err)
	require.True(t, shown.LastUsedAt.Equal(now), "the use shows at once")

	n, err = s.FlushUses(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.True(t, stored().Equal(now))

	// Within the interval, uses are not noted again; after it, they are.
	now = now.Add(directory.APITokenTouchInterval / 2)
	_, _, err = s.AuthenticateAPIToken(ctx, plain)
	require.NoError(t, err)
	n, err = s.FlushUses(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	now = now.Add(directory.APITokenTouchInterval)
	_, _, err = s.AuthenticateAPIToken(ctx, plain)
	require.NoError(t, err)
	page, err := s.ListAPITokens(ctx, admin, directory.APITokenFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.True(t, page.Items[0].LastUsedAt.Equal(now), "lists show the unwritten use too")

	// A failed write keeps the uses for the next flush.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.FlushUses(cancelled)
	require.Error(t, err)
	n, err = s.FlushUses(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.True(t, stored().Equal(now))
}

// TestSessionUsesAreWrittenInBatches: a session's use is noted, shown by
// the service's list at once, and written by FlushUses, not by the request.
func TestSessionUsesAreWrittenInBatches(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	store := memory.New().Directory()
	s, err := directory.NewService(store, directory.WithBcryptCost(bcrypt.MinCost), directory.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	co, err := s.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin, err := tenant.System().InCompany(co.ID)
	require.NoError(t, err)
	contact, err := s.CreateContact(ctx, admin, directory.ContactInput{Name: "Beto", Email: "beto@acme.test"})
	require.NoError(t, err)
	u, err := s.CreateUser(ctx, admin, directory.UserInput{Email: "beto@acme.test", Password: "password-123", Role: tenant.RoleAgent, ContactID: contact.ID})
	require.NoError(t, err)
	_, rt, err := s.StartSession(ctx, u, 0)
	require.NoError(t, err)
	stored := func() directory.SessionInfo {
		list, err := store.ListLiveSessions(ctx, co.ID, u.ID, now)
		require.NoError(t, err)
		require.Len(t, list, 1)
		return list[0]
	}
	opened := stored().LastSeenAt

	now = now.Add(2 * directory.SessionTouchInterval)
	require.NoError(t, s.SessionSeen(ctx, rt.SessionID, "203.0.113.9"))
	require.True(t, stored().LastSeenAt.Equal(opened), "a request writes nothing")
	shown, err := s.ListSessions(ctx, u.Actor())
	require.NoError(t, err)
	require.True(t, shown[0].LastSeenAt.Equal(now), "the list shows the use at once")
	require.Equal(t, "203.0.113.9", shown[0].IP)

	n, err := s.FlushUses(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.True(t, stored().LastSeenAt.Equal(now))
	require.Equal(t, "203.0.113.9", stored().IP)
}
