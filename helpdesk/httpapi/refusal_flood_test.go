package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// hammer sends n GET /auth/me with token from workers goroutines and
// counts the answers by status.
func hammer(ctx context.Context, client *http.Client, base, token string, n, workers int) (map[int]int64, error) {
	var (
		mu     sync.Mutex
		counts = map[int]int64{}
		next   atomic.Int64
		errs   = make(chan error, workers)
		wg     sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				req, err := http.NewRequestWithContext(ctx, "GET", base+"/auth/me", nil)
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body) // so the connection is reused
				_ = resp.Body.Close()
				mu.Lock()
				counts[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	return counts, <-errs
}

// TestRefusalFloodWritesRuns sends 10,000 requests that the per-principal
// limit refuses while the desk runs: nothing is written while they come
// (the interval outlasts the test, whatever the machine's speed), and Run
// writes them as one run when it stops, whose count is the refusals
// exactly.
func TestRefusalFloodWritesRuns(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b.open(t), httpapi.Config{APIRate: 0.001, APIBurst: 1},
				helpdesk.WithSecurityEventInterval(time.Hour))
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- e.desk.Run(ctx) }()
			_, users := e.company("Acme")

			const n = 10_000
			counts, err := hammer(t.Context(), e.srv.Client(), e.srv.URL, users[tenant.RoleAgent], n, 8)
			require.NoError(t, err)
			require.EqualValues(t, 1, counts[http.StatusOK], "the burst lets one request in")
			require.EqualValues(t, n-1, counts[http.StatusTooManyRequests])
			cancel()
			require.NoError(t, <-done)
			require.Zero(t, e.desk.Audit().(*audit.Aggregator).Pending(), "Run wrote what it held when it stopped")

			evs, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.RateLimited, Limit: 1000})
			require.NoError(t, err)
			require.Len(t, evs, 1, "a flood from one source is one row, not a row per request")
			require.EqualValues(t, n-1, occurrences(evs), "the runs count every refusal")
			for _, ev := range evs {
				require.Equal(t, "127.0.0.1", ev.IP)
				require.NotZero(t, ev.UserID)
				require.False(t, ev.Last().Before(ev.At))
			}
			counted, err := e.desk.Audit().CountSecurityEvents(t.Context(), time.Time{}, e.clock.Now().Add(time.Hour))
			require.NoError(t, err)
			require.Equal(t, n-1, counted[audit.RateLimited], "counts add up")

			// Login failures keep their rows: lockouts and the audit read them one by one.
			for range 3 {
				r := e.do("POST", "/auth/login", map[string]string{"email": "agent@acme.test", "password": "wrong-password"})
				require.Equal(t, http.StatusUnauthorized, r.Status)
			}
			failed, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.LoginFailed})
			require.NoError(t, err)
			require.Len(t, failed, 3)
		})
	}
}

// BenchmarkTicketsDuringRefusalFlood measures ticket creation over HTTP
// (8 workers, each its own requester, under a limit of 100 requests a
// second per principal that they stay below) alone, then while 4 more workers
// send floodRate requests a second that the per-principal limit refuses
// (429), in the same run: quiet/s, flood/s, their ratio (the goal is
// ≥ 0.8) and the refusals a second. "runs" writes the refusals as runs of
// security events (the default); "per-event" writes one row each (an
// interval of zero), as the API did before, for comparison.
//
//	go test ./helpdesk/httpapi -run '^$' -bench TicketsDuringRefusalFlood -benchtime 3000x
func BenchmarkTicketsDuringRefusalFlood(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) helpdesk.Store
	}{{"sqlite", func(b *testing.B) helpdesk.Store { return bunstoretest.SQLite(b) }}}
	if dsnSet() {
		stores = append(stores, struct {
			name string
			open func(b *testing.B) helpdesk.Store
		}{"postgres", func(b *testing.B) helpdesk.Store { return bunstoretest.Postgres(b) }})
	}
	for _, st := range stores {
		for _, mode := range []struct {
			name     string
			interval time.Duration
		}{{"runs", audit.DefaultAggregateInterval}, {"per-event", 0}} {
			b.Run(st.name+"/"+mode.name, func(b *testing.B) { benchFlood(b, st.open(b), mode.interval) })
		}
	}
}

