package httpapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// ordersPath is the collection of service orders.
const ordersPath = "/api/helpdesk/service-orders"

func orderPath(id int64) string { return ordersPath + "/" + strconv.FormatInt(id, 10) }

type orderActivityResp struct {
	ID               int64      `json:"id"`
	Kind             string     `json:"kind"`
	TechnicianUserID int64      `json:"technician_user_id"`
	StartedAt        *time.Time `json:"started_at"`
	EndedAt          *time.Time `json:"ended_at"`
	Minutes          int        `json:"minutes"`
	Billable         bool       `json:"billable"`
	Month            string     `json:"month"`
}

type orderPartResp struct {
	ID            int64  `json:"id"`
	StockItemID   int64  `json:"stock_item_id"`
	Name          string `json:"name"`
	Quantity      int    `json:"quantity"`
	UnitCostCents int64  `json:"unit_cost_cents"`
}

type orderResp struct {
	ID               int64                `json:"id"`
	CompanyID        int64                `json:"company_id"`
	Number           string               `json:"number"`
	Type             string               `json:"type"`
	Status           string               `json:"status"`
	TicketID         *int64               `json:"ticket_id"`
	AssetID          *int64               `json:"asset_id"`
	TechnicianUserID *int64               `json:"technician_user_id"`
	ScheduledStart   *time.Time           `json:"scheduled_start"`
	APRNumber        string               `json:"apr_number"`
	CompletedAt      *time.Time           `json:"completed_at"`
	Activities       *[]orderActivityResp `json:"activities"`
	Parts            *[]orderPartResp     `json:"parts"`
	Totals           *struct {
		BillableMinutes    int   `json:"billable_minutes"`
		NonBillableMinutes int   `json:"non_billable_minutes"`
		PartsCostCents     int64 `json:"parts_cost_cents"`
	} `json:"totals"`
	NextActions *[]nextActionResp `json:"next_actions"`
	Version     int64             `json:"version"`
}

func (o orderResp) actions() []string {
	out := []string{}
	if o.NextActions != nil {
		for _, a := range *o.NextActions {
			out = append(out, a.Name)
		}
	}
	return out
}

// createOrder opens an order as token and requires success.
func (f *invFixture) createOrder(token string, body map[string]any, headers ...string) orderResp {
	f.t.Helper()
	r := f.call(token, "POST", ordersPath, body, headers...)
	require.Equal(f.t, http.StatusCreated, r.Status, "%s", r.Body)
	var o orderResp
	r.JSON(f.t, &o)
	require.Equal(f.t, orderPath(o.ID), r.Header.Get("Location"))
	require.Equal(f.t, etagOf(o.Version), r.Header.Get("ETag"))
	require.NotNil(f.t, o.NextActions)
	return o
}

// putOrder changes an order with If-Match of version (none when 0).
func (f *invFixture) putOrder(token string, id, version int64, body map[string]any) response {
	f.t.Helper()
	var h []string
	if version != 0 {
		h = []string{"If-Match", etagOf(version)}
	}
	return f.call(token, "PUT", orderPath(id), body, h...)
}

// moveOrder moves an order to status (with extra fields) and requires
// success.
func (f *invFixture) moveOrder(token string, o orderResp, status string, extra ...any) orderResp {
	f.t.Helper()
	body := map[string]any{"status": status}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	r := f.putOrder(token, o.ID, o.Version, body)
	require.Equal(f.t, http.StatusOK, r.Status, "%s: %s", status, r.Body)
	var got orderResp
	r.JSON(f.t, &got)
	require.Equal(f.t, status, got.Status)
	require.Equal(f.t, etagOf(got.Version), r.Header.Get("ETag"))
	return got
}

