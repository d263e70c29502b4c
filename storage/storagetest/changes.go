package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events/whatsapp"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

var changeCases = []struct {
	name string
	fn   func(t *testing.T, b Backend)
}{
	{"ChangesInUnitOfWork", testChangesInUnitOfWork},
	{"ChangesFilterAndPage", testChangesFilterAndPage},
	{"ChangesPurge", testChangesPurge},
	{"ChangesWithStandaloneWrites", testChangesWithStandaloneWrites},
}

// recordChanges writes cs in a directory unit of work, which must be an
// audit.ChangeWriter.
func recordChanges(t *testing.T, b Backend, cs ...*audit.Change) {
	t.Helper()
	tx(t, b.Directory(), func(ctx context.Context, tx directory.Tx) error {
		w, ok := tx.(audit.ChangeWriter)
		require.True(t, ok, "%T is not an audit.ChangeWriter", tx)
		return w.RecordChanges(ctx, cs)
	})
	for _, c := range cs {
		require.NotZero(t, c.ID)
	}
}

func listChanges(t *testing.T, b Backend, q audit.ChangeQuery) []audit.Change {
	t.Helper()
	all, err := storage.Collect(0, func(c storage.Cursor) (storage.Page[audit.Change], error) {
		return b.Changes().ListChanges(ctx(t), q, storage.PageRequest{Limit: 3, Cursor: c})
	})
	require.NoError(t, err)
	return all
}

