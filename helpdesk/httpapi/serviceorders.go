package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/serviceorders"
)

// The service orders API (Ordens de Serviço).
//
//	POST /api/helpdesk/service-orders                      open an order (201, ETag, Location; Idempotency-Key)
//	GET  /api/helpdesk/service-orders                      list orders, with filters
//	GET  /api/helpdesk/service-orders/{id}                 read an order with activities, parts, totals, next_actions
//	PUT  /api/helpdesk/service-orders/{id}                 change fields and/or status (If-Match)
//	POST /api/helpdesk/service-orders/{id}/activities      log an activity or time entry (201; Idempotency-Key)
//	POST /api/helpdesk/service-orders/{id}/parts           consume a stock item (201; Idempotency-Key)
//	GET  /api/helpdesk/service-orders/analytics            the company's service order analytics
//	GET  /api/helpdesk/service-orders/billable-hours.csv   billable hours of a month, as CSV
//
// Authorization, tenant scoping, validation, numbering and the lifecycle
// belong to serviceorders.Service: the handlers only translate.

// ordersBase is the path the service order endpoints hang from.
const ordersBase = "/api/helpdesk/service-orders"

// serviceOrderRoutes registers the service orders API on the mux.
func (a *api) serviceOrderRoutes() {
	a.mux.Handle("POST /api/helpdesk/service-orders", a.authed(a.idempotentCreate(orderLocation, a.createOrder)))
	a.mux.Handle("GET /api/helpdesk/service-orders", a.authed(a.listOrders))
	a.mux.Handle("GET /api/helpdesk/service-orders/analytics", a.authed(a.orderAnalytics))
	a.mux.Handle("GET /api/helpdesk/service-orders/billable-hours.csv", a.authed(a.billableHours))
	a.mux.Handle("GET /api/helpdesk/service-orders/{id}", a.authed(a.getOrder))
	a.mux.Handle("PUT /api/helpdesk/service-orders/{id}", a.authed(a.updateOrder))
	a.mux.Handle("POST /api/helpdesk/service-orders/{id}/activities", a.authed(a.idempotent(a.addActivity)))
	a.mux.Handle("POST /api/helpdesk/service-orders/{id}/parts", a.authed(a.idempotent(a.addPart)))
}

// signOffJSON is the customer's sign-off.
type signOffJSON struct {
	Name string    `json:"name"`
	At   time.Time `json:"at,omitzero"`
	Note string    `json:"note,omitempty"`
}

// orderJSON is a service order in the API. Activities, Parts, Totals and
// NextActions are set on single-order responses and absent from list items.
type orderJSON struct {
	ID               int64             `json:"id"`
	CompanyID        int64             `json:"company_id"`
	Number           string            `json:"number"`
	Type             string            `json:"type"`
	Status           string            `json:"status"`
	TicketID         int64             `json:"ticket_id,omitempty"`
	AssetID          int64             `json:"asset_id,omitempty"`
	TechnicianUserID int64             `json:"technician_user_id,omitempty"`
	ScheduledStart   timeJSON          `json:"scheduled_start,omitzero"`
	ScheduledEnd     timeJSON          `json:"scheduled_end,omitzero"`
	Address          string            `json:"address"`
	APRNumber        string            `json:"apr_number"`
	Description      string            `json:"description"`
	SignOff          *signOffJSON      `json:"sign_off,omitempty"`
	CancelReason     string            `json:"cancel_reason,omitempty"`
	StartedAt        timeJSON          `json:"started_at,omitzero"`
	CompletedAt      timeJSON          `json:"completed_at,omitzero"`
	ApprovedAt       timeJSON          `json:"approved_at,omitzero"`
	InvoicedAt       timeJSON          `json:"invoiced_at,omitzero"`
	CancelledAt      timeJSON          `json:"cancelled_at,omitzero"`
	Activities       *[]activityJSON   `json:"activities,omitempty"`
	Parts            *[]partJSON       `json:"parts,omitempty"`
	Totals           *totalsJSON       `json:"totals,omitempty"`
	NextActions      *[]nextActionJSON `json:"next_actions,omitempty"`
	Version          int64             `json:"version"`
	CreatedAt        timeJSON          `json:"created_at"`
	UpdatedAt        timeJSON          `json:"updated_at"`
}