// floodRate is the refused requests a second the benchmark's flood sends.
const floodRate = 1000

func benchFlood(b *testing.B, store helpdesk.Store, interval time.Duration) {
	desk, err := helpdesk.New(store, helpdesk.WithBcryptCost(bcrypt.MinCost), helpdesk.WithSecurityEventInterval(interval))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	go func() { _ = desk.Run(ctx) }()
	h, err := httpapi.New(desk, httpapi.Config{APIRate: 100, APIBurst: 100})
	if err != nil {
		b.Fatal(err)
	}
	srv := newBenchServer(b, h)
	const workers = 8
	tokens := benchRequesters(b, desk, workers+1)
	flooder := tokens[workers]
	// Spend the flooder's burst so that its requests are refused.
	if _, err := hammer(ctx, srv.Client(), srv.URL, flooder, 200, 4); err != nil {
		b.Fatal(err)
	}
	create := func(n int) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := range workers {
			wg.Go(func() {
				for i := next.Add(1); i <= int64(n); i = next.Add(1) {
					body := fmt.Sprintf(`{"title":"Impressora %d","description":"Não imprime","priority":"high"}`, i)
					req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/helpdesk/tickets", bytes.NewBufferString(body))
					req.Header.Set("Authorization", "Bearer "+tokens[w])
					req.Header.Set("Content-Type", "application/json")
					resp, err := srv.Client().Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						b.Errorf("ticket creation: status %d", resp.StatusCode)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	b.ResetTimer()
	quiet := create(b.N)
	floodCtx, stopFlood := context.WithCancel(ctx)
	var refused atomic.Int64
	var flooding sync.WaitGroup
	const floodWorkers = 4
	for range floodWorkers {
		flooding.Go(func() {
			tick := time.NewTicker(time.Second * floodWorkers / floodRate)
			defer tick.Stop()
			for {
				select {
				case <-floodCtx.Done():
					return
				case <-tick.C:
				}
				counts, _ := hammer(floodCtx, srv.Client(), srv.URL, flooder, 1, 1)
				refused.Add(counts[http.StatusTooManyRequests])
			}
		})
	}
	flood := create(b.N)
	stopFlood()
	flooding.Wait()
	b.StopTimer()
	quietRate := float64(b.N) / quiet.Seconds()
	floodRate := float64(b.N) / flood.Seconds()
	b.ReportMetric(quietRate, "quiet-tickets/s")
	b.ReportMetric(floodRate, "flood-tickets/s")
	b.ReportMetric(floodRate/quietRate, "ratio")
	b.ReportMetric(float64(refused.Load())/flood.Seconds(), "refused/s")
	b.ReportMetric(0, "ns/op")
}

func dsnSet() bool { return os.Getenv(bunstoretest.DSNVariable) != "" }

// newBenchServer serves h on loopback with a client that keeps enough
// connections for the benchmark's workers.
func newBenchServer(b *testing.B, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = 64
	return srv
}

// benchRequesters creates a company with n requesters and returns their
// access tokens.
func benchRequesters(b *testing.B, desk *helpdesk.Desk, n int) []string {
	ctx := b.Context()
	co, err := desk.Directory.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	admin, err := tenant.System().InCompany(co.ID)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]string, n)
	for i := range n {
		email := fmt.Sprintf("requester%d@bench.test", i)
		ct, err := desk.Directory.CreateContact(ctx, admin, directory.ContactInput{Name: email, Email: email})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := desk.Directory.CreateUser(ctx, admin, directory.UserInput{Email: email, Password: "password-bench",
			Role: tenant.RoleRequester, ContactID: ct.ID}); err != nil {
			b.Fatal(err)
		}
		tk, _, err := desk.Login(ctx, email, "password-bench")
		if err != nil {
			b.Fatal(err)
		}
		out[i] = tk.AccessToken
	}
	return out
}
