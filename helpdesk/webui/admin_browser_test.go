package webui_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// signInAs signs in with an explicit password (an invited user's
// temporary one).
func (tb *tab) signInAs(email, pw string) {
	tb.t.Helper()
	tb.visit("/signin", "signin")
	tb.fill("#email", email)
	tb.fill("#password", pw)
	tb.submit("form[action$='/signin'] button[type=submit]")
	tb.check("signed-in")
}

// TestBrowserAdminUsers invites a user (a refusal first, keeping the
// values), signs in with the temporary password shown once, changes a
// role, resets a password and deactivates a user; an agent sees the list
// without any control.
func TestBrowserAdminUsers(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := t.Context()
	newcomer, err := f.desk.Directory.CreateContact(ctx, f.admin.actor(), directory.ContactInput{Name: "Nina Nova", Email: "nina@acme.test"})
	require.NoError(t, err)
	b := newBrowser(t)
	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit("/admin/users", "users")

	admin.fill("#email", "nina@acme.test")
	admin.setValue("#role", "viewer")
	admin.submit("form[action$='/admin/users'] button[type=submit]")
	admin.check("invite-refused")
	require.NotEmpty(t, admin.text("#contact_id-error"))
	require.Equal(t, "nina@acme.test", admin.value("#email"), "the entered values are kept")
	require.Equal(t, "viewer", admin.value("#role"))
	users, err := f.desk.Directory.ListUsers(ctx, f.admin.actor(), directory.UserFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, users.Items, 5, "nothing was written")

	admin.setValue("#contact", itoa(int64(newcomer.ID)))
	admin.submit("form[action$='/admin/users'] button[type=submit]")
	admin.check("invited")
	temp := admin.text("[data-testid=secret-value]")
	require.NotEmpty(t, temp)
	admin.visit("/admin/users", "users-after-invite")
	require.False(t, admin.exists("[data-testid=secret]"), "the password is shown once")

	nina := b.tab("nina", f.srv.URL)
	nina.signInAs("nina@acme.test", temp)
	require.Contains(t, nina.text(".who"), "nina@acme.test")

	agentRow := "[data-testid=user-" + itoa(int64(f.agent.User.ID)) + "]"
	admin.setValue("#role-"+itoa(int64(f.agent.User.ID)), "viewer")
	admin.submit(agentRow + " form[action$='/role'] button")
	admin.check("role-changed")
	require.NotEmpty(t, admin.text("[data-testid=notice]"))
	require.Contains(t, admin.text(agentRow), "leitor")

	admin.submit(agentRow + " form[action$='/password'] button")
	admin.check("password-reset")
	reset := admin.text("[data-testid=secret-value]")
	_, err = f.desk.Directory.Authenticate(ctx, f.agent.Email, reset)
	require.NoError(t, err, "the new password works")

	viewerRow := "[data-testid=user-" + itoa(int64(f.viewer.User.ID)) + "]"
	admin.submit(viewerRow + " form[action$='/active'] button")
	admin.check("deactivated")
	require.Contains(t, admin.text(viewerRow), "Inativo")
	_, err = f.desk.Directory.Authenticate(ctx, f.viewer.Email, password)
	require.Error(t, err)

	admin.phone()
	admin.visit("/admin/users", "users-phone")

	agent := b.tab("agent", f.srv.URL)
	agent.signInAs(f.agent.Email, reset)
	agent.visit("/admin/users", "users-as-viewer-role")
	require.False(t, agent.exists("form[action$='/role']"))
	require.False(t, agent.exists("#invite-h"))
	agent.visit("/admin/tokens", "tokens-refused")
	require.Contains(t, agent.text("main"), "Não permitido")
}

