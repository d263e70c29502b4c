package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// backupCmd writes a backup to out: into it, under a timestamped name,
// when out is an existing directory or ends with a path separator (the
// default is BOLADAO_BACKUP_DIR), else to the file out.
func backupCmd(ctx context.Context, cfg config, out string, stdout io.Writer) error {
	if isMemory(cfg.DatabaseURL) {
		return errors.New("backup: the in-memory database has nothing to back up")
	}
	if out == "" {
		out = cfg.BackupDir
	}
	b, err := openBackend(ctx, cfg.DatabaseURL, false)
	if err != nil {
		return err
	}
	defer b.Close()
	st := b.(*bunstore.Store)
	var info bunstore.BackupInfo
	if fi, statErr := os.Stat(out); (statErr == nil && fi.IsDir()) || strings.HasSuffix(out, string(os.PathSeparator)) || out == cfg.BackupDir {
		info, err = st.Backup(ctx, out)
	} else {
		info, err = st.BackupFile(ctx, out)
	}
	if err != nil {
		return err
	}
	if _, err = fmt.Fprintf(stdout, "backup written: %s\nformat: %s\nbytes: %d\nsha256: %s\n", info.Path, info.Format, info.Bytes, info.SHA256); err != nil {
		return err
	}
	// The files, after the database: every blob its rows refer to is in
	// the store (rows are only ever marked deleted).
	return backupFiles(ctx, cfg, info.Path, stdout)
}

// restoreCmd loads a backup into the configured database. SQLite: the
// database file is replaced by the snapshot (stop the server first).
// PostgreSQL: the database (or schema) must be empty; it is migrated, then
// filled.
func restoreCmd(ctx context.Context, cfg config, file string, stdout io.Writer) error {
	switch {
	case isMemory(cfg.DatabaseURL):
		return errors.New("restore: the in-memory database cannot be restored into: point BOLADAO_DATABASE_URL at the database to restore")
	case strings.HasPrefix(cfg.DatabaseURL, "sqlite:"):
		path, err := bunstore.SQLitePath(cfg.DatabaseURL)
		if err != nil {
			return err
		}
		if err := bunstore.RestoreSQLite(path, file); err != nil {
			return err
		}
		// Open once to bring the restored schema up to this version.
		b, err := openBackend(ctx, cfg.DatabaseURL, true)
		if err != nil {
			return err
		}
		if err := b.Close(); err != nil {
			return err
		}
	default:
		b, err := openBackend(ctx, cfg.DatabaseURL, true)
		if err != nil {
			return err
		}
		defer b.Close()
		if err := b.(*bunstore.Store).Restore(ctx, file); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintf(stdout, "restored %s into %s\n", file, redactURL(cfg.DatabaseURL)); err != nil {
		return err
	}
	return restoreFiles(ctx, cfg, file, stdout)
}
