package bunstore

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/sqliteshim"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Backup formats, as BackupInfo.Format names them.
const (
	// FormatSQLite is a SQLite database file written by VACUUM INTO: a
	// consistent, compacted copy that SQLite opens as is.
	FormatSQLite = "sqlite"
	// FormatPostgresJSONL is the PostgreSQL logical export, version 1: a
	// gzip-compressed stream of JSON values, one per line:
	//
	//	{"format":"boladao-pg-jsonl-v1","created_at":"...","migrations":["20260701000001_directory",...],"tables":["companies",...]}
	//	{"table":"companies","row":{"id":1,"name":"Acme",...}}      one line per row, tables in "tables" order
	//	...
	//	{"end":true,"rows":{"companies":1,...}}                        row counts; its absence means a truncated file
	//
	// "tables" lists every table of the schema, parents before the tables
	// whose foreign keys point to them, so rows can be inserted in file
	// order. Rows are PostgreSQL's row_to_json: timestamps in ISO 8601 with
	// offset, bytea as "\\x..." hex, jsonb inline. "migrations" lists the
	// applied migrations: a backup restores only into a schema at exactly
	// that version.
	FormatPostgresJSONL = "boladao-pg-jsonl-v1"
)

// BackupInfo describes a backup file.
type BackupInfo struct {
	// Path is the backup file.
	Path string
	// Format is FormatSQLite or FormatPostgresJSONL.
	Format string
	// Bytes is the size of the file.
	Bytes int64
	// SHA256 is the hex digest of the file, also written next to it in
	// Path+".sha256" (sha256sum format), which restores verify.
	SHA256 string
	// CreatedAt is when the backup started, in UTC.
	CreatedAt time.Time
}

// Backup writes a backup of the database into dir (created when missing)
// under a timestamped name — boladao-20260701T120000.000Z.db on SQLite,
// .jsonl.gz on PostgreSQL — and its checksum next to it. See BackupFile.
func (s *Store) Backup(ctx context.Context, dir string) (BackupInfo, error) {
	ext := ".db"
	if s.dialect == Postgres {
		ext = ".jsonl.gz"
	}
	name := "boladao-" + time.Now().UTC().Format("20060102T150405.000Z") + ext
	return s.BackupFile(ctx, filepath.Join(dir, name))
}

// BackupFile writes a backup of the database to path, which must not exist,
// and its SHA-256 to path+".sha256". The file is written under a temporary
// name and renamed when complete, so path never holds a partial backup. It
// holds every row, password hashes and secrets included: it is created
// readable by its owner only.
//
// On SQLite the backup is a database file (VACUUM INTO, which reads one
// consistent snapshot while writers go on); restore it with RestoreSQLite.
// On PostgreSQL it is the logical export described at FormatPostgresJSONL,
// read in one REPEATABLE READ transaction; restore it with Restore.
func (s *Store) BackupFile(ctx context.Context, path string) (BackupInfo, error) {
	info := BackupInfo{Path: path, CreatedAt: time.Now().UTC()}
	if _, err := os.Lstat(path); err == nil {
		return info, fmt.Errorf("bunstore: backup: %s already exists: choose a new file name", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return info, fmt.Errorf("bunstore: backup: creating the backup directory: %w", err)
	}
	partial := path + ".partial"
	_ = os.Remove(partial)
	var err error
	switch s.dialect {
	case SQLite:
		info.Format = FormatSQLite
		err = s.backupSQLite(ctx, partial)
	default:
		info.Format = FormatPostgresJSONL
		err = s.backupPostgres(ctx, partial, info.CreatedAt)
	}
	if err != nil {
		_ = os.Remove(partial)
		return info, fmt.Errorf("bunstore: backup: %w", err)
	}
	sum, n, err := fileSHA256(partial)
	if err != nil {
		_ = os.Remove(partial)
		return info, fmt.Errorf("bunstore: backup: %w", err)
	}
	info.SHA256, info.Bytes = sum, n
	if err := os.Rename(partial, path); err != nil {
		_ = os.Remove(partial)
		return info, fmt.Errorf("bunstore: backup: %w", err)
	}
	line := sum + "  " + filepath.Base(path) + "\n"
	if err := os.WriteFile(path+".sha256", []byte(line), 0o600); err != nil {
		return info, fmt.Errorf("bunstore: backup: writing the checksum file: %w", err)
	}
	return info, nil
}

func (s *Store) backupSQLite(ctx context.Context, dest string) error {
	// VACUUM cannot run in a transaction: use a reader connection, which
	// sees one snapshot for the statement while the writer goes on.
	if _, err := s.read.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		return fmt.Errorf("VACUUM INTO %s: %w", dest, err)
	}
	return os.Chmod(dest, 0o600)
}

