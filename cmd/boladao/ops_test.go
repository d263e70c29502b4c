package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// The reference server's outbox reporter: pending events with the age of
// the oldest, and dead letters.
func TestDeploymentOutboxLag(t *testing.T) {
	t.Parallel()
	store := memory.New()
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var evs []events.Event
	for i := range 3 {
		ev, err := events.New("thing.happened", 1, "thing", string(rune('a'+i)), tenant.System(), at.Add(time.Duration(i)*time.Second), map[string]int{"i": i})
		require.NoError(t, err)
		evs = append(evs, ev)
	}
	require.NoError(t, store.Directory().InTx(t.Context(), func(ctx context.Context, tx directory.Tx) error {
		return tx.AppendEvents(ctx, evs...)
	}))
	d := newOps(store, config{}, nil).(*deployment)
	d.now = func() time.Time { return at.Add(90 * time.Second) }

	lag, err := d.OutboxLag(t.Context())
	require.NoError(t, err)
	require.Equal(t, httpapi.OutboxLag{Pending: 3, OldestAge: 90 * time.Second}, lag)

	_, err = store.ClaimOutbox(t.Context(), at, 10, func(_ context.Context, recs []events.OutboxRecord) []events.OutboxOutcome {
		return []events.OutboxOutcome{{ID: evs[0].ID, Delivered: true, Dead: true, Err: "gave up"}, {ID: evs[1].ID, Delivered: true}}
	})
	require.NoError(t, err)
	lag, err = d.OutboxLag(t.Context())
	require.NoError(t, err)
	require.Equal(t, httpapi.OutboxLag{Pending: 1, OldestAge: 88 * time.Second, DeadLetters: 1}, lag)
}