// TestBrowserAdminContacts creates a contact with WhatsApp opt-in (after
// a refused phone, kept in place) and edits it; a viewer reads the list
// without the form.
func TestBrowserAdminContacts(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := newBrowser(t)
	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit("/admin/contacts", "contacts")
	admin.fill("#name", "Carlos Cliente")
	admin.fill("#phone", "123")
	admin.click("input[name=whatsapp_opt_in]")
	admin.submit("form[method=post][action$='/admin/contacts'] button[type=submit]")
	admin.check("contact-refused")
	require.NotEmpty(t, admin.text("#phone-error"))
	require.Equal(t, "Carlos Cliente", admin.value("#name"))
	require.True(t, get(admin, chromedp.Evaluate[bool](`document.querySelector("input[name=whatsapp_opt_in]").checked`)))
	admin.fill("#phone", "+5511987654321")
	admin.submit("form[method=post][action$='/admin/contacts'] button[type=submit]")
	admin.check("contact-created")
	page, err := f.desk.Directory.ListContacts(t.Context(), f.admin.actor(), directory.ContactFilter{Search: "Carlos"}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.True(t, page.Items[0].WhatsAppOptIn)
	id := itoa(int64(page.Items[0].ID))
	require.Contains(t, admin.text("[data-testid=contact-"+id+"]"), "Aceitou")

	admin.visit("/admin/contacts/"+id, "contact-edit")
	admin.click("input[name=whatsapp_opt_in]")
	admin.fill("#name", "Carlos C. Cliente")
	admin.submit("form[action$='/admin/contacts/" + id + "'] button[type=submit]")
	admin.check("contact-saved")
	require.Contains(t, admin.text("[data-testid=contact-"+id+"]"), "Carlos C. Cliente")
	require.Contains(t, admin.text("[data-testid=contact-"+id+"]"), "Não")

	viewer := b.tab("viewer", f.srv.URL)
	viewer.signIn(f.viewer)
	viewer.phone()
	viewer.visit("/admin/contacts", "contacts-viewer")
	require.False(t, viewer.exists("#new-contact-h"))
	viewer.visit("/admin/contacts/"+id, "contact-viewer-read-only")
	require.False(t, viewer.exists("form[method=post][action$='/admin/contacts/"+id+"']"), "viewers read the contact")
	require.Equal(t, http.StatusForbidden, viewerPost(t, f, "/admin/contacts/"+id, url.Values{"name": {"Forged"}, "version": {"1"}}))
}

// viewerPost posts a form as the viewer and returns the status.
func viewerPost(t *testing.T, f *fixture, path string, form url.Values) int {
	cl := f.client(t)
	cl.signIn(f.viewer)
	return cl.post(path, form).StatusCode
}

// TestBrowserAdminTokens creates a token with scopes (a refusal without
// scopes first), shows its secret once and when it was last used, and
// revokes it.
func TestBrowserAdminTokens(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := newBrowser(t)
	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit("/admin/tokens", "tokens")
	admin.fill("#name", "Integração ERP")
	admin.submit("form[action$='/admin/tokens'] button[type=submit]")
	admin.check("token-refused")
	require.NotEmpty(t, admin.text("#permissions-error"))
	require.Equal(t, "Integração ERP", admin.value("#name"))
	admin.click("input[value='tickets.read']")
	admin.click("input[value='assets.read']")
	admin.submit("form[action$='/admin/tokens'] button[type=submit]")
	admin.check("token-created")
	secret := admin.text("[data-testid=secret-value]")
	require.Regexp(t, `^bld_`, secret)

	tok, actor, err := f.desk.Directory.AuthenticateAPIToken(t.Context(), secret)
	require.NoError(t, err)
	require.ElementsMatch(t, []tenant.Permission{tenant.PermAssetsRead, tenant.PermTicketsRead}, actor.Scopes)
	row := "[data-testid=token-" + itoa(tok.ID) + "]"
	admin.visit("/admin/tokens", "token-used")
	require.False(t, admin.exists("[data-testid=secret]"))
	require.NotContains(t, admin.text(row+" [data-testid=last-used]"), "Nunca")

	admin.submit(row + " form button")
	admin.check("token-revoked")
	require.Contains(t, admin.text(row), "Revogado")
	_, _, err = f.desk.Directory.AuthenticateAPIToken(t.Context(), secret)
	require.Error(t, err)
}

// TestBrowserCompanySettings edits the serial pattern with its live
// preview (htmx) and the preview button (no JavaScript needed), refuses
// a pattern without a sequence in place, and lets only a platform admin
// change the company's details.
func TestBrowserCompanySettings(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := newBrowser(t)
	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit("/admin/company", "company")
	require.Contains(t, admin.text("[data-testid=serial-preview]"), "ACME-")
	require.False(t, admin.exists("#cnpj"), "company admins only see the details")

	admin.fill("#pattern", "{PREFIX}/{CAT}/{SEQ:4}")
	get(admin, chromedp.Poll[bool](`document.querySelector("[data-testid=serial-preview]").textContent.includes("ACME/NOT/0001")`))
	admin.check("live-preview")

	admin.fill("#pattern", "X-{SEQ:3}")
	admin.submit("button[name=preview]")
	admin.check("preview-button")
	require.Contains(t, admin.path(), "pattern=X-")
	require.Contains(t, admin.text("[data-testid=serial-preview]"), "X-001")
	require.Equal(t, "X-{SEQ:3}", admin.value("#pattern"))

	admin.fill("#pattern", "NO-SEQUENCE")
	admin.submit("form[action$='/admin/company/serials'] button[type=submit]:not([name])")
	admin.check("serial-refused")
	require.NotEmpty(t, admin.text("#pattern-error"))
	require.Equal(t, "NO-SEQUENCE", admin.value("#pattern"))
	set, err := f.desk.Inventory.SerialSettings(t.Context(), f.admin.actor())
	require.NoError(t, err)
	require.Empty(t, set.Pattern, "nothing was written")

	admin.fill("#pattern", "{PREFIX}-{YY}-{SEQ:5}")
	admin.fill("#prefix", "ACM")
	admin.submit("form[action$='/admin/company/serials'] button[type=submit]:not([name])")
	admin.check("serial-saved")
	require.Regexp(t, `ACM-\d\d-00001`, admin.text("[data-testid=serial-preview]"))

	root := b.tab("root", f.srv.URL)
	root.signIn(f.root)
	root.setValue("#company-switch", itoa(int64(f.acme.ID)))
	root.submit("form.switcher button")
	root.visit("/admin/company", "company-root")
	root.fill("#cnpj", "11.111.111/1111-11")
	root.submit("form[action$='/admin/company'] button[type=submit]")
	root.check("company-refused")
	require.NotEmpty(t, root.text("#cnpj-error"))
	require.Equal(t, "11.111.111/1111-11", root.value("#cnpj"))
	root.fill("#cnpj", "11.222.333/0001-81")
	root.fill("#legal_name", "Acme Informática Ltda")
	root.submit("form[action$='/admin/company'] button[type=submit]")
	root.check("company-saved")
	co, err := f.desk.Directory.GetCompany(t.Context(), f.admin.actor(), f.acme.ID)
	require.NoError(t, err)
	require.Equal(t, "11222333000181", co.CNPJ)
	require.Equal(t, "Acme Informática Ltda", co.LegalName)
}

// TestBrowserCompanies lets a platform admin create (after a refusal) and
// deactivate companies; a company admin gets the 403 page.
func TestBrowserCompanies(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := newBrowser(t)
	root := b.tab("root", f.srv.URL)
	root.signIn(f.root)
	root.visit("/admin/companies", "companies")
	root.fill("#timezone", "Mars/Olympus")
	root.submit("form[method=post][action$='/admin/companies'] button[type=submit]")
	root.check("company-create-refused")
	require.NotEmpty(t, root.text("#name-error"))
	require.Equal(t, "Mars/Olympus", root.value("#timezone"))
	root.fill("#name", "Nova Filial")
	root.fill("#timezone", "America/Recife")
	root.submit("form[method=post][action$='/admin/companies'] button[type=submit]")
	root.check("company-created")
	page, err := f.desk.Directory.ListCompanies(t.Context(), f.root.actor(), directory.CompanyFilter{Search: "Nova"}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	row := "[data-testid=company-" + itoa(int64(page.Items[0].ID)) + "]"
	root.submit(row + " form button")
	root.check("company-deactivated")
	require.Contains(t, root.text(row), "Inativo")
	root.phone()
	root.visit("/admin/companies", "companies-phone")

	admin := b.tab("admin", f.srv.URL)
	admin.signIn(f.admin)
	admin.visit("/admin/companies", "companies-refused")
	require.Contains(t, admin.text("main"), "Não permitido")
	require.False(t, admin.exists("a[href='/admin/companies']"), "the link is hidden")
}
