package webui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

func (c *console) serviceOrderRoutes() {
	c.page("GET /service-orders", c.orderList)
	c.page("GET /service-orders/calendar", c.orderCalendar)
	c.page("GET /service-orders/report", c.billableReport)
	c.page("GET /service-orders/report.csv", c.billableCSV)
	c.page("GET /service-orders/new", c.orderNew)
	c.page("POST /service-orders/new", c.orderCreate)
	c.page("GET /service-orders/{id}", c.orderDetail)
	c.page("POST /service-orders/{id}/transition", c.orderTransition)
	c.page("POST /service-orders/{id}/activities", c.orderActivity)
	c.page("POST /service-orders/{id}/parts", c.orderPart)
}

// localInput is the format of <input type="datetime-local">.
const localInput = "2006-01-02T15:04"

// parseLocal reads a datetime-local value in the company's timezone; ""
// is the zero time.
func (q *request) parseLocal(b *validation.Builder, field, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(localInput, s, q.tz)
	if err != nil {
		b.Add(field, "must be a date and time")
		return time.Time{}
	}
	return t
}

// LocalInput formats t for a datetime-local input in the company's
// timezone ("" for the zero time).
func (q *request) LocalInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(q.tz).Format(localInput)
}

// Clock formats t's time of day in the company's timezone.
func (q *request) Clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(q.tz).Format("15:04")
}

// Hours formats minutes as hours and minutes ("3h 05m").
func (q *request) Hours(minutes int) string { return q.Duration(time.Duration(minutes) * time.Minute) }

// parseID reads an optional positive ID of a form or a query.
func parseID(b *validation.Builder, field, s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		b.Add(field, "must be an ID")
		return 0
	}
	return id
}

func soTypeOptions(q *request) []option {
	var out []option
	for _, t := range serviceorders.Types() {
		out = append(out, option{Value: string(t), Label: q.T(key("so_type", t))})
	}
	return out
}

func soStatusOptions(q *request) []option {
	var out []option
	for _, s := range serviceorders.Statuses() {
		out = append(out, option{Value: string(s), Label: q.T(key("so_status", s))})
	}
	return out
}

// orderFilters are the order list's filters as they appear in the URL.
type orderFilters struct {
	Status, Type, Technician, From, To, Ticket, Search, Cursor string
}

func readOrderFilters(v url.Values) orderFilters {
	return orderFilters{Status: v.Get("status"), Type: v.Get("type"), Technician: v.Get("technician"), From: v.Get("from"),
		To: v.Get("to"), Ticket: strings.TrimSpace(v.Get("ticket")), Search: strings.TrimSpace(v.Get("q")), Cursor: v.Get("cursor")}
}

// Query is the filters as a URL query string, without the cursor.
func (f orderFilters) Query() string {
	v := url.Values{}
	for k, s := range map[string]string{"status": f.Status, "type": f.Type, "technician": f.Technician, "from": f.From,
		"to": f.To, "ticket": f.Ticket, "q": f.Search} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

func (f orderFilters) filter(q *request) (serviceorders.Filter, error) {
	var b validation.Builder
	out := serviceorders.Filter{Status: serviceorders.Status(f.Status), Type: serviceorders.Type(f.Type), Search: f.Search,
		TechnicianUserID: tenant.UserID(parseID(&b, "technician", f.Technician)), TicketID: parseID(&b, "ticket", f.Ticket)}
	day := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(time.DateOnly, s, q.tz)
		if err != nil {
			b.Add(field, "must be a date")
		}
		return t
	}
	out.ScheduledFrom = day("from", f.From)
	if to := day("to", f.To); !to.IsZero() {
		out.ScheduledTo = to.AddDate(0, 0, 1) // the whole last day
	}
	return out, b.Err()
}

// orderRow is one order of the list.
type orderRow struct {
	Order      serviceorders.Order
	Technician string
}

// orderListPage is the view model of the order list.
type orderListPage struct {
	Filters                      orderFilters
	Rows                         []orderRow
	NextCursor                   string
	Errors                       map[string]string
	Statuses, Types, Technicians []option
}

