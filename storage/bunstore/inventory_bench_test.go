package bunstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// BenchmarkIntake10 receives batches of 10 units through the inventory
// service: stock item, 10 assets with serials, history and 11 events in one
// unit of work.
func BenchmarkIntake10(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			company := insertCompany(b, s, "Bench")
			svc, err := inventory.NewService(s.Inventory())
			require.NoError(b, err)
			actor := tenant.Actor{CompanyID: company, UserID: 1, Role: tenant.RoleAdmin}
			in := inventory.IntakeInput{Name: "Notebook Dell Latitude 5440", Category: "Notebook", Manufacturer: "Dell",
				Model: "Latitude 5440", Quantity: 10, Location: "Sede", Supplier: "Dell Brasil", InvoiceNumber: "NF-1",
				UnitCostCents: 450_000, WarrantyMonths: 12}
			intake := func(ctx context.Context) error {
				_, _, err := svc.Intake(ctx, actor, in)
				return err
			}

			b.Run("sequential", func(b *testing.B) {
				ctx := b.Context()
				for b.Loop() {
					if err := intake(ctx); err != nil {
						b.Fatal(err)
					}
				}
				reportOpsPerSecond(b)
			})

			b.Run("parallel8", func(b *testing.B) {
				ctx := b.Context()
				b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := intake(ctx); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.StopTimer()
				reportOpsPerSecond(b)
			})
		})
	}
}

// assetSeedSize is the ListAssets data set. With BOLADAO_BENCH_BIG=1:
// 1,000,000 assets in 100 companies, 100,000 of them in the measured
// company; otherwise 20,000 in 2 companies.
func assetSeedSize() bunstoretest.AssetSeed {
	if os.Getenv("BOLADAO_BENCH_BIG") == "1" {
		return bunstoretest.AssetSeed{Total: 1_000_000, Companies: 100, Main: 100_000}
	}
	return bunstoretest.AssetSeed{Total: 20_000, Companies: 2, Main: 10_000}
}

// seedVersion names the shape of the seeded rows; a reusable database
// seeded with another version (or size) is seeded again.
const seedVersion = "inventory-v1"

// benchFilter is the benchmark query.
var benchFilter = bunstoretest.AssetSearch

// seededStores holds, per backend, the store seeded in this process: the
// data set is built once per backend per process (and reused across
// processes from its file or schema).
var seededStores = struct {
	sync.Mutex
	m map[string]seeded
}{m: map[string]seeded{}}

type seeded struct {
	s    *bunstore.Store
	main tenant.CompanyID
}

type benchSeedRow struct {
	bun.BaseModel `bun:"table:bench_seed"`
	Name          string `bun:"name,pk"`
	Size          string `bun:"size"`
	MainCompany   int64  `bun:"main_company"`
}

// seededAssets opens the reusable benchmark database of a backend, seeding
// it when it is missing or was seeded with another shape.
func seededAssets(b *testing.B, backend string) seeded {
	b.Helper()
	seededStores.Lock()
	defer seededStores.Unlock()
	if s, ok := seededStores.m[backend]; ok {
		return s
	}
	size := assetSeedSize()
	ctx := context.Background() // the store outlives this benchmark
	var (
		s   *bunstore.Store
		err error
	)
	switch backend {
	case "sqlite":
		dir := filepath.Join(os.TempDir(), "boladao-bench")
		require.NoError(b, os.MkdirAll(dir, 0o750))
		// The file name changes with the FTS5 schema (prefix indexes since
		// inventory2, the company column and detail=column since
		// inventory3), which a reused file would otherwise keep.
		s, err = bunstore.Open(ctx, "sqlite:"+filepath.Join(dir, "inventory3-"+size.String()+".db"))
	case "postgres":
		// The schema name changes with the indexes (search_vector INCLUDEd
		// since inventory2).
		s, err = bunstore.Open(ctx, postgresDSN(b), bunstore.WithSchema("bench_inventory2_"+strings.ReplaceAll(size.String(), "-", "_")))
	}
	require.NoError(b, err)
	_, err = s.DB().ExecContext(ctx, "CREATE TABLE IF NOT EXISTS bench_seed (name TEXT PRIMARY KEY, size TEXT NOT NULL, main_company BIGINT NOT NULL)")
	require.NoError(b, err)
	var mark benchSeedRow
	err = s.DB().NewSelect().Model(&mark).Where("name = ?", seedVersion).Scan(ctx)
	if err != nil || mark.Size != size.String() {
		start := time.Now()
		main, err := bunstoretest.SeedAssets(ctx, s, size)
		require.NoError(b, err)
		mark = benchSeedRow{Name: seedVersion, Size: size.String(), MainCompany: int64(main)}
		_, err = s.DB().NewInsert().Model(&mark).On("CONFLICT (name) DO UPDATE").Set("size = EXCLUDED.size").
			Set("main_company = EXCLUDED.main_company").Exec(ctx)
		require.NoError(b, err)
		b.Logf("%s: seeded %d assets in %d companies in %s", backend, size.Total, size.Companies, time.Since(start).Round(time.Second))
	} else {
		b.Logf("%s: reusing the seeded data set (%s)", backend, size)
	}
	sd := seeded{s: s, main: tenant.CompanyID(mark.MainCompany)}
	seededStores.m[backend] = sd
	return sd
}