// idAndVersion tells the order's ID and version.
func (o orderJSON) idAndVersion() (id, version int64) { return o.ID, o.Version }

type activityJSON struct {
	ID               int64    `json:"id"`
	Kind             string   `json:"kind"`
	Description      string   `json:"description"`
	TechnicianUserID int64    `json:"technician_user_id"`
	StartedAt        timeJSON `json:"started_at,omitzero"`
	EndedAt          timeJSON `json:"ended_at,omitzero"`
	Minutes          int      `json:"minutes"`
	Billable         bool     `json:"billable"`
	Month            string   `json:"month"`
	Version          int64    `json:"version"`
	CreatedAt        timeJSON `json:"created_at"`
}

type partJSON struct {
	ID            int64    `json:"id"`
	StockItemID   int64    `json:"stock_item_id"`
	Name          string   `json:"name"`
	Quantity      int      `json:"quantity"`
	UnitCostCents int64    `json:"unit_cost_cents"`
	CreatedAt     timeJSON `json:"created_at"`
}

type totalsJSON struct {
	BillableMinutes    int   `json:"billable_minutes"`
	NonBillableMinutes int   `json:"non_billable_minutes"`
	PartsCostCents     int64 `json:"parts_cost_cents"`
}

// orderOf is the JSON shape of o as a list item.
func orderOf(o serviceorders.Order) orderJSON {
	out := orderJSON{ID: o.ID, CompanyID: int64(o.CompanyID), Number: o.Number, Type: string(o.Type), Status: string(o.Status),
		TicketID: o.TicketID, AssetID: o.AssetID, TechnicianUserID: int64(o.TechnicianUserID),
		ScheduledStart: adminTime(o.ScheduledStart), ScheduledEnd: adminTime(o.ScheduledEnd), Address: o.Address,
		APRNumber: o.APRNumber, Description: o.Description, CancelReason: o.CancelReason, StartedAt: adminTime(o.StartedAt),
		CompletedAt: adminTime(o.CompletedAt), ApprovedAt: adminTime(o.ApprovedAt), InvoicedAt: adminTime(o.InvoicedAt),
		CancelledAt: adminTime(o.CancelledAt), Version: o.Version, CreatedAt: adminTime(o.CreatedAt), UpdatedAt: adminTime(o.UpdatedAt)}
	if o.SignOff.Name != "" {
		out.SignOff = &signOffJSON{Name: o.SignOff.Name, At: o.SignOff.At.UTC(), Note: o.SignOff.Note}
	}
	return out
}

func activityOf(a serviceorders.Activity) activityJSON {
	return activityJSON{ID: a.ID, Kind: string(a.Kind), Description: a.Description, TechnicianUserID: int64(a.TechnicianUserID),
		StartedAt: adminTime(a.StartedAt), EndedAt: adminTime(a.EndedAt), Minutes: a.Minutes, Billable: a.Billable,
		Month: a.Month, Version: a.Version, CreatedAt: adminTime(a.CreatedAt)}
}

func partOf(p serviceorders.Part) partJSON {
	return partJSON{ID: p.ID, StockItemID: p.StockItemID, Name: p.Name, Quantity: p.Quantity, UnitCostCents: p.UnitCostCents,
		CreatedAt: adminTime(p.CreatedAt)}
}