func (c *console) orderList(w http.ResponseWriter, r *http.Request, q *request) error {
	f := readOrderFilters(r.URL.Query())
	n := newNames(q)
	p := orderListPage{Filters: f, Statuses: soStatusOptions(q), Types: soTypeOptions(q), Technicians: n.assigneeOptions()}
	status := http.StatusOK
	filter, err := f.filter(q)
	var page storage.Page[serviceorders.Order]
	if err == nil {
		page, err = c.desk.ServiceOrders.List(q.Context(), q.actor, filter, storage.PageRequest{Cursor: storage.Cursor(f.Cursor)})
	}
	switch {
	case errors.Is(err, storage.ErrBadCursor):
		p.Errors, status = map[string]string{"cursor": q.T("tickets.bad_cursor")}, http.StatusUnprocessableEntity
	case errors.Is(err, validation.ErrInvalid):
		p.Errors, status = fieldErrors(q, err), http.StatusUnprocessableEntity
	case err != nil:
		return err
	}
	for _, o := range page.Items {
		p.Rows = append(p.Rows, orderRow{Order: o, Technician: n.user(o.TechnicianUserID)})
	}
	p.NextCursor = string(page.NextCursor)
	c.render(w, q, status, "serviceorders", p)
	return nil
}

// calendarPage is the view model of the week calendar: one row per
// technician, one column per day.
type calendarPage struct {
	Week       time.Time
	Prev, Next string
	Days       []time.Time
	Rows       []calendarRow
	Technician string
	Options    []option
}

// calendarRow is one technician's week.
type calendarRow struct {
	Technician string
	Days       [][]serviceorders.Order
}

// maxCalendarOrders bounds the orders one week shows.
const maxCalendarOrders = 2000

