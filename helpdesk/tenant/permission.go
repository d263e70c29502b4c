package tenant

import "slices"

// Permission names one thing an actor may do. Permissions are data: the
// table in Permissions maps each role to its permissions, and services check
// them with Can or Require.
type Permission string

// The permissions. Domain packages add theirs here so that the whole table
// reads in one place.
const (
	// PermCompaniesManage creates, updates and deactivates companies (platform only).
	PermCompaniesManage Permission = "companies.manage"
	// PermCompanyRead reads the acting company.
	PermCompanyRead Permission = "company.read"
	// PermContactsRead reads the company's contacts.
	PermContactsRead Permission = "contacts.read"
	// PermContactsManage creates, updates and deactivates contacts.
	PermContactsManage Permission = "contacts.manage"
	// PermUsersRead reads the company's user accounts.
	PermUsersRead Permission = "users.read"
	// PermUsersManage creates, updates and deactivates user accounts.
	PermUsersManage Permission = "users.manage"
	// PermTokensManage creates and revokes the company's API tokens.
	PermTokensManage Permission = "tokens.manage"
	// PermIntegrationsManage configures webhooks and other integrations.
	PermIntegrationsManage Permission = "integrations.manage"

	// PermAssetsRead reads every asset of the company.
	PermAssetsRead Permission = "assets.read"
	// PermAssetsReadOwn reads only the assets assigned to the actor's contact.
	PermAssetsReadOwn Permission = "assets.read_own"
	// PermAssetsManage receives stock and changes assets.
	PermAssetsManage Permission = "assets.manage"

	// PermTicketsRead reads every ticket of the company.
	PermTicketsRead Permission = "tickets.read"
	// PermTicketsReadOwn reads only tickets the actor's contact requested.
	PermTicketsReadOwn Permission = "tickets.read_own"
	// PermTicketsCreate opens tickets.
	PermTicketsCreate Permission = "tickets.create"
	// PermTicketsManage works tickets: assign, transition, internal notes.
	PermTicketsManage Permission = "tickets.manage"

	// PermOrdersRead reads service orders.
	PermOrdersRead Permission = "service_orders.read"
	// PermOrdersManage creates and works service orders.
	PermOrdersManage Permission = "service_orders.manage"
	// PermOrdersInvoice marks service orders invoiced.
	PermOrdersInvoice Permission = "service_orders.invoice"

	// PermAnalyticsRead reads reports and analytics.
	PermAnalyticsRead Permission = "analytics.read"
	// PermAuditRead reads the security audit and operations data.
	PermAuditRead Permission = "audit.read"
)

// Permissions returns the role → permission table. The returned map is a
// fresh copy: callers may read or change it without affecting Can.
func Permissions() map[Role][]Permission {
	reader := []Permission{
		PermCompanyRead, PermContactsRead, PermUsersRead,
		PermAssetsRead, PermTicketsRead, PermOrdersRead, PermAnalyticsRead,
	}
	agent := append(slices.Clone(reader),
		PermContactsManage, PermAssetsManage, PermTicketsCreate, PermTicketsManage, PermOrdersManage)
	admin := append(slices.Clone(agent),
		PermUsersManage, PermTokensManage, PermIntegrationsManage, PermOrdersInvoice, PermAuditRead)
	platform := append(slices.Clone(admin), PermCompaniesManage)
	return map[Role][]Permission{
		RolePlatformAdmin: platform,
		RoleAdmin:         admin,
		RoleAgent:         agent,
		RoleViewer:        reader,
		RoleRequester: {
			PermCompanyRead, PermAssetsReadOwn, PermTicketsReadOwn, PermTicketsCreate,
		},
	}
}

// table is computed once from Permissions; it is never written after init.
var table = func() map[Role]map[Permission]bool {
	t := make(map[Role]map[Permission]bool)
	for r, ps := range Permissions() {
		t[r] = make(map[Permission]bool, len(ps))
		for _, p := range ps {
			t[r][p] = true
		}
	}
	return t
}()

// Can reports whether the actor's role grants permission p and, for a
// scoped actor, whether p is among its scopes.
func Can(a Actor, p Permission) bool {
	return table[a.Role][p] && (a.Scopes == nil || slices.Contains(a.Scopes, p))
}

// Can reports whether the actor's role grants permission p.
func (a Actor) Can(p Permission) bool { return Can(a, p) }

// Require returns a *ForbiddenError unless the actor's role grants p.
func (a Actor) Require(p Permission) error {
	if Can(a, p) {
		return nil
	}
	return &ForbiddenError{Role: a.Role, Permission: p}
}

// RequireIn is Require for a company-scoped operation: it also fails with
// ErrNoCompany when the actor has not chosen a company.
func (a Actor) RequireIn(p Permission) error {
	if err := a.Require(p); err != nil {
		return err
	}
	if a.CompanyID == 0 {
		return ErrNoCompany
	}
	return nil
}

// PermissionsOf returns the permissions of a role, sorted.
func PermissionsOf(r Role) []Permission {
	ps := slices.Clone(Permissions()[r])
	slices.Sort(ps)
	return ps
}