func TestServiceOrderCreateAndBadInput(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent, admin := f.ta[tenant.RoleAgent], f.ta[tenant.RoleAdmin]
		tech := f.userOf(agent)
		asset := f.intake(agent, map[string]any{"name": "Servidor", "category": "Servidor", "quantity": 1}).Assets[0].ID
		bAsset := f.intake(f.tb[tenant.RoleAgent], map[string]any{"name": "Switch", "category": "Rede", "quantity": 1}).Assets[0].ID
		bTicket := f.createTicket(f.tb[tenant.RoleAgent], map[string]any{"title": "de Beta"}).ID
		bTech := f.userOf(f.tb[tenant.RoleAgent])
		requester := f.userOf(f.ta[tenant.RoleRequester])

		// An asset alone opens a ticket for it; the number is per company and year.
		o := f.createOrder(agent, map[string]any{"asset_id": asset, "type": "installation", "description": "Instalar servidor",
			"technician_user_id": tech, "scheduled_start": "2026-07-02T09:00:00-03:00", "scheduled_end": "2026-07-02T12:00:00-03:00",
			"address": "Rua A, 1"}, "Idempotency-Key", "create-os-1")
		require.Equal(t, fmt.Sprintf("OS-%d-2026-000001", f.a.ID), o.Number)
		require.Equal(t, "draft", o.Status)
		require.NotNil(t, o.TicketID)
		require.Equal(t, asset, *o.AssetID)
		require.Equal(t, []string{"schedule", "cancel"}, o.actions())
		require.Equal(t, time.Date(2026, 7, 2, 12, 0, 0, 0, time.UTC), *o.ScheduledStart)
		tk := f.ticket(agent, *o.TicketID)
		require.Equal(t, asset, *tk.AssetID)
		// A replay returns the same order and consumes nothing.
		again := f.createOrder(agent, map[string]any{"asset_id": asset, "type": "installation", "description": "Instalar servidor",
			"technician_user_id": tech, "scheduled_start": "2026-07-02T09:00:00-03:00", "scheduled_end": "2026-07-02T12:00:00-03:00",
			"address": "Rua A, 1"}, "Idempotency-Key", "create-os-1")
		require.Equal(t, o.ID, again.ID)

		// Bad input: 422 naming the field, nothing written, no number consumed.
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"ticket_id": bTicket}, "ticket_id"},
			{map[string]any{"asset_id": bAsset}, "asset_id"},
			{map[string]any{"technician_user_id": bTech}, "technician_user_id"},
			{map[string]any{"technician_user_id": requester}, "technician_user_id"},
			{map[string]any{"scheduled_start": "2026-07-02T12:00:00Z", "scheduled_end": "2026-07-02T09:00:00Z"}, "scheduled_end"},
			{map[string]any{"type": "teleport"}, "type"},
		} {
			requireProblem(t, f.call(agent, "POST", ordersPath, c.body), http.StatusUnprocessableEntity, c.field)
		}
		requireProblem(t, f.call(f.ta[tenant.RoleViewer], "POST", ordersPath, map[string]any{}), http.StatusForbidden, "")
		requireProblem(t, f.call(f.ta[tenant.RoleRequester], "POST", ordersPath, map[string]any{}), http.StatusForbidden, "")
		next := f.createOrder(admin, map[string]any{"ticket_id": *o.TicketID})
		require.Equal(t, fmt.Sprintf("OS-%d-2026-000002", f.a.ID), next.Number, "refusals consume no number")
		require.Equal(t, asset, *next.AssetID, "the ticket's asset")
		require.Len(t, listAll[orderResp](f, agent, ordersPath, 50), 2)

		// Another company's order is missing; Beta numbers from 1.
		requireProblem(t, f.call(f.tb[tenant.RoleAdmin], "GET", orderPath(o.ID), nil), http.StatusNotFound, "")
		requireProblem(t, f.putOrder(f.tb[tenant.RoleAdmin], o.ID, 0, map[string]any{"status": "cancelled", "reason": "x"}), http.StatusNotFound, "")
		requireProblem(t, f.call(f.tb[tenant.RoleAdmin], "POST", orderPath(o.ID)+"/activities", map[string]any{"kind": "note"}), http.StatusNotFound, "")
		b := f.createOrder(f.tb[tenant.RoleAgent], map[string]any{})
		require.Equal(t, fmt.Sprintf("OS-%d-2026-000001", f.b.ID), b.Number)
		require.Empty(t, listAll[orderResp](f, f.tb[tenant.RoleAgent], ordersPath+"?ticket_id="+strconv.FormatInt(*o.TicketID, 10), 50))
	})
}