// orderCalendar shows the scheduled orders of a week (?week=YYYY-MM-DD,
// any day of it; default this week) per technician.
func (c *console) orderCalendar(w http.ResponseWriter, r *http.Request, q *request) error {
	v := r.URL.Query()
	day := c.now().In(q.tz)
	if s := v.Get("week"); s != "" {
		t, err := time.ParseInLocation(time.DateOnly, s, q.tz)
		if err != nil {
			return errNotFound
		}
		day = t
	}
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, q.tz)
	start := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // Monday
	end := start.AddDate(0, 0, 7)
	var b validation.Builder
	tech := tenant.UserID(parseID(&b, "technician", v.Get("technician")))
	if b.Err() != nil {
		return errNotFound
	}
	n := newNames(q)
	p := calendarPage{Week: start, Prev: start.AddDate(0, 0, -7).Format(time.DateOnly), Next: end.Format(time.DateOnly),
		Technician: v.Get("technician"), Options: n.assigneeOptions()}
	for i := range 7 {
		p.Days = append(p.Days, start.AddDate(0, 0, i))
	}
	rows := map[tenant.UserID]*calendarRow{}
	var order []tenant.UserID
	var cursor storage.Cursor
	for count := 0; count < maxCalendarOrders; {
		page, err := c.desk.ServiceOrders.List(q.Context(), q.actor, serviceorders.Filter{ScheduledFrom: start, ScheduledTo: end,
			TechnicianUserID: tech}, storage.PageRequest{Limit: storage.MaxLimit, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, o := range page.Items {
			row, ok := rows[o.TechnicianUserID]
			if !ok {
				name := n.user(o.TechnicianUserID)
				if name == "" {
					name = q.T("so.no_technician")
				}
				row = &calendarRow{Technician: name, Days: make([][]serviceorders.Order, 7)}
				rows[o.TechnicianUserID] = row
				order = append(order, o.TechnicianUserID)
			}
			local := o.ScheduledStart.In(q.tz)
			i := int(time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, q.tz).Sub(start).Hours()+12) / 24
			if i >= 0 && i < 7 {
				row.Days[i] = append(row.Days[i], o)
			}
		}
		count += len(page.Items)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	for _, id := range order {
		p.Rows = append(p.Rows, *rows[id])
	}
	c.render(w, q, http.StatusOK, "so_calendar", p)
	return nil
}

// orderForm is the view model of the new-order form, with the values as
// entered.
type orderForm struct {
	Ticket, Asset, Type, Description, Address, Technician, Start, End, APR string
	// TicketLabel and AssetLabel name what the order is for.
	TicketLabel, AssetLabel string
	Types, Technicians      []option
	Errors                  map[string]string
}

func (c *console) orderFormOptions(q *request, f orderForm) orderForm {
	f.Types, f.Technicians = soTypeOptions(q), newNames(q).assigneeOptions()
	ctx := q.Context()
	if id, err := strconv.ParseInt(f.Ticket, 10, 64); err == nil && id > 0 {
		if d, err := c.desk.Tickets.Get(ctx, q.actor, id); err == nil {
			f.TicketLabel = "#" + strconv.FormatInt(d.Ticket.Number, 10) + " " + d.Ticket.Title
		}
	}
	if id, err := strconv.ParseInt(f.Asset, 10, 64); err == nil && id > 0 {
		if a, err := c.desk.Inventory.GetAsset(ctx, q.actor, id); err == nil {
			f.AssetLabel = a.Name + " (" + a.Serial + ")"
		}
	}
	return f
}

// orderNew is the new-order form, for a ticket (?ticket=ID) or an asset
// (?asset=ID).
func (c *console) orderNew(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := q.actor.RequireIn(tenant.PermOrdersManage); err != nil {
		return err
	}
	v := r.URL.Query()
	f := orderForm{Ticket: v.Get("ticket"), Asset: v.Get("asset"), Type: string(serviceorders.TypeCorrective)}
	if f.Ticket != "" {
		id, err := strconv.ParseInt(f.Ticket, 10, 64)
		if err != nil || id <= 0 {
			return errNotFound
		}
		d, err := c.desk.Tickets.Get(q.Context(), q.actor, id)
		if err != nil {
			return err
		}
		f.Description = d.Ticket.Title
	}
	c.render(w, q, http.StatusOK, "so_new", c.orderFormOptions(q, f))
	return nil
}

// orderCreate opens the order (from the ticket when there is one) and goes
// to its page; a refusal shows the form again with the entered values.
func (c *console) orderCreate(w http.ResponseWriter, r *http.Request, q *request) error {
	pf := r.PostForm
	f := orderForm{Ticket: pf.Get("ticket"), Asset: pf.Get("asset"), Type: pf.Get("type"), Description: pf.Get("description"),
		Address: pf.Get("address"), Technician: pf.Get("technician_user_id"), Start: pf.Get("scheduled_start"),
		End: pf.Get("scheduled_end"), APR: pf.Get("apr_number")}
	var b validation.Builder
	in := serviceorders.CreateInput{Type: serviceorders.Type(f.Type), Description: f.Description, Address: f.Address,
		APRNumber: f.APR, TechnicianUserID: tenant.UserID(parseID(&b, "technician_user_id", f.Technician)),
		ScheduledStart: q.parseLocal(&b, "scheduled_start", f.Start), ScheduledEnd: q.parseLocal(&b, "scheduled_end", f.End),
		AssetID: parseID(&b, "asset_id", f.Asset)}
	ticketID := parseID(&b, "ticket_id", f.Ticket)
	err := b.Err()
	var o serviceorders.Order
	if err == nil {
		if ticketID != 0 {
			var d tickets.Details
			if d, err = c.desk.Tickets.Get(q.Context(), q.actor, ticketID); err == nil {
				o, err = c.desk.ServiceOrders.CreateFromTicket(q.Context(), q.actor, d.Ticket.ID, in)
			}
		} else {
			o, err = c.desk.ServiceOrders.Create(q.Context(), q.actor, in)
		}
	}
	if err != nil {
		if !errors.Is(err, validation.ErrInvalid) {
			return err
		}
		f = c.orderFormOptions(q, f)
		f.Errors = fieldErrors(q, err)
		c.render(w, q, http.StatusUnprocessableEntity, "so_new", f)
		return nil
	}
	http.Redirect(w, r, c.path("/service-orders/"+strconv.FormatInt(o.ID, 10)), http.StatusSeeOther)
	return nil
}

// orderActionView is one workflow action of an order, with its fields.
type orderActionView struct {
	Name     string
	Status   string
	Required []string
}

// Needs reports whether the action asks for a field.
func (a orderActionView) Needs(field string) bool {
	for _, f := range a.Required {
		if f == field {
			return true
		}
	}
	return false
}

// activityRow is one entry of the time log, with its texts made once in
// Go (an order's page lists every entry: a template's method calls cost
// more per row than reading the row).
type activityRow struct {
	Activity   serviceorders.Activity
	Technician string
	Kind       string
	Billable   string
	// When is a timed entry's start and end ("07/12/2026 09:00–10:30"),
	// empty for a monthly entry; Hours its duration.
	When, Hours string
}

// orderPage is the view model of an order's page.
type orderPage struct {
	Order       serviceorders.Order
	Technician  string
	Ticket      string
	Asset       string
	Activities  []activityRow
	Parts       []serviceorders.Part
	Totals      serviceorders.Totals
	Actions     []orderActionView
	Technicians []option
	Kinds       []option
	Stock       []option
	// Form names the refused form ("action-<name>", "activity", "part"),
	// Fields its entered values and Errors its field errors.
	Form   string
	Fields map[string]string
	Errors map[string]string
	// Notice explains a refusal whose form is not on the page (a step
	// the order does not offer, posted anyway).
	Notice string
	// Files are the order's attachments (photos, signed forms);
	// FilesEnabled says whether files can be added.
	Files        []fileView
	FilesEnabled bool
}

// Field is an entered value of the refused form named form.
func (p orderPage) Field(form, name string) string {
	if p.Form != form {
		return ""
	}
	return p.Fields[name]
}

// Err is a field error of the refused form named form.
func (p orderPage) Err(form string) map[string]string {
	if p.Form != form {
		return nil
	}
	return p.Errors
}

func orderID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

func (c *console) loadOrder(q *request, id int64) (orderPage, error) {
	ctx := q.Context()
	d, err := c.desk.ServiceOrders.Get(ctx, q.actor, id)
	if err != nil {
		return orderPage{}, err
	}
	n := newNames(q)
	p := orderPage{Order: d.Order, Technician: n.user(d.Order.TechnicianUserID), Parts: d.Parts, Totals: d.Totals}
	p.Activities = make([]activityRow, 0, len(d.Activities))
	kinds := map[serviceorders.ActivityKind]string{}
	yes, no := q.T("so.yes"), q.T("so.no")
	for _, a := range d.Activities {
		kind, ok := kinds[a.Kind]
		if !ok {
			kind = q.T(key("so_kind", a.Kind))
			kinds[a.Kind] = kind
		}
		row := activityRow{Activity: a, Technician: n.user(a.TechnicianUserID), Kind: kind, Billable: no, Hours: q.Hours(a.Minutes)}
		if a.Timed() {
			row.When = q.DateTime(a.StartedAt) + "–" + q.Clock(a.EndedAt)
		}
		if a.Billable {
			row.Billable = yes
		}
		p.Activities = append(p.Activities, row)
	}
	if d.Order.TicketID != 0 {
		p.Ticket = "#" + strconv.FormatInt(d.Order.TicketID, 10)
		if t, err := c.desk.Tickets.Get(ctx, q.actor, d.Order.TicketID); err == nil {
			p.Ticket = "#" + strconv.FormatInt(t.Ticket.Number, 10) + " " + t.Ticket.Title
		}
	}
	if d.Order.AssetID != 0 {
		p.Asset = "#" + strconv.FormatInt(d.Order.AssetID, 10)
		if a, err := c.desk.Inventory.GetAsset(ctx, q.actor, d.Order.AssetID); err == nil {
			p.Asset = a.Name + " (" + a.Serial + ")"
		}
	}
	for _, a := range d.NextActions {
		p.Actions = append(p.Actions, orderActionView{Name: a.Name, Status: string(a.Status), Required: a.Required})
	}
	if q.actor.Can(tenant.PermOrdersManage) {
		p.Technicians = n.assigneeOptions()
		if d.Order.Status.AcceptsWork() {
			for _, k := range serviceorders.ActivityKinds() {
				p.Kinds = append(p.Kinds, option{Value: string(k), Label: q.T(key("so_kind", k))})
			}
			if page, err := c.desk.Inventory.ListStockItems(ctx, q.actor, inventory.StockItemFilter{InStock: true},
				storage.PageRequest{Limit: storage.MaxLimit}); err == nil {
				for _, st := range page.Items {
					p.Stock = append(p.Stock, option{Value: strconv.FormatInt(st.ID, 10),
						Label: q.T("so.stock_option", "Name", st.Name, "Available", q.Int(st.Available), "Cost", q.Money(st.UnitCostCents))})
				}
			}
		}
	}
	p.Files, p.FilesEnabled = c.ownerFiles(q, attachments.ServiceOrderOwner(id)), c.desk.Attachments.Enabled()
	return p, nil
}

func (c *console) orderDetail(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := orderID(r)
	if err != nil {
		return err
	}
	p, err := c.loadOrder(q, id)
	if err != nil {
		return err
	}
	c.render(w, q, http.StatusOK, "serviceorder", p)
	return nil
}

// refuseOrder re-renders the order's page with a form's entered values
// and its field errors (or the refusal explained).
func (c *console) refuseOrder(w http.ResponseWriter, q *request, id int64, form string, fields map[string]string, err error, explain string) error {
	p, lerr := c.loadOrder(q, id)
	if lerr != nil {
		return lerr
	}
	p.Form, p.Fields, p.Errors = form, fields, fieldErrors(q, err)
	if p.Errors == nil {
		p.Errors = map[string]string{}
	}
	if _, ok := p.Errors["activities"]; ok {
		p.Errors["activities"] = q.T("so.needs_activity")
	}
	if explain != "" {
		p.Errors["form"] = explain
	} else if len(p.Errors) == 0 {
		p.Errors["form"] = c.explain(q, err)
	}
	if action, ok := strings.CutPrefix(form, "action-"); ok && !slices.ContainsFunc(p.Actions,
		func(a orderActionView) bool { return a.Name == action }) {
		p.Notice = p.Errors["form"]
		if p.Notice == "" {
			p.Notice = c.explain(q, err)
		}
	}
	c.render(w, q, statusOf(err), "serviceorder", p)
	return nil
}

// refusable reports whether err is a refusal the page explains (rather
// than an error page).
func refusable(err error) bool {
	return !errors.Is(err, tenant.ErrForbidden) && !errors.Is(err, storage.ErrNotFound) &&
		(errors.Is(err, validation.ErrInvalid) || isTransition(err) || errors.Is(err, storage.ErrStale) || errors.Is(err, storage.ErrConflict))
}

func (c *console) backToOrder(w http.ResponseWriter, r *http.Request, id int64, anchor string) {
	http.Redirect(w, r, c.path("/service-orders/"+strconv.FormatInt(id, 10)+anchor), http.StatusSeeOther)
}

// orderTransition moves an order with the fields its action asks for:
// technician and window to schedule, APR number to start on site, the
// customer's sign-off name to approve, a reason to cancel.
func (c *console) orderTransition(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := orderID(r)
	if err != nil {
		return err
	}
	pf := r.PostForm
	action := pf.Get("action")
	fields := map[string]string{}
	for _, k := range []string{"technician_user_id", "scheduled_start", "scheduled_end", "apr_number", "sign_off_name", "reason", "resolve_ticket"} {
		fields[k] = pf.Get(k)
	}
	to := serviceorders.Status(pf.Get("status"))
	version, _ := strconv.ParseInt(pf.Get("version"), 10, 64)
	patch := serviceorders.Patch{Status: &to, Reason: fields["reason"], Version: version}
	var b validation.Builder
	if _, ok := pf["technician_user_id"]; ok {
		tech := tenant.UserID(parseID(&b, "technician_user_id", fields["technician_user_id"]))
		patch.TechnicianUserID = &tech
	}
	if _, ok := pf["scheduled_start"]; ok {
		start, end := q.parseLocal(&b, "scheduled_start", fields["scheduled_start"]), q.parseLocal(&b, "scheduled_end", fields["scheduled_end"])
		if !start.IsZero() || !end.IsZero() {
			patch.ScheduledStart, patch.ScheduledEnd = &start, &end
		}
	}
	if _, ok := pf["apr_number"]; ok {
		apr := fields["apr_number"]
		patch.APRNumber = &apr
	}
	if _, ok := pf["sign_off_name"]; ok {
		patch.SignOff = &serviceorders.SignOff{Name: strings.TrimSpace(fields["sign_off_name"])}
	}
	patch.ResolveTicket = fields["resolve_ticket"] == "1"
	err = b.Err()
	if err == nil {
		_, err = c.desk.ServiceOrders.Update(q.Context(), q.actor, id, patch)
	}
	if err != nil {
		if !refusable(err) {
			return err
		}
		return c.refuseOrder(w, q, id, "action-"+action, fields, err, "")
	}
	c.backToOrder(w, r, id, "")
	return nil
}

// orderActivity logs an activity or time entry; an entry overlapping
// another of the same technician is refused and explained.
func (c *console) orderActivity(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := orderID(r)
	if err != nil {
		return err
	}
	pf := r.PostForm
	fields := map[string]string{}
	for _, k := range []string{"kind", "description", "technician_user_id", "started_at", "ended_at", "minutes", "billable"} {
		fields[k] = pf.Get(k)
	}
	var b validation.Builder
	in := serviceorders.ActivityInput{Kind: serviceorders.ActivityKind(fields["kind"]), Description: fields["description"],
		TechnicianUserID: tenant.UserID(parseID(&b, "technician_user_id", fields["technician_user_id"])),
		StartedAt:        q.parseLocal(&b, "started_at", fields["started_at"]), EndedAt: q.parseLocal(&b, "ended_at", fields["ended_at"]),
		Billable: fields["billable"] == "1"}
	if s := strings.TrimSpace(fields["minutes"]); s != "" {
		m, err := strconv.Atoi(s)
		if err != nil {
			b.Add("minutes", "must be a whole number of minutes")
		}
		in.Minutes = m
	}
	err = b.Err()
	if err == nil {
		_, err = c.desk.ServiceOrders.AddActivity(q.Context(), q.actor, id, in)
	}
	if err != nil {
		if !refusable(err) {
			return err
		}
		explain := ""
		if errors.Is(err, serviceorders.ErrOverlap) {
			explain = q.T("so.overlap")
		} else if errors.Is(err, storage.ErrConflict) {
			explain = q.T("so.closed_for_work")
		}
		return c.refuseOrder(w, q, id, "activity", fields, err, explain)
	}
	c.backToOrder(w, r, id, "#activities")
	return nil
}

// orderPart consumes parts from stock; insufficient stock is refused and
// explained with what is left.
func (c *console) orderPart(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := orderID(r)
	if err != nil {
		return err
	}
	pf := r.PostForm
	fields := map[string]string{"stock_item_id": pf.Get("stock_item_id"), "quantity": pf.Get("quantity")}
	var b validation.Builder
	stock := parseID(&b, "stock_item_id", fields["stock_item_id"])
	if stock == 0 && b.Err() == nil {
		b.Add("stock_item_id", "is required")
	}
	qty, qerr := strconv.Atoi(strings.TrimSpace(fields["quantity"]))
	if qerr != nil {
		b.Add("quantity", "must be from 1 to %d", inventory.MaxQuantity)
	}
	err = b.Err()
	if err == nil {
		_, err = c.desk.ServiceOrders.AddPart(q.Context(), q.actor, id, stock, qty)
	}
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) && stock != 0 {
			err = validation.Field("stock_item_id", "must be a stock item")
		}
		if !refusable(err) {
			return err
		}
		explain := ""
		switch {
		case errors.Is(err, inventory.ErrInsufficientStock):
			explain = q.T("so.insufficient_stock")
			if st, serr := c.desk.Inventory.GetStockItem(q.Context(), q.actor, stock); serr == nil {
				explain = q.T("so.insufficient_stock_of", "Name", st.Name, "Available", q.Int(st.Available), "Wanted", q.Int(qty))
			}
		case errors.Is(err, storage.ErrConflict):
			explain = q.T("so.closed_for_work")
		}
		return c.refuseOrder(w, q, id, "part", fields, err, explain)
	}
	c.backToOrder(w, r, id, "#parts")
	return nil
}

