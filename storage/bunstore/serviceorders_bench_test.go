package bunstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/tickets"
)

// benchOrderRow is a service_orders row for the raw baseline and bulk
// seeding.
type benchOrderRow struct {
	bun.BaseModel    `bun:"table:service_orders"`
	ID               int64     `bun:"id,pk,autoincrement"`
	CompanyID        int64     `bun:"company_id"`
	Year             int       `bun:"year"`
	Seq              int64     `bun:"seq"`
	Number           string    `bun:"number"`
	Type             string    `bun:"type"`
	Status           string    `bun:"status"`
	TechnicianUserID int64     `bun:"technician_user_id,nullzero"`
	ScheduledStart   time.Time `bun:"scheduled_start,nullzero"`
	ScheduledEnd     time.Time `bun:"scheduled_end,nullzero"`
	APRNumber        string    `bun:"apr_number"`
	Description      string    `bun:"description"`
	CompletedAt      time.Time `bun:"completed_at,nullzero"`
	Version          int64     `bun:"version"`
	CreatedAt        time.Time `bun:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at"`
}

type benchActivityRow struct {
	bun.BaseModel    `bun:"table:service_order_activities"`
	ID               int64     `bun:"id,pk,autoincrement"`
	CompanyID        int64     `bun:"company_id"`
	OrderID          int64     `bun:"order_id"`
	Kind             string    `bun:"kind"`
	TechnicianUserID int64     `bun:"technician_user_id"`
	Minutes          int       `bun:"minutes"`
	Billable         bool      `bun:"billable"`
	Month            string    `bun:"month"`
	Version          int64     `bun:"version"`
	CreatedAt        time.Time `bun:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at"`
}

// newOrderService assembles the service order service over s.
func newOrderService(b *testing.B, s *bunstore.Store) *serviceorders.Service {
	b.Helper()
	tk, err := tickets.NewService(s.Tickets())
	require.NoError(b, err)
	inv, err := inventory.NewService(s.Inventory())
	require.NoError(b, err)
	so, err := serviceorders.NewService(s.ServiceOrders(), tk, inv)
	require.NoError(b, err)
	return so
}

// BenchmarkServiceOrderCreate opens orders through the service (company
// check, a gapless number from the company's counter row of the year, the
// order and its service_order.created event in one unit of work) against
// the raw baseline: a two-row transaction inserting an order and an outbox
// row. Every creation is in one company, so the service's creations
// serialise on that counter row; parallel16 runs 16 goroutines.
func BenchmarkServiceOrderCreate(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b, bunstore.WithMaxConns(16))
			company := insertCompany(b, s, "Bench")
			svc := newOrderService(b, s)
			actor := tenant.Actor{CompanyID: company, UserID: 1, Role: tenant.RoleAgent}
			in := serviceorders.CreateInput{Type: serviceorders.TypeCorrective, Description: "Troca de disco do servidor",
				Address: "Av. Paulista, 1000"}
			service := func(ctx context.Context) error {
				_, err := svc.Create(ctx, actor, in)
				return err
			}
			var seq atomic.Int64
			seq.Store(1_000_000_000) // far from the service's numbers
			raw := func(ctx context.Context) error {
				return s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					now := time.Now().UTC().Truncate(time.Microsecond)
					n := seq.Add(1)
					r := benchOrderRow{CompanyID: int64(company), Year: 2026, Seq: n, Number: serviceorders.FormatNumber(company, 2026, n),
						Type: string(in.Type), Status: "draft", Description: in.Description, Version: 1, CreatedAt: now, UpdatedAt: now}
					if _, err := tx.NewInsert().Model(&r).Returning("id").Exec(ctx); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, type, company_id, aggregate_type, aggregate_id, occurred_at, actor_user_id, data)
