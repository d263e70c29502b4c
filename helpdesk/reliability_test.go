package helpdesk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// The reliability cases of event delivery, on every backend: a receiver
// that is down for a while, a relay killed between publishing and marking,
// a load of 10,000 events, and rolled-back transactions.

type relBackend struct {
	name string
	open func(t *testing.T) helpdesk.Store
}

func relBackends(t *testing.T) []relBackend {
	bs := []relBackend{
		{"memory", func(*testing.T) helpdesk.Store { return memory.New() }},
		{"sqlite", func(t *testing.T) helpdesk.Store { return bunstoretest.SQLite(t) }},
	}
	if os.Getenv(bunstoretest.DSNVariable) != "" || os.Getenv("CI") != "" {
		bs = append(bs, relBackend{"postgres", func(t *testing.T) helpdesk.Store { return bunstoretest.Postgres(t) }})
	} else {
		t.Logf("PostgreSQL reliability runs skipped: set %s", bunstoretest.DSNVariable)
	}
	return bs
}

var quiet = slog.New(slog.DiscardHandler)

func reliableDesk(t testing.TB, store helpdesk.Store, schedule ...time.Duration) *helpdesk.Desk {
	t.Helper()
	if schedule == nil {
		// One attempt a second for 30 seconds: a receiver outage in these
		// tests never outlasts the schedule, however slow the machine, so
		// no delivery fails (a failed one would hold its aggregate until
		// an admin redelivers it, by design).
		schedule = slices.Repeat([]time.Duration{time.Second}, 30)
	}
	desk, err := helpdesk.New(store, helpdesk.WithBcryptCost(4),
		helpdesk.WithRelayConfig(events.RelayConfig{PollInterval: 20 * time.Millisecond, Backoff: 20 * time.Millisecond, Logger: quiet}),
		helpdesk.WithWebhookConfig(webhooks.Config{Schedule: schedule, PollInterval: 20 * time.Millisecond,
			AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: 5 * time.Second, Logger: quiet,
			DisableAfter: 1000 * time.Hour, BatchSize: 500, PerEndpoint: 8}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close() })
	return desk
}

// sink is a webhook receiver that verifies signatures with the Standard
// Webhooks reference library and records the accepted events in arrival
// order.
type sink struct {
	srv      *httptest.Server
	down     atomic.Bool
	mu       sync.Mutex
	secret   string
	accepted []events.Event
	ids      map[string]int
	refused  int
	bad      []error
}

func newSink(t *testing.T) *sink {
	s := &sink{ids: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if s.down.Load() {
			s.mu.Lock()
			s.refused++
			s.mu.Unlock()
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		wh, err := standardwebhooks.NewWebhook(s.secret)
		if err == nil {
			err = wh.Verify(body, r.Header)
		}
		var ev events.Event
		if err == nil {
			err = json.Unmarshal(body, &ev)
		}
		if err == nil && ev.ID != r.Header.Get("webhook-id") {
			err = fmt.Errorf("webhook-id %s carries event %s", r.Header.Get("webhook-id"), ev.ID)
		}
		if err != nil {
			s.bad = append(s.bad, err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.accepted = append(s.accepted, ev)
		s.ids[ev.ID]++
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids)
}

// subscribe registers the sink for every custom event of the company.
func (s *sink) subscribe(t *testing.T, desk *helpdesk.Desk, admin tenant.Actor) {
	t.Helper()
	ep, err := desk.Webhooks.CreateEndpoint(t.Context(), admin, webhooks.EndpointInput{URL: s.srv.URL, Events: []string{"custom.*"}})
	require.NoError(t, err)
	s.mu.Lock()
	s.secret = ep.Secret
	s.mu.Unlock()
}

func companyAdmin(t testing.TB, desk *helpdesk.Desk) tenant.Actor {
	t.Helper()
	co, err := desk.Directory.CreateCompany(t.Context(), tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin, err := tenant.System().InCompany(co.ID)
	require.NoError(t, err)
	return admin
}

func publish(t testing.TB, desk *helpdesk.Desk, admin tenant.Actor, agg string, n int) events.Event {
	ev, err := desk.PublishCustom(context.Background(), admin, helpdesk.CustomEvent{Type: "custom.step",
		AggregateID: agg, Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))})
	if err != nil {
		t.Error(err)
	}
	return ev
}

// requireOrderPerAggregate checks that the accepted events of each
// aggregate first arrived in publication order (n ascending), each seen at
// least once, and that nothing failed verification.
func (s *sink) requireOrderPerAggregate(t *testing.T, want []events.Event) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.Empty(t, s.bad, "every delivery verifies")
	pos := map[string]int{}
	for i, ev := range want {
		pos[ev.ID] = i
	}
	last := map[string]int{}
	seen := map[string]bool{}
	for _, ev := range s.accepted {
		p, ok := pos[ev.ID]
		require.True(t, ok, "unexpected event %s", ev.ID)
		if seen[ev.ID] {
			// A repeat of an event already received (an attempt the
			// dispatcher gave up on, answered late): receivers drop it
			// by its webhook-id, so it does not reorder anything.
			continue
		}
		seen[ev.ID] = true
		if prev, seen := last[ev.AggregateID]; seen {
			require.GreaterOrEqual(t, p, prev, "aggregate %s out of order", ev.AggregateID)
		}
		last[ev.AggregateID] = p
	}
	for _, ev := range want {
		require.Positive(t, s.ids[ev.ID], "event %s never arrived", ev.ID)
	}
}

// relCase is what every reliability case starts from: a desk over a fresh
// store of one backend, a company admin and a receiver subscribed to the
// company's custom events.
type relCase struct {
	backend string
	store   helpdesk.Store
	desk    *helpdesk.Desk
	admin   tenant.Actor
	sink    *sink
}

// forEachRelBackend runs fn as a parallel subtest on every backend.
func forEachRelBackend(t *testing.T, fn func(t *testing.T, c relCase)) {
	for _, b := range relBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := relCase{backend: b.name, store: b.open(t)}
			c.desk = reliableDesk(t, c.store)
			c.admin = companyAdmin(t, c.desk)
			c.sink = newSink(t)
			c.sink.subscribe(t, c.desk, c.admin)
			fn(t, c)
		})
	}
}

