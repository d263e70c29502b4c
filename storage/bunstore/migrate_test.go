package bunstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// openFunc opens a store of one backend for a test or a benchmark.
type openFunc func(tb testing.TB, opts ...bunstore.Option) *bunstore.Store

// openSQLiteWith opens a SQLite store in a temporary directory with opts.
func openSQLiteWith(tb testing.TB, opts ...bunstore.Option) *bunstore.Store {
	tb.Helper()
	s, err := bunstore.Open(tb.Context(), "sqlite:"+filepath.Join(tb.TempDir(), "boladao.db"), opts...)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, s.Close()) })
	return s
}

// openPostgresWith opens a PostgreSQL store with opts in a schema of its
// own, dropped at cleanup; it skips without BOLADAO_TEST_POSTGRES_DSN.
func openPostgresWith(tb testing.TB, opts ...bunstore.Option) *bunstore.Store {
	tb.Helper()
	dsn := postgresDSN(tb)
	schema := "t_" + randomHex(tb)
	s, err := bunstore.Open(tb.Context(), dsn, slices.Concat(opts, []bunstore.Option{bunstore.WithSchema(schema)})...)
	require.NoError(tb, err, "BOLADAO_TEST_POSTGRES_DSN is set but PostgreSQL is unreachable")
	tb.Cleanup(func() {
		_, err := s.DB().ExecContext(context.Background(), "DROP SCHEMA ? CASCADE", bun.Ident(schema))
		require.NoError(tb, err)
		require.NoError(tb, s.Close())
	})
	return s
}

// queryRows runs query on db and returns every row with its columns joined
// by " | " (NULL as "<null>"). It reads the whole result before returning,
// so it is safe on the single-connection SQLite writer.
func queryRows(tb testing.TB, db *bun.DB, query string, args ...any) []string {
	tb.Helper()
	rows, err := db.QueryContext(tb.Context(), query, args...)
	require.NoError(tb, err, query)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(tb, err)
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(tb, rows.Scan(ptrs...))
		fields := make([]string, len(vals))
		for i, v := range vals {
			fields[i] = "<null>"
			if v.Valid {
				fields[i] = v.String
			}
		}
		out = append(out, strings.Join(fields, " | "))
	}
	require.NoError(tb, rows.Err())
	return out
}

