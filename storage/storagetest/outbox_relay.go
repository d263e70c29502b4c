package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

var relayCases = []struct {
	name string
	fn   func(t *testing.T, b Backend)
}{
	{"RelayClaimsInOrderAndMarks", testRelayClaimOrder},
	{"RelayRetryHoldsTheAggregate", testRelayRetryHoldsAggregate},
	{"RelayDeadLettersAndPrune", testRelayDeadLetters},
	{"RelayConcurrentClaimsNeverOverlap", testRelayConcurrentClaims},
	{"OutboxStats", testOutboxStats},
}

// appendEvents commits one event per (aggregate id) in aggs, in order, in
// one unit of work, and returns them.
func appendEvents(t *testing.T, b Backend, company tenant.CompanyID, typ string, aggs ...string) []events.Event {
	t.Helper()
	evs := make([]events.Event, len(aggs))
	for i, a := range aggs {
		ev, err := events.New(typ, company, "thing", a, tenant.System(), at, map[string]any{"n": i})
		require.NoError(t, err)
		evs[i] = ev
	}
	tx(t, b.Directory(), func(ctx context.Context, tx directory.Tx) error { return tx.AppendEvents(ctx, evs...) })
	return evs
}

// pluck maps xs through f.
func pluck[T, K any](xs []T, f func(T) K) []K {
	out := make([]K, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func ids(recs []events.OutboxRecord) []string {
	return pluck(recs, func(r events.OutboxRecord) string { return r.ID })
}

func evIDs(evs []events.Event) []string {
	return pluck(evs, func(e events.Event) string { return e.ID })
}

// claimOutbox runs one claim at now whose fn answers with outcome(rec).
func claimOutbox(t *testing.T, b Backend, now time.Time, limit int, outcome func(events.OutboxRecord) *events.OutboxOutcome) []events.OutboxRecord {
	t.Helper()
	var got []events.OutboxRecord
	n, err := b.ClaimOutbox(ctx(t), now, limit, func(_ context.Context, recs []events.OutboxRecord) []events.OutboxOutcome {
		got = recs
		var out []events.OutboxOutcome
		for _, r := range recs {
			if o := outcome(r); o != nil {
				out = append(out, *o)
			}
		}
		return out
	})
	require.NoError(t, err)
	require.Equal(t, len(got), n)
	return got
}

func delivered(r events.OutboxRecord) *events.OutboxOutcome {
	return &events.OutboxOutcome{ID: r.ID, Delivered: true}
}

func testRelayClaimOrder(t *testing.T, b Backend) {
	co := newCompany(t, b.Directory(), "Acme", "")
	evs := appendEvents(t, b, co.ID, "thing.happened", "a", "b", "a", "c", "a")
	pending, err := b.PendingOutbox(ctx(t), events.OutboxQuery{})
	require.NoError(t, err)
	require.Equal(t, evIDs(evs), ids(pending))
	require.Zero(t, pending[0].Attempts)
	require.True(t, pending[0].DeliveredAt.IsZero())

	first := claimOutbox(t, b, at, 3, delivered)
	require.Equal(t, evIDs(evs[:3]), ids(first), "oldest first, limited")
	require.JSONEq(t, string(evs[0].Data), string(first[0].Data))
	require.Equal(t, co.ID, first[0].CompanyID)
	rest := claimOutbox(t, b, at, 10, delivered)
	require.Equal(t, evIDs(evs[3:]), ids(rest))
	require.Empty(t, claimOutbox(t, b, at, 10, delivered), "delivered events are not claimed again")
	pending, err = b.PendingOutbox(ctx(t), events.OutboxQuery{})
	require.NoError(t, err)
	require.Empty(t, pending)
	all, err := b.OutboxEvents(ctx(t), events.OutboxQuery{})
	require.NoError(t, err)
	require.Len(t, all, 5, "delivered events stay until pruned")
}

func testRelayRetryHoldsAggregate(t *testing.T, b Backend) {
	co := newCompany(t, b.Directory(), "Acme", "")
	evs := appendEvents(t, b, co.ID, "thing.happened", "a", "a", "b")
	later := at.Add(time.Minute)
	got := claimOutbox(t, b, at, 10, func(r events.OutboxRecord) *events.OutboxOutcome {
		switch r.ID {
		case evs[0].ID:
			return &events.OutboxOutcome{ID: r.ID, Err: "bus down", RetryAt: later}
		case evs[1].ID:
			return nil // not attempted after its aggregate failed
		}
		return delivered(r)
	})
	require.Equal(t, evIDs(evs), ids(got))

	require.Empty(t, claimOutbox(t, b, at.Add(time.Second), 10, delivered),
		"a's first event waits for its retry time and holds a's second event back")
	pending, err := b.PendingOutbox(ctx(t), events.OutboxQuery{CompanyID: co.ID})
	require.NoError(t, err)
	require.Equal(t, evIDs(evs[:2]), ids(pending))
	require.Equal(t, 1, pending[0].Attempts)
	require.Equal(t, "bus down", pending[0].LastError)
	require.True(t, pending[0].NextAttemptAt.Equal(later), "%v", pending[0].NextAttemptAt)

	got = claimOutbox(t, b, later, 10, delivered)
	require.Equal(t, evIDs(evs[:2]), ids(got))
	require.Equal(t, 1, got[0].Attempts)
	pending, err = b.PendingOutbox(ctx(t), events.OutboxQuery{})
	require.NoError(t, err)
	require.Empty(t, pending)
}

func testRelayDeadLetters(t *testing.T, b Backend) {
	co := newCompany(t, b.Directory(), "Acme", "")
	other := newCompany(t, b.Directory(), "Other", "")
	evs := appendEvents(t, b, co.ID, "thing.happened", "a", "b")
	theirs := appendEvents(t, b, other.ID, "thing.happened", "z")
	claimOutbox(t, b, at, 10, func(r events.OutboxRecord) *events.OutboxOutcome {
		if r.ID == evs[0].ID {
			return &events.OutboxOutcome{ID: r.ID, Delivered: true, Dead: true, Err: "subscriber x gave up"}
		}
		return delivered(r)
	})
	pending, err := b.PendingOutbox(ctx(t), events.OutboxQuery{CompanyID: co.ID})
	require.NoError(t, err)
	require.Equal(t, []string{evs[0].ID}, ids(pending), "dead letters stay visible")
	require.False(t, pending[0].DeadAt.IsZero())
	require.Equal(t, "subscriber x gave up", pending[0].LastError)
	require.Empty(t, claimOutbox(t, b, at.Add(time.Hour), 10, delivered), "dead letters are not retried by the relay")

	n, err := b.PruneOutbox(ctx(t), at.Add(-time.Second))
	require.NoError(t, err)
	require.Zero(t, n, "nothing was delivered that long ago")
	n, err = b.PruneOutbox(ctx(t), at.Add(time.Second))
	require.NoError(t, err)
	require.Equal(t, 2, n, "delivered events go, dead letters stay")
	all, err := b.OutboxEvents(ctx(t), events.OutboxQuery{})
	require.NoError(t, err)
	require.Equal(t, []string{evs[0].ID}, evIDs(all))
	_ = theirs
}

func testRelayConcurrentClaims(t *testing.T, b Backend) {
	co := newCompany(t, b.Directory(), "Acme", "")
	var want []string
	for i := range 10 {
		aggs := make([]string, 10)
		for j := range aggs {
			aggs[j] = fmt.Sprint(i*10 + j%3)
		}
		want = append(want, evIDs(appendEvents(t, b, co.ID, "thing.happened", aggs...))...)
	}
	var (
		mu     sync.Mutex
		seen   = map[string]int{}
		inHand = map[string]bool{}
		wg     sync.WaitGroup
	)
	// A claim can come back empty while events remain: another relay holds
	// them, or holds their aggregate's earlier events. So each relay keeps
	// claiming until every event has been handed over.
	done := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) >= len(want)
	}
	deadline := time.Now().Add(30 * time.Second)
	for range 4 {
		wg.Go(func() {
			for !done() {
				if time.Now().After(deadline) {
					t.Error("the relays stopped handing over events")
					return
				}
				n, err := b.ClaimOutbox(context.Background(), at, 7, func(_ context.Context, recs []events.OutboxRecord) []events.OutboxOutcome {
					out := make([]events.OutboxOutcome, len(recs))
					mu.Lock()
					for i, r := range recs {
						if inHand[r.ID] {
							t.Errorf("event %s claimed by two relays at once", r.ID)
						}
						inHand[r.ID] = true
						seen[r.ID]++
						out[i] = events.OutboxOutcome{ID: r.ID, Delivered: true}
					}
					mu.Unlock()
					time.Sleep(time.Millisecond)
					mu.Lock()
					for _, r := range recs {
						delete(inHand, r.ID)
					}
					mu.Unlock()
					return out
				})
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	n, err := b.ClaimOutbox(ctx(t), at, 100, func(context.Context, []events.OutboxRecord) []events.OutboxOutcome { return nil })
	require.NoError(t, err)
	require.Zero(t, n, "every event was marked delivered")
	require.Len(t, seen, len(want))
	for _, id := range want {
		require.Equal(t, 1, seen[id], "each event is handed over exactly once here")
	}
}

// testOutboxStats checks the monitoring counts: pending events (with the
// oldest one's time) and dead letters, across companies.
func testOutboxStats(t *testing.T, b Backend) {
	st, err := b.OutboxStats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, events.OutboxStats{}, st, "an empty outbox")

	co := newCompany(t, b.Directory(), "Acme", "")
	other := newCompany(t, b.Directory(), "Other", "")
	st, err = b.OutboxStats(ctx(t))
	require.NoError(t, err)
	base := st.Pending // creating companies wrote events of their own
	mine := appendEvents(t, b, co.ID, "thing.happened", "a", "b", "c")
	appendEvents(t, b, other.ID, "thing.happened", "z")
	claimOutbox(t, b, at, 100, func(r events.OutboxRecord) *events.OutboxOutcome {
		switch r.ID {
		case mine[0].ID:
			return &events.OutboxOutcome{ID: r.ID, Delivered: true, Dead: true, Err: "subscriber x gave up"}
		case mine[1].ID:
			return &events.OutboxOutcome{ID: r.ID, Err: "bus down", RetryAt: at.Add(time.Minute)}
		case mine[2].ID:
			return nil // no outcome: left pending as it was
		}
		return delivered(r)
	})
	st, err = b.OutboxStats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, 2, st.Pending, "the retried event and the one left alone (the %d earlier ones were delivered)", base)
	require.Equal(t, 1, st.DeadLetters)
	require.True(t, st.OldestPendingAt.Equal(mine[1].OccurredAt), "%v != %v", st.OldestPendingAt, mine[1].OccurredAt)
}
