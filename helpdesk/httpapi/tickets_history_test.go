package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

type ticketHistoryResp struct {
	historyResp
	Internal bool `json:"internal"`
}

// TestTicketHistory reads a ticket's history through the API: every change
// with its actor, the requester without the internal note, other people's
// and companies' tickets as missing.
func TestTicketHistory(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent, requester, viewer := f.ta[tenant.RoleAgent], f.ta[tenant.RoleRequester], f.ta[tenant.RoleViewer]
		x := f.createTicket(requester, map[string]any{"title": "Sem rede"})
		theirs := f.createTicket(agent, map[string]any{"title": "Do agente"})
		path := ticketPath(x.ID) + "/history"
		x = f.moveTicket(agent, x, "open")
		r := f.call(agent, "POST", ticketPath(x.ID)+"/comments", map[string]any{"body": "ver switch", "internal": true})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		require.Equal(t, http.StatusOK, f.putTicket(agent, x.ID, 0, map[string]any{"priority": "high"}).Status)

		type step struct{ action, field, from, to string }
		steps := func(hs []ticketHistoryResp) []step {
			out := []step{}
			for _, h := range hs {
				out = append(out, step{h.Action, h.Field, h.From, h.To})
			}
			return out
		}
		created := step{"created", "status", "", "new"}
		opened := step{"status_changed", "status", "new", "open"}
		priority := step{"updated", "priority", "medium", "high"}
		all := listAll[ticketHistoryResp](f, agent, path, 2)
		require.Len(t, all, 4)
		require.Equal(t, step{"commented", "comment", "", all[2].To}, steps(all)[2])
		require.True(t, all[2].Internal)
		require.Equal(t, []step{created, opened, steps(all)[2], priority}, steps(all))
		require.Equal(t, f.userOf(requester), all[0].ActorUserID)
		require.Equal(t, f.userOf(agent), all[1].ActorUserID)
		require.Equal(t, steps(all), steps(listAll[ticketHistoryResp](f, viewer, path, 50)))
		require.Equal(t, []step{created, opened, priority}, steps(listAll[ticketHistoryResp](f, requester, path, 50)),
			"requesters never see internal notes")

		requireProblem(t, f.call(requester, "GET", ticketPath(theirs.ID)+"/history", nil), http.StatusNotFound, "")
		requireProblem(t, f.call(agent, "GET", ticketPath(x.ID+1000)+"/history", nil), http.StatusNotFound, "")
		requireProblem(t, f.call(agent, "GET", path+"?cursor=%25%25", nil), http.StatusBadRequest, "")
		requireProblem(t, f.call(agent, "GET", path+"?limit=x", nil), http.StatusUnprocessableEntity, "limit")

		requireProblem(t, f.call(f.tb[tenant.RoleAdmin], "GET", path, nil), http.StatusNotFound, "")
	})
}