// pgHeader is the first line of a FormatPostgresJSONL file.
type pgHeader struct {
	Format     string    `json:"format"`
	CreatedAt  time.Time `json:"created_at"`
	Migrations []string  `json:"migrations"`
	Tables     []string  `json:"tables"`
}

// pgLine is any later line: a row or the trailer.
type pgLine struct {
	Table string          `json:"table,omitempty"`
	Row   json.RawMessage `json:"row,omitempty"`
	End   bool            `json:"end,omitempty"`
	Rows  map[string]int  `json:"rows,omitempty"`
}

func (s *Store) backupPostgres(ctx context.Context, dest string, at time.Time) (err error) {
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	buf := bufio.NewWriterSize(f, 256<<10)
	zw := gzip.NewWriter(buf)
	enc := json.NewEncoder(zw)

	ms, err := s.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	h := pgHeader{Format: FormatPostgresJSONL, CreatedAt: at, Migrations: []string{}}
	for _, m := range ms {
		if m.Applied {
			h.Migrations = append(h.Migrations, m.Name)
		}
	}
	counts := map[string]int{}
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	err = s.write.RunInTx(ctx, opts, func(ctx context.Context, tx bun.Tx) error {
		tables, err := pgTablesInFKOrder(ctx, tx)
		if err != nil {
			return err
		}
		h.Tables = tables
		if err := enc.Encode(h); err != nil {
			return err
		}
		for _, t := range tables {
			rows, err := tx.QueryContext(ctx, "SELECT row_to_json(t)::text FROM ? AS t", bun.Ident(t))
			if err != nil {
				return fmt.Errorf("reading table %s: %w", t, err)
			}
			n := 0
			for rows.Next() {
				var row string
				if err := rows.Scan(&row); err != nil {
					rows.Close()
					return fmt.Errorf("reading table %s: %w", t, err)
				}
				if err := enc.Encode(pgLine{Table: t, Row: json.RawMessage(row)}); err != nil {
					rows.Close()
					return err
				}
				n++
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("reading table %s: %w", t, err)
			}
			counts[t] = n
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := enc.Encode(pgLine{End: true, Rows: counts}); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := buf.Flush(); err != nil {
		return err
	}
	return f.Sync()
}

// pgTablesInFKOrder lists the tables of the current schema, each after the
// tables its foreign keys reference (alphabetical among equals).
func pgTablesInFKOrder(ctx context.Context, db bun.IDB) ([]string, error) {
	var tables []string
	if err := db.NewRaw(`SELECT table_name::text FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`).Scan(ctx, &tables); err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	var deps []struct {
		Child  string `bun:"child"`
		Parent string `bun:"parent"`
	}
	if err := db.NewRaw(`SELECT cl.relname::text AS child, pl.relname::text AS parent
		FROM pg_constraint c
		JOIN pg_class cl ON cl.oid = c.conrelid
		JOIN pg_class pl ON pl.oid = c.confrelid
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema()`).Scan(ctx, &deps); err != nil {
		return nil, fmt.Errorf("listing foreign keys: %w", err)
	}
	parents := map[string]map[string]bool{}
	for _, d := range deps {
		if d.Child == d.Parent {
			continue // a self-reference orders nothing between tables
		}
		if parents[d.Child] == nil {
			parents[d.Child] = map[string]bool{}
		}
		parents[d.Child][d.Parent] = true
	}
	var out []string
	done := map[string]bool{}
	for len(out) < len(tables) {
		progressed := false
		for _, t := range tables { // alphabetical: deterministic output
			if done[t] {
				continue
			}
			ready := true
			for p := range parents[t] {
				if !done[p] && slices.Contains(tables, p) {
					ready = false
					break
				}
			}
			if ready {
				done[t] = true
				out = append(out, t)
				progressed = true
			}
		}
		if !progressed {
			return nil, errors.New("listing tables: the foreign keys form a cycle; the logical backup cannot order them")
		}
	}
	return out, nil
}

// ErrBackupChecksum means a backup file does not match the SHA-256 written
// next to it: it was changed or damaged after the backup.
var ErrBackupChecksum = errors.New("bunstore: the backup does not match its .sha256 file: it is damaged or was modified")

// verifyChecksum checks file against file+".sha256" when that exists.
func verifyChecksum(file string) error {
	want, err := os.ReadFile(file + ".sha256")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bunstore: reading the checksum file: %w", err)
	}
	got, _, err := fileSHA256(file)
	if err != nil {
		return fmt.Errorf("bunstore: %w", err)
	}
	fields := strings.Fields(string(want))
	if len(fields) == 0 || !strings.EqualFold(fields[0], got) {
		return ErrBackupChecksum
	}
	return nil
}

// Restore loads a FormatPostgresJSONL backup into this PostgreSQL store,
// whose schema must be migrated to exactly the backup's migrations and hold
// no rows (open a fresh database or schema with Open, then Restore). Rows
// are inserted table by table in one transaction, in the file's foreign
// key order; identity sequences are then moved past the highest restored
// ID. A damaged file (checksum, gzip CRC, truncation, bad JSON) is refused
// and nothing is written.
//
// SQLite backups are database files: restore them with RestoreSQLite while
// no store has the database open.
func (s *Store) Restore(ctx context.Context, file string) error {
	if s.dialect != Postgres {
		return errors.New("bunstore: Restore loads PostgreSQL backups; for SQLite stop the server and use RestoreSQLite (boladao restore does)")
	}
	if err := verifyChecksum(file); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("bunstore: restore: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		return fmt.Errorf("bunstore: restore: %s is not a %s backup: %w", file, FormatPostgresJSONL, err)
	}
	dec := json.NewDecoder(zr)
	var h pgHeader
	if err := dec.Decode(&h); err != nil || h.Format != FormatPostgresJSONL {
		return fmt.Errorf("bunstore: restore: %s is not a %s backup (header %q)", file, FormatPostgresJSONL, h.Format)
	}
	ms, err := s.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	var applied []string
	for _, m := range ms {
		if m.Applied {
			applied = append(applied, m.Name)
		}
	}
	if !slices.Equal(applied, h.Migrations) {
		return fmt.Errorf("bunstore: restore: the backup is at schema %s but this database is at %s: restore into a database migrated by the same version of boladao",
			lastOr(h.Migrations, "none"), lastOr(applied, "none"))
	}
	return s.write.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		tables, err := pgTablesInFKOrder(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range h.Tables {
			if !slices.Contains(tables, t) {
				return fmt.Errorf("bunstore: restore: the backup has table %s, which this database lacks", t)
			}
			if skipOnRestore(t) {
				continue
			}
			var nonEmpty bool
			if err := tx.NewRaw("SELECT EXISTS (SELECT 1 FROM ?)", bun.Ident(t)).Scan(ctx, &nonEmpty); err != nil {
				return fmt.Errorf("bunstore: restore: %w", err)
			}
			if nonEmpty {
				return fmt.Errorf("bunstore: restore: table %s already has rows: restore only into a freshly migrated, empty database", t)
			}
		}
		counts := map[string]int{}
		var batch [][]byte
		batchTable := ""
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			arr := append([]byte{'['}, bytes.Join(batch, []byte{','})...)
			arr = append(arr, ']')
			cols, err := writableColumns(ctx, tx, batchTable)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO ? (?) SELECT ? FROM json_populate_recordset(NULL::?, ?::json)",
				bun.Ident(batchTable), cols, cols, bun.Ident(batchTable), string(arr)); err != nil {
				return fmt.Errorf("bunstore: restore: inserting into %s: %w", batchTable, err)
			}
			batch = batch[:0]
			return nil
		}
		size := 0
		for {
			var l pgLine
			if err := dec.Decode(&l); err != nil {
				if errors.Is(err, io.EOF) {
					return fmt.Errorf("bunstore: restore: %s is truncated: it ends before its trailer", file)
				}
				return fmt.Errorf("bunstore: restore: %s is damaged: %w", file, err)
			}
			if l.End {
				if err := flush(); err != nil {
					return err
				}
				for _, t := range h.Tables {
					if l.Rows[t] != counts[t] {
						return fmt.Errorf("bunstore: restore: %s is damaged: table %s has %d rows, the trailer says %d", file, t, counts[t], l.Rows[t])
					}
				}
				break
			}
			if !slices.Contains(h.Tables, l.Table) || len(l.Row) == 0 {
				return fmt.Errorf("bunstore: restore: %s is damaged: a row of unknown table %q", file, l.Table)
			}
			counts[l.Table]++
			if skipOnRestore(l.Table) {
				continue
			}
			if l.Table != batchTable || len(batch) >= 500 || size > 4<<20 {
				if err := flush(); err != nil {
					return err
				}
				batchTable, size = l.Table, 0
			}
			batch = append(batch, l.Row)
			size += len(l.Row)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil { // reaches the gzip CRC check
			return fmt.Errorf("bunstore: restore: %s is damaged: %w", file, err)
		}
		if err := resetIdentities(ctx, tx); err != nil {
			return err
		}
		return resetTicketNumbers(ctx, tx)
	})
}

