package httpapi

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// Ops answers questions about the deployment that only the program that
// opened the database can: readiness, schema version, backups and
// configuration warnings. The reference server (cmd/boladao) implements it
// over its backend; embedders pass their own or none.
//
// With a nil Ops the API still serves every endpoint: /ready checks only
// that the store answers, the deployment status has no schema version, and
// the backup trigger answers 503.
//
// An Ops may also implement DBStatsReporter, OutboxReporter and
// CoverageReporter; the API type-asserts them once, in New.
type Ops interface {
	// Ready runs the readiness checks of the deployment and returns the
	// result of each by name ("database", "migrations"...), nil for a
	// check that passed. /ready answers 503 when any failed.
	Ready(ctx context.Context) map[string]error
	// SchemaVersion names the latest applied schema migration, "" when
	// the backend has no schema (in-memory).
	SchemaVersion(ctx context.Context) (string, error)
	// Backup writes a backup of the database where the deployment keeps
	// them and describes it. Backends that cannot be backed up return
	// ErrNotSupported.
	Backup(ctx context.Context) (BackupInfo, error)
	// Warnings lists the risky settings of the deployment found at
	// startup (generated JWT secret, in-memory database, no TLS...), in
	// words an operator can act on. Config.Warnings adds the API's own.
	Warnings() []string
}

// DBStatsReporter is implemented by an Ops that can report the statistics
// of its database connection pools, by pool name ("read", "write"). They
// are exported as go_sql_* metrics and shown by the performance endpoint.
type DBStatsReporter interface {
	DBStats() map[string]sql.DBStats
}

// OutboxLag describes the outbox events not yet delivered, and those that
// never will be.
type OutboxLag struct {
	// Pending counts the undelivered events.
	Pending int
	// OldestAge is the age of the oldest of them (0 when none).
	OldestAge time.Duration
	// DeadLetters counts the events in the dead-letter state: a subscriber
	// gave up on them (PendingEvents lists them).
	DeadLetters int
}

// OutboxReporter is implemented by an Ops that knows how far the outbox
// relay lags behind. It is read at every /metrics scrape and by the
// monitoring status.
type OutboxReporter interface {
	OutboxLag(ctx context.Context) (OutboxLag, error)
}

// CoverageReporter is implemented by an Ops that knows where a Go coverage
// profile (go test -coverprofile) of the running build lives; the
// /api/test/coverage endpoint summarises it. "" means none.
type CoverageReporter interface {
	CoverageProfile() string
}

// BackupInfo describes a backup file.
type BackupInfo struct {
	// Path is where the backup was written, on the server.
	Path string `json:"path"`
	// Bytes is the size of the file.
	Bytes int64 `json:"bytes"`
	// SHA256 is the hex digest of the file.
	SHA256 string `json:"sha256"`
	// CreatedAt is when the backup was taken, in UTC.
	CreatedAt time.Time `json:"created_at"`
}

// ErrNotSupported is returned by an Ops that cannot do what was asked on
// this deployment, such as backing up an in-memory database (404).
var ErrNotSupported = errors.New("not supported by this deployment")

// Warnings lists the settings of c that are risky in production, as the
// deployment status reports them; the reference server also logs them at
// startup.
func (c Config) Warnings() []string {
	var w []string
	if slices.Contains(c.CORSOrigins, "*") {
		w = append(w, `CORS allows any origin ("*"): list the exact origins of your front-ends instead`)
	}
	if len(c.AllowedHosts) == 0 {
		w = append(w, "no allowed hosts configured: the server answers for any Host header; list the public host names")
	}
	return w
}

// permPlatformOps names what only platform admins may do here (lift IP
// blocks, trigger backups). It is in no role's table: the check is
// IsPlatformAdmin, and the name only makes the 403 say what was missing.
const permPlatformOps tenant.Permission = "platform.operations"

