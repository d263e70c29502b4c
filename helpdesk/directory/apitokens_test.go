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
// and is in the store after FlushAPITokenUses, once per touch interval.
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

	n, err := s.FlushAPITokenUses(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing to write before any use")
	_, _, err = s.AuthenticateAPIToken(ctx, plain)
	require.NoError(t, err)
	require.True(t, stored().IsZero(), "authenticating writes nothing")
	shown, err := s.GetAPIToken(ctx, admin, tok.ID)
	require.NoError(t, err)
	require.True(t, shown.LastUsedAt.Equal(now), "the use shows at once")

	n, err = s.FlushAPITokenUses(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.True(t, stored().Equal(now))

	// Within the interval, uses are not noted again; after it, they are.
	now = now.Add(directory.APITokenTouchInterval / 2)
	_, _, err = s.AuthenticateAPIToken(ctx, plain)
	require.NoError(t, err)
	n, err = s.FlushAPITokenUses(ctx)
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
	_, err = s.FlushAPITokenUses(cancelled)
	require.Error(t, err)
	n, err = s.FlushAPITokenUses(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.True(t, stored().Equal(now))
}
