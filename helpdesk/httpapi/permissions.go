package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Permission before validation: every authenticated route names the
// permissions that let an actor in (any one of them), and authed checks
// them before the handler reads a parameter or the body. A principal
// whose role lacks them gets 403 whatever it sent, never a 422 or 415
// that would tell it how to shape a request it may not make. The
// services check again (and more finely: a requester's own tickets); this
// table only makes the refusal come first. The OpenAPI document lists the
// same permissions per operation as x-permissions, and the tests hold the
// two equal.

// routePermissions maps a registered pattern to the permissions any one
// of which allows it. A pattern absent from the map needs only
// authentication (GET /auth/me). permPlatformOps stands for "a platform
// admin".
func routePermissions() map[string][]tenant.Permission {
	const (
		ticketsRead   = tenant.PermTicketsRead
		ticketsOwn    = tenant.PermTicketsReadOwn
		assetsRead    = tenant.PermAssetsRead
		assetsOwn     = tenant.PermAssetsReadOwn
		integrations  = tenant.PermIntegrationsManage
		ordersRead    = tenant.PermOrdersRead
		ordersManage  = tenant.PermOrdersManage
		analyticsRead = tenant.PermAnalyticsRead
		auditRead     = tenant.PermAuditRead
	)
	one := func(p tenant.Permission) []tenant.Permission { return []tenant.Permission{p} }
	m := map[string][]tenant.Permission{
		// Tickets.
		"POST /api/helpdesk/tickets":               one(tenant.PermTicketsCreate),
		"GET /api/helpdesk/tickets":                {ticketsRead, ticketsOwn},
		"GET /api/helpdesk/tickets/{id}":           {ticketsRead, ticketsOwn},
		"PUT /api/helpdesk/tickets/{id}":           {ticketsRead, ticketsOwn}, // a requester may move its own ticket
		"POST /api/helpdesk/tickets/{id}/assign":   one(tenant.PermTicketsManage),
		"POST /api/helpdesk/tickets/{id}/comments": {tenant.PermTicketsManage, tenant.PermTicketsCreate},
		"GET /api/helpdesk/tickets/{id}/comments":  {ticketsRead, ticketsOwn},
		"GET /api/helpdesk/tickets/{id}/history":   {ticketsRead, ticketsOwn},
		// Files.
		"POST /api/helpdesk/tickets/{id}/attachments":                       {tenant.PermTicketsManage, tenant.PermTicketsCreate},
		"GET /api/helpdesk/tickets/{id}/attachments":                        {ticketsRead, ticketsOwn},
		"POST /api/helpdesk/tickets/{id}/comments/{comment_id}/attachments": {tenant.PermTicketsManage, tenant.PermTicketsCreate},
		"GET /api/helpdesk/tickets/{id}/comments/{comment_id}/attachments":  {ticketsRead, ticketsOwn},
		"POST /api/helpdesk/service-orders/{id}/attachments":                one(ordersManage),
		"GET /api/helpdesk/service-orders/{id}/attachments":                 one(ordersRead),
		"POST /api/helpdesk/assets/{id}/attachments":                        one(tenant.PermAssetsManage),
		"GET /api/helpdesk/assets/{id}/attachments":                         {assetsRead, assetsOwn},
		"GET /api/helpdesk/attachments/{id}":                                {ticketsRead, ticketsOwn, ordersRead, assetsRead, assetsOwn},
		"GET /api/helpdesk/attachments/{id}/content":                        {ticketsRead, ticketsOwn, ordersRead, assetsRead, assetsOwn},
		"DELETE /api/helpdesk/attachments/{id}":                             {tenant.PermTicketsManage, tenant.PermTicketsCreate, ordersManage, tenant.PermAssetsManage},
		"GET /api/helpdesk/analytics":                                       one(analyticsRead),
		"POST /api/helpdesk/service-orders":                                 one(ordersManage),
		"GET /api/helpdesk/service-orders":                                  one(ordersRead),
		"GET /api/helpdesk/service-orders/analytics":                        one(analyticsRead),
		"GET /api/helpdesk/service-orders/billable-hours.csv":               one(analyticsRead),
		"GET /api/helpdesk/service-orders/{id}":                             one(ordersRead),
		"PUT /api/helpdesk/service-orders/{id}":                             one(ordersManage),
		"POST /api/helpdesk/service-orders/{id}/activities":                 one(ordersManage),
		"POST /api/helpdesk/service-orders/{id}/parts":                      one(ordersManage),
		// Inventory.
		"POST /api/helpdesk/inventory/intake":          one(tenant.PermAssetsManage),
		"GET /api/helpdesk/inventory/stock-items":      one(assetsRead),
		"GET /api/helpdesk/inventory/stock-items/{id}": one(assetsRead),
		"PUT /api/helpdesk/inventory/serial-settings":  one(tenant.PermUsersManage),
		"GET /api/helpdesk/assets":                     {assetsRead, assetsOwn},
		"GET /api/helpdesk/assets/{id}":                {assetsRead, assetsOwn},
		"GET /api/helpdesk/assets/by-serial":           {assetsRead, assetsOwn},
		"GET /api/helpdesk/assets/{id}/history":        {assetsRead, assetsOwn},
		"PUT /api/helpdesk/assets/{id}":                one(tenant.PermAssetsManage),
		"POST /api/helpdesk/assets/{id}/assign":        one(tenant.PermAssetsManage),
		// Integrations.
		"GET " + whatsappBase + "/settings":                                       one(integrations),
		"PUT " + whatsappBase + "/settings":                                       one(integrations),
		"GET " + whatsappBase + "/rules":                                          one(integrations),
		"POST " + whatsappBase + "/rules":                                         one(integrations),
		"GET " + whatsappBase + "/rules/{id}":                                     one(integrations),
		"PUT " + whatsappBase + "/rules/{id}":                                     one(integrations),
		"DELETE " + whatsappBase + "/rules/{id}":                                  one(integrations),
		"GET " + whatsappBase + "/messages":                                       one(ticketsRead),
		"POST " + whatsappBase + "/send":                                          one(tenant.PermTicketsManage),
		"GET " + whatsappBase + "/status":                                         one(ticketsRead),
		"POST " + aiBase + "/analyze":                                             one(ticketsRead),
		"GET " + aiBase + "/status":                                               one(ticketsRead),
		"GET " + aiBase + "/settings":                                             one(integrations),
		"PUT " + aiBase + "/settings":                                             one(integrations),
		"GET " + ssoBase + "/settings":                                            one(tenant.PermUsersManage),
		"PUT " + ssoBase + "/settings":                                            one(tenant.PermUsersManage),
		"POST /api/integrations/events/publish":                                   one(integrations),
		"GET /api/integrations/events/pending":                                    one(integrations),
		"POST /api/integrations/webhooks":                                         one(integrations),
		"GET /api/integrations/webhooks":                                          one(integrations),
		"POST /api/integrations/webhooks/process":                                 one(integrations),
		"GET /api/integrations/webhooks/{id}":                                     one(integrations),
		"PUT /api/integrations/webhooks/{id}":                                     one(integrations),
		"DELETE /api/integrations/webhooks/{id}":                                  one(integrations),
		"POST /api/integrations/webhooks/{id}/test":                               one(integrations),
		"GET /api/integrations/webhooks/{id}/stats":                               one(integrations),
		"GET /api/integrations/webhooks/{id}/deliveries":                          one(integrations),
		"POST /api/integrations/webhooks/{id}/deliveries/{delivery_id}/redeliver": one(integrations),
		"POST /api/integrations/webhooks/{id}/deliveries/{delivery_id}/skip":      one(integrations),
		"POST /api/integrations/webhooks/{id}/rotate-secret":                      one(integrations),
		// Operations.
		"GET /api/performance/metrics":        one(auditRead),
		"GET /api/security/audit":             one(auditRead),
		"GET /api/audit/changes":              one(auditRead),
		"DELETE /api/security/blocks/{ip}":    one(permPlatformOps),
		"GET /api/deployment/status":          one(auditRead),
		"POST /api/deployment/trigger-backup": one(permPlatformOps),
		"GET /api/monitoring/status":          one(auditRead),
		"GET /api/test/coverage":              one(auditRead),
		// Sessions and two-factor sign-in of other users; the policy.
		"GET " + adminBase + "users/{id}/sessions":                 one(tenant.PermUsersManage),
		"DELETE " + adminBase + "users/{id}/sessions":              one(tenant.PermUsersManage),
		"DELETE " + adminBase + "users/{id}/sessions/{session_id}": one(tenant.PermUsersManage),
		"DELETE " + adminBase + "users/{id}/two-factor":            one(tenant.PermUsersManage),
		"PUT /api/security/two-factor-policy":                      one(tenant.PermUsersManage),
	}
	// The admin API.
	admin := map[string]struct{ read, write tenant.Permission }{
		"companies":  {tenant.PermCompanyRead, tenant.PermCompaniesManage},
		"contacts":   {tenant.PermContactsRead, tenant.PermContactsManage},
		"users":      {tenant.PermUsersRead, tenant.PermUsersManage},
		"api_tokens": {tenant.PermTokensManage, tenant.PermTokensManage},
	}
	for model, p := range admin {
		base := adminBase + model
		m["GET "+base] = one(p.read)
		m["GET "+base+"/{id}"] = one(p.read)
		m["POST "+base] = one(p.write)
		m["PUT "+base+"/{id}"] = one(p.write)
		m["DELETE "+base+"/{id}"] = one(p.write)
	}
	return m
}

