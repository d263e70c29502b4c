package helpdesk_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// BenchmarkOutboxToWebhook measures events committed to the outbox until
// a local receiver has them, through the relay, the in-process bus, the
// webhook enqueue and a signed POST: throughput with writers as fast as
// they go, and end-to-end latency (commit → receiver, p50/p99) at a fixed
// rate below capacity. Run with a fixed count, for example
//
//	go test ./helpdesk -run '^$' -bench OutboxToWebhook -benchtime 5000x
func BenchmarkOutboxToWebhook(b *testing.B) {
	type bk struct {
		name string
		open func(b *testing.B) helpdesk.Store
	}
	// The server's pool size (the tests' stores have 4 connections).
	pool := bunstore.WithMaxConns(8)
	bks := []bk{{"sqlite", func(b *testing.B) helpdesk.Store { return bunstoretest.SQLite(b, pool) }}}
	if os.Getenv(bunstoretest.DSNVariable) != "" {
		bks = append(bks, bk{"postgres", func(b *testing.B) helpdesk.Store { return bunstoretest.Postgres(b, pool) }})
	}
	for _, k := range bks {
		b.Run(k.name+"/drain", func(b *testing.B) { benchDrain(b, k.open(b)) })
		b.Run(k.name+"/throughput", func(b *testing.B) { benchOutbox(b, k.open(b), 0) })
		b.Run(k.name+"/latency-500ps", func(b *testing.B) { benchOutbox(b, k.open(b), 500) })
		b.Run(k.name+"/latency-1000ps", func(b *testing.B) { benchOutbox(b, k.open(b), 1000) })
		b.Run(k.name+"/latency-2000ps", func(b *testing.B) { benchOutbox(b, k.open(b), 2000) })
	}
}

// benchDrain commits b.N events (100 per unit of work) while nothing
// relays, then starts the desk and measures how fast the backlog reaches
// the receiver: the pipeline's capacity, apart from the writers'.
func benchDrain(b *testing.B, store helpdesk.Store) {
	desk := reliableDesk(b, store)
	admin := companyAdmin(b, desk)
	rcv := newArrivals(b)
	ep, err := desk.Webhooks.CreateEndpoint(b.Context(), admin, webhooks.EndpointInput{URL: rcv.srv.URL, Events: []string{"custom.*"}})
	require.NoError(b, err)
	rcv.secret = ep.Secret
	for n := 0; n < b.N; n += 100 {
		var evs []events.Event
		for i := n; i < min(n+100, b.N); i++ {
			ev, err := events.New("custom.bench", admin.CompanyID, "bench", fmt.Sprint(i%128), admin, time.Now(), map[string]int{"n": i})
			require.NoError(b, err)
			evs = append(evs, ev)
		}
		require.NoError(b, store.Directory().InTx(b.Context(), func(ctx context.Context, tx directory.Tx) error {
			return tx.AppendEvents(ctx, evs...)
		}))
	}
	b.ResetTimer()
	start := time.Now()
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	go func() { done <- desk.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Minute)
	for rcv.count() < b.N && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	require.Equal(b, b.N, rcv.count(), "every event arrives")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}

// arrivals is a receiver that notes when each event arrives.
type arrivals struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	at     map[string]time.Time
	bad    int
}

func newArrivals(tb testing.TB) *arrivals {
	a := &arrivals{at: map[string]time.Time{}}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		now := time.Now()
		ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		id := r.Header.Get("webhook-id")
		err := webhooks.Verify(a.secret, id, ts, body, r.Header.Get("webhook-signature"))
		a.mu.Lock()
		if err != nil {
			a.bad++
		} else if _, seen := a.at[id]; !seen {
			a.at[id] = now
		}
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(a.srv.Close)
	return a
}

func (a *arrivals) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.at)
}

// benchWriters is how many goroutines commit the events of benchOutbox:
// enough that the offered rate does not depend on the commit latency (at
// 8, a commit slower than 4 ms under load caps them below 2,000 a second).
const benchWriters = 32

// benchOutbox commits b.N events (one unit of work each, benchWriters
// writers, 128 aggregates; at rate per second when rate > 0) and waits for
// all of them to arrive.
func benchOutbox(b *testing.B, store helpdesk.Store, rate int) {
	desk := reliableDesk(b, store)
	admin := companyAdmin(b, desk)
	rcv := newArrivals(b)
	ep, err := desk.Webhooks.CreateEndpoint(b.Context(), admin, webhooks.EndpointInput{URL: rcv.srv.URL, Events: []string{"custom.*"}})
	require.NoError(b, err)
	rcv.secret = ep.Secret
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	go func() { done <- desk.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var (
		mu        sync.Mutex
		committed = make(map[string]time.Time, b.N)
		wg        sync.WaitGroup
		jobs      = make(chan int)
	)
	b.ResetTimer()
	start := time.Now()
	for range benchWriters {
		wg.Go(func() {
			for n := range jobs {
				ev, err := events.New("custom.bench", admin.CompanyID, "bench", fmt.Sprint(n%128), admin, time.Now(), map[string]int{"n": n})
				if err != nil {
					b.Error(err)
					return
				}
				if err := store.Directory().InTx(context.Background(), func(ctx context.Context, tx directory.Tx) error {
					return tx.AppendEvents(ctx, ev)
				}); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				committed[ev.ID] = time.Now()
				mu.Unlock()
			}
		})
	}
	for n := range b.N {
		// Event n is due at start + n/rate: a schedule, not a ticker, which
		// drops the ticks it cannot deliver in time (at 2,000/s a 500 µs
		// ticker offered about 1,740 events a second on a 2-core machine).
		if rate > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(n) * time.Second / time.Duration(rate))))
		}
		jobs <- n
	}
	close(jobs)
	wg.Wait()
	commitRate := float64(b.N) / time.Since(start).Seconds()
	deadline := time.Now().Add(5 * time.Minute)
	for rcv.count() < b.N && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	require.Equal(b, b.N, rcv.count(), "every event arrives")
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	require.Zero(b, rcv.bad)
	var last time.Time
	lat := make([]time.Duration, 0, b.N)
	for id, at := range rcv.at {
		if at.After(last) {
			last = at
		}
		lat = append(lat, at.Sub(committed[id]))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/last.Sub(start).Seconds(), "events/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(commitRate, "commits/s")
	b.ReportMetric(0, "ns/op")
}
