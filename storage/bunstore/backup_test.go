package bunstore_test

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// backupTables are compared row by row after a restore.
var backupTables = []string{"companies", "contacts", "users", "outbox", "settings", "security_events", "api_tokens"}

// fillForBackup writes a little of everything through the directory
// service: companies, contacts, users (with bcrypt hashes), an API token,
// their outbox events, a setting and a security event.
func fillForBackup(t *testing.T, s *bunstore.Store) {
	t.Helper()
	ctx := t.Context()
	svc, err := directory.NewService(s.Directory(), directory.WithBcryptCost(4))
	require.NoError(t, err)
	for _, name := range []string{"Acme", "Globex"} {
		co, err := svc.CreateCompany(ctx, tenant.System(), directory.CompanyInput{Name: name})
		require.NoError(t, err)
		admin, err := tenant.System().InCompany(co.ID)
		require.NoError(t, err)
		ct, err := svc.CreateContact(ctx, admin, directory.ContactInput{Name: "Ana " + name, Email: "ana@" + strings.ToLower(name) + ".test"})
		require.NoError(t, err)
		u, err := svc.CreateUser(ctx, admin, directory.UserInput{Email: ct.Email, Password: "password-123", Role: tenant.RoleAdmin, ContactID: ct.ID})
		require.NoError(t, err)
		admin.UserID = u.ID
		_, _, err = svc.CreateAPIToken(ctx, admin, directory.APITokenInput{Name: "ci", Permissions: []tenant.Permission{tenant.PermTicketsRead}})
		require.NoError(t, err)
	}
	_, err = s.Setting(ctx, "jwt_secret", func() (string, error) { return "s3cret", nil })
	require.NoError(t, err)
	require.NoError(t, s.RecordSecurityEvent(ctx, &audit.Event{At: mustNow(), Kind: audit.LoginFailed, Email: "x@y.test", Detail: "quote ' and ? and \\x00"}))
}

func dumpTables(t *testing.T, s *bunstore.Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range backupTables {
		order := "id"
		if table == "outbox" {
			order = "seq"
		} else if table == "settings" {
			order = "name"
		}
		out[table] = queryRows(t, s.DB(), "SELECT * FROM "+table+" ORDER BY "+order)
	}
	return out
}

func requireChecksum(t *testing.T, info bunstore.BackupInfo) {
	t.Helper()
	raw, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	sum := sha256.Sum256(raw)
	require.Equal(t, hex.EncodeToString(sum[:]), info.SHA256)
	require.EqualValues(t, len(raw), info.Bytes)
	side, err := os.ReadFile(info.Path + ".sha256")
	require.NoError(t, err)
	require.Equal(t, info.SHA256+"  "+filepath.Base(info.Path)+"\n", string(side), "sha256sum format")
	st, err := os.Stat(info.Path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "backups hold secrets")
}

func TestBackupRestoreSQLite(t *testing.T) {
	t.Parallel()
	src := bunstoretest.SQLite(t)
	fillForBackup(t, src)
	want := dumpTables(t, src)

	dir := filepath.Join(t.TempDir(), "backups")
	info, err := src.Backup(t.Context(), dir)
	require.NoError(t, err)
	require.Equal(t, bunstore.FormatSQLite, info.Format)
	require.Equal(t, dir, filepath.Dir(info.Path))
	require.True(t, strings.HasPrefix(filepath.Base(info.Path), "boladao-") && strings.HasSuffix(info.Path, ".db"), info.Path)
	requireChecksum(t, info)
	_, err = src.BackupFile(t.Context(), info.Path)
	require.ErrorContains(t, err, "already exists")

	// Restore over an existing database, WAL files included.
	target := filepath.Join(t.TempDir(), "restored.db")
	old, err := bunstore.Open(t.Context(), "sqlite:"+target)
	require.NoError(t, err)
	insertCompany(t, old, "Overwritten")
	require.NoError(t, old.Close())
	require.NoError(t, bunstore.RestoreSQLite(target, info.Path))
	restored, err := bunstore.Open(t.Context(), "sqlite:"+target)
	require.NoError(t, err)
	t.Cleanup(func() { _ = restored.Close() })
	require.Equal(t, want, dumpTables(t, restored))
	require.NotEmpty(t, want["users"])
	require.NotEmpty(t, want["outbox"])
	v, err := restored.Setting(t.Context(), "jwt_secret", func() (string, error) { return "other", nil })
	require.NoError(t, err)
	require.Equal(t, "s3cret", v, "settings survive a restore")

	// The restored database takes new writes after the restored IDs.
	id := insertCompany(t, restored, "After")
	require.EqualValues(t, 3, id)

	// Restore is refused on the open store: it is a file operation.
	require.ErrorContains(t, restored.Restore(t.Context(), info.Path), "RestoreSQLite")
}