func TestServiceOrderLifecycle(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent, admin := f.ta[tenant.RoleAgent], f.ta[tenant.RoleAdmin]
		tech := f.userOf(agent)
		stock := f.intake(agent, map[string]any{"name": "Cabo de rede", "category": "Rede", "quantity": 3, "unit_cost_cents": 1500})
		tk := f.createTicket(agent, map[string]any{"title": "Rede caiu"})
		o := f.createOrder(agent, map[string]any{"ticket_id": tk.ID})

		// Scheduling needs a technician and a window; one PUT sets both and moves.
		p := requireProblem(t, f.putOrder(agent, o.ID, o.Version, map[string]any{"status": "scheduled"}),
			http.StatusUnprocessableEntity, "technician_user_id")
		require.Contains(t, p.Fields(), "scheduled_start")
		p = requireProblem(t, f.putOrder(agent, o.ID, o.Version, map[string]any{"status": "completed"}), http.StatusConflict, "")
		require.Equal(t, []string{"scheduled", "cancelled"}, p.AllowedTransitions)
		o = f.moveOrder(agent, o, "scheduled", "technician_user_id", tech,
			"scheduled_start", "2026-07-01T13:00:00Z", "scheduled_end", "2026-07-01T15:00:00Z")
		// Stale If-Match.
		requireProblem(t, f.putOrder(agent, o.ID, 1, map[string]any{"status": "in_progress"}), http.StatusPreconditionFailed, "")
		// An on-site start needs the APR.
		requireProblem(t, f.putOrder(agent, o.ID, o.Version, map[string]any{"status": "in_progress"}), http.StatusUnprocessableEntity, "apr_number")
		o = f.moveOrder(agent, o, "in_progress", "apr_number", "APR-2026-0001")
		require.Equal(t, "APR-2026-0001", o.APRNumber)

		// Activities: a timed entry, an overlap refused, bad minutes refused.
		act := func(body map[string]any) response { return f.call(agent, "POST", orderPath(o.ID)+"/activities", body) }
		r := act(map[string]any{"kind": "labour", "description": "troca do cabo", "started_at": "2026-07-01T13:10:00Z",
			"ended_at": "2026-07-01T14:40:00Z", "billable": true})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		var a orderActivityResp
		r.JSON(t, &a)
		require.Equal(t, 90, a.Minutes)
		require.Equal(t, tech, a.TechnicianUserID)
		require.Equal(t, "2026-07", a.Month)
		requireProblem(t, act(map[string]any{"kind": "labour", "started_at": "2026-07-01T14:00:00Z", "ended_at": "2026-07-01T15:00:00Z"}), http.StatusConflict, "")
		requireProblem(t, act(map[string]any{"kind": "travel", "minutes": -10}), http.StatusUnprocessableEntity, "minutes")
		requireProblem(t, act(map[string]any{"kind": "labour", "started_at": "2026-07-01T16:00:00Z", "ended_at": "2026-07-01T15:00:00Z"}),
			http.StatusUnprocessableEntity, "ended_at")
		r = act(map[string]any{"kind": "travel", "minutes": 30})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

		// Parts come out of stock; insufficient stock writes nothing.
		part := func(qty int) response {
			return f.call(agent, "POST", orderPath(o.ID)+"/parts", map[string]any{"stock_item_id": stock.StockItem.ID, "quantity": qty})
		}
		r = part(2)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		requireProblem(t, part(2), http.StatusConflict, "")
		r = f.call(agent, "GET", "/api/helpdesk/inventory/stock-items/"+strconv.FormatInt(stock.StockItem.ID, 10), nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var st stockItemResp
		r.JSON(t, &st)
		require.Equal(t, 1, st.Available)

		r = f.call(agent, "GET", orderPath(o.ID), nil)
		require.Equal(t, http.StatusOK, r.Status)
		r.JSON(t, &o)
		require.Len(t, *o.Activities, 2)
		require.Len(t, *o.Parts, 1)
		require.Equal(t, 90, o.Totals.BillableMinutes)
		require.Equal(t, 30, o.Totals.NonBillableMinutes)
		require.EqualValues(t, 3000, o.Totals.PartsCostCents)

		// Completing resolves the ticket when asked.
		o = f.moveOrder(agent, o, "completed", "resolve_ticket", true, "resolution_note", "cabo trocado")
		require.Equal(t, "resolved", f.ticket(agent, tk.ID).Status)
		requireProblem(t, act(map[string]any{"kind": "note"}), http.StatusConflict, "")
		// Approving needs the sign-off; invoicing is admin-only.
		requireProblem(t, f.putOrder(agent, o.ID, o.Version, map[string]any{"status": "approved"}), http.StatusUnprocessableEntity, "sign_off_name")
		o = f.moveOrder(agent, o, "approved", "sign_off", map[string]any{"name": "Maria", "note": "ok"})
		requireProblem(t, f.putOrder(agent, o.ID, o.Version, map[string]any{"status": "invoiced"}), http.StatusForbidden, "")
		requireProblem(t, f.putOrder(agent, o.ID, o.Version, map[string]any{"status": "teleported"}), http.StatusUnprocessableEntity, "status")
		o = f.moveOrder(admin, o, "invoiced")
		require.Empty(t, o.actions())

		// Filters.
		c := f.createOrder(agent, map[string]any{"type": "remote", "description": "Acesso remoto"})
		c = f.moveOrder(agent, c, "cancelled", "reason", "duplicada")
		ids := func(query string) []int64 {
			out := []int64{}
			for _, x := range listAll[orderResp](f, agent, ordersPath+query, 1) {
				require.Nil(t, x.NextActions)
				out = append(out, x.ID)
			}
			return out
		}
		require.Equal(t, []int64{o.ID, c.ID}, ids(""))
		require.Equal(t, []int64{c.ID}, ids("?status=cancelled"))
		require.Equal(t, []int64{c.ID}, ids("?type=remote"))
		require.Equal(t, []int64{o.ID}, ids("?technician_user_id="+strconv.FormatInt(tech, 10)))
		require.Equal(t, []int64{o.ID}, ids("?ticket_id="+strconv.FormatInt(tk.ID, 10)))
		require.Equal(t, []int64{o.ID}, ids("?apr_number=APR-2026-0001"))
		require.Equal(t, []int64{o.ID}, ids("?scheduled_from=2026-07-01T00:00:00Z&scheduled_to=2026-07-02T00:00:00Z"))
		require.Equal(t, []int64{c.ID}, ids("?q=remoto"))
		requireProblem(t, f.call(agent, "GET", ordersPath+"?status=nope", nil), http.StatusUnprocessableEntity, "status")
		requireProblem(t, f.call(agent, "GET", ordersPath+"?scheduled_from=yesterday", nil), http.StatusUnprocessableEntity, "scheduled_from")

		// Analytics and the billable-hours export.
		r = f.call(f.ta[tenant.RoleViewer], "GET", ordersPath+"/analytics?from=2026-06-01T00:00:00Z&to=2026-08-01T00:00:00Z", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var an struct {
			Total                 int      `json:"total"`
			CompletionRatePercent *float64 `json:"completion_rate_percent"`
			OnTimeRatePercent     *float64 `json:"on_time_rate_percent"`
			Hours                 struct {
				Billable    int `json:"billable_minutes"`
				NonBillable int `json:"non_billable_minutes"`
			} `json:"hours"`
		}
		r.JSON(t, &an)
		require.Equal(t, 2, an.Total)
		require.InDelta(t, 100, *an.CompletionRatePercent, 1e-9)
		require.NotNil(t, an.OnTimeRatePercent)
		require.Equal(t, 90, an.Hours.Billable)
		require.Equal(t, 30, an.Hours.NonBillable)
		r = f.call(admin, "GET", ordersPath+"/billable-hours.csv?month=2026-07", nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Equal(t, "text/csv; charset=utf-8", r.Header.Get("Content-Type"))
		lines := strings.Split(strings.TrimSpace(string(r.Body)), "\n")
		require.Len(t, lines, 3)
		require.Equal(t, fmt.Sprintf("%d,2026-07,%s,%d,%d,90,1.50", f.a.ID, o.Number, tk.ID, tech), lines[1])
		requireProblem(t, f.call(admin, "GET", ordersPath+"/billable-hours.csv?month=julho", nil), http.StatusUnprocessableEntity, "month")
		requireProblem(t, f.call(admin, "GET", ordersPath+"/billable-hours.csv", nil), http.StatusUnprocessableEntity, "month")
		requireProblem(t, f.call(f.ta[tenant.RoleRequester], "GET", ordersPath+"/analytics", nil), http.StatusForbidden, "")
	})
}