// sqliteSchemaDump lists every schema object except SQLite's internal ones.
func sqliteSchemaDump(tb testing.TB, s *bunstore.Store) []string {
	tb.Helper()
	return queryRows(tb, s.DB(), `SELECT type, name, tbl_name, sql FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
}

// postgresSchemaDump lists the columns, indexes and constraints of the
// store's schema, with the schema's name replaced by a placeholder so that
// two stores in different schemas compare equal.
func postgresSchemaDump(tb testing.TB, s *bunstore.Store) []string {
	tb.Helper()
	var schema string
	require.NoError(tb, s.DB().QueryRowContext(tb.Context(), "SELECT current_schema()").Scan(&schema))
	require.True(tb, strings.HasPrefix(schema, "t_"), "search_path should point at the test schema, got %q", schema)
	var out []string
	for _, q := range []string{
		`SELECT 'column', table_name, column_name, data_type, is_nullable, column_default, is_identity
		   FROM information_schema.columns WHERE table_schema = current_schema()
		  ORDER BY table_name, column_name`,
		`SELECT 'index', tablename, indexname, indexdef
		   FROM pg_indexes WHERE schemaname = current_schema()
		  ORDER BY tablename, indexname, indexdef`,
		`SELECT 'constraint', conrelid::regclass::text, conname, contype::text, pg_get_constraintdef(oid)
		   FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
		  ORDER BY 2, 3, 4, 5`,
	} {
		for _, row := range queryRows(tb, s.DB(), q) {
			out = append(out, strings.ReplaceAll(row, schema+".", "<schema>."))
		}
	}
	return out
}

// requireMigrated checks that MigrationStatus lists exactly the n embedded
// migrations and that the first applied of them are applied.
func requireMigrated(tb testing.TB, s *bunstore.Store, n, applied int) []bunstore.Migration {
	tb.Helper()
	st, err := s.MigrationStatus(tb.Context())
	require.NoError(tb, err)
	require.Len(tb, st, n)
	for i, m := range st {
		require.Equal(tb, i < applied, m.Applied, "migration %d (%s) applied", i+1, m.Name)
	}
	return st
}

func testMigrationsStepByStep(t *testing.T, open openFunc, dump func(testing.TB, *bunstore.Store) []string) {
	ctx := t.Context()

	a := open(t, bunstore.WithoutMigrations(), bunstore.WithMaxConns(2))
	n, err := a.EmbeddedMigrationCount()
	require.NoError(t, err)
	require.Positive(t, n, "no embedded migrations found")
	status := requireMigrated(t, a, n, 0)
	for i := 1; i <= n; i++ {
		applied, err := a.MigrateFirst(ctx, i)
		require.NoError(t, err, "applying migration %d of %d", i, n)
		require.Equal(t, []string{status[i-1].Name}, applied, "step %d applies exactly the next migration", i)
		requireMigrated(t, a, n, i)
	}

	b := open(t, bunstore.WithMaxConns(2))
	requireMigrated(t, b, n, n)

	dumpA, dumpB := dump(t, a), dump(t, b)
	require.NotEmpty(t, dumpB)
	require.True(t, slices.ContainsFunc(dumpB, func(r string) bool { return strings.Contains(r, "contacts") }),
		"the dump should list the contacts table: %v", dumpB)
	require.Equal(t, dumpB, dumpA, "migrating one step at a time must give the schema of a fresh migration")
}

func TestMigrationsStepByStepMatchFreshSQLite(t *testing.T) {
	t.Parallel()
	testMigrationsStepByStep(t, openSQLiteWith, sqliteSchemaDump)
}

func TestMigrationsStepByStepMatchFreshPostgres(t *testing.T) {
	t.Parallel()
	postgresDSN(t)
	testMigrationsStepByStep(t, openPostgresWith, postgresSchemaDump)
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		open openFunc
		dump func(testing.TB, *bunstore.Store) []string
	}{
		{"sqlite", openSQLiteWith, sqliteSchemaDump},
		{"postgres", openPostgresWith, postgresSchemaDump},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.open(t, bunstore.WithMaxConns(2))
			n, err := s.EmbeddedMigrationCount()
			require.NoError(t, err)
			before := tc.dump(t, s)
			for range 2 {
				applied, err := s.Migrate(t.Context())
				require.NoError(t, err)
				require.Empty(t, applied, "a current schema needs no migration")
			}
			requireMigrated(t, s, n, n)
			require.Equal(t, before, tc.dump(t, s))
		})
	}
}

func TestOpenRejectsBadURLs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url  string
		hint string // how the error tells the caller to fix it
	}{
		{"mysql://x", "use sqlite:PATH or postgres://"},
		{"", "use sqlite:PATH or postgres://"},
		{"postgres:x", "use sqlite:PATH or postgres://"},
		{"sqlite:", "sqlite needs a file path (sqlite:./data/boladao.db)"},
		{"sqlite://", "sqlite needs a file path (sqlite:./data/boladao.db)"},
		{"sqlite::memory:", "use storage/memory"},
		{"sqlite:file::memory:?cache=shared", "use storage/memory"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			t.Parallel()
			s, err := bunstore.Open(t.Context(), tc.url)
			if err == nil {
				_ = s.Close()
			}
			require.ErrorContains(t, err, tc.hint)
		})
	}
}

func TestSQLitePragmas(t *testing.T) {
	t.Parallel()
	s := openSQLiteWith(t)
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "2"}, // FULL
		{"busy_timeout", "5000"},
		{"cache_size", "-512"}, // the writer's, in KiB
	} {
		var got string
		require.NoError(t, s.DB().QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got))
		require.Equal(t, tc.want, got, "PRAGMA %s", tc.pragma)
	}
}

// insertCompany creates a company through a unit of work.
func insertCompany(tb testing.TB, s *bunstore.Store, name string) tenant.CompanyID {
	tb.Helper()
	now := time.Now().UTC()
	c := directory.Company{Name: name, Timezone: "America/Sao_Paulo", Active: true, CreatedAt: now, UpdatedAt: now}
	require.NoError(tb, s.Directory().InTx(tb.Context(), func(ctx context.Context, tx directory.Tx) error {
		return tx.InsertCompany(ctx, &c)
	}))
	return c.ID
}

func TestSQLiteConcurrentWritersNeverBusy(t *testing.T) {
	t.Parallel()
	const workers, perWorker = 8, 50
	s := openSQLiteWith(t)
	company := insertCompany(t, s, "Concorrente")

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				err := s.Directory().InTx(t.Context(), func(ctx context.Context, tx directory.Tx) error {
					now := time.Now().UTC()
					return tx.InsertContact(ctx, &directory.Contact{CompanyID: company, Name: fmt.Sprintf("W%d C%d", w, i),
						Email: fmt.Sprintf("w%d-c%d@example.com", w, i), Active: true, CreatedAt: now, UpdatedAt: now})
				})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	require.Empty(t, errs, "concurrent units of work must never fail with SQLITE_BUSY or anything else")

	var n int
	require.NoError(t, s.DB().QueryRowContext(t.Context(), "SELECT count(*) FROM contacts WHERE company_id = ?", int64(company)).Scan(&n))
	require.Equal(t, workers*perWorker, n)
}

// companyIndexViolations lists the SQLite indexes of tenant tables (tables
// with a company_id column) that do not lead with company_id.
func companyIndexViolations(tb testing.TB, db *bun.DB) []string {
	tb.Helper()
	// Tables outside the rule. None has a company_id column today; they are
	// listed so that the intent survives future migrations.
	skipTables := map[string]string{
		"companies":           "the tenant table itself: its id is the company id",
		"bun_migrations":      "bun's migration bookkeeping, no tenant data",
		"bun_migration_locks": "bun's migration lock, no tenant data",
	}
	// Unique indexes over globally unique columns, as table(columns).
	globalKeys := map[string]string{
		"users(email)":                   "users_email_key: logins are looked up by email before the company is known",
		"users(contact_id)":              "users_contact_id_key: a contact (a global ID) has at most one login",
		"outbox(id)":                     "outbox's UNIQUE (id): event IDs are global, receivers dedupe on them",
		"api_tokens(lookup_id)":          "a presented API token is found by its lookup ID before its company is known",
		"refresh_tokens(session_id)":     "sessions are revoked by ID; platform admins' sessions have no company",
		"refresh_tokens(user_id)":        "a user's other sessions are revoked by user ID; platform admins' sessions have no company",
		"idempotency_keys(expires_at)":   "the purge of expired keys runs across companies",
		"security_events(at)":            "the platform-wide security audit reads by time",
		"audit_changes(at)":              "the retention purge of the audit trail deletes old changes of every company",
		"tickets(next_sla_check_at)":     "the SLA worker finds the due checks of every company",
		"attachments(sha256)":            "attachments_sha256_idx: blobs are content-addressed and shared, so the garbage collector asks whether any company's row refers to one",
		"outbox(seq)":                    "outbox_pending_idx: the relay claims the pending events of every company in order",
		"outbox(delivered_at)":           "outbox_delivered_at_idx: pruning deletes old delivered events of every company",
		"webhook_deliveries(id)":         "webhook_deliveries_pending_idx: the dispatcher claims the pending deliveries of every company in order",
		"webhook_deliveries(updated_at)": "webhook_deliveries_done_idx: pruning finds old finished deliveries of every company",
		"webhook_deliveries(event_id,endpoint_id,company_id)": "webhook_deliveries_event_key: event IDs are global (receivers dedupe on them); " +
			"enqueueing finds an endpoint's event through this index alone, company_id included",
	}
	// An inbound WhatsApp notification names the business number, and the
	// subscription handshake the verify token, before the company is known.
	globalKeys["whatsapp_settings(phone_number_id)"] = "whatsapp_settings_phone_number_id_key"
	globalKeys["whatsapp_settings(verify_token_digest)"] = "whatsapp_settings_verify_token_digest_key"

	var violations []string
	for _, table := range queryRows(tb, db, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`) {
		if _, skip := skipTables[table]; skip {
			continue
		}
		if !slices.Contains(queryRows(tb, db, "SELECT name FROM pragma_table_info(?)", table), "company_id") {
			continue
		}
		for _, idx := range queryRows(tb, db, "SELECT name, origin FROM pragma_index_list(?) ORDER BY name", table) {
			name, origin, _ := strings.Cut(idx, " | ")
			if origin == "pk" {
				continue
			}
			cols := queryRows(tb, db, "SELECT name FROM pragma_index_info(?) ORDER BY seqno", name)
			sig := table + "(" + strings.Join(cols, ",") + ")"
			if _, global := globalKeys[sig]; global {
				continue
			}
			if len(cols) == 0 || cols[0] != "company_id" {
				violations = append(violations, name+" on "+sig)
			}
		}
	}
	return violations
}

func TestCompanyIDLeadsEveryIndex(t *testing.T) {
	t.Parallel()
	s := openSQLiteWith(t)
	require.Empty(t, companyIndexViolations(t, s.DB()),
		"DESIGN: company_id comes first in every index of a tenant table (or add a justified exception)")

	// The check itself catches an index that does not lead with company_id.
	bad := openSQLiteWith(t)
	_, err := bad.DB().ExecContext(t.Context(), "CREATE INDEX contacts_email_idx ON contacts (email, company_id)")
	require.NoError(t, err)
	require.Equal(t, []string{"contacts_email_idx on contacts(email,company_id)"}, companyIndexViolations(t, bad.DB()))
}