func changeIDs(cs []audit.Change) []int64 {
	ids := []int64{}
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func testChangesInUnitOfWork(t *testing.T, b Backend) {
	co := newCompany(t, b.Directory(), "Acme", "")
	c := &audit.Change{At: at, CompanyID: co.ID, Actor: audit.Actor{Kind: audit.ActorToken, TokenID: 7},
		IP: "203.0.113.9", RequestID: "req-1", EntityType: audit.EntityUser, EntityID: "12", Action: audit.ActionUpdated,
		Fields: []audit.FieldChange{{Field: "password", Old: "old-secret", New: "new-secret", Secret: true},
			{Field: "role", Old: "agent", New: "admin"}}}
	recordChanges(t, b, c)

	got := listChanges(t, b, audit.ChangeQuery{CompanyID: co.ID})
	require.Len(t, got, 1)
	want := *c
	want.Fields = []audit.FieldChange{{Field: "password", Secret: true}, {Field: "role", Old: "agent", New: "admin"}}
	require.Equal(t, want, got[0], "a secret field keeps no value, even one handed to the store")
	require.Equal(t, time.UTC, got[0].At.Location())

	// A unit of work that fails records nothing.
	boom := errors.New("boom")
	err := b.Directory().InTx(ctx(t), func(ctx context.Context, tx directory.Tx) error {
		w := tx.(audit.ChangeWriter)
		if err := w.RecordChanges(ctx, []*audit.Change{{At: at, CompanyID: co.ID, Actor: audit.Actor{Kind: audit.ActorSystem},
			EntityType: audit.EntityCompany, EntityID: "1", Action: audit.ActionUpdated}}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Len(t, listChanges(t, b, audit.ChangeQuery{CompanyID: co.ID}), 1, "the rolled-back change is gone")

	// After the rollback the next change still records.
	recordChanges(t, b, &audit.Change{At: at, CompanyID: co.ID, Actor: audit.Actor{Kind: audit.ActorSystem},
		EntityType: audit.EntityCompany, EntityID: "1", Action: audit.ActionUpdated, Fields: []audit.FieldChange{}})
	require.Len(t, listChanges(t, b, audit.ChangeQuery{CompanyID: co.ID}), 2)
}

func testChangesFilterAndPage(t *testing.T, b Backend) {
	acme := newCompany(t, b.Directory(), "Acme", "")
	beta := newCompany(t, b.Directory(), "Beta", "")
	var mine, theirs, platform []*audit.Change
	for i := range 10 {
		c := &audit.Change{At: at.Add(time.Duration(i) * time.Minute), CompanyID: acme.ID,
			Actor:      audit.Actor{Kind: audit.ActorUser, UserID: tenant.UserID(1 + i%2)},
			EntityType: audit.EntityUser, EntityID: strconv.Itoa(i % 3), Action: audit.ActionUpdated,
			Fields: []audit.FieldChange{{Field: "role", Old: "agent", New: fmt.Sprint("v", i)}}}
		if i%4 == 0 {
			c.EntityType, c.Action = audit.EntityAPIToken, audit.ActionRevoked
			c.Actor = audit.Actor{Kind: audit.ActorToken, TokenID: 9}
		}
		mine = append(mine, c)
		theirs = append(theirs, &audit.Change{At: c.At, CompanyID: beta.ID, Actor: c.Actor, EntityType: c.EntityType,
			EntityID: c.EntityID, Action: c.Action, Fields: []audit.FieldChange{}})
	}
	platform = append(platform, &audit.Change{At: at, Actor: audit.Actor{Kind: audit.ActorSystem}, EntityType: audit.EntityUser,
		EntityID: "1", Action: audit.ActionCreated, Fields: []audit.FieldChange{}})
	recordChanges(t, b, mine...)
	recordChanges(t, b, theirs...)
	recordChanges(t, b, platform...)

	ids := func(cs []*audit.Change, keep func(c *audit.Change) bool) []int64 {
		out := []int64{}
		for i := len(cs) - 1; i >= 0; i-- {
			if keep(cs[i]) {
				out = append(out, cs[i].ID)
			}
		}
		return out
	}
	every := func(*audit.Change) bool { return true }
	tests := []struct {
		name string
		q    audit.ChangeQuery
		want []int64
	}{
		{"company, newest first over pages", audit.ChangeQuery{CompanyID: acme.ID}, ids(mine, every)},
		{"the other company", audit.ChangeQuery{CompanyID: beta.ID}, ids(theirs, every)},
		{"no company: the platform's own", audit.ChangeQuery{}, ids(platform, every)},
		{"entity type", audit.ChangeQuery{CompanyID: acme.ID, EntityType: audit.EntityAPIToken},
			ids(mine, func(c *audit.Change) bool { return c.EntityType == audit.EntityAPIToken })},
		{"entity ID", audit.ChangeQuery{CompanyID: acme.ID, EntityType: audit.EntityUser, EntityID: "1"},
			ids(mine, func(c *audit.Change) bool { return c.EntityType == audit.EntityUser && c.EntityID == "1" })},
		{"actor user", audit.ChangeQuery{CompanyID: acme.ID, ActorUserID: 2},
			ids(mine, func(c *audit.Change) bool { return c.Actor.UserID == 2 })},
		{"actor token", audit.ChangeQuery{CompanyID: acme.ID, ActorKind: audit.ActorToken, ActorTokenID: 9},
			ids(mine, func(c *audit.Change) bool { return c.Actor.TokenID == 9 })},
		{"action", audit.ChangeQuery{CompanyID: acme.ID, Action: audit.ActionRevoked},
			ids(mine, func(c *audit.Change) bool { return c.Action == audit.ActionRevoked })},
		{"since inclusive, until exclusive", audit.ChangeQuery{CompanyID: acme.ID, Since: at.Add(2 * time.Minute), Until: at.Add(5 * time.Minute)},
			ids(mine, func(c *audit.Change) bool {
				return !c.At.Before(at.Add(2*time.Minute)) && c.At.Before(at.Add(5*time.Minute))
			})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, changeIDs(listChanges(t, b, tc.q)))
		})
	}
	all := listChanges(t, b, audit.ChangeQuery{AllCompanies: true})
	require.Len(t, all, 21, "every company's changes and the platform's")
	first, err := b.Changes().ListChanges(ctx(t), audit.ChangeQuery{CompanyID: acme.ID}, storage.PageRequest{Limit: 4})
	require.NoError(t, err)
	require.Len(t, first.Items, 4)
	require.NotEmpty(t, first.NextCursor)
	require.Equal(t, mine[9].Fields, first.Items[0].Fields)
	_, err = b.Changes().ListChanges(ctx(t), audit.ChangeQuery{CompanyID: acme.ID}, storage.PageRequest{Cursor: "not a cursor"})
	require.ErrorIs(t, err, storage.ErrBadCursor)
}

func testChangesPurge(t *testing.T, b Backend) {
	co := newCompany(t, b.Directory(), "Acme", "")
	for i := range 5 {
		recordChanges(t, b, &audit.Change{At: at.Add(time.Duration(i) * time.Hour), CompanyID: co.ID,
			Actor: audit.Actor{Kind: audit.ActorSystem}, EntityType: audit.EntityCompany, EntityID: "1", Action: audit.ActionUpdated})
	}
	n, err := b.Changes().PurgeChanges(ctx(t), at.Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	left := listChanges(t, b, audit.ChangeQuery{CompanyID: co.ID})
	require.Len(t, left, 3)
	require.Equal(t, at.Add(2*time.Hour), left[2].At, "a change at the bound is kept")
	n, err = b.Changes().PurgeChanges(ctx(t), at.Add(2*time.Hour))
	require.NoError(t, err)
	require.Zero(t, n)
}

func testChangesWithStandaloneWrites(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	change := func() *audit.Change {
		return &audit.Change{At: at, CompanyID: f.co.ID, Actor: audit.Actor{Kind: audit.ActorUser, UserID: 3},
			EntityType: audit.EntityWebhook, Action: audit.ActionCreated, Fields: []audit.FieldChange{{Field: "url", New: "https://example.com/hook"}}}
	}
	w := b.Webhooks()
	created := change()
	ep := newEndpointCtx(t, b, audit.WithPending(ctx(t), created), f.co.ID)
	got := listChanges(t, b, audit.ChangeQuery{CompanyID: f.co.ID, EntityType: audit.EntityWebhook})
	require.Len(t, got, 1)
	require.Equal(t, strconv.FormatInt(ep.ID, 10), got[0].EntityID, "the change takes the inserted row's ID")

	// A write that fails records nothing.
	stale := ep
	stale.Version = 99
	require.ErrorIs(t, w.UpdateEndpoint(audit.WithPending(ctx(t), change()), &stale), storage.ErrStale)
	require.ErrorIs(t, w.DeleteEndpoint(audit.WithPending(ctx(t), change()), f.co.ID, ep.ID+1000), storage.ErrNotFound)
	require.Len(t, listChanges(t, b, audit.ChangeQuery{CompanyID: f.co.ID}), 1)

	updated := change()
	updated.Action, updated.EntityID = audit.ActionUpdated, strconv.FormatInt(ep.ID, 10)
	ep.Description = "changed"
	require.NoError(t, w.UpdateEndpoint(audit.WithPending(ctx(t), updated), &ep))
	deleted := change()
	deleted.Action = audit.ActionDeleted
	require.NoError(t, w.DeleteEndpoint(audit.WithPending(ctx(t), deleted), f.co.ID, ep.ID))
	require.Equal(t, []int64{deleted.ID, updated.ID, created.ID}, changeIDs(listChanges(t, b, audit.ChangeQuery{CompanyID: f.co.ID})))
	require.Equal(t, strconv.FormatInt(ep.ID, 10), deleted.EntityID)

	// Settings: saved with their change; a conflicting save records nothing.
	settings := change()
	settings.EntityType = audit.EntityWhatsAppSettings
	st := whatsapp.Settings{CompanyID: f.co.ID, BaseURL: "http://127.0.0.1:9", APIVersion: "v21.0", PhoneNumberID: "106540352242922",
		AccessToken: "token-1", CreatedAt: at, UpdatedAt: at}
	require.NoError(t, b.WhatsApp().SaveWhatsAppSettings(audit.WithPending(ctx(t), settings), &st))
	require.Equal(t, strconv.FormatInt(int64(f.co.ID), 10), settings.EntityID)
	again := whatsapp.Settings{CompanyID: f.co.ID, CreatedAt: at, UpdatedAt: at}
	require.ErrorIs(t, b.WhatsApp().SaveWhatsAppSettings(audit.WithPending(ctx(t), change()), &again), storage.ErrConflict)
	require.Len(t, listChanges(t, b, audit.ChangeQuery{CompanyID: f.co.ID}), 4)
}
