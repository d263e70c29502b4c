package audit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// failing is a Store whose batch writes fail while fail is set.
type failing struct {
	audit.Store
	fail bool
}

func (f *failing) RecordSecurityEvents(ctx context.Context, es []*audit.Event) error {
	if f.fail {
		return errors.New("disk full")
	}
	return f.Store.RecordSecurityEvents(ctx, es)
}

func TestAggregatorRuns(t *testing.T) {
	t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	store := &failing{Store: memory.New()}
	a := audit.NewAggregator(store, audit.WithAggregateInterval(time.Hour))
	ctx := t.Context()
	ips := []string{"203.0.113.1", "203.0.113.2", "198.51.100.3"}
	for i := range 10_000 {
		e := audit.Event{At: t0.Add(time.Duration(i) * time.Millisecond), Kind: audit.RateLimited, IP: ips[i%3], Detail: fmt.Sprint("hit ", i)}
		require.NoError(t, a.RecordSecurityEvent(ctx, &e))
		require.Zero(t, e.ID, "a bulk event waits for its run")
	}
	login := audit.Event{At: t0, Kind: audit.LoginFailed, IP: ips[0], Email: "ana@acme.test"}
	require.NoError(t, a.RecordSecurityEvent(ctx, &login))
	require.NotZero(t, login.ID, "a login failure is written at once")
	require.EqualValues(t, 10_000, a.Pending())

	// A failed write keeps the runs for the next one.
	store.fail = true
	require.Error(t, a.Flush(ctx))
	require.EqualValues(t, 10_000, a.Pending())
	store.fail = false

	evs, err := a.SecurityEvents(ctx, audit.Query{Kind: audit.RateLimited})
	require.NoError(t, err)
	require.Len(t, evs, 3, "one row per source")
	require.Zero(t, a.Pending())
	var total int64
	for _, e := range evs {
		total += e.Count
		require.Equal(t, e.Count, e.Occurrences())
		require.True(t, e.LastAt.After(e.At))
	}
	require.EqualValues(t, 10_000, total)
	counts, err := a.CountSecurityEvents(ctx, time.Time{}, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, map[audit.Kind]int{audit.RateLimited: 10_000, audit.LoginFailed: 1}, counts)
}

func TestAggregatorOff(t *testing.T) {
	a := audit.NewAggregator(memory.New(), audit.WithAggregateInterval(0))
	for range 3 {
		e := audit.Event{At: time.Now(), Kind: audit.TokenInvalid, IP: "203.0.113.1"}
		require.NoError(t, a.RecordSecurityEvent(t.Context(), &e))
		require.NotZero(t, e.ID, "with an interval of zero every event is written at once")
	}
	require.Zero(t, a.Pending())
}

func TestAggregatorRunWritesAtStop(t *testing.T) {
	a := audit.NewAggregator(memory.New(), audit.WithAggregateInterval(time.Hour))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, nil) }()
	e := audit.Event{At: time.Now(), Kind: audit.HostRefused, IP: "203.0.113.1"}
	require.NoError(t, a.RecordSecurityEvent(t.Context(), &e))
	cancel()
	require.NoError(t, <-done)
	require.Zero(t, a.Pending(), "Run writes what it holds when it stops")
}