func TestRestoreSQLiteRefusesCorruptSnapshots(t *testing.T) {
	t.Parallel()
	src := bunstoretest.SQLite(t)
	fillForBackup(t, src)
	info, err := src.Backup(t.Context(), t.TempDir())
	require.NoError(t, err)

	target := filepath.Join(t.TempDir(), "keep.db")
	keep, err := bunstore.Open(t.Context(), "sqlite:"+target)
	require.NoError(t, err)
	insertCompany(t, keep, "Precious")
	require.NoError(t, keep.Close())
	before, err := os.ReadFile(target)
	require.NoError(t, err)

	// A modified file no longer matches its checksum.
	raw, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	damaged := append([]byte(nil), raw...)
	damaged[len(damaged)/2] ^= 0xff
	require.NoError(t, os.WriteFile(info.Path, damaged, 0o600))
	require.ErrorIs(t, bunstore.RestoreSQLite(target, info.Path), bunstore.ErrBackupChecksum)

	// Without the checksum file, SQLite's own checks catch a damaged file.
	require.NoError(t, os.Remove(info.Path+".sha256"))
	header := append([]byte(nil), raw...)
	copy(header, "not a database!!")
	require.NoError(t, os.WriteFile(info.Path, header, 0o600))
	require.ErrorContains(t, bunstore.RestoreSQLite(target, info.Path), "not a usable SQLite database")

	// Pages overwritten with garbage fail PRAGMA integrity_check.
	pages := append([]byte(nil), raw...)
	for i := 4096 + 8; i < len(pages) && i < 3*4096; i++ {
		pages[i] = byte(i * 7)
	}
	require.NoError(t, os.WriteFile(info.Path, pages, 0o600))
	require.Error(t, bunstore.RestoreSQLite(target, info.Path))

	// A SQLite file that is not a boladao database.
	foreign := filepath.Join(t.TempDir(), "foreign.db")
	fs, err := bunstore.Open(t.Context(), "sqlite:"+foreign, bunstore.WithoutMigrations())
	require.NoError(t, err)
	_, err = fs.DB().Exec("CREATE TABLE x (a INTEGER)")
	require.NoError(t, err)
	require.NoError(t, fs.Close())
	require.ErrorContains(t, bunstore.RestoreSQLite(target, foreign), "not a boladao one")

	after, err := os.ReadFile(target)
	require.NoError(t, err)
	require.Equal(t, before, after, "a refused restore leaves the database alone")
}