// orderDetailsOf is the JSON shape of a single order.
func orderDetailsOf(d serviceorders.Details) orderJSON {
	out := orderOf(d.Order)
	acts := make([]activityJSON, len(d.Activities))
	for i, x := range d.Activities {
		acts[i] = activityOf(x)
	}
	parts := make([]partJSON, len(d.Parts))
	for i, x := range d.Parts {
		parts[i] = partOf(x)
	}
	next := make([]nextActionJSON, len(d.NextActions))
	for i, n := range d.NextActions {
		next[i] = nextActionJSON{Name: n.Name, Status: string(n.Status), Required: append([]string{}, n.Required...)}
	}
	out.Activities, out.Parts, out.NextActions = &acts, &parts, &next
	out.Totals = &totalsJSON{BillableMinutes: d.Totals.BillableMinutes, NonBillableMinutes: d.Totals.NonBillableMinutes,
		PartsCostCents: d.Totals.PartsCostCents}
	return out
}

// orderLocation is the path of the order id.
func orderLocation(id int64) string { return ordersBase + "/" + strconv.FormatInt(id, 10) }

// orderCreateRequest is the body of POST /api/helpdesk/service-orders.
type orderCreateRequest struct {
	TicketID           int64     `json:"ticket_id"`
	AssetID            int64     `json:"asset_id"`
	Type               string    `json:"type"`
	TechnicianUserID   int64     `json:"technician_user_id"`
	ScheduledStart     time.Time `json:"scheduled_start"`
	ScheduledEnd       time.Time `json:"scheduled_end"`
	APRNumber          string    `json:"apr_number"`
	Address            string    `json:"address"`
	Description        string    `json:"description"`
	RequesterContactID int64     `json:"requester_contact_id"`
}

// createOrder opens an order and answers 201 with its details, under
// Idempotency-Key.
func (a *api) createOrder(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in orderCreateRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	o, err := a.desk.ServiceOrders.Create(r.Context(), p.Actor, serviceorders.CreateInput{TicketID: in.TicketID,
		AssetID: in.AssetID, Type: serviceorders.Type(strings.TrimSpace(in.Type)), TechnicianUserID: tenant.UserID(in.TechnicianUserID),
		ScheduledStart: in.ScheduledStart, ScheduledEnd: in.ScheduledEnd, APRNumber: in.APRNumber, Address: in.Address,
		Description: in.Description, RequesterContactID: tenant.ContactID(in.RequesterContactID)})
	if err != nil {
		return err
	}
	writeCreated(w, r, p, o, o.ID, orderOf, a.desk.ServiceOrders.Get, orderDetailsOf, orderLocation)
	return nil
}

// orderFilter reads the filters of GET /api/helpdesk/service-orders.
func orderFilter(r *http.Request) (serviceorders.Filter, error) {
	var b validation.Builder
	f := serviceorders.Filter{
		Status:           serviceorders.Status(queryText(r, "status")),
		Type:             serviceorders.Type(queryText(r, "type")),
		TechnicianUserID: tenant.UserID(idQuery(r, "technician_user_id", &b)),
		TicketID:         idQuery(r, "ticket_id", &b),
		AssetID:          idQuery(r, "asset_id", &b),
		APRNumber:        queryText(r, "apr_number"),
		ScheduledFrom:    timeQuery(r, "scheduled_from", &b),
		ScheduledTo:      timeQuery(r, "scheduled_to", &b),
		Search:           queryText(r, "q"),
	}
	return f, b.Err()
}

// listOrders serves GET /api/helpdesk/service-orders, by ascending ID.
func (a *api) listOrders(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	return listOf(a, orderFilter, a.desk.ServiceOrders.List, orderOf)(w, r, p)
}

// getOrder serves GET /api/helpdesk/service-orders/{id}.
func (a *api) getOrder(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	return getOne(a.desk.ServiceOrders.Get, orderDetailsOf)(w, r, p)
}