func runDesk(t *testing.T, desk *helpdesk.Desk) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- desk.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func TestReliabilityReceiverDownThenUp(t *testing.T) {
	t.Parallel()
	forEachRelBackend(t, func(t *testing.T, c relCase) {
		desk, admin, s := c.desk, c.admin, c.sink
		s.down.Store(true)
		runDesk(t, desk)
		var want []events.Event
		for i := range 30 {
			want = append(want, publish(t, desk, admin, fmt.Sprint("agg-", i%3), i))
		}
		require.Eventually(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.refused >= 3 }, 5*time.Second, 10*time.Millisecond)
		time.Sleep(1500 * time.Millisecond)
		s.down.Store(false)
		require.Eventually(t, func() bool { return s.distinct() == len(want) }, 20*time.Second, 20*time.Millisecond)
		s.requireOrderPerAggregate(t, want)
	})
}

// killedStore is a relay store whose relay dies after publishing and
// before marking: the outcomes are dropped.
type killedStore struct{ events.RelayStore }

func (k killedStore) ClaimOutbox(ctx context.Context, now time.Time, limit int,
	fn func(context.Context, []events.OutboxRecord) []events.OutboxOutcome) (int, error) {
	return k.RelayStore.ClaimOutbox(ctx, now, limit, func(ctx context.Context, recs []events.OutboxRecord) []events.OutboxOutcome {
		fn(ctx, recs)
		return nil
	})
}

func TestReliabilityRelayKilledBetweenPublishAndMark(t *testing.T) {
	t.Parallel()
	forEachRelBackend(t, func(t *testing.T, c relCase) {
		store, desk, admin, s := c.store, c.desk, c.admin, c.sink
		var mu sync.Mutex
		seen := map[string]int{}
		require.NoError(t, desk.OnEvent("custom.*", func(_ context.Context, ev events.Event) error {
			mu.Lock()
			defer mu.Unlock()
			seen[ev.ID]++
			return nil
		}))
		want := []events.Event{publish(t, desk, admin, "a", 0), publish(t, desk, admin, "a", 1), publish(t, desk, admin, "b", 2)}

		dying, err := events.NewRelay(killedStore{store}, desk.Bus(), events.RelayConfig{Logger: quiet})
		require.NoError(t, err)
		_, err = dying.ProcessOnce(t.Context()) // one batch, then the process dies
		require.NoError(t, err)
		pending, err := desk.PendingEvents(t.Context(), events.OutboxQuery{CompanyID: admin.CompanyID, Type: "custom.step"})
		require.NoError(t, err)
		require.Len(t, pending, 3, "published but never marked")

		_, err = desk.Relay().Drain(t.Context()) // the next relay
		require.NoError(t, err)
		_, err = desk.Webhooks.ProcessDue(t.Context())
		require.NoError(t, err)
		mu.Lock()
		for _, ev := range want {
			require.Equal(t, 2, seen[ev.ID], "the subscriber got %s again, with the same ID", ev.ID)
		}
		mu.Unlock()
		s.requireOrderPerAggregate(t, want)
		s.mu.Lock()
		for _, ev := range want {
			require.Equal(t, 1, s.ids[ev.ID], "the receiver sees webhook-id %s (deliveries are keyed by event)", ev.ID)
		}
		s.mu.Unlock()
		pending, err = desk.PendingEvents(t.Context(), events.OutboxQuery{CompanyID: admin.CompanyID, Type: "custom.step"})
		require.NoError(t, err)
		require.Empty(t, pending)
	})
}

func TestReliabilityTenThousandEventsUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 events: skipped with -short")
	}
	t.Parallel()
	forEachRelBackend(t, func(t *testing.T, c relCase) {
		store, desk, admin, s := c.store, c.desk, c.admin, c.sink
		runDesk(t, desk)
		if c.backend == "postgres" { // a second instance's relay shares the outbox
			second, err := events.NewRelay(store, desk.Bus(), events.RelayConfig{PollInterval: 20 * time.Millisecond, Logger: quiet})
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- second.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })
		}
		const workers, perTx = 8, 10 // 10,000 events in 1,000 units of work
		perWorker := loadEvents / workers / perTx
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			want []events.Event
		)
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					var evs []events.Event
					for j := range perTx {
						n := (w*perWorker+i)*perTx + j
						ev, err := events.New("custom.load", admin.CompanyID, "load", fmt.Sprint(w, "-", j%4), admin, time.Now(),
							map[string]int{"n": n})
						if err != nil {
							t.Error(err)
							return
						}
						evs = append(evs, ev)
					}
					if err := store.Directory().InTx(context.Background(), func(ctx context.Context, tx directory.Tx) error {
						return tx.AppendEvents(ctx, evs...)
					}); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					want = append(want, evs...)
					mu.Unlock()
				}
			})
		}
		start := time.Now()
		wg.Wait()
		t.Logf("%s: %d events committed in %v", c.backend, loadEvents, time.Since(start))
		defer func() { t.Logf("%s: all delivered %v after the first commit", c.backend, time.Since(start)) }()
		require.Len(t, want, workers*perWorker*perTx)
		require.Eventually(t, func() bool { return s.distinct() == len(want) }, 300*time.Second, 50*time.Millisecond,
			"all %d events arrive", len(want))
		s.mu.Lock()
		require.Empty(t, s.bad)
		s.mu.Unlock()
		// Per aggregate, arrival follows commit order.
		s.requireOrderPerAggregate(t, want)
	})
}

func TestReliabilityRolledBackEventsAreNeverDelivered(t *testing.T) {
	t.Parallel()
	forEachRelBackend(t, func(t *testing.T, c relCase) {
		store, desk, admin, s := c.store, c.desk, c.admin, c.sink
		runDesk(t, desk)

		doomed, err := events.New("custom.doomed", admin.CompanyID, "x", "1", admin, time.Now(), map[string]any{})
		require.NoError(t, err)
		inside := make(chan struct{})
		release := make(chan struct{})
		failed := make(chan error, 1)
		go func() {
			failed <- store.Directory().InTx(context.Background(), func(ctx context.Context, tx directory.Tx) error {
				if err := tx.AppendEvents(ctx, doomed); err != nil {
					return err
				}
				if c.backend != "sqlite" && c.backend != "memory" {
					close(inside)
					<-release // the relay runs while this transaction is open
				}
				return errors.New("rolled back")
			})
		}()
		if c.backend == "postgres" {
			<-inside
			kept := publish(t, desk, admin, "k", 0)
			require.Eventually(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.ids[kept.ID] == 1 }, 5*time.Second, 10*time.Millisecond)
			close(release)
		}
		require.Error(t, <-failed)
		after := publish(t, desk, admin, "k", 1)
		require.Eventually(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.ids[after.ID] == 1 }, 5*time.Second, 10*time.Millisecond)
		time.Sleep(100 * time.Millisecond)
		s.mu.Lock()
		defer s.mu.Unlock()
		require.Zero(t, s.ids[doomed.ID], "a rolled-back event is never delivered")
		all, err := desk.Outbox(t.Context(), events.OutboxQuery{Type: "custom.doomed"})
		require.NoError(t, err)
		require.Empty(t, all)
		assert.Empty(t, s.bad)
	})
}