// BenchmarkListAssets measures page 1 and page 100 (or the last full page
// of the small data set) of a status filter with a text search, 50 a page,
// reporting the median and 99th percentile latency. It logs the query plan
// once per backend.
func BenchmarkListAssets(b *testing.B) {
	const limit = 50
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			if be.name == "postgres" {
				postgresDSN(b)
			}
			sd := seededAssets(b, be.name)
			q := sd.s.Inventory()
			ctx := b.Context()
			// Walk to page 100 once, keeping the cursors.
			cursors := []storage.Cursor{""}
			for len(cursors) < 100 {
				p, err := q.ListAssets(ctx, sd.main, benchFilter, storage.PageRequest{Limit: limit, Cursor: cursors[len(cursors)-1]})
				require.NoError(b, err)
				if p.NextCursor == "" || len(p.Items) < limit {
					cursors = cursors[:len(cursors)-1] // the last page may be short: measure the one before
					break
				}
				cursors = append(cursors, p.NextCursor)
			}
			require.NotEmpty(b, cursors, "the benchmark query finds less than one page")
			pages := []int{1}
			if len(cursors) > 1 {
				pages = append(pages, len(cursors))
			}
			for _, n := range pages {
				cursor := cursors[n-1]
				b.Run(fmt.Sprintf("page%d", n), func(b *testing.B) {
					logPlan(b, sd, be.name, n, cursor)
					var lat []time.Duration
					for b.Loop() {
						start := time.Now()
						p, err := q.ListAssets(ctx, sd.main, benchFilter, storage.PageRequest{Limit: limit, Cursor: cursor})
						lat = append(lat, time.Since(start))
						if err != nil {
							b.Fatal(err)
						}
						if len(p.Items) != limit {
							b.Fatalf("page %d has %d assets, want %d", n, len(p.Items), limit)
						}
					}
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
				})
			}
		})
	}
}

// logPlan logs the plans of the benchmark query once per backend and page:
// EXPLAIN QUERY PLAN on SQLite; EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL,
// of the windowed first attempt and of the plain query it falls back to.
func logPlan(b *testing.B, sd seeded, backend string, page int, cursor storage.Cursor) {
	b.Helper()
	explain, windows := "EXPLAIN QUERY PLAN ", []int{0}
	if backend == "postgres" {
		explain, windows = "EXPLAIN (ANALYZE, BUFFERS) ", []int{bunstore.SearchWindow, 0}
	}
	for _, window := range windows {
		query, err := sd.s.ListAssetsSQL(sd.main, benchFilter, storage.PageRequest{Limit: 50, Cursor: cursor}, window)
		require.NoError(b, err)
		plan := queryRows(b, sd.s.DB(), explain+query)
		b.Logf("%s page %d (window %d):\n%s\n%s", backend, page, window, query, strings.Join(plan, "\n"))
	}
}