// skipOnRestore names bun's bookkeeping tables: the target schema, migrated
// to the backup's version, already holds the same rows.
func skipOnRestore(table string) bool {
	return table == "bun_migrations" || table == "bun_migration_locks"
}

// writableColumns lists the columns of table that take values, leaving out
// generated ones (such as the search vector of assets), which PostgreSQL
// computes again.
func writableColumns(ctx context.Context, tx bun.Tx, table string) (bun.Safe, error) {
	var cols []string
	if err := tx.NewRaw(`SELECT column_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? AND is_generated = 'NEVER'
		ORDER BY ordinal_position`, table).Scan(ctx, &cols); err != nil {
		return "", fmt.Errorf("bunstore: restore: listing the columns of %s: %w", table, err)
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quoteIdent(c)
	}
	return bun.Safe(strings.Join(quoted, ", ")), nil
}

// resetIdentities moves every identity sequence of the schema past the
// highest value in its column.
func resetIdentities(ctx context.Context, tx bun.Tx) error {
	var cols []struct {
		Table  string `bun:"table_name"`
		Column string `bun:"column_name"`
	}
	if err := tx.NewRaw(`SELECT table_name::text, column_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`).Scan(ctx, &cols); err != nil {
		return fmt.Errorf("bunstore: restore: listing identity columns: %w", err)
	}
	for _, c := range cols {
		if _, err := tx.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT max(?) FROM ?), 0) + 1, false)",
			quoteIdent(c.Table), c.Column, bun.Ident(c.Column), bun.Ident(c.Table)); err != nil {
			return fmt.Errorf("bunstore: restore: resetting the sequence of %s.%s: %w", c.Table, c.Column, err)
		}
	}
	return nil
}