// requirePlatformAdmin refuses every actor but a platform admin.
func requirePlatformAdmin(a tenant.Actor) error {
	if a.IsPlatformAdmin() {
		return nil
	}
	return &tenant.ForbiddenError{Role: a.Role, Permission: permPlatformOps}
}

// opsError is an operations problem that problemFor does not know: the
// opsAuthed wrapper writes it with its own status.
type opsError struct {
	status       int
	slug, detail string
}

func (e *opsError) Error() string { return e.detail }

var (
	errNoOps = &opsError{http.StatusServiceUnavailable, "unavailable",
		"this deployment has no operations backend (httpapi.Config.Ops is nil)"}
	errNoCoverage = &opsError{http.StatusNotFound, "not-found",
		"no coverage profile is configured: start the server with BOLADAO_COVERAGE_FILE pointing at a go test -coverprofile file"}
)

// opsAuthed is a.authed for the operations handlers: an *opsError becomes
// its own problem, ErrNotSupported a 404, anything else goes to problemFor.
func (a *api) opsAuthed(h authedHandler) http.HandlerFunc {
	return a.authed(func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		err := h(w, r, p)
		var oe *opsError
		switch {
		case errors.As(err, &oe):
			writeProblem(w, r, newProblem(oe.status, oe.slug, oe.detail))
			return nil
		case errors.Is(err, ErrNotSupported):
			writeProblem(w, r, newProblem(http.StatusNotFound, "not-found", err.Error()))
			return nil
		}
		return err
	})
}

// ops is the state of the operations endpoints.
type ops struct {
	ops      Ops // may be nil
	dbStats  DBStatsReporter
	outbox   OutboxReporter
	coverage CoverageReporter
	started  time.Time
}

func (a *api) opsRoutes() {
	o := &ops{ops: a.cfg.Ops, started: a.now().UTC()}
	if a.cfg.Ops != nil {
		o.dbStats, _ = a.cfg.Ops.(DBStatsReporter)
		o.outbox, _ = a.cfg.Ops.(OutboxReporter)
		o.coverage, _ = a.cfg.Ops.(CoverageReporter)
		a.metrics.watch(a.cfg.Ops)
	}
	a.mux.Handle("GET /metrics", a.metrics.handler())
	a.mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) { a.ready(w, r, o) })
	a.mux.HandleFunc("GET /api/performance/metrics", a.opsAuthed(func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		return a.performance(w, r, p, o)
	}))
	a.mux.HandleFunc("GET /api/security/audit", a.opsAuthed(a.securityAudit))
	a.mux.HandleFunc("DELETE /api/security/blocks/{ip}", a.opsAuthed(a.unblockIP))
	a.mux.HandleFunc("GET /api/deployment/status", a.opsAuthed(func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		return a.deploymentStatus(w, r, p, o)
	}))
	a.mux.HandleFunc("POST /api/deployment/trigger-backup", a.opsAuthed(func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		return a.triggerBackup(w, r, p, o)
	}))
	a.mux.HandleFunc("GET /api/monitoring/status", a.opsAuthed(func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		return a.monitoringStatus(w, r, p, o)
	}))
	a.mux.HandleFunc("GET /api/test/coverage", a.opsAuthed(func(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
		return a.coverage(w, r, p, o)
	}))
}

// checks runs the readiness checks: the Ops's, or without one a read of
// the outbox, which proves the store answers.
func (a *api) checks(ctx context.Context, o *ops) map[string]error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if o.ops != nil {
		return o.ops.Ready(ctx)
	}
	_, err := a.desk.Outbox(ctx, events.OutboxQuery{Limit: 1})
	return map[string]error{"store": err}
}

