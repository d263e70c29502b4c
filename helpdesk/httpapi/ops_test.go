package httpapi_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/httpapi"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

// fakeOps is an httpapi.Ops with every optional capability.
type fakeOps struct {
	notReady  error
	backupErr error
	backups   atomic.Int32
	profile   string
}

func (f *fakeOps) Ready(context.Context) map[string]error {
	return map[string]error{"database": nil, "migrations": f.notReady}
}

func (f *fakeOps) SchemaVersion(context.Context) (string, error) {
	return "20260701000004_settings", nil
}

func (f *fakeOps) Backup(context.Context) (httpapi.BackupInfo, error) {
	if f.backupErr != nil {
		return httpapi.BackupInfo{}, f.backupErr
	}
	f.backups.Add(1)
	return httpapi.BackupInfo{Path: "/backups/b.db", Bytes: 42, SHA256: strings.Repeat("ab", 32),
		CreatedAt: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}, nil
}

func (f *fakeOps) Warnings() []string { return []string{"the JWT secret was generated"} }

func (f *fakeOps) DBStats() map[string]sql.DBStats {
	return map[string]sql.DBStats{"write": {MaxOpenConnections: 1, OpenConnections: 1, Idle: 1}}
}

func (f *fakeOps) OutboxLag(context.Context) (httpapi.OutboxLag, error) {
	return httpapi.OutboxLag{Pending: 3, OldestAge: 90 * time.Second, DeadLetters: 2}, nil
}

func (f *fakeOps) CoverageProfile() string { return f.profile }