// reportPage is the view model of the monthly billable-hours report.
type reportPage struct {
	Month  string
	Lines  []reportLine
	Total  int
	Errors map[string]string
}

// reportLine is one order and technician of the report.
type reportLine struct {
	Line       serviceorders.BillableLine
	Technician string
}

// billableReport shows the billable hours of a month (?month=YYYY-MM,
// default the current one) per order and technician.
func (c *console) billableReport(w http.ResponseWriter, r *http.Request, q *request) error {
	month := r.URL.Query().Get("month")
	if month == "" {
		month = c.now().In(q.tz).Format("2006-01")
	}
	p := reportPage{Month: month}
	lines, err := c.desk.ServiceOrders.BillableHours(q.Context(), q.actor, month)
	status := http.StatusOK
	switch {
	case errors.Is(err, validation.ErrInvalid):
		p.Errors, status = fieldErrors(q, err), http.StatusUnprocessableEntity
	case err != nil:
		return err
	}
	n := newNames(q)
	for _, l := range lines {
		p.Total += l.BillableMinutes
		p.Lines = append(p.Lines, reportLine{Line: l, Technician: n.user(l.TechnicianUserID)})
	}
	c.render(w, q, status, "so_report", p)
	return nil
}

// billableCSV downloads the month's billable hours as CSV.
func (c *console) billableCSV(w http.ResponseWriter, r *http.Request, q *request) error {
	month := r.URL.Query().Get("month")
	body, err := c.desk.ServiceOrders.BillableHoursCSV(q.Context(), q.actor, month)
	if err != nil {
		if errors.Is(err, validation.ErrInvalid) {
			return errNotFound
		}
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="billable-hours-`+month+`.csv"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
	return nil
}
