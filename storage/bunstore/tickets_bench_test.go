package bunstore_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// insertContact creates a contact of company through a unit of work.
func insertContact(tb testing.TB, s *bunstore.Store, company tenant.CompanyID, name string) tenant.ContactID {
	tb.Helper()
	now := time.Now().UTC()
	c := directory.Contact{CompanyID: company, Name: name, Active: true, CreatedAt: now, UpdatedAt: now}
	require.NoError(tb, s.Directory().InTx(tb.Context(), func(ctx context.Context, tx directory.Tx) error {
		return tx.InsertContact(ctx, &c)
	}))
	return c.ID
}

// benchWrite is one write a benchmark measures.
type benchWrite struct {
	name string
	fn   func(context.Context) error
}

// benchWrites measures each write sequentially and from parallel
// goroutines ("parallelN"), reporting its throughput.
func benchWrites(b *testing.B, parallel int, writes ...benchWrite) {
	for _, w := range writes {
		b.Run(w.name+"/sequential", func(b *testing.B) {
			ctx := b.Context()
			for b.Loop() {
				if err := w.fn(ctx); err != nil {
					b.Fatal(err)
				}
			}
			reportOpsPerSecond(b)
		})
		b.Run(fmt.Sprintf("%s/parallel%d", w.name, parallel), func(b *testing.B) {
			ctx := b.Context()
			b.SetParallelism(max(1, parallel/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := w.fn(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			reportOpsPerSecond(b)
		})
	}
}

// BenchmarkTicketCreate opens tickets through the service (company and
// requester checks, a gapless number from the company's counter, the
// ticket and its ticket.created event in one unit of work) against the raw
// baseline: a two-row transaction inserting a ticket and an outbox row.
// Every creation is in one company, so the service's creations serialise
// on the company's counter row.
func BenchmarkTicketCreate(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b, bunstore.WithMaxConns(8))
			company := insertCompany(b, s, "Bench")
			contact := insertContact(b, s, company, "Ana")
			svc, err := tickets.NewService(s.Tickets())
			require.NoError(b, err)
			actor := tenant.Actor{CompanyID: company, UserID: 1, Role: tenant.RoleAgent}
			in := tickets.CreateInput{Title: "Impressora não imprime", Description: "A impressora do financeiro parou",
				Priority: sla.PriorityHigh, Category: "Hardware", Tags: []string{"printer"}, RequesterContactID: contact}
			service := func(ctx context.Context) error {
				_, err := svc.Create(ctx, actor, in)
				return err
			}
			var number atomic.Int64
			number.Store(1_000_000_000) // far from the service's numbers
			raw := func(ctx context.Context) error {
				return s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					now := time.Now().UTC().Truncate(time.Microsecond)
					r := bunstoretest.TicketRow{CompanyID: int64(company), Number: number.Add(1), Title: in.Title, Description: in.Description,
						Priority: string(in.Priority), Category: in.Category, Channel: "web", Tags: `["printer"]`,
						RequesterContactID: int64(contact), Status: "new", Pauses: "[]", SLAState: "on_track",
						ResponseDueAt: now.Add(4 * time.Hour), ResolutionDueAt: now.Add(24 * time.Hour),
						NextSLACheckAt: now.Add(3 * time.Hour), Version: 1, CreatedAt: now, UpdatedAt: now}
					if _, err := tx.NewInsert().Model(&r).Returning("id").Exec(ctx); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, type, company_id, aggregate_type, aggregate_id, occurred_at, actor_user_id, data)
VALUES (?, 'ticket.created', ?, 'ticket', ?, ?, 1, ?)`, fmt.Sprintf("raw-%d", r.Number), int64(company), fmt.Sprint(r.ID), now,
						fmt.Sprintf(`{"id":%d,"number":%d,"title":%q}`, r.ID, r.Number, r.Title))
					return err
				})
			}
			benchWrites(b, 8, benchWrite{"service", service}, benchWrite{"raw", raw})
		})
	}
}

// ticketSeedSize is the scale data set. With BOLADAO_BENCH_BIG=1:
// 1,000,000 tickets in 100 companies, 10,000 of them in the measured
// company; otherwise 20,000 in 2 companies.
func ticketSeedSize() bunstoretest.TicketSeed {
	if os.Getenv("BOLADAO_BENCH_BIG") == "1" {
		return bunstoretest.TicketSeed{Companies: 100, PerCompany: 10_000}
	}
	return bunstoretest.TicketSeed{Companies: 2, PerCompany: 10_000}
}

// openTicketScale opens a throwaway store for the scale data set: SQLite in
// the benchmark's temporary directory, PostgreSQL in a schema of its own
// with a read timeout long enough for the bulk load. Both are deleted when
// the benchmark ends.
func openTicketScale(b *testing.B, backend string) *bunstore.Store {
	b.Helper()
	if backend == "sqlite" {
		return openSQLiteWith(b)
	}
	dsn := postgresDSN(b)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	schema := "bench_tickets_" + randomHex(b)
	s, err := bunstore.Open(context.Background(), dsn+sep+"read_timeout=600", bunstore.WithSchema(schema))
	require.NoError(b, err)
	b.Cleanup(func() {
		_, err := s.DB().ExecContext(context.Background(), "DROP SCHEMA ? CASCADE", bun.Ident(schema))
		require.NoError(b, err)
		require.NoError(b, s.Close())
	})
	return s
}

// queryCapture records the SQL a store runs while on.
type queryCapture struct {
	on      atomic.Bool
	mu      sync.Mutex
	queries []string
	took    []time.Duration
}

func (c *queryCapture) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if c.on.Load() {
		c.mu.Lock()
		c.queries = append(c.queries, e.Query)
		c.mu.Unlock()
	}
	return ctx
}

func (c *queryCapture) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if c.on.Load() {
		c.mu.Lock()
		c.took = append(c.took, time.Since(e.StartTime))
		c.mu.Unlock()
	}
}

// capture runs fn inside a unit of work (so that on SQLite it runs on the
// writer, which carries the hook) and returns the queries it ran, logging
// how long each took.
func (c *queryCapture) capture(b *testing.B, s *bunstore.Store, fn func(ctx context.Context, q tickets.Queries) error) []string {
	b.Helper()
	c.mu.Lock()
	c.queries, c.took = nil, nil
	c.mu.Unlock()
	c.on.Store(true)
	err := s.Tickets().InTx(context.Background(), func(ctx context.Context, tx tickets.Tx) error { return fn(ctx, tx) })
	c.on.Store(false)
	require.NoError(b, err)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, q := range c.queries {
		first, _, _ := strings.Cut(strings.TrimSpace(q), "\n")
		b.Logf("%8.3f ms  %.110s", float64(c.took[i].Microseconds())/1000, first)
	}
	return slices.Clone(c.queries)
}

// logPlans logs the plan of each query: EXPLAIN QUERY PLAN on SQLite,
// EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL.
func logPlans(b *testing.B, s *bunstore.Store, title string, queries []string) {
	b.Helper()
	explain := "EXPLAIN QUERY PLAN "
	if s.Dialect() == bunstore.Postgres {
		explain = "EXPLAIN (ANALYZE, BUFFERS) "
	}
	for _, q := range queries {
		if strings.HasPrefix(q, "SELECT") || strings.HasPrefix(q, "SELECT ") {
			plan := queryRows(b, s.DB(), explain+q)
			b.Logf("%s (%s):\n%s\n  %s", title, s.Dialect(), q, strings.Join(plan, "\n  "))
		}
	}
}

func reportLatencies(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}

// BenchmarkTicketsAtScale seeds the scale data set once per backend and
// measures, in the company of 10,000 tickets: page 1 and page 100 of a
// status filter (50 a page, 5,500 closed tickets), and its analytics over
// 90 days. It logs the query plans once, and deletes the data set at the
// end.
func BenchmarkTicketsAtScale(b *testing.B) {
	const limit = 50
	size := ticketSeedSize()
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s := openTicketScale(b, be.name)
			start := time.Now()
			seeded, err := bunstoretest.SeedTickets(b.Context(), s, size)
			require.NoError(b, err)
			main := seeded.Company
			b.Logf("%s: seeded %d companies of %d tickets in %s", be.name, size.Companies, size.PerCompany,
				time.Since(start).Round(time.Second))
			capture := &queryCapture{}
			s.SetQueryHook(capture)
			q := s.Tickets()
			ctx := context.Background()
			filter := tickets.Filter{Status: tickets.StatusClosed}

			cursors := []storage.Cursor{""}
			for len(cursors) < 100 {
				p, err := q.ListTickets(ctx, main, filter, storage.PageRequest{Limit: limit, Cursor: cursors[len(cursors)-1]})
				require.NoError(b, err)
				require.Len(b, p.Items, limit)
				cursors = append(cursors, p.NextCursor)
			}
			for _, n := range []int{1, 100} {
				cursor := cursors[n-1]
				b.Run(fmt.Sprintf("list/page%d", n), func(b *testing.B) {
					logPlans(b, s, fmt.Sprintf("list page %d", n), capture.capture(b, s, func(ctx context.Context, tq tickets.Queries) error {
						_, err := tq.ListTickets(ctx, main, filter, storage.PageRequest{Limit: limit, Cursor: cursor})
						return err
					}))
					var lat []time.Duration
					for b.Loop() {
						t0 := time.Now()
						p, err := q.ListTickets(ctx, main, filter, storage.PageRequest{Limit: limit, Cursor: cursor})
						lat = append(lat, time.Since(t0))
						if err != nil {
							b.Fatal(err)
						}
						if len(p.Items) != limit {
							b.Fatalf("page %d has %d tickets, want %d", n, len(p.Items), limit)
						}
					}
					reportLatencies(b, lat)
				})
			}

			loc, err := time.LoadLocation("America/Sao_Paulo")
			require.NoError(b, err)
			aq := tickets.AnalyticsQuery{From: bunstoretest.TicketSeedNow.Add(-90 * 24 * time.Hour), To: bunstoretest.TicketSeedNow, Now: bunstoretest.TicketSeedNow,
				Location: loc, StaleBefore: bunstoretest.TicketSeedNow.Add(-24 * time.Hour), AgentCapacity: 20}
			b.Run("analytics", func(b *testing.B) {
				logPlans(b, s, "analytics", capture.capture(b, s, func(ctx context.Context, tq tickets.Queries) error {
					_, err := tq.Analytics(ctx, main, aq)
					return err
				}))
				var lat []time.Duration
				for b.Loop() {
					t0 := time.Now()
					a, err := q.Analytics(ctx, main, aq)
					lat = append(lat, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					if len(a.ByStatusPriority) == 0 {
						b.Fatal("no tickets in the window")
					}
				}
				reportLatencies(b, lat)
			})
		})
	}
}