// opsEnvs runs fn on every backend with cfg.
func opsEnvs(t *testing.T, cfg httpapi.Config, fn func(t *testing.T, e *env)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, b.open(t), cfg))
		})
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), httpapi.Config{Ops: &fakeOps{}})
	require.Equal(t, http.StatusOK, e.do("GET", "/health", nil).Status)
	require.Equal(t, http.StatusNotFound, e.do("GET", "/no/such/path", nil).Status)
	require.Equal(t, http.StatusMethodNotAllowed, e.do("FROB", "/health", nil).Status)

	r := e.do("GET", "/metrics", nil)
	require.Equal(t, http.StatusOK, r.Status, "metrics are public, like /health")
	require.Contains(t, r.Header.Get("Content-Type"), "text/plain")
	body := string(r.Body)
	for _, want := range []string{
		`http_requests_total{method="GET",route="GET /health",status="200"} 1`,
		`http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`http_requests_total{method="OTHER",route="unmatched",status="405"} 1`,
		`http_requests_total{method="POST",route="POST /auth/login",status="200"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="GET /health",le="+Inf"} 1`,
		`go_sql_max_open_connections{db_name="write"} 1`,
		`boladao_outbox_pending_events 3`,
		`boladao_outbox_oldest_pending_age_seconds 90`,
		`boladao_outbox_dead_letters 2`,
		`boladao_background_failures_total{loop="sla"} 0`,
		`boladao_background_failures_total{loop="webhooks"} 0`,
		`go_goroutines`,
	} {
		require.Contains(t, body, want)
	}

	// Each API has its own registry: a second one starts from zero.
	e2 := newEnv(t, memory.New(), httpapi.Config{})
	body2 := string(e2.do("GET", "/metrics", nil).Body)
	require.NotContains(t, body2, `route="GET /health"`)
	require.NotContains(t, body2, "go_sql_", "no pool metrics without an Ops that reports them")
}

func TestReady(t *testing.T) {
	t.Parallel()
	opsEnvs(t, httpapi.Config{}, func(t *testing.T, e *env) {
		r := e.do("GET", "/ready", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var body struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		r.JSON(t, &body)
		require.Equal(t, "ready", body.Status)
		require.Equal(t, map[string]string{"store": "ok"}, body.Checks)
	})

	ops := &fakeOps{}
	e := newEnv(t, memory.New(), httpapi.Config{Ops: ops})
	r := e.do("GET", "/ready", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.JSONEq(t, `{"status":"ready","checks":{"database":"ok","migrations":"ok"}}`, string(r.Body))

	ops.notReady = errors.New("2 migrations pending: run boladao migrate up")
	r = e.do("GET", "/ready", nil)
	require.Equal(t, http.StatusServiceUnavailable, r.Status)
	p := r.Problem(t)
	require.Contains(t, p.Detail, "migrations")
	require.NotContains(t, p.Detail, "boladao migrate up", "the public endpoint names the check, not its error")
}

func TestOpsPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), httpapi.Config{Ops: &fakeOps{}, LoginBurst: 100})
	co, tok := e.company("Perm Co")
	_ = co
	adminOnly := []string{"/api/performance/metrics", "/api/security/audit", "/api/deployment/status", "/api/monitoring/status"}
	for _, path := range adminOnly {
		require.Equal(t, http.StatusUnauthorized, e.do("GET", path, nil).Status, path)
		for _, role := range []tenant.Role{tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer} {
			r := e.do("GET", path, nil, "Authorization", tok[role])
			require.Equal(t, http.StatusForbidden, r.Status, "%s as %s", path, role)
			require.Contains(t, r.Problem(t).Detail, string(tenant.PermAuditRead))
		}
		require.Equal(t, http.StatusOK, e.do("GET", path, nil, "Authorization", tok[tenant.RoleAdmin]).Status, path)
		require.Equal(t, http.StatusOK, e.do("GET", path, nil, "Authorization", e.root).Status, path)
	}
	// Platform-admin-only operations refuse company admins.
	r := e.do("POST", "/api/deployment/trigger-backup", nil, "Authorization", tok[tenant.RoleAdmin])
	require.Equal(t, http.StatusForbidden, r.Status)
	require.True(t, strings.HasSuffix(r.Problem(t).Type, "/forbidden"))
	r = e.do("DELETE", "/api/security/blocks/203.0.113.9", nil, "Authorization", tok[tenant.RoleAdmin])
	require.Equal(t, http.StatusForbidden, r.Status)
}

func TestPerformanceMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), httpapi.Config{Ops: &fakeOps{}})
	for range 5 {
		e.do("GET", "/health", nil)
	}
	r := e.do("GET", "/api/performance/metrics", nil, "Authorization", e.root)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var body struct {
		Routes []httpapi.RouteStats `json:"routes"`
		Memory map[string]any       `json:"runtime"`
		Pools  map[string]struct {
			MaxOpen int `json:"max_open"`
		} `json:"database_pools"`
	}
	r.JSON(t, &body)
	require.NotEmpty(t, body.Routes)
	require.Equal(t, "GET /health", body.Routes[0].Route, "busiest route first")
	require.EqualValues(t, 5, body.Routes[0].Requests)
	require.Positive(t, body.Routes[0].P99MS)
	require.LessOrEqual(t, body.Routes[0].P50MS, body.Routes[0].P99MS)
	require.Positive(t, body.Memory["goroutines"])
	require.Positive(t, body.Memory["heap_alloc_bytes"])
	require.Equal(t, 1, body.Pools["write"].MaxOpen)
}

type auditBody struct {
	Window struct {
		Since time.Time `json:"since"`
		Until time.Time `json:"until"`
	} `json:"window"`
	Counts map[string]int `json:"counts"`
	Events []struct {
		ID        int64  `json:"id"`
		Kind      string `json:"kind"`
		IP        string `json:"ip"`
		CompanyID int64  `json:"company_id"`
	} `json:"events"`
	BlockedIPs []httpapi.BlockedIP `json:"blocked_ips"`
}

func TestSecurityAuditAndUnblock(t *testing.T) {
	t.Parallel()
	cfg := httpapi.Config{LoginBurst: 1000, BlockThreshold: 3, TrustedProxies: []string{"127.0.0.0/8", "::1/128"}}
	opsEnvs(t, cfg, func(t *testing.T, e *env) {
		acme, acmeTok := e.company("Acme")
		_, globexTok := e.company("Globex")
		bad := map[string]string{"email": "ghost@acme.test", "password": "wrong-password"}
		for range 3 {
			require.Equal(t, http.StatusUnauthorized, e.do("POST", "/auth/login", bad, "X-Forwarded-For", "203.0.113.7").Status)
		}
		require.Equal(t, http.StatusForbidden, e.do("GET", "/health", nil, "X-Forwarded-For", "203.0.113.7").Status)
		e.clock.Advance(time.Second)

		// The platform admin sees everything, with the blocked address.
		r := e.do("GET", "/api/security/audit", nil, "Authorization", e.root)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var all auditBody
		r.JSON(t, &all)
		require.Equal(t, 3, all.Counts["login_failed"])
		require.Equal(t, 1, all.Counts["ip_blocked"])
		require.Equal(t, 9, all.Counts["login_succeeded"], "root and four users of each company")
		require.Len(t, all.Events, 9+3+1)
		require.Equal(t, "ip_blocked", all.Events[0].Kind, "newest first")
		require.Len(t, all.BlockedIPs, 1)
		require.Equal(t, "203.0.113.7", all.BlockedIPs[0].IP)
		require.Equal(t, e.clock.Now().Add(-24*time.Hour).UTC(), all.Window.Since.UTC(), "the default window is the last 24 hours")

		// A company admin sees its company's events only.
		r = e.do("GET", "/api/security/audit", nil, "Authorization", acmeTok[tenant.RoleAdmin])
		require.Equal(t, http.StatusOK, r.Status)
		var own auditBody
		r.JSON(t, &own)
		require.Equal(t, map[string]int{"login_succeeded": 4}, own.Counts)
		require.Len(t, own.Events, 4)
		for _, ev := range own.Events {
			require.Equal(t, int64(acme.ID), ev.CompanyID)
		}
		require.Empty(t, own.BlockedIPs, "blocked addresses are platform data")

		// Filters and validation.
		r = e.do("GET", "/api/security/audit?kind=login_failed&limit=2", nil, "Authorization", e.root)
		var filtered auditBody
		r.JSON(t, &filtered)
		require.Len(t, filtered.Events, 2)
		require.Equal(t, map[string]int{"login_failed": 3}, filtered.Counts)
		since := e.clock.Now().Add(time.Hour).Format(time.RFC3339)
		r = e.do("GET", "/api/security/audit?since="+since, nil, "Authorization", e.root)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status)
		require.Equal(t, []string{"since"}, r.Problem(t).Fields())
		r = e.do("GET", "/api/security/audit?until=yesterday", nil, "Authorization", e.root)
		require.Equal(t, []string{"until"}, r.Problem(t).Fields())
		r = e.do("GET", "/api/security/audit?limit=0", nil, "Authorization", e.root)
		require.Equal(t, []string{"limit"}, r.Problem(t).Fields())
		old := e.clock.Now().Add(-48 * time.Hour).Format(time.RFC3339)
		r = e.do("GET", "/api/security/audit?until="+old, nil, "Authorization", e.root)
		var empty auditBody
		r.JSON(t, &empty)
		require.Empty(t, empty.Events)
		require.Empty(t, empty.Counts)

		// Lifting the block.
		r = e.do("DELETE", "/api/security/blocks/203.0.113.7", nil, "Authorization", globexTok[tenant.RoleAdmin])
		require.Equal(t, http.StatusForbidden, r.Status)
		r = e.do("DELETE", "/api/security/blocks/203.0.113.7", nil, "Authorization", e.root)
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		require.Equal(t, http.StatusOK, e.do("GET", "/health", nil, "X-Forwarded-For", "203.0.113.7").Status)
		r = e.do("DELETE", "/api/security/blocks/203.0.113.7", nil, "Authorization", e.root)
		require.Equal(t, http.StatusNotFound, r.Status, "not blocked any more")
		require.Equal(t, http.StatusNotFound, e.do("DELETE", "/api/security/blocks/not-an-ip", nil, "Authorization", e.root).Status)
		evs, err := e.desk.Audit().SecurityEvents(t.Context(), audit.Query{Kind: audit.IPUnblocked})
		require.NoError(t, err)
		require.Len(t, evs, 1)
		require.Equal(t, "203.0.113.7", evs[0].IP)
		require.NotZero(t, evs[0].UserID)
	})
}

func TestAuditCountsPageThroughACompany(t *testing.T) {
	t.Parallel()
	store := memory.New()
	e := newEnv(t, store, httpapi.Config{})
	co, tok := e.company("Busy")
	// 2,500 events of the company, many sharing an instant, spread over
	// the page boundaries of the counter.
	for i := range 2500 {
		at := e.clock.Now().Add(-time.Duration(i/7) * time.Second)
		require.NoError(t, store.RecordSecurityEvent(t.Context(), &audit.Event{At: at, Kind: audit.PermissionError, CompanyID: co.ID}))
	}
	e.clock.Advance(time.Second)
	r := e.do("GET", "/api/security/audit", nil, "Authorization", tok[tenant.RoleAdmin])
	require.Equal(t, http.StatusOK, r.Status)
	var body auditBody
	r.JSON(t, &body)
	require.Equal(t, 2500, body.Counts["permission_denied"])
	require.Equal(t, 4, body.Counts["login_succeeded"])
}

func TestDeploymentStatusAndBackup(t *testing.T) {
	t.Parallel()
	ops := &fakeOps{}
	e := newEnv(t, memory.New(), httpapi.Config{Version: "1.2.3", Ops: ops, CORSOrigins: []string{"*"}})
	r := e.do("GET", "/api/deployment/status", nil, "Authorization", e.root)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var st struct {
		Version       string   `json:"version"`
		SchemaVersion string   `json:"schema_version"`
		Warnings      []string `json:"warnings"`
	}
	r.JSON(t, &st)
	require.Equal(t, "1.2.3", st.Version)
	require.Equal(t, "20260701000004_settings", st.SchemaVersion)
	require.Contains(t, strings.Join(st.Warnings, "\n"), "CORS allows any origin")
	require.Contains(t, st.Warnings, "the JWT secret was generated")

	r = e.do("POST", "/api/deployment/trigger-backup", nil, "Authorization", e.root)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	require.JSONEq(t, `{"path":"/backups/b.db","bytes":42,"sha256":"`+strings.Repeat("ab", 32)+`","created_at":"2026-07-01T12:00:00Z"}`, string(r.Body))
	require.EqualValues(t, 1, ops.backups.Load())

	ops.backupErr = httpapi.ErrNotSupported
	r = e.do("POST", "/api/deployment/trigger-backup", nil, "Authorization", e.root)
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Contains(t, r.Problem(t).Detail, "not supported")

	// Without an Ops.
	bare := newEnv(t, memory.New(), httpapi.Config{})
	r = bare.do("POST", "/api/deployment/trigger-backup", nil, "Authorization", bare.root)
	require.Equal(t, http.StatusServiceUnavailable, r.Status)
	r = bare.do("GET", "/api/deployment/status", nil, "Authorization", bare.root)
	require.Equal(t, http.StatusOK, r.Status)
	r.JSON(t, &st)
	require.Equal(t, "dev", st.Version)
	require.Empty(t, st.SchemaVersion)
	require.Contains(t, strings.Join(st.Warnings, "\n"), "no allowed hosts")
}

func TestMonitoringStatus(t *testing.T) {
	t.Parallel()
	ops := &fakeOps{}
	e := newEnv(t, memory.New(), httpapi.Config{Ops: ops})
	e.clock.Advance(time.Minute)
	r := e.do("GET", "/api/monitoring/status", nil, "Authorization", e.root)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var st struct {
		Status     string            `json:"status"`
		Uptime     int64             `json:"uptime_seconds"`
		Checks     map[string]string `json:"checks"`
		BlockedIPs int               `json:"blocked_ips"`
		Goroutines int               `json:"goroutines"`
		Outbox     struct {
			Pending int   `json:"pending"`
			Oldest  int64 `json:"oldest_pending_seconds"`
			Dead    int   `json:"dead_letters"`
		} `json:"outbox"`
	}
	r.JSON(t, &st)
	require.Equal(t, "ok", st.Status)
	require.EqualValues(t, 60, st.Uptime)
	require.Equal(t, 3, st.Outbox.Pending)
	require.EqualValues(t, 90, st.Outbox.Oldest)
	require.Equal(t, 2, st.Outbox.Dead)
	require.Positive(t, st.Goroutines)

	ops.notReady = errors.New("1 migration pending")
	r = e.do("GET", "/api/monitoring/status", nil, "Authorization", e.root)
	r.JSON(t, &st)
	require.Equal(t, "degraded", st.Status)
	require.Equal(t, "1 migration pending", st.Checks["migrations"], "admins see why")
}

func TestCoverageEndpoint(t *testing.T) {
	t.Parallel()
	bare := newEnv(t, memory.New(), httpapi.Config{})
	r := bare.do("GET", "/api/test/coverage", nil, "Authorization", bare.root)
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Contains(t, r.Problem(t).Detail, "BOLADAO_COVERAGE_FILE")

	profile := filepath.Join(t.TempDir(), "cover.out")
	ops := &fakeOps{profile: profile}
	e := newEnv(t, memory.New(), httpapi.Config{Ops: ops})
	r = e.do("GET", "/api/test/coverage", nil, "Authorization", e.root)
	require.Equal(t, http.StatusNotFound, r.Status, "the profile does not exist yet")

	require.NoError(t, os.WriteFile(profile, []byte(`mode: set
example.com/m/a/a.go:3.10,5.2 2 1
example.com/m/a/a.go:7.10,9.2 3 0
example.com/m/b/b.go:3.10,5.2 5 0
example.com/m/b/b.go:3.10,5.2 5 1
`), 0o600))
	r = e.do("GET", "/api/test/coverage", nil, "Authorization", e.root)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.JSONEq(t, `{"mode":"set","statements":10,"covered":7,"percent":70,"packages":[
		{"package":"example.com/m/a","statements":5,"covered":2,"percent":40},
		{"package":"example.com/m/b","statements":5,"covered":5,"percent":100}]}`, string(r.Body))

	require.NoError(t, os.WriteFile(profile, []byte("mode: set\ngarbage\n"), 0o600))
	r = e.do("GET", "/api/test/coverage", nil, "Authorization", e.root)
	require.Equal(t, http.StatusInternalServerError, r.Status)
}