// resetTicketNumbers creates the ticket number sequence of every restored
// company (see ticketSequence) and moves it past the company's highest
// ticket number.
func resetTicketNumbers(ctx context.Context, tx bun.Tx) error {
	var last []struct {
		Company int64 `bun:"id"`
		Number  int64 `bun:"number"`
	}
	if err := tx.NewRaw(`SELECT id, COALESCE((SELECT max(number) FROM tickets WHERE company_id = companies.id), 0) AS number
		FROM companies ORDER BY id`).Scan(ctx, &last); err != nil {
		return fmt.Errorf("bunstore: restore: reading the last ticket numbers: %w", err)
	}
	for _, l := range last {
		seq := ticketSequence(tenant.CompanyID(l.Company))
		if _, err := tx.ExecContext(ctx, "CREATE SEQUENCE IF NOT EXISTS ?", bun.Ident(seq)); err != nil {
			return fmt.Errorf("bunstore: restore: creating %s: %w", seq, err)
		}
		// setval(s, n, false): the next nextval returns n.
		if _, err := tx.ExecContext(ctx, "SELECT setval(?, ?, false)", seq, l.Number+1); err != nil {
			return fmt.Errorf("bunstore: restore: moving %s: %w", seq, err)
		}
	}
	return nil
}

// quoteIdent quotes a table name for pg_get_serial_sequence, which parses
// its first argument as an identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func lastOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[len(s)-1]
}

