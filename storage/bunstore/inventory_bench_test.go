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

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
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

// The ListAssets data set. With BOLADAO_BENCH_BIG=1: 1,000,000 assets in
// 100 companies, 100,000 of them in the measured company; otherwise 20,000
// in 2 companies. Rows of the companies interleave in ID order.
type assetSeed struct {
	total, companies, main int
}

func (s assetSeed) String() string { return fmt.Sprintf("%d-%d-%d", s.total, s.companies, s.main) }

func assetSeedSize() assetSeed {
	if os.Getenv("BOLADAO_BENCH_BIG") == "1" {
		return assetSeed{total: 1_000_000, companies: 100, main: 100_000}
	}
	return assetSeed{total: 20_000, companies: 2, main: 10_000}
}

// seedVersion names the shape of the seeded rows; a reusable database
// seeded with another version (or size) is seeded again.
const seedVersion = "inventory-v1"

// The benchmark query: a status filter and a two-term text search that
// together keep 7.5% of a company's assets.
var benchFilter = inventory.AssetFilter{Status: inventory.StatusInUse, Search: "note dell"}

var benchFamilies = []struct{ name, category, manufacturer, model string }{
	{"Notebook Dell Latitude 5440", "Notebook", "Dell", "Latitude 5440"},
	{"Notebook Dell Vostro 3520", "Notebook", "Dell", "Vostro 3520"},
	{"Notebook Lenovo ThinkPad T14", "Notebook", "Lenovo", "ThinkPad T14 Gen 4"},
	{"Monitor LG UltraWide 34", "Monitor", "LG", "34WN80C-B"},
	{"Mouse Logitech M90", "Periférico", "Logitech", "M90"},
	{"Teclado Logitech K120", "Periférico", "Logitech", "K120"},
	{"Impressora HP LaserJet Pro", "Impressora", "HP", "M404dn"},
	{"Dock Station Dell WD19", "Periférico", "Dell", "WD19S"},
}

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

// benchAssetRow is an assets row for bulk seeding.
type benchAssetRow struct {
	bun.BaseModel      `bun:"table:assets"`
	ID                 int64     `bun:"id,pk,autoincrement"`
	CompanyID          int64     `bun:"company_id"`
	Serial             string    `bun:"serial"`
	ManufacturerSerial string    `bun:"manufacturer_serial"`
	Name               string    `bun:"name"`
	Category           string    `bun:"category"`
	Manufacturer       string    `bun:"manufacturer"`
	Model              string    `bun:"model"`
	Status             string    `bun:"status"`
	Location           string    `bun:"location"`
	Version            int64     `bun:"version"`
	CreatedAt          time.Time `bun:"created_at"`
	UpdatedAt          time.Time `bun:"updated_at"`
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
		mark = benchSeedRow{Name: seedVersion, Size: size.String(), MainCompany: int64(seedAssets(b, s, size))}
		_, err = s.DB().NewInsert().Model(&mark).On("CONFLICT (name) DO UPDATE").Set("size = EXCLUDED.size").
			Set("main_company = EXCLUDED.main_company").Exec(ctx)
		require.NoError(b, err)
		b.Logf("%s: seeded %d assets in %d companies in %s", backend, size.total, size.companies, time.Since(start).Round(time.Second))
	} else {
		b.Logf("%s: reusing the seeded data set (%s)", backend, size)
	}
	sd := seeded{s: s, main: tenant.CompanyID(mark.MainCompany)}
	seededStores.m[backend] = sd
	return sd
}

// seedAssets empties the inventory of s and inserts size.total assets with
// multi-row inserts of 1,000 rows in transactions of 50,000, then updates
// the planner statistics. It returns the measured company.
func seedAssets(b *testing.B, s *bunstore.Store, size assetSeed) tenant.CompanyID {
	b.Helper()
	ctx := context.Background()
	for _, table := range []string{"asset_history", "assets", "stock_items", "serial_sequences"} {
		_, err := s.DB().ExecContext(ctx, "DELETE FROM "+table)
		require.NoError(b, err)
	}
	companies := make([]tenant.CompanyID, size.companies)
	now := time.Now().UTC().Truncate(time.Microsecond)
	require.NoError(b, s.Directory().InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		for i := range companies {
			c := directory.Company{Name: fmt.Sprintf("Bench %03d", i), Timezone: "America/Sao_Paulo", Active: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertCompany(ctx, &c); err != nil {
				return err
			}
			companies[i] = c.ID
		}
		return nil
	}))
	main, others := companies[0], companies[1:]
	every := size.total / size.main // one row in every is the main company's
	seq := make(map[tenant.CompanyID]int, size.companies)
	locations := []string{"Sede", "Filial 1", "Filial 2", "Filial 3", "Depósito"}
	const batch, perTx = 1000, 50_000
	for start := 0; start < size.total; start += perTx {
		err := s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for from := start; from < min(start+perTx, size.total); from += batch {
				rows := make([]benchAssetRow, 0, batch)
				for i := from; i < min(from+batch, size.total); i++ {
					company := main
					if i%every != 0 {
						company = others[i%len(others)]
					}
					seq[company]++
					h := uint64(i+1) * 0x9E3779B97F4A7C15
					fam := benchFamilies[(h>>33)%uint64(len(benchFamilies))]
					status := inventory.StatusInStock // 60%
					switch r := (h >> 45) % 20; {
					case r == 19:
						status = inventory.StatusRetired // 5%
					case r == 18:
						status = inventory.StatusInRepair // 5%
					case r >= 12:
						status = inventory.StatusInUse // 30%
					}
					rows = append(rows, benchAssetRow{CompanyID: int64(company),
						Serial:             fmt.Sprintf("B%d-2026-%06d", company, seq[company]),
						ManufacturerSerial: fmt.Sprintf("SN%08X", i), Name: fam.name, Category: fam.category,
						Manufacturer: fam.manufacturer, Model: fam.model, Status: string(status),
						Location: locations[(h>>50)%uint64(len(locations))], Version: 1, CreatedAt: now, UpdatedAt: now})
				}
				if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		require.NoError(b, err)
	}
	if s.Dialect() == bunstore.Postgres {
		_, err := s.DB().ExecContext(ctx, "VACUUM ANALYZE assets")
		require.NoError(b, err)
	} else {
		_, err := s.DB().ExecContext(ctx, "ANALYZE")
		require.NoError(b, err)
	}
	return main
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
