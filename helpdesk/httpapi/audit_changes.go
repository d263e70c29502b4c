package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// changeJSON is one change of the audit trail.
type changeJSON struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	CompanyID int64     `json:"company_id"`
	Actor     struct {
		Kind    string `json:"kind"`
		UserID  int64  `json:"user_id,omitempty"`
		TokenID int64  `json:"token_id,omitempty"`
	} `json:"actor"`
	IP         string            `json:"ip,omitempty"`
	RequestID  string            `json:"request_id,omitempty"`
	EntityType string            `json:"entity_type"`
	EntityID   string            `json:"entity_id"`
	Action     string            `json:"action"`
	Fields     []fieldChangeJSON `json:"fields"`
}

// fieldChangeJSON is one field of a change; a secret carries no values.
type fieldChangeJSON struct {
	Field  string  `json:"field"`
	Old    *string `json:"old,omitempty"`
	New    *string `json:"new,omitempty"`
	Secret bool    `json:"secret,omitempty"`
}

func changeOf(c audit.Change) changeJSON {
	out := changeJSON{ID: c.ID, At: c.At.UTC(), CompanyID: int64(c.CompanyID), IP: c.IP, RequestID: c.RequestID,
		EntityType: string(c.EntityType), EntityID: c.EntityID, Action: string(c.Action), Fields: make([]fieldChangeJSON, len(c.Fields))}
	out.Actor.Kind, out.Actor.UserID, out.Actor.TokenID = string(c.Actor.Kind), int64(c.Actor.UserID), c.Actor.TokenID
	for i, f := range c.Fields {
		fc := fieldChangeJSON{Field: f.Field, Secret: f.Secret}
		if !f.Secret {
			old, nw := f.Old, f.New
			fc.Old, fc.New = &old, &nw
		}
		out.Fields[i] = fc
	}
	return out
}

func (a *api) auditRoutes() {
	a.mux.HandleFunc("GET /api/audit/changes", a.authed(a.listChanges))
}

// listChanges is GET /api/audit/changes (tenant.PermAuditRead): the audit
// trail of the actor's company, newest first; a platform admin without a
// company (or with ?company_id=) reads every company's or one company's.
func (a *api) listChanges(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	page, err := a.pageRequest(r)
	if err != nil {
		return err
	}
	f, err := changeFilter(r)
	if err != nil {
		return err
	}
	res, err := a.desk.Changes(r.Context(), p.Actor, f, page)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(res, changeOf))
	return nil
}

// changeFilter reads the filters of GET /api/audit/changes.
func changeFilter(r *http.Request) (helpdesk.ChangeFilter, error) {
	q := r.URL.Query()
	f := helpdesk.ChangeFilter{EntityType: audit.EntityType(q.Get("entity_type")), EntityID: q.Get("entity_id"),
		ActorKind: audit.ActorKind(q.Get("actor_kind")), Action: audit.Action(q.Get("action"))}
	id := func(name string) (int64, error) {
		v := q.Get(name)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return 0, fieldError(name, "must be a positive integer")
		}
		return n, nil
	}
	at := func(name string) (time.Time, error) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, fieldError(name, "must be an RFC 3339 time such as 2026-07-01T12:00:00Z")
		}
		return t.UTC(), nil
	}
	company, err := id("company_id")
	if err != nil {
		return f, err
	}
	user, err := id("actor_user_id")
	if err != nil {
		return f, err
	}
	token, err := id("actor_token_id")
	if err != nil {
		return f, err
	}
	f.CompanyID, f.ActorUserID, f.ActorTokenID = tenant.CompanyID(company), tenant.UserID(user), token
	if f.Since, err = at("since"); err != nil {
		return f, err
	}
	if f.Until, err = at("until"); err != nil {
		return f, err
	}
	return f, nil
}