// permitted checks the route's permissions (routePermissions) for actor:
// nil when the route lists none or the actor holds one of them.
func permitted(perms map[string][]tenant.Permission, r *http.Request, actor tenant.Actor) error {
	need, ok := perms[r.Pattern]
	if !ok {
		return nil
	}
	for _, p := range need {
		if p == permPlatformOps {
			if actor.IsPlatformAdmin() {
				return nil
			}
			continue
		}
		if actor.Can(p) {
			return nil
		}
	}
	if actor.Scopes != nil {
		// An API token: when its role has the permission and only the
		// token's scopes leave it out, name the missing scope.
		role := tenant.Actor{Role: actor.Role, CompanyID: actor.CompanyID}
		for _, p := range need {
			if p != permPlatformOps && role.Can(p) {
				return &ScopeError{Scope: p, Scopes: slices.Clone(actor.Scopes)}
			}
		}
	}
	return &tenant.ForbiddenError{Role: actor.Role, Permission: need[0]}
}

// ScopeError refuses an API token whose scopes leave out the permission an
// operation needs, although the token's role has it. It matches
// tenant.ErrForbidden (403).
type ScopeError struct {
	// Scope is the permission the token would need among its scopes.
	Scope tenant.Permission
	// Scopes are the token's scopes.
	Scopes []tenant.Permission
}

// Error names the missing scope and the scopes the token has.
func (e *ScopeError) Error() string {
	have := make([]string, len(e.Scopes))
	for i, s := range e.Scopes {
		have[i] = string(s)
	}
	return fmt.Sprintf("API token lacks scope %q (its scopes: %s): create a token with that scope", e.Scope, strings.Join(have, ", "))
}

// Is makes errors.Is(err, tenant.ErrForbidden) true.
func (e *ScopeError) Is(target error) bool { return target == tenant.ErrForbidden }