// ready is GET /ready, unauthenticated like /health: 200 when every check
// passes, else 503 naming the failed checks (their errors are logged, not
// sent: the endpoint is public).
func (a *api) ready(w http.ResponseWriter, r *http.Request, o *ops) {
	results := a.checks(r.Context(), o)
	checks := make(map[string]string, len(results))
	var failed []string
	for name, err := range results {
		checks[name] = "ok"
		if err != nil {
			checks[name] = "failed"
			failed = append(failed, name)
			a.log.WarnContext(r.Context(), "readiness check failed", "check", name, "error", err.Error())
		}
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		writeProblem(w, r, newProblem(http.StatusServiceUnavailable, "unavailable",
			"not ready: failed checks: "+strings.Join(failed, ", ")+"; the server log says why"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": checks})
}

// performance is GET /api/performance/metrics (tenant.PermAuditRead).
func (a *api) performance(w http.ResponseWriter, r *http.Request, p helpdesk.Principal, o *ops) error {
	if err := p.Actor.Require(tenant.PermAuditRead); err != nil {
		return err
	}
	routes, err := a.metrics.routeStats()
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out := map[string]any{
		"uptime_seconds": int64(a.now().Sub(o.started).Seconds()),
		"routes":         routes,
		"runtime": map[string]any{
			"goroutines":        runtime.NumGoroutine(),
			"heap_alloc_bytes":  ms.HeapAlloc,
			"heap_inuse_bytes":  ms.HeapInuse,
			"sys_bytes":         ms.Sys,
			"gc_cycles":         ms.NumGC,
			"gc_pause_total_ms": round2(float64(ms.PauseTotalNs) / 1e6),
			"go_version":        runtime.Version(),
		},
	}
	if o.dbStats != nil {
		pools := map[string]any{}
		for name, s := range o.dbStats.DBStats() {
			pools[name] = map[string]any{
				"max_open": s.MaxOpenConnections, "open": s.OpenConnections, "in_use": s.InUse, "idle": s.Idle,
				"wait_count": s.WaitCount, "wait_ms": s.WaitDuration.Milliseconds(),
			}
		}
		out["database_pools"] = pools
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// auditEvent is the JSON shape of a security event.
type auditEvent struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	IP        string    `json:"ip,omitempty"`
	Email     string    `json:"email,omitempty"`
	UserID    int64     `json:"user_id,omitempty"`
	CompanyID int64     `json:"company_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	// Count is how many events the row stands for, the first at At and
	// the last at LastAt (a run of bulk events, see audit.Aggregator).
	Count  int64     `json:"count"`
	LastAt time.Time `json:"last_at"`
}

// auditCountScan bounds the events read to count one company's events by
// kind (the audit store counts only across companies).
const auditCountScan = 50_000

// securityAudit is GET /api/security/audit (tenant.PermAuditRead). A
// company admin, and a platform admin acting in a company (X-Company-ID),
// see that company's events only; a platform admin without a company sees
// every event, including those of no company. The blocked addresses are
// platform-wide: listed to platform admins (with or without a company),
// never to company admins; blocked_ips_note says which applies.
func (a *api) securityAudit(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := p.Actor.Require(tenant.PermAuditRead); err != nil {
		return err
	}
	q := r.URL.Query()
	until := a.now().UTC()
	if v := q.Get("until"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fieldError("until", "must be an RFC 3339 time such as 2026-07-01T12:00:00Z")
		}
		until = t.UTC()
	}
	since := until.Add(-24 * time.Hour)
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fieldError("since", "must be an RFC 3339 time such as 2026-07-01T12:00:00Z")
		}
		since = t.UTC()
	}
	if !since.Before(until) {
		return fieldError("since", "must be before until")
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fieldError("limit", "must be an integer from 1 to 1000")
		}
		limit = n
	}
	kind := audit.Kind(q.Get("kind"))
	var b validation.Builder
	b.Filter("kind", string(kind))
	if err := b.Err(); err != nil {
		return err
	}
	scope := p.Actor.CompanyID // 0 only for a platform admin acting in no company

	store := a.desk.Audit()
	evs, err := store.SecurityEvents(r.Context(), audit.Query{Since: since, Until: until, Kind: kind, CompanyID: scope, Limit: limit})
	if err != nil {
		return err
	}
	counts, truncated, err := a.countAudit(r.Context(), scope, since, until)
	if err != nil {
		return err
	}
	if kind != "" {
		counts = map[audit.Kind]int{kind: counts[kind]}
	}
	out := struct {
		Window struct {
			Since time.Time `json:"since"`
			Until time.Time `json:"until"`
		} `json:"window"`
		Counts          map[audit.Kind]int `json:"counts"`
		CountsTruncated bool               `json:"counts_truncated,omitempty"`
		Events          []auditEvent       `json:"events"`
		BlockedIPs      []BlockedIP        `json:"blocked_ips"`
		BlockedIPsNote  string             `json:"blocked_ips_note"`
	}{Counts: counts, CountsTruncated: truncated, Events: make([]auditEvent, len(evs)), BlockedIPs: []BlockedIP{}}
	out.Window.Since, out.Window.Until = since, until
	for i, e := range evs {
		out.Events[i] = auditEvent{ID: e.ID, At: e.At.UTC(), Kind: string(e.Kind), IP: e.IP, Email: e.Email,
			UserID: int64(e.UserID), CompanyID: int64(e.CompanyID), Detail: e.Detail, Count: e.Occurrences(), LastAt: e.Last().UTC()}
	}
	// Blocked addresses belong to no company: a block stops an address for
	// every company. Platform admins see them all, whatever company they
	// act in; company admins see none, and the note says why.
	switch {
	case !p.Actor.IsPlatformAdmin():
		out.BlockedIPsNote = "blocked addresses are platform-wide and listed only to platform admins"
	case scope != 0:
		out.BlockedIPs = a.blocks.list()
		out.BlockedIPsNote = "blocked addresses are platform-wide: the list is not narrowed to the company in X-Company-ID"
	default:
		out.BlockedIPs = a.blocks.list()
		out.BlockedIPsNote = "blocked addresses are platform-wide"
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// countAudit counts the events of [since, until) by kind: across companies
// with the store's count when scope is 0, else by reading the company's
// events (newest first, in pages) and counting them, at most
// auditCountScan of them (truncated reports that the cap was hit).
func (a *api) countAudit(ctx context.Context, scope tenant.CompanyID, since, until time.Time) (map[audit.Kind]int, bool, error) {
	store := a.desk.Audit()
	if scope == 0 {
		counts, err := store.CountSecurityEvents(ctx, since, until)
		if counts == nil {
			counts = map[audit.Kind]int{}
		}
		return counts, false, err
	}
	const page = 1000
	counts := map[audit.Kind]int{}
	seen := map[int64]bool{} // IDs at the page boundary's instant, read twice
	scanned := 0
	for {
		evs, err := store.SecurityEvents(ctx, audit.Query{Since: since, Until: until, CompanyID: scope, Limit: page})
		if err != nil {
			return nil, false, err
		}
		fresh := 0
		for _, e := range evs {
			if !seen[e.ID] {
				seen[e.ID] = true
				counts[e.Kind] += int(e.Occurrences())
				fresh++
			}
		}
		scanned += fresh
		if len(evs) < page {
			return counts, false, nil
		}
		if fresh == 0 || scanned >= auditCountScan {
			return counts, true, nil
		}
		// Continue below the oldest event read, including its instant
		// (others may share it); the ones seen already are skipped.
		last := evs[len(evs)-1].At
		until = last.Add(time.Nanosecond)
		keep := map[int64]bool{}
		for _, e := range evs {
			if !e.At.Before(last) {
				keep[e.ID] = true
			}
		}
		seen = keep
	}
}

// unblockIP is DELETE /api/security/blocks/{ip} (platform admins): it
// lifts the block on an address and records audit.IPUnblocked; 404 when
// the address is not blocked.
func (a *api) unblockIP(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	if err := requirePlatformAdmin(p.Actor); err != nil {
		return err
	}
	addr, ok := parseIP(r.PathValue("ip"))
	if !ok {
		return storage.ErrNotFound
	}
	ip := addr.String()
	if blocked, _ := a.blocks.blocked(ip); !blocked {
		return storage.ErrNotFound
	}
	a.blocks.unblock(ip)
	a.record(r, audit.Event{Kind: audit.IPUnblocked, IP: ip, UserID: p.Actor.UserID,
		Detail: "block lifted by a platform admin from " + a.ip(r)})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deploymentStatus is GET /api/deployment/status (tenant.PermAuditRead).
func (a *api) deploymentStatus(w http.ResponseWriter, r *http.Request, p helpdesk.Principal, o *ops) error {
	if err := p.Actor.Require(tenant.PermAuditRead); err != nil {
		return err
	}
	warnings := a.cfg.Warnings()
	schema := ""
	if o.ops != nil {
		for _, w := range o.ops.Warnings() {
			if !slices.Contains(warnings, w) {
				warnings = append(warnings, w)
			}
		}
		v, err := o.ops.SchemaVersion(r.Context())
		if err != nil {
			return err
		}
		schema = v
	}
	if warnings == nil {
		warnings = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"version":        a.cfg.Version,
		"schema_version": schema,
		"go_version":     runtime.Version(),
		"started_at":     o.started,
		"warnings":       warnings,
	})
	return nil
}

// triggerBackup is POST /api/deployment/trigger-backup (platform admins):
// 201 with the BackupInfo of the new file; 503 without an Ops, 404 when
// the backend cannot be backed up (in-memory).
func (a *api) triggerBackup(w http.ResponseWriter, r *http.Request, p helpdesk.Principal, o *ops) error {
	if err := requirePlatformAdmin(p.Actor); err != nil {
		return err
	}
	if o.ops == nil {
		return errNoOps
	}
	info, err := o.ops.Backup(r.Context())
	if err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "backup written", "path", info.Path, "bytes", info.Bytes, "sha256", info.SHA256,
		"user_id", int64(p.Actor.UserID))
	writeJSON(w, http.StatusCreated, info)
	return nil
}

// monitoringStatus is GET /api/monitoring/status (tenant.PermAuditRead):
// "ok" or "degraded" with the readiness checks, the outbox lag when the Ops
// reports it, the blocked address count and the goroutine count.
func (a *api) monitoringStatus(w http.ResponseWriter, r *http.Request, p helpdesk.Principal, o *ops) error {
	if err := p.Actor.Require(tenant.PermAuditRead); err != nil {
		return err
	}
	status := "ok"
	checks := map[string]string{}
	for name, err := range a.checks(r.Context(), o) {
		checks[name] = "ok"
		if err != nil {
			checks[name] = err.Error()
			status = "degraded"
		}
	}
	out := map[string]any{
		"status":         status,
		"started_at":     o.started,
		"uptime_seconds": int64(a.now().Sub(o.started).Seconds()),
		"checks":         checks,
		"blocked_ips":    len(a.blocks.list()),
		"goroutines":     runtime.NumGoroutine(),
	}
	if o.outbox != nil {
		lag, err := o.outbox.OutboxLag(r.Context())
		if err != nil {
			return err
		}
		out["outbox"] = map[string]any{"pending": lag.Pending, "oldest_pending_seconds": int64(lag.OldestAge.Seconds()),
			"dead_letters": lag.DeadLetters}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// coverage is GET /api/test/coverage (tenant.PermAuditRead): a summary of
// the coverage profile the Ops names, 404 without one.
func (a *api) coverage(w http.ResponseWriter, r *http.Request, p helpdesk.Principal, o *ops) error {
	if err := p.Actor.Require(tenant.PermAuditRead); err != nil {
		return err
	}
	if o.coverage == nil || o.coverage.CoverageProfile() == "" {
		return errNoCoverage
	}
	sum, err := readCoverage(o.coverage.CoverageProfile())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}