// SQLitePath returns the database file named by a sqlite: URL, as Open
// reads it.
func SQLitePath(rawURL string) (string, error) { return sqlitePath(rawURL) }

// RestoreSQLite replaces the SQLite database file at path with snapshot (a
// FormatSQLite backup). No store may have path open: stop the server
// first. The snapshot is verified before anything changes — against its
// .sha256 file when present, then with PRAGMA integrity_check — and copied
// under a temporary name that replaces path atomically; the old database's
// -wal and -shm files are removed so they cannot be replayed over it.
func RestoreSQLite(path, snapshot string) error {
	if err := verifyChecksum(snapshot); err != nil {
		return err
	}
	if err := checkSQLiteSnapshot(snapshot); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("bunstore: restore: %w", err)
	}
	tmp := path + ".restoring"
	if err := copyFile(snapshot, tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("bunstore: restore: %w", err)
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			_ = os.Remove(tmp)
			return fmt.Errorf("bunstore: restore: removing the old %s file: %w", suffix, err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("bunstore: restore: %w", err)
	}
	return nil
}

// checkSQLiteSnapshot opens snapshot read-only and runs PRAGMA
// integrity_check; it also requires the migrations table, so that a
// foreign SQLite file is not restored by mistake.
func checkSQLiteSnapshot(snapshot string) error {
	if _, err := os.Stat(snapshot); err != nil {
		return fmt.Errorf("bunstore: restore: %w", err)
	}
	dsn := "file:" + (&url.URL{Path: snapshot}).EscapedPath() + "?mode=ro&_pragma=query_only(1)"
	db, err := sql.Open(sqliteshim.ShimName, dsn)
	if err != nil {
		return fmt.Errorf("bunstore: restore: opening the snapshot: %w", err)
	}
	defer db.Close()
	var result string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&result); err != nil {
		return fmt.Errorf("bunstore: restore: %s is not a usable SQLite database: %w", snapshot, err)
	}
	if result != "ok" {
		return fmt.Errorf("bunstore: restore: %s failed the integrity check: %s", snapshot, result)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'bun_migrations'").Scan(&n); err != nil || n == 0 {
		return fmt.Errorf("bunstore: restore: %s is a SQLite database but not a boladao one (no bun_migrations table)", snapshot)
	}
	return nil
}

func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return out.Sync()
}

// fileSHA256 returns the hex SHA-256 and the size of a file.
func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// PoolStats reports the statistics of the store's connection pools, by
// name: "write" and "read" on SQLite, "main" and "delivery" (the relay's
// and the webhook dispatcher's) on PostgreSQL.
func (s *Store) PoolStats() map[string]sql.DBStats {
	if s.read == s.write {
		return map[string]sql.DBStats{"main": s.write.Stats(), "delivery": s.delivery.Stats()}
	}
	return map[string]sql.DBStats{"write": s.write.Stats(), "read": s.read.Stats()}
}