func TestBackupRestorePostgres(t *testing.T) {
	t.Parallel()
	src := bunstoretest.Postgres(t)
	fillForBackup(t, src)
	acme := insertContact(t, src, 1, "Bia")
	newTicket := func(s *bunstore.Store, company tenant.CompanyID, contact tenant.ContactID) int64 {
		now := time.Now().UTC()
		tk := tickets.Ticket{CompanyID: company, Title: "x", Priority: sla.PriorityLow, Channel: tickets.ChannelWeb,
			RequesterContactID: contact, Status: tickets.StatusNew, SLAState: sla.StateOnTrack, CreatedAt: now, UpdatedAt: now}
		require.NoError(t, s.Tickets().InTx(t.Context(), func(ctx context.Context, tx tickets.Tx) error { return tx.InsertTicket(ctx, &tk) }))
		return tk.Number
	}
	require.EqualValues(t, 1, newTicket(src, 1, acme))
	require.EqualValues(t, 2, newTicket(src, 1, acme))
	want := dumpTables(t, src)

	info, err := src.Backup(t.Context(), t.TempDir())
	require.NoError(t, err)
	require.Equal(t, bunstore.FormatPostgresJSONL, info.Format)
	require.True(t, strings.HasSuffix(info.Path, ".jsonl.gz"))
	requireChecksum(t, info)

	// The file is the documented format: gzip, a header line first.
	f, err := os.Open(info.Path)
	require.NoError(t, err)
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	buf := make([]byte, 200)
	n, _ := zr.Read(buf)
	f.Close()
	require.Contains(t, string(buf[:n]), `{"format":"boladao-pg-jsonl-v1"`)

	dst := bunstoretest.Postgres(t)
	require.NoError(t, dst.Restore(t.Context(), info.Path))
	require.Equal(t, want, dumpTables(t, dst))

	// Identity sequences continue after the restored rows, and so do the
	// companies' ticket numbers.
	id := insertCompany(t, dst, "After")
	require.EqualValues(t, 3, id)
	require.EqualValues(t, 3, newTicket(dst, 1, acme))
	require.EqualValues(t, 1, newTicket(dst, 2, insertContact(t, dst, 2, "Caio")))
	require.EqualValues(t, 1, newTicket(dst, id, insertContact(t, dst, id, "Duda")))

	// A database with rows is refused, and so is a damaged file.
	require.ErrorContains(t, dst.Restore(t.Context(), info.Path), "already has rows")
	empty := bunstoretest.Postgres(t)
	raw, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(info.Path, raw[:len(raw)/2], 0o600))
	require.ErrorIs(t, empty.Restore(t.Context(), info.Path), bunstore.ErrBackupChecksum)
	require.NoError(t, os.Remove(info.Path+".sha256"))
	require.Error(t, empty.Restore(t.Context(), info.Path), "a truncated file is refused")
	var companies int
	require.NoError(t, empty.DB().QueryRowContext(t.Context(), "SELECT count(*) FROM companies").Scan(&companies))
	require.Zero(t, companies, "nothing of a refused restore is written")
}

func TestSetting(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(t *testing.T) *bunstore.Store{
		"sqlite":   func(t *testing.T) *bunstore.Store { return bunstoretest.SQLite(t) },
		"postgres": func(t *testing.T) *bunstore.Store { return bunstoretest.Postgres(t) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			calls := 0
			gen := func(v string) func() (string, error) {
				return func() (string, error) { calls++; return v, nil }
			}
			v, err := s.Setting(t.Context(), "jwt_secret", gen("first"))
			require.NoError(t, err)
			require.Equal(t, "first", v)
			v, err = s.Setting(t.Context(), "jwt_secret", gen("second"))
			require.NoError(t, err)
			require.Equal(t, "first", v, "an existing setting is kept")
			require.Equal(t, 1, calls, "generate runs only when the setting is missing")

			_, err = s.Setting(t.Context(), "boom", func() (string, error) { return "", context.Canceled })
			require.ErrorIs(t, err, context.Canceled)

			// Concurrent get-or-create agrees on one value.
			var wg sync.WaitGroup
			got := make([]string, 8)
			for i := range got {
				wg.Go(func() {
					v, err := s.Setting(t.Context(), "race", func() (string, error) { return randomHex(t), nil })
					if err == nil {
						got[i] = v
					}
				})
			}
			wg.Wait()
			for _, v := range got {
				require.Equal(t, got[0], v)
				require.NotEmpty(t, v)
			}
		})
	}
}

func mustNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
