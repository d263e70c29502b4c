package webui

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

func (c *console) adminAuditRoutes() {
	c.page("GET /admin/audit", c.adminAudit)
}

// auditPage is the view model of the audit log: the trail of changes
// with the API's filters.
type auditPage struct {
	Changes []audit.Change
	// Next is the query of the next page, "" on the last.
	Next string
	// Form holds the filters as entered.
	Form struct {
		EntityType, EntityID, Action, ActorKind, Since, Until string
	}
	Errors      map[string]string
	EntityTypes []audit.EntityType
	Actions     []audit.Action
	ActorKinds  []audit.ActorKind
	// AllCompanies is set when a platform admin reads every company's.
	AllCompanies bool
}

// adminAudit lists the changes of the company the person acts in (every
// company's for a platform admin acting in none), newest first.
func (c *console) adminAudit(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := q.actor.Require(tenant.PermAuditRead); err != nil {
		return err
	}
	p := auditPage{EntityTypes: audit.EntityTypes(), Actions: audit.Actions(),
		ActorKinds:   []audit.ActorKind{audit.ActorUser, audit.ActorToken, audit.ActorPlatformAdmin, audit.ActorSystem},
		AllCompanies: q.actor.IsPlatformAdmin() && q.actor.CompanyID == 0}
	v := r.URL.Query()
	p.Form.EntityType, p.Form.EntityID, p.Form.Action = v.Get("entity_type"), v.Get("entity_id"), v.Get("action")
	p.Form.ActorKind, p.Form.Since, p.Form.Until = v.Get("actor_kind"), v.Get("since"), v.Get("until")
	f := helpdesk.ChangeFilter{EntityType: audit.EntityType(p.Form.EntityType), EntityID: p.Form.EntityID,
		Action: audit.Action(p.Form.Action), ActorKind: audit.ActorKind(p.Form.ActorKind)}
	var b validation.Builder
	day := func(field, s string, next bool) time.Time {
		if s == "" {
			return time.Time{}
		}
		d, err := time.ParseInLocation("2006-01-02", s, q.tz)
		if err != nil {
			b.Add(field, "must be a date")
			return time.Time{}
		}
		if next {
			d = d.AddDate(0, 0, 1) // through the end of that day
		}
		return d
	}
	f.Since, f.Until = day("since", p.Form.Since, false), day("until", p.Form.Until, true)
	err := b.Err()
	status := http.StatusOK
	if err == nil {
		var page storage.Page[audit.Change]
		page, err = c.desk.Changes(q.Context(), q.actor, f, pageRequest(r, 50))
		if err == nil {
			p.Changes = page.Items
			if page.NextCursor != "" {
				next := url.Values{}
				for k, vs := range v {
					if k != "cursor" && len(vs) > 0 && vs[0] != "" {
						next.Set(k, vs[0])
					}
				}
				next.Set("cursor", string(page.NextCursor))
				p.Next = next.Encode()
			}
		}
	}
	if err != nil {
		if !refused(err) {
			return err
		}
		p.Errors, status = fieldErrors(q, err), http.StatusUnprocessableEntity
	}
	c.render(w, q, status, "admin_audit", p)
	return nil
}

// ActorText names who made a change, for the page.
func (q *request) ActorText(a audit.Actor) string {
	switch a.Kind {
	case audit.ActorToken:
		return q.T("audit.actor_token", "ID", strconv.FormatInt(a.TokenID, 10))
	case audit.ActorPlatformAdmin:
		return q.T("audit.actor_platform_admin", "ID", strconv.FormatInt(int64(a.UserID), 10))
	case audit.ActorUser:
		return q.T("audit.actor_user", "ID", strconv.FormatInt(int64(a.UserID), 10))
	}
	return q.T("audit.actor_system")
}
