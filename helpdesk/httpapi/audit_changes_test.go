package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// occurrences sums the events the rows of evs stand for (a run of bulk
// events is one row).
func occurrences(evs []audit.Event) int64 {
	var n int64
	for _, e := range evs {
		n += e.Occurrences()
	}
	return n
}

type changePage struct {
	Items []struct {
		ID        int64 `json:"id"`
		CompanyID int64 `json:"company_id"`
		Actor     struct {
			Kind    string `json:"kind"`
			UserID  int64  `json:"user_id"`
			TokenID int64  `json:"token_id"`
		} `json:"actor"`
		IP         string `json:"ip"`
		RequestID  string `json:"request_id"`
		EntityType string `json:"entity_type"`
		EntityID   string `json:"entity_id"`
		Action     string `json:"action"`
		Fields     []struct {
			Field  string  `json:"field"`
			Old    *string `json:"old"`
			New    *string `json:"new"`
			Secret bool    `json:"secret"`
		} `json:"fields"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (e *env) changes(token, query string, headers ...string) changePage {
	e.t.Helper()
	r := e.do("GET", "/api/audit/changes?"+query, nil, append([]string{"Authorization", token}, headers...)...)
	require.Equal(e.t, http.StatusOK, r.Status, "%s", r.Body)
	var p changePage
	r.JSON(e.t, &p)
	return p
}

func TestAuditChanges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		acme, users := e.company("Acme")
		beta, betaUsers := e.company("Beta")

		// A change through HTTP records who, from where and the request ID.
		r := e.do("POST", "/admin/api/api_tokens", map[string]any{"name": "erp", "permissions": []string{"tickets.read", "users.manage"}},
			"Authorization", users[tenant.RoleAdmin], "X-Request-ID", "audit-req-1")
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		var tok struct {
			ID    int64  `json:"id"`
			Token string `json:"token"`
		}
		r.JSON(t, &tok)
		require.NotEmpty(t, tok.Token)
		page := e.changes(users[tenant.RoleAdmin], "entity_type=api_token")
		require.Len(t, page.Items, 1)
		got := page.Items[0]
		require.Equal(t, "created", got.Action)
		require.Equal(t, strconv.FormatInt(tok.ID, 10), got.EntityID)
		require.Equal(t, "user", got.Actor.Kind)
		require.NotZero(t, got.Actor.UserID)
		require.Equal(t, "127.0.0.1", got.IP)
		require.Equal(t, "audit-req-1", got.RequestID)
		require.Equal(t, int64(acme.ID), got.CompanyID)
		for _, f := range got.Fields {
			if f.Field == "secret" {
				require.True(t, f.Secret)
				require.Nil(t, f.Old)
				require.Nil(t, f.New)
			}
		}
		require.NotContains(t, string(e.do("GET", "/api/audit/changes", nil, "Authorization", users[tenant.RoleAdmin]).Body), tok.Token)

		// A change made with the API token names the token.
		r = e.do("PUT", fmt.Sprintf("/admin/api/users/%d", got.Actor.UserID), map[string]any{"email": "admin2@acme.test"}, "Authorization", tok.Token)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		page = e.changes(users[tenant.RoleAdmin], "actor_kind=api_token")
		require.Len(t, page.Items, 1)
		require.Equal(t, tok.ID, page.Items[0].Actor.TokenID)
		require.Equal(t, "user", page.Items[0].EntityType)
		require.Equal(t, "email", page.Items[0].Fields[0].Field)
		require.Equal(t, "admin2@acme.test", *page.Items[0].Fields[0].New)

		// A second company's admin sees none of the first's changes.
		for _, q := range []string{"", "company_id=" + strconv.FormatInt(int64(acme.ID), 10), "entity_type=api_token"} {
			for _, it := range e.changes(betaUsers[tenant.RoleAdmin], q).Items {
				require.Equal(t, int64(beta.ID), it.CompanyID, "query %q", q)
			}
		}
		require.Empty(t, e.changes(betaUsers[tenant.RoleAdmin], "company_id="+strconv.FormatInt(int64(acme.ID), 10)).Items)
		require.Empty(t, e.changes(betaUsers[tenant.RoleAdmin], "entity_type=api_token").Items)

		// Platform admins read one company (X-Company-ID or company_id) or all.
		all := e.changes(e.root, "limit=200")
		companies := map[int64]bool{}
		for _, it := range all.Items {
			companies[it.CompanyID] = true
		}
		require.True(t, companies[int64(acme.ID)] && companies[int64(beta.ID)])
		for _, it := range e.changes(e.root, "", "X-Company-ID", strconv.FormatInt(int64(beta.ID), 10)).Items {
			require.Equal(t, int64(beta.ID), it.CompanyID)
		}

		// Agents, requesters and viewers are refused.
		for _, role := range []tenant.Role{tenant.RoleAgent, tenant.RoleRequester, tenant.RoleViewer} {
			r := e.do("GET", "/api/audit/changes", nil, "Authorization", users[role])
			require.Equal(t, http.StatusForbidden, r.Status, "%s: %s", role, r.Body)
		}

		// Bad filters are field errors.
		for q, field := range map[string]string{"entity_type=ticket": "entity_type", "action=bent": "action", "actor_kind=robot": "actor_kind",
			"since=yesterday": "since", "actor_user_id=-1": "actor_user_id", "since=2026-07-02T00:00:00Z&until=2026-07-01T00:00:00Z": "until"} {
			r := e.do("GET", "/api/audit/changes?"+q, nil, "Authorization", users[tenant.RoleAdmin])
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", q, r.Body)
			require.Equal(t, []string{field}, r.Problem(t).Fields(), q)
		}
		r = e.do("GET", "/api/audit/changes?cursor=%21%21", nil, "Authorization", users[tenant.RoleAdmin])
		require.Equal(t, http.StatusBadRequest, r.Status)

		// Keyset pages walk the whole trail, newest first, once each.
		want := e.changes(users[tenant.RoleAdmin], "limit=200").Items
		require.Greater(t, len(want), 4)
		var ids []int64
		cursor := ""
		for {
			p := e.changes(users[tenant.RoleAdmin], "limit=2&cursor="+url.QueryEscape(cursor))
			for _, it := range p.Items {
				ids = append(ids, it.ID)
			}
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		require.Len(t, ids, len(want))
		for i, it := range want {
			require.Equal(t, it.ID, ids[i])
			if i > 0 {
				require.Less(t, it.ID, want[i-1].ID, "newest first")
			}
		}
	})
}
