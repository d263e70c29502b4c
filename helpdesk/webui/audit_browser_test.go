package webui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// TestBrowserAuditLog changes a role and resets a password in the
// console, then finds both in the audit log with who and from where (the
// new password nowhere), filters it, and checks that an agent is refused
// and another company's admin sees none of it.
func TestBrowserAuditLog(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := t.Context()
	b := newBrowser(t)
	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit("/admin/users", "audit-users")
	agentRow := "[data-testid=user-" + itoa(int64(f.agent.User.ID)) + "]"
	admin.setValue("#role-"+itoa(int64(f.agent.User.ID)), "viewer")
	admin.submit(agentRow + " form[action$='/role'] button")
	admin.check("audit-role-changed")
	admin.submit(agentRow + " form[action$='/password'] button")
	admin.check("audit-password-reset")
	reset := admin.text("[data-testid=secret-value]")
	require.NotEmpty(t, reset)

	require.True(t, admin.exists("nav a[href$='/admin/audit']"), "the administration menu links the audit log")
	admin.visit("/admin/audit", "audit-log")
	main := admin.text("main")
	require.Contains(t, main, "Registro de alterações")
	require.Contains(t, main, "segredo não registrado", "the password change is shown as changed")
	require.Contains(t, main, "viewer")
	require.Contains(t, main, "usuário nº "+itoa(int64(f.admin.User.ID)), "who made the change")
	require.Contains(t, main, "127.0.0.1", "from where")
	require.NotContains(t, admin.text("body"), reset, "the new password is nowhere")

	admin.setValue("#entity_type", "api_token")
	admin.submit("form[action$='/admin/audit'] button[type=submit]")
	admin.check("audit-log-filtered")
	require.Contains(t, admin.text("main"), "Nenhuma alteração encontrada")
	require.Equal(t, "api_token", admin.value("#entity_type"), "the filter is kept")

	admin.visit("/admin/audit?entity_id="+strings.Repeat("9", 65), "audit-log-refused")
	require.NotEmpty(t, admin.text("#entity_id-error"))

	agent := b.tab("agent", f.srv.URL)
	agent.signIn(f.requester)
	agent.visit("/admin/audit", "audit-log-requester")
	require.Contains(t, agent.text("main"), "Não permitido")

	sys, err := tenant.System().InCompany(f.other.ID)
	require.NoError(t, err)
	ct, err := f.desk.Directory.CreateContact(ctx, sys, directory.ContactInput{Name: "Olga Outra", Email: "olga@other.test"})
	require.NoError(t, err)
	_, err = f.desk.Directory.CreateUser(ctx, sys, directory.UserInput{Email: "olga@other.test", Password: "password-olga-1",
		Role: tenant.RoleAdmin, ContactID: ct.ID})
	require.NoError(t, err)
	other := b.tab("other", f.srv.URL)
	other.signInAs("olga@other.test", "password-olga-1")
	other.visit("/admin/audit", "audit-log-other-company")
	seen := other.text("main")
	require.Contains(t, seen, "olga@other.test", "the company's own changes are shown")
	require.NotContains(t, seen, "usuário nº "+itoa(int64(f.admin.User.ID)), "another company's changes are not")
	require.NotContains(t, seen, "Usuário #"+itoa(int64(f.agent.User.ID)))
	require.NotContains(t, seen, "viewer")
}

// TestBrowserSecurityRuns shows a run of refused requests on the
// operations page as one row with its count.
func TestBrowserSecurityRuns(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for range 3 {
		e := audit.Event{At: time.Now().UTC(), Kind: audit.RateLimited, IP: "198.51.100.77", Detail: "API rate limit"}
		require.NoError(t, f.desk.Audit().RecordSecurityEvent(t.Context(), &e))
	}
	b := newBrowser(t)
	root := b.tab("root", f.srv.URL)
	root.signIn(f.root)
	root.visit("/ops", "ops-runs")
	require.Contains(t, root.text("[data-testid=run]"), "3 eventos")
}