// orderUpdate is the body of PUT /api/helpdesk/service-orders/{id}:
// absent fields are kept; a null or empty text clears it, a null or 0
// technician_user_id unassigns. A status change goes through the workflow
// with reason (cancelling) and resolve_ticket/resolution_note (completing).
type orderUpdate struct {
	Type             presentText  `json:"type"`
	TechnicianUserID presentID    `json:"technician_user_id"`
	ScheduledStart   *time.Time   `json:"scheduled_start"`
	ScheduledEnd     *time.Time   `json:"scheduled_end"`
	Address          presentText  `json:"address"`
	APRNumber        presentText  `json:"apr_number"`
	Description      presentText  `json:"description"`
	SignOff          *signOffJSON `json:"sign_off"`
	Status           presentText  `json:"status"`
	Reason           string       `json:"reason"`
	ResolveTicket    bool         `json:"resolve_ticket"`
	ResolutionNote   string       `json:"resolution_note"`
}

// updateOrder serves PUT /api/helpdesk/service-orders/{id} (If-Match).
func (a *api) updateOrder(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in orderUpdate
	id, version, err := a.changeRequest(w, r, &in)
	if err != nil {
		return err
	}
	patch := serviceorders.Patch{ScheduledStart: in.ScheduledStart, ScheduledEnd: in.ScheduledEnd, Address: in.Address.ptr(),
		APRNumber: in.APRNumber.ptr(), Description: in.Description.ptr(), Reason: in.Reason, ResolveTicket: in.ResolveTicket,
		ResolutionNote: in.ResolutionNote, Version: version}
	if in.Type.Set {
		t := serviceorders.Type(strings.TrimSpace(in.Type.Value))
		patch.Type = &t
	}
	if in.TechnicianUserID.Set {
		u := tenant.UserID(in.TechnicianUserID.ID)
		patch.TechnicianUserID = &u
	}
	if in.SignOff != nil {
		patch.SignOff = &serviceorders.SignOff{Name: in.SignOff.Name, At: in.SignOff.At, Note: in.SignOff.Note}
	}
	if patch.Status, err = statusOf(in.Status, a.desk.ServiceOrders.Machine()); err != nil {
		return err
	}
	d, err := a.desk.ServiceOrders.Update(r.Context(), p.Actor, id, patch)
	if err != nil {
		return err
	}
	writeOne(w, orderDetailsOf(d))
	return nil
}

// activityRequest is the body of POST /api/helpdesk/service-orders/{id}/activities.
type activityRequest struct {
	Kind             string    `json:"kind"`
	Description      string    `json:"description"`
	TechnicianUserID int64     `json:"technician_user_id"`
	StartedAt        time.Time `json:"started_at"`
	EndedAt          time.Time `json:"ended_at"`
	Minutes          int       `json:"minutes"`
	Billable         bool      `json:"billable"`
}

// addActivity serves POST /api/helpdesk/service-orders/{id}/activities (201).
func (a *api) addActivity(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in activityRequest
	id, _, err := a.changeRequest(w, r, &in)
	if err != nil {
		return err
	}
	x, err := a.desk.ServiceOrders.AddActivity(r.Context(), p.Actor, id, serviceorders.ActivityInput{
		Kind: serviceorders.ActivityKind(strings.TrimSpace(in.Kind)), Description: in.Description,
		TechnicianUserID: tenant.UserID(in.TechnicianUserID), StartedAt: in.StartedAt, EndedAt: in.EndedAt,
		Minutes: in.Minutes, Billable: in.Billable})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, activityOf(x))
	return nil
}

// partRequest is the body of POST /api/helpdesk/service-orders/{id}/parts.
type partRequest struct {
	StockItemID int64 `json:"stock_item_id"`
	Quantity    int   `json:"quantity"`
}

// addPart serves POST /api/helpdesk/service-orders/{id}/parts (201).
func (a *api) addPart(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in partRequest
	id, _, err := a.changeRequest(w, r, &in)
	if err != nil {
		return err
	}
	x, err := a.desk.ServiceOrders.AddPart(r.Context(), p.Actor, id, in.StockItemID, in.Quantity)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, partOf(x))
	return nil
}

