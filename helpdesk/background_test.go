package helpdesk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/idempotency"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
	"github.com/sistemaboladao/boladao/tickets"
)

// passStore is a memory store that counts the passes of the SLA check and
// the idempotency purge, and fails them when broken, as a database that
// went away would make them.
type passStore struct {
	*memory.Store
	broken bool
	sla    *atomic.Int64
	purges *atomic.Int64
}

func newPassStore(broken bool) passStore {
	return passStore{Store: memory.New(), broken: broken, sla: new(atomic.Int64), purges: new(atomic.Int64)}
}

func (s passStore) Tickets() tickets.Store         { return passTickets{s.Store.Tickets(), s} }
func (s passStore) Idempotency() idempotency.Store { return passKeys{s.Store.Idempotency(), s} }

type passTickets struct {
	tickets.Store
	s passStore
}

func (t passTickets) TicketsDueForSLACheck(ctx context.Context, at time.Time, limit int) ([]tickets.Ticket, error) {
	defer t.s.sla.Add(1)
	if t.s.broken {
		return nil, fmt.Errorf("finding due tickets: %w", storage.ErrUnavailable)
	}
	return t.Store.TicketsDueForSLACheck(ctx, at, limit)
}

type passKeys struct {
	idempotency.Store
	s passStore
}

func (k passKeys) PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int, error) {
	defer k.s.purges.Add(1)
	if k.s.broken {
		return 0, errors.New("purge: disk I/O error")
	}
	return k.Store.PurgeIdempotencyKeys(ctx, before)
}

// syncBuffer is a log sink the loops and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// records returns the log records written so far, decoded.
func (w *syncBuffer) records(t *testing.T) []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(w.b.Bytes()))
	for dec.More() {
		var rec map[string]any
		require.NoError(t, dec.Decode(&rec))
		out = append(out, rec)
	}
	return out
}

func TestRunReportsLoopFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		store      passStore
		wantFailed []string // loops that must fail
	}{
		{name: "healthy store", store: newPassStore(false)},
		{name: "failing store", store: newPassStore(true),
			wantFailed: []string{helpdesk.LoopSLA, helpdesk.LoopPurge}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var sink syncBuffer
			desk, err := helpdesk.New(tc.store, helpdesk.WithBcryptCost(bcrypt.MinCost),
				helpdesk.WithLogger(slog.New(slog.NewJSONHandler(&sink, nil))),
				helpdesk.WithSLACheckInterval(time.Millisecond), helpdesk.WithMaintenanceInterval(time.Millisecond))
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, desk.Close()) })
			zero := map[string]uint64{helpdesk.LoopSLA: 0, helpdesk.LoopPurge: 0, helpdesk.LoopSearchIndexMerge: 0,
				helpdesk.LoopRelay: 0, helpdesk.LoopWebhooks: 0, helpdesk.LoopUses: 0, helpdesk.LoopSecurityEvents: 0}
			require.Equal(t, zero, desk.BackgroundFailures(), "every loop is counted from zero")

			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- desk.Run(ctx) }()
			// Both loops have made at least two passes, and a broken
			// store's have been counted as failures.
			require.Eventually(t, func() bool {
				f := desk.BackgroundFailures()
				return tc.store.sla.Load() >= 2 && tc.store.purges.Load() >= 2 &&
					(!tc.store.broken || (f[helpdesk.LoopSLA] >= 2 && f[helpdesk.LoopPurge] >= 2))
			}, 10*time.Second, time.Millisecond)
			cancel()
			require.NoError(t, <-done, "Run stops cleanly")

			failures := desk.BackgroundFailures()
			logged := map[string]int{}
			for _, rec := range sink.records(t) {
				if rec["msg"] == "helpdesk: background loop failed; it runs again on its next tick" {
					require.Equal(t, "WARN", rec["level"])
					require.NotEmpty(t, rec["error"])
					logged[rec["loop"].(string)]++
				}
			}
			for loop, n := range failures {
				require.Equal(t, int(n), logged[loop], "loop %s: every failure is logged once", loop)
				if n > 0 {
					require.Contains(t, tc.wantFailed, loop, "only the broken loops fail")
				}
			}
			for _, loop := range tc.wantFailed {
				require.GreaterOrEqual(t, failures[loop], uint64(2), loop)
			}
		})
	}
}
