package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/webui"
	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// deployment implements httpapi.Ops over the backend the server opened.
// sqlDeployment adds what only a SQL database has (pool statistics).
type deployment struct {
	store     *bunstore.Store // nil for the in-memory store
	outbox    events.RelayStore
	now       func() time.Time
	backupDir string
	warnings  []string
	coverage  string
}

type sqlDeployment struct{ *deployment }

var (
	_ httpapi.Ops              = (*deployment)(nil)
	_ httpapi.CoverageReporter = (*deployment)(nil)
	_ httpapi.OutboxReporter   = (*deployment)(nil)
	_ httpapi.DBStatsReporter  = sqlDeployment{}
)

// newOps returns the Ops of the backend b.
func newOps(b backend, cfg config, warnings []string) httpapi.Ops {
	d := &deployment{outbox: b, now: time.Now, backupDir: cfg.BackupDir, warnings: slices.Clone(warnings), coverage: cfg.CoverageFile}
	if st, ok := b.(*bunstore.Store); ok {
		d.store = st
		return sqlDeployment{d}
	}
	return d
}

// Ready checks that the database answers and that no migration is pending.
func (d *deployment) Ready(ctx context.Context) map[string]error {
	if d.store == nil {
		return map[string]error{"database": nil}
	}
	checks := map[string]error{"database": d.store.Ping(ctx)}
	if checks["database"] != nil {
		checks["migrations"] = fmt.Errorf("not checked: the database does not answer")
		return checks
	}
	ms, err := d.store.MigrationStatus(ctx)
	if err == nil {
		pending := 0
		for _, m := range ms {
			if !m.Applied {
				pending++
			}
		}
		if pending > 0 {
			err = fmt.Errorf("%d migration(s) pending: run boladao migrate up", pending)
		}
	}
	checks["migrations"] = err
	return checks
}

// SchemaVersion names the latest applied migration.
func (d *deployment) SchemaVersion(ctx context.Context) (string, error) {
	if d.store == nil {
		return "", nil
	}
	return schemaVersion(ctx, d.store)
}

// Backup writes a backup into the backup directory.
func (d *deployment) Backup(ctx context.Context) (httpapi.BackupInfo, error) {
	if d.store == nil {
		return httpapi.BackupInfo{}, fmt.Errorf("the in-memory database cannot be backed up: %w", httpapi.ErrNotSupported)
	}
	info, err := d.store.Backup(ctx, d.backupDir)
	if err != nil {
		return httpapi.BackupInfo{}, err
	}
	return httpapi.BackupInfo{Path: info.Path, Bytes: info.Bytes, SHA256: info.SHA256, CreatedAt: info.CreatedAt}, nil
}

// Warnings lists the risky settings found at startup.
func (d *deployment) Warnings() []string { return slices.Clone(d.warnings) }

// CoverageProfile is BOLADAO_COVERAGE_FILE.
func (d *deployment) CoverageProfile() string { return d.coverage }

// OutboxLag reports the outbox's pending events and dead letters, for
// /metrics and the monitoring status.
func (d *deployment) OutboxLag(ctx context.Context) (httpapi.OutboxLag, error) {
	st, err := d.outbox.OutboxStats(ctx)
	if err != nil {
		return httpapi.OutboxLag{}, err
	}
	lag := httpapi.OutboxLag{Pending: st.Pending, DeadLetters: st.DeadLetters}
	if !st.OldestPendingAt.IsZero() {
		lag.OldestAge = max(0, d.now().Sub(st.OldestPendingAt))
	}
	return lag, nil
}

// DBStats reports the connection pools.
func (d sqlDeployment) DBStats() map[string]sql.DBStats { return d.store.PoolStats() }

// consoleOps gives the console's operations page the API's Ops, with the
// API's own warnings added as /api/deployment/status reports them.
type consoleOps struct {
	httpapi.Ops
	apiWarnings []string
}

// Warnings lists the API's risky settings and the deployment's.
func (o consoleOps) Warnings() []string {
	w := slices.Clone(o.apiWarnings)
	for _, s := range o.Ops.Warnings() {
		if !slices.Contains(w, s) {
			w = append(w, s)
		}
	}
	return w
}

// Backup writes a backup; a backend that cannot be backed up reports
// webui.ErrNotSupported.
func (o consoleOps) Backup(ctx context.Context) (webui.Backup, error) {
	b, err := o.Ops.Backup(ctx)
	if errors.Is(err, httpapi.ErrNotSupported) {
		return webui.Backup{}, fmt.Errorf("%w: %w", webui.ErrNotSupported, err)
	}
	return webui.Backup{Path: b.Path, Bytes: b.Bytes, SHA256: b.SHA256, CreatedAt: b.CreatedAt}, err
}