// hoursJSON are billable and non-billable minutes.
type hoursJSON struct {
	BillableMinutes    int `json:"billable_minutes"`
	NonBillableMinutes int `json:"non_billable_minutes"`
}

type orderStatusCountJSON struct {
	Status string `json:"status"`
	Count  int    `json:"count"`
}

type technicianHoursJSON struct {
	UserID int64 `json:"user_id"`
	hoursJSON
}

type monthHoursJSON struct {
	Month string `json:"month"`
	hoursJSON
}

// orderAnalyticsJSON is the response of GET /api/helpdesk/service-orders/analytics.
type orderAnalyticsJSON struct {
	From                        time.Time              `json:"from"`
	To                          time.Time              `json:"to"`
	Total                       int                    `json:"total"`
	ByStatus                    []orderStatusCountJSON `json:"by_status"`
	CompletionRatePercent       *float64               `json:"completion_rate_percent"`
	OnTimeRatePercent           *float64               `json:"on_time_rate_percent"`
	CompletedWithSchedule       int                    `json:"completed_with_schedule"`
	MeanScheduledToCompletedSec int64                  `json:"mean_scheduled_to_completed_seconds"`
	Hours                       hoursJSON              `json:"hours"`
	ByTechnician                []technicianHoursJSON  `json:"by_technician"`
	ByMonth                     []monthHoursJSON       `json:"by_month"`
}

// ratePercent is a rate for JSON: null when there was nothing to rate.
func ratePercent(v float64) *float64 {
	if v < 0 {
		return nil
	}
	return &v
}

func orderAnalyticsOf(x serviceorders.Analytics) orderAnalyticsJSON {
	out := orderAnalyticsJSON{From: x.From.UTC(), To: x.To.UTC(), Total: x.Total,
		ByStatus:              make([]orderStatusCountJSON, len(x.ByStatus)),
		CompletionRatePercent: ratePercent(x.CompletionRate), OnTimeRatePercent: ratePercent(x.OnTimeRate),
		CompletedWithSchedule:       x.CompletedWithSchedule,
		MeanScheduledToCompletedSec: int64(x.ScheduledToCompleted.Round(time.Second) / time.Second),
		Hours:                       hoursJSON(x.Hours),
		ByTechnician:                make([]technicianHoursJSON, len(x.ByTechnician)),
		ByMonth:                     make([]monthHoursJSON, len(x.ByMonth))}
	for i, c := range x.ByStatus {
		out.ByStatus[i] = orderStatusCountJSON{Status: string(c.Status), Count: c.N}
	}
	for i, t := range x.ByTechnician {
		out.ByTechnician[i] = technicianHoursJSON{UserID: int64(t.UserID), hoursJSON: hoursJSON(t.Hours)}
	}
	for i, m := range x.ByMonth {
		out.ByMonth[i] = monthHoursJSON{Month: m.Month, hoursJSON: hoursJSON(m.Hours)}
	}
	return out
}

// orderAnalytics serves GET /api/helpdesk/service-orders/analytics?from=&to=:
// orders created in [from, to) and the time logged in its months. Without
// to the window ends now; without from it starts 30 days before its end.
func (a *api) orderAnalytics(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	from, to, err := a.analyticsWindow(r)
	if err != nil {
		return err
	}
	x, err := a.desk.ServiceOrders.Analytics(r.Context(), p.Actor, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orderAnalyticsOf(x))
	return nil
}

// billableHours serves GET /api/helpdesk/service-orders/billable-hours.csv?month=YYYY-MM.
func (a *api) billableHours(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	month := queryText(r, "month")
	csv, err := a.desk.ServiceOrders.BillableHoursCSV(r.Context(), p.Actor, month)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="billable-hours-`+month+`.csv"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(csv)
	return nil
}
