package bunstore_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// benchBackends are the backends every benchmark runs on; PostgreSQL skips
// without BOLADAO_TEST_POSTGRES_DSN. Its pool has 8 connections so that
// parallel8 is not throttled by the pool.
var benchBackends = []struct {
	name string
	open openFunc
}{
	{"sqlite", openSQLiteWith},
	{"postgres", openPostgresWith},
}

// forEachDialect runs fn in a parallel subtest per dialect, on a store of
// its own opened with opts.
func forEachDialect(t *testing.T, fn func(t *testing.T, s *bunstore.Store), opts ...bunstore.Option) {
	t.Helper()
	for _, be := range benchBackends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			fn(t, be.open(t, opts...))
		})
	}
}

// reportOpsPerSecond adds the throughput column to a benchmark's result.
func reportOpsPerSecond(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "ops/s")
	}
}

// unitOfWork inserts one contact and appends its event in one transaction,
// the shape of every domain write.
func unitOfWork(ctx context.Context, s *bunstore.Store, company tenant.CompanyID, seq int64) error {
	return s.Directory().InTx(ctx, func(ctx context.Context, tx directory.Tx) error {
		now := time.Now().UTC()
		c := directory.Contact{CompanyID: company, Name: fmt.Sprintf("Contato %d", seq),
			Email: fmt.Sprintf("contato%d@example.com", seq), Active: true, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertContact(ctx, &c); err != nil {
			return err
		}
		ev, err := events.New("contact.created", company, "contact", c.ID, tenant.Actor{CompanyID: company}, now,
			map[string]any{"name": c.Name, "email": c.Email})
		if err != nil {
			return err
		}
		return tx.AppendEvents(ctx, ev)
	})
}

func BenchmarkUnitOfWork(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			company := insertCompany(b, s, "Bench")
			var seq atomic.Int64 // unique emails across every run on this store

			b.Run("sequential", func(b *testing.B) {
				ctx := b.Context()
				for b.Loop() {
					if err := unitOfWork(ctx, s, company, seq.Add(1)); err != nil {
						b.Fatal(err)
					}
				}
				reportOpsPerSecond(b)
			})

			b.Run("parallel8", func(b *testing.B) {
				ctx := b.Context()
				// RunParallel starts parallelism × GOMAXPROCS goroutines.
				b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := unitOfWork(ctx, s, company, seq.Add(1)); err != nil {
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

// benchContactRow is a contacts row for bulk seeding.
type benchContactRow struct {
	bun.BaseModel `bun:"table:contacts"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	Name          string    `bun:"name"`
	Email         string    `bun:"email"`
	Phone         string    `bun:"phone"`
	WhatsAppOptIn bool      `bun:"whatsapp_opt_in"`
	Active        bool      `bun:"active"`
	Version       int64     `bun:"version"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// seedContacts inserts contacts from..to-1 of company with multi-row inserts
// of 1,000 rows, all in one transaction.
func seedContacts(tb testing.TB, s *bunstore.Store, company tenant.CompanyID, from, to int) {
	tb.Helper()
	const batch = 1000
	now := time.Now().UTC()
	err := s.DB().RunInTx(tb.Context(), nil, func(ctx context.Context, tx bun.Tx) error {
		for start := from; start < to; start += batch {
			rows := make([]benchContactRow, 0, min(batch, to-start))
			for i := start; i < start+cap(rows); i++ {
				rows = append(rows, benchContactRow{CompanyID: int64(company), Name: fmt.Sprintf("Contato %d", i),
					Email: fmt.Sprintf("c%d-%d@example.com", company, i), Phone: "+5511987654321",
					Active: true, Version: 1, CreatedAt: now, UpdatedAt: now})
			}
			if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(tb, err)
}

func BenchmarkListContactsPage(b *testing.B) {
	const contacts, limit = 10_000, 50
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			company := insertCompany(b, s, "Bench")
			// Another company's rows, interleaved in id order, so that the
			// company scope has something to skip.
			other := insertCompany(b, s, "Vizinha")
			for half := range 2 {
				seedContacts(b, s, company, half*contacts/2, (half+1)*contacts/2)
				seedContacts(b, s, other, half*contacts/10, (half+1)*contacts/10)
			}
			if be.name == "postgres" {
				_, err := s.DB().ExecContext(b.Context(), "ANALYZE contacts")
				require.NoError(b, err)
			}
			dir := s.Directory()
			ctx := b.Context()
			var (
				cursor storage.Cursor
				pages  int
			)
			for b.Loop() {
				p, err := dir.ListContacts(ctx, company, directory.ContactFilter{}, storage.PageRequest{Limit: limit, Cursor: cursor})
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Items) != limit {
					b.Fatalf("page %d has %d contacts, want %d", pages, len(p.Items), limit)
				}
				pages++
				cursor = p.NextCursor // wraps to the first page after the last
				if cursor == "" && pages%(contacts/limit) != 0 {
					b.Fatalf("the list ended after %d pages, want a multiple of %d", pages, contacts/limit)
				}
			}
			reportOpsPerSecond(b)
		})
	}
}