VALUES (?, 'service_order.created', ?, 'service_order', ?, ?, 1, ?)`, fmt.Sprintf("raw-so-%d", n), int64(company), fmt.Sprint(r.ID), now,
						fmt.Sprintf(`{"id":%d,"number":%q}`, r.ID, r.Number))
					return err
				})
			}
			benchWrites(b, 16, benchWrite{"service", service}, benchWrite{"raw", raw})
		})
	}
}

// The scale data set: 200,000 orders of the measured company created over
// two years before orderBenchNow, 1,000 of a neighbour interleaved in ID
// order, their daily totals, and 20,000 time entries of the measured
// company (about 227,000 rows). It is cached by name (a SQLite file under
// the temporary directory, a PostgreSQL schema) and reused by later runs;
// change the name's version when the schema or the data set changes.
const (
	orderSeedMain       = 200_000
	orderSeedNeighbour  = 1_000
	orderSeedActivities = 20_000
	orderSeedName       = "boladao_bench_service_orders_v4_200k"
)

var orderBenchNow = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

// orderStatusOf spreads the statuses: invoiced 20 %, approved 10 %,
// completed 40 %, cancelled 10 %, in_progress 5 %, scheduled 10 %,
// draft 5 %.
func orderStatusOf(r uint64) serviceorders.Status {
	switch {
	case r < 4:
		return serviceorders.StatusInvoiced
	case r < 6:
		return serviceorders.StatusApproved
	case r < 14:
		return serviceorders.StatusCompleted
	case r < 16:
		return serviceorders.StatusCancelled
	case r < 17:
		return serviceorders.StatusInProgress
	case r < 19:
		return serviceorders.StatusScheduled
	}
	return serviceorders.StatusDraft
}

// openOrderScale opens the cached scale store, seeding it when it is not
// complete. It returns the store and the measured company.
func openOrderScale(b *testing.B, backend string) (*bunstore.Store, tenant.CompanyID) {
	b.Helper()
	ctx := context.Background()
	var (
		s   *bunstore.Store
		err error
	)
	if backend == "sqlite" {
		s, err = bunstore.Open(ctx, "sqlite:"+filepath.Join(os.TempDir(), orderSeedName+".db"))
	} else {
		dsn := postgresDSN(b)
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		s, err = bunstore.Open(ctx, dsn+sep+"read_timeout=600", bunstore.WithSchema(orderSeedName))
	}
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	var main int64
	var n int
	rows := queryRows(b, s.DB(), `SELECT company_id, count(*) FROM service_orders GROUP BY company_id ORDER BY count(*) DESC LIMIT 1`)
	if len(rows) == 1 {
		_, err := fmt.Sscanf(rows[0], "%d | %d", &main, &n)
		require.NoError(b, err)
	}
	if n == orderSeedMain {
		b.Logf("%s: reusing the cached data set (%d orders of company %d)", backend, n, main)
		return s, tenant.CompanyID(main)
	}
	require.Zero(b, n, "the cached %s data set is incomplete: delete it (file or schema %s) and run again", backend, orderSeedName)
	start := time.Now()
	company := seedOrders(b, s)
	b.Logf("%s: seeded %d orders (+%d of a neighbour) and %d time entries in %s", backend, orderSeedMain, orderSeedNeighbour,
		orderSeedActivities, time.Since(start).Round(time.Second))
	return s, company
}

// seedOrders inserts the scale data set with multi-row inserts of 1,000
// rows, then updates the planner statistics.
func seedOrders(b *testing.B, s *bunstore.Store) tenant.CompanyID {
	b.Helper()
	ctx := context.Background()
	now := orderBenchNow
	var main, neighbour tenant.CompanyID
	var techs []int64
	require.NoError(b, s.Directory().InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		for i, p := range []*tenant.CompanyID{&main, &neighbour} {
			c := directory.Company{Name: fmt.Sprintf("Bench %d", i), Timezone: "America/Sao_Paulo", Active: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertCompany(ctx, &c); err != nil {
				return err
			}
			*p = c.ID
		}
		for i := range 5 {
			u := directory.User{CompanyID: main, Email: fmt.Sprintf("tech%d@bench.example.com", i), PasswordHash: []byte("x"),
				Role: tenant.RoleAgent, Active: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertUser(ctx, &u); err != nil {
				return err
			}
			techs = append(techs, int64(u.ID))
		}
		return nil
	}))
	total := orderSeedMain + orderSeedNeighbour
	every := total / orderSeedNeighbour
	seq := map[[2]int64]int64{}
	const batch = 1000
	var mainIDs []int64
	type dayKey struct {
		company int64
		day     string
		status  string
	}
	type daySums struct{ orders, timed, onTime, ms int64 }
	days := map[dayKey]*daySums{}
	err := s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for from := 0; from < total; from += batch {
			rows := make([]benchOrderRow, 0, batch)
			for i := from; i < min(from+batch, total); i++ {
				company := main
				if i%every == every-1 {
					company = neighbour
				}
				h := uint64(i+1) * 0x9E3779B97F4A7C15
				created := now.Add(-time.Duration((h>>8)%(2*365*24*60)) * time.Minute)
				year := created.Year()
				k := [2]int64{int64(company), int64(year)}
				seq[k]++
				st := orderStatusOf((h >> 45) % 20)
				r := benchOrderRow{CompanyID: int64(company), Year: year, Seq: seq[k], Number: serviceorders.FormatNumber(company, year, seq[k]),
					Type: string(serviceorders.Types()[(h>>40)%5]), Status: string(st), Description: "Manutenção do equipamento",
					Version: 1, CreatedAt: created, UpdatedAt: created}
				if st != serviceorders.StatusDraft {
					r.ScheduledStart = created.Add(time.Duration((h>>20)%72) * time.Hour)
					r.ScheduledEnd = r.ScheduledStart.Add(4 * time.Hour)
					r.APRNumber = fmt.Sprintf("APR-%d", i)
					if company == main {
						r.TechnicianUserID = techs[(h>>30)%uint64(len(techs))]
					}
				}
				if st.Done() {
					r.CompletedAt = r.ScheduledStart.Add(time.Duration((h>>24)%360) * time.Minute)
				}
				o := serviceorders.Order{ScheduledStart: r.ScheduledStart, ScheduledEnd: r.ScheduledEnd, CompletedAt: r.CompletedAt}
				rows = append(rows, r)
				dk := dayKey{r.CompanyID, created.UTC().Format("2006-01-02"), r.Status}
				if days[dk] == nil {
					days[dk] = &daySums{}
				}
				days[dk].orders++
				if ms, byEnd, ok := serviceorders.Completion(o); ok {
					days[dk].timed++
					days[dk].ms += ms
					if byEnd {
						days[dk].onTime++
					}
				}
			}
			if _, err := tx.NewInsert().Model(&rows).Returning("id").Exec(ctx); err != nil {
				return err
			}
			for _, r := range rows {
				if r.CompanyID == int64(main) {
					mainIDs = append(mainIDs, r.ID)
				}
			}
		}
		for k, d := range days {
			if _, err := tx.ExecContext(ctx, `INSERT INTO service_order_daily_stats (company_id, day, status, orders, timed, on_time, completion_ms)
