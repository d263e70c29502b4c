package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/loginguard"
	"github.com/sistemaboladao/boladao/helpdesk/webui"
	"github.com/sistemaboladao/boladao/storage/bunstore"
)

// sqliteOps is the console's Operations over a real SQLite store, as
// boladao serve supplies them.
type sqliteOps struct {
	store *bunstore.Store
	dir   string
}

func (o sqliteOps) Ready(ctx context.Context) map[string]error {
	return map[string]error{"database": o.store.Ping(ctx)}
}

func (o sqliteOps) SchemaVersion(ctx context.Context) (string, error) {
	ms, err := o.store.MigrationStatus(ctx)
	last := ""
	for _, m := range ms {
		if m.Applied {
			last = m.Name
		}
	}
	return last, err
}

func (o sqliteOps) Backup(ctx context.Context) (webui.Backup, error) {
	b, err := o.store.Backup(ctx, o.dir)
	return webui.Backup{Path: b.Path, Bytes: b.Bytes, SHA256: b.SHA256, CreatedAt: b.CreatedAt}, err
}

func (o sqliteOps) Warnings() []string {
	return []string{"no allowed hosts configured: the server answers for any Host header; list the public host names"}
}

// TestBrowserOperations shows a platform admin the deployment, monitoring
// and security audit over a SQLite store, lifts an IP block (recorded in
// the audit) and backs up now; company admins get the 403 page and their
// forged posts change nothing.
func TestBrowserOperations(t *testing.T) {
	st, err := bunstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "boladao.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	guard, err := loginguard.New(loginguard.Config{BlockThreshold: 2})
	require.NoError(t, err)
	backups := t.TempDir()
	f := newFixture(t, fixtureOptions{store: st, cfg: webui.Config{LoginGuard: guard, Version: "v1.2.3",
		Operations: sqliteOps{store: st, dir: backups}}})
	guard.Strike("203.0.113.9", "failed login")
	guard.Strike("203.0.113.9", "failed login")
	blocked, _ := guard.Blocked("203.0.113.9")
	require.True(t, blocked)
	require.NoError(t, f.desk.Audit().RecordSecurityEvent(t.Context(), &audit.Event{At: f.desk.Now(), Kind: audit.IPBlocked, IP: "203.0.113.9", Detail: "too many failed logins"}))

	// A company admin may neither see nor act.
	cl := f.client(t)
	cl.signIn(f.admin)
	require.Equal(t, http.StatusForbidden, cl.get("/ops").StatusCode)
	require.Equal(t, http.StatusForbidden, cl.post("/ops/unblock", url.Values{"ip": {"203.0.113.9"}}).StatusCode)
	require.Equal(t, http.StatusForbidden, cl.post("/ops/backup", nil).StatusCode)
	blocked, _ = guard.Blocked("203.0.113.9")
	require.True(t, blocked, "the forged unblock changed nothing")
	matches, err := filepath.Glob(filepath.Join(backups, "*.db"))
	require.NoError(t, err)
	require.Empty(t, matches, "the forged backup wrote nothing")

	b := newBrowser(t)
	root := b.tab("root", f.srv.URL)
	root.signIn(f.root)
	root.visit("/ops", "ops")
	require.Contains(t, root.text("[data-testid=deployment]"), "v1.2.3")
	require.Contains(t, root.text("[data-testid=warnings]"), "no allowed hosts")
	require.Contains(t, root.text("[data-testid=health]"), "ok")
	require.Contains(t, root.text("main"), "ip_blocked")

	root.submit("[data-testid='blocked-203.0.113.9'] button")
	root.check("unblocked")
	require.NotEmpty(t, root.text("[data-testid=notice]"))
	require.False(t, root.exists("[data-testid='blocked-203.0.113.9']"))
	blocked, _ = guard.Blocked("203.0.113.9")
	require.False(t, blocked)
	require.Contains(t, root.text("main"), "ip_unblocked")

	root.submit("form[action$='/ops/backup'] button")
	root.check("backed-up")
	require.Contains(t, root.text("[data-testid=backup-done]"), backups)
	matches, err = filepath.Glob(filepath.Join(backups, "*.db"))
	require.NoError(t, err)
	require.Len(t, matches, 1)
	root.phone()
	root.visit("/ops", "ops-phone")

	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit("/ops", "ops-admin")
	require.Contains(t, admin.text("main"), "Não permitido")
	require.False(t, admin.exists("a[href='/ops']"), "the link is hidden")
}

// TestOperationsWithoutBackend serves the page without Operations: what
// the console knows by itself, and no backup.
func TestOperationsWithoutBackend(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	cl := f.client(t)
	cl.signIn(f.root)
	resp := cl.get("/ops")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	html := body(t, resp)
	require.Contains(t, html, "store")
	require.NotContains(t, html, `action="/ops/backup"`)
	require.Equal(t, http.StatusServiceUnavailable, cl.post("/ops/backup", nil).StatusCode)
}
