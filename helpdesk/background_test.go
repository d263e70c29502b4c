package helpdesk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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

// brokenStore is a memory store whose SLA query and idempotency purge fail,
// as a database that went away would make them.
type brokenStore struct{ *memory.Store }

func (s brokenStore) Tickets() tickets.Store         { return brokenTickets{s.Store.Tickets()} }
func (s brokenStore) Idempotency() idempotency.Store { return brokenKeys{s.Store.Idempotency()} }

type brokenTickets struct{ tickets.Store }

func (brokenTickets) TicketsDueForSLACheck(context.Context, time.Time, int) ([]tickets.Ticket, error) {
	return nil, fmt.Errorf("finding due tickets: %w", storage.ErrUnavailable)
}

type brokenKeys struct{ idempotency.Store }

func (brokenKeys) PurgeIdempotencyKeys(context.Context, time.Time) (int, error) {
	return 0, errors.New("purge: disk I/O error")
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
		store      helpdesk.Store
		wantFailed []string // loops that must fail
	}{
		{name: "healthy store", store: memory.New()},
		{name: "failing store", store: brokenStore{memory.New()},
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
				helpdesk.LoopRelay: 0, helpdesk.LoopWebhooks: 0}
			require.Equal(t, zero, desk.BackgroundFailures(), "every loop is counted from zero")

			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- desk.Run(ctx) }()
			// Both loops have run at least twice once the SLA check and the
			// purge have each failed twice, or (healthy) once the SLA
			// check has passed several ticks without a failure.
			if len(tc.wantFailed) > 0 {
				require.Eventually(t, func() bool {
					f := desk.BackgroundFailures()
					return f[helpdesk.LoopSLA] >= 2 && f[helpdesk.LoopPurge] >= 2
				}, 10*time.Second, time.Millisecond)
			} else {
				time.Sleep(20 * time.Millisecond) // some ticks; a failure would be counted
			}
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