VALUES (?, ?, ?, ?, ?, ?, ?)`, k.company, k.day, k.status, d.orders, d.timed, d.onTime, d.ms); err != nil {
				return err
			}
		}
		loc, err := time.LoadLocation("America/Sao_Paulo")
		if err != nil {
			return err
		}
		for from := 0; from < orderSeedActivities; from += batch {
			rows := make([]benchActivityRow, 0, batch)
			for i := from; i < min(from+batch, orderSeedActivities); i++ {
				h := uint64(i+7) * 0x9E3779B97F4A7C15
				when := now.Add(-time.Duration((h>>8)%(2*365*24*60)) * time.Minute)
				rows = append(rows, benchActivityRow{CompanyID: int64(main), OrderID: mainIDs[(h>>20)%uint64(len(mainIDs))],
					Kind: "labour", TechnicianUserID: techs[(h>>30)%uint64(len(techs))], Minutes: int((h>>36)%240) + 1,
					Billable: (h>>44)%4 != 0, Month: when.In(loc).Format("2006-01"), Version: 1, CreatedAt: when, UpdatedAt: when})
			}
			if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(b, err)
	analyze := "ANALYZE"
	if s.Dialect() == bunstore.Postgres {
		analyze = "VACUUM ANALYZE"
	}
	_, err = s.DB().ExecContext(ctx, analyze)
	require.NoError(b, err)
	return main
}

// BenchmarkServiceOrdersAtScale measures, in the company of 200,000
// orders: the analytics over all of them (two years), the billable-hours
// export of a month, a text search, and page 1 and page 100 of a status
// filter. It logs the query plans once.
func BenchmarkServiceOrdersAtScale(b *testing.B) {
	const limit = 50
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s, main := openOrderScale(b, be.name)
			capture := &queryCapture{}
			s.SetQueryHook(capture)
			q := s.ServiceOrders()
			ctx := context.Background()
			measure := func(b *testing.B, title string, fn func(ctx context.Context, q serviceorders.Queries) error) {
				logPlans(b, s, title, capture.capture(b, s, func(ctx context.Context, tq tickets.Queries) error {
					return fn(ctx, tq.(serviceorders.Queries))
				}))
				var lat []time.Duration
				for b.Loop() {
					t0 := time.Now()
					err := fn(ctx, q)
					lat = append(lat, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
				}
				reportLatencies(b, lat)
			}

			aq := serviceorders.AnalyticsQuery{From: orderBenchNow.Add(-2*365*24*time.Hour - 24*time.Hour), To: orderBenchNow,
				FromMonth: "2024-06", ToMonth: "2026-07"}
			b.Run("analytics", func(b *testing.B) {
				measure(b, "analytics", func(ctx context.Context, q serviceorders.Queries) error {
					a, err := q.ServiceOrderAnalytics(ctx, main, aq)
					if err == nil && a.Total != orderSeedMain {
						return fmt.Errorf("analytics counted %d orders, want %d", a.Total, orderSeedMain)
					}
					return err
				})
			})
			b.Run("billable-hours", func(b *testing.B) {
				measure(b, "billable hours", func(ctx context.Context, q serviceorders.Queries) error {
					lines, err := q.BillableHours(ctx, main, "2026-03")
					if err == nil && len(lines) == 0 {
						return fmt.Errorf("no billable hours in 2026-03")
					}
					return err
				})
			})
			b.Run("list/search", func(b *testing.B) {
				search := serviceorders.Filter{Search: "apr-4242"}
				measure(b, "list search", func(ctx context.Context, q serviceorders.Queries) error {
					p, err := q.ListServiceOrders(ctx, main, search, storage.PageRequest{Limit: limit})
					if err == nil && len(p.Items) == 0 {
						return fmt.Errorf("no order matches %q", search.Search)
					}
					return err
				})
			})
			filter := serviceorders.Filter{Status: serviceorders.StatusCompleted}
			cursors := []storage.Cursor{""}
			for len(cursors) < 100 {
				p, err := q.ListServiceOrders(ctx, main, filter, storage.PageRequest{Limit: limit, Cursor: cursors[len(cursors)-1]})
				require.NoError(b, err)
				require.Len(b, p.Items, limit)
				cursors = append(cursors, p.NextCursor)
			}
			for _, n := range []int{1, 100} {
				b.Run(fmt.Sprintf("list/page%d", n), func(b *testing.B) {
					measure(b, fmt.Sprintf("list page %d", n), func(ctx context.Context, q serviceorders.Queries) error {
						p, err := q.ListServiceOrders(ctx, main, filter, storage.PageRequest{Limit: limit, Cursor: cursors[n-1]})
						if err == nil && len(p.Items) != limit {
							return fmt.Errorf("page %d has %d orders", n, len(p.Items))
						}
						return err
					})
				})
			}
		})
	}
}
