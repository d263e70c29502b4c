package webui

import (
	"cmp"
	"errors"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

func (c *console) ticketQueueRoutes() {
	c.page("GET /tickets", c.ticketQueue)
	// The rows alone, for htmx to re-fetch when the queue changes.
	c.page("GET /tickets/rows", c.ticketQueueRows)
	c.page("POST /tickets/bulk", c.ticketBulk)
}

// queueFilters are the queue's filters as they appear in the URL, so that
// a view can be bookmarked and shared.
type queueFilters struct {
	Status   string
	Priority string
	// Assignee is "me", "none" (unassigned) or a user ID.
	Assignee  string
	Requester string
	Category  string
	Channel   string
	Tag       string
	Search    string
	SLA       string
	// Sort is a tickets.Sort: "" (oldest first, by number), "newest",
	// "priority", "updated" or "due".
	Sort   string
	Cursor string
	// RequesterQ is the requester picker's search: it finds contacts to
	// choose from and filters nothing.
	RequesterQ string
}

func readQueueFilters(v url.Values) queueFilters {
	return queueFilters{Status: v.Get("status"), Priority: v.Get("priority"), Assignee: v.Get("assignee"),
		Requester: v.Get("requester"), Category: strings.TrimSpace(v.Get("category")), Channel: v.Get("channel"),
		Tag: strings.TrimSpace(v.Get("tag")), Search: strings.TrimSpace(v.Get("q")), SLA: v.Get("sla"), Sort: v.Get("sort"),
		Cursor: v.Get("cursor"), RequesterQ: v.Get("requester_q")}
}

// query is the filters as a URL query, without the cursor.
func (f queueFilters) query() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": f.Status, "priority": f.Priority, "assignee": f.Assignee,
		"requester": f.Requester, "category": f.Category, "channel": f.Channel, "tag": f.Tag, "q": f.Search, "sla": f.SLA,
		"sort": f.Sort} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// Query is the filters' query string (without the cursor).
func (f queueFilters) Query() string { return f.query().Encode() }

// filter converts the URL's filters to the service's, naming the field of
// any value that is not an ID.
func (f queueFilters) filter(actor tenant.Actor) (tickets.Filter, error) {
	var b validation.Builder
	out := tickets.Filter{Status: tickets.Status(f.Status), Priority: sla.Priority(f.Priority), Category: f.Category,
		Channel: tickets.Channel(f.Channel), Tag: f.Tag, Search: f.Search, SLAState: sla.State(f.SLA)}
	switch f.Assignee {
	case "":
	case "me":
		out.AssigneeUserID = actor.UserID
	case "none":
		out.Unassigned = true
	default:
		id, err := strconv.ParseInt(f.Assignee, 10, 64)
		if err != nil || id <= 0 {
			b.Add("assignee", "must be a user")
		}
		out.AssigneeUserID = tenant.UserID(id)
	}
	out.Sort = tickets.Sort(f.Sort)
	if f.Requester != "" {
		id, err := strconv.ParseInt(f.Requester, 10, 64)
		if err != nil || id <= 0 {
			b.Add("requester", "must be a contact")
		}
		out.RequesterContactID = tenant.ContactID(id)
	}
	return out, b.Err()
}

// sortOptions are the queue's orders, translated; the default's value is
// empty, so that it stays out of the URL.
func sortOptions(q *request) []option {
	out := []option{{Value: "", Label: q.T("tickets.sort.oldest")}}
	for _, s := range tickets.Sorts()[1:] {
		out = append(out, option{Value: string(s), Label: q.T(key("tickets.sort", s))})
	}
	return out
}

// queuePage is the view model of the queue.
type queuePage struct {
	Filters queueFilters
	// Rows is the table body's rows, written by queueRows; Count is how
	// many tickets they show.
	Rows       template.HTML
	Count      int
	NextCursor string
	// NextLink is the address of the next page, filters included.
	NextLink string
	Errors   map[string]string
	// Options of the filters and the bulk actions.
	Statuses, Priorities, Channels, SLAStates, Assignees, Sorts []option
	// Requester is the requester filter's picker (for those who read the
	// company's tickets).
	Requester contactPicker
	// Results are the per-ticket outcomes of a bulk action.
	Results []bulkResult
	// Manage reports whether the person works tickets (bulk actions).
	Manage bool
	// Views are the person's saved views; ViewName keeps the name of a
	// refused save.
	Views    []savedView
	ViewName string
}

func (c *console) loadQueue(q *request, f queueFilters) (queuePage, error) {
	p := queuePage{Filters: f, Statuses: statusOptions(q), Priorities: priorityOptions(q), Channels: channelOptions(q),
		SLAStates: slaOptions(q), Manage: q.actor.Can(tenant.PermTicketsManage)}
	p.Sorts = sortOptions(q)
	n := newNames(q)
	p.Assignees = n.assigneeOptions()
	p.Views = q.savedViews()
	if q.actor.Can(tenant.PermTicketsRead) {
		p.Requester = c.requesterPicker(q, pickerQueue, f.RequesterQ, f.Requester)
	}
	filter, err := f.filter(q.actor)
	if err != nil {
		p.Errors = fieldErrors(q, err)
		p.Requester.Error = cmp.Or(p.Errors["requester"], p.Requester.Error)
		return p, nil
	}
	page, err := c.desk.Tickets.List(q.Context(), q.actor, filter, storage.PageRequest{Cursor: storage.Cursor(f.Cursor)})
	var ve *validation.Error
	switch {
	case errors.As(err, &ve):
		p.Errors = fieldErrors(q, err)
		p.Requester.Error = cmp.Or(p.Errors["requester_contact_id"], p.Requester.Error)
		return p, nil
	case errors.Is(err, storage.ErrBadCursor):
		p.Errors = map[string]string{"cursor": q.T("tickets.bad_cursor")}
		return p, nil
	case err != nil:
		return p, err
	}
	p.Rows, p.Count = queueRows(q, n, page.Items, p.Manage), len(page.Items)
	p.NextCursor = string(page.NextCursor)
	if p.NextCursor != "" {
		v := f.query()
		v.Set("cursor", p.NextCursor)
		p.NextLink = c.path("/tickets?" + v.Encode())
	}
	return p, nil
}

// queueRows writes the queue's table rows. They are most of the page, and
// executing fifty rows of nine cells as a template costs more than the
// page's query (each value goes through reflection and an escaper), so
// they are written here, every value escaped for the text or the quoted
// attribute it lands in.
func queueRows(q *request, n *names, items []tickets.Ticket, manage bool) template.HTML {
	if len(items) == 0 {
		return template.HTML("\n<tr><td colspan=\"9\">" + html.EscapeString(q.T("tickets.empty")) + `</td></tr>`)
	}
	labels := map[string]string{}
	label := func(id string) string {
		s, ok := labels[id]
		if !ok {
			s = html.EscapeString(q.T(id))
			labels[id] = s
		}
		return s
	}
	var b strings.Builder
	b.Grow(len(items) * 900)
	esc := func(s string) { b.WriteString(html.EscapeString(s)) }
	for _, t := range items {
		id := strconv.FormatInt(t.ID, 10)
		number := strconv.FormatInt(t.Number, 10)
		b.WriteString("\n<tr>")
		if manage {
			b.WriteString(`<td><input type="checkbox" name="id" value="` + id + `" aria-label="`)
			esc(q.T("tickets.select_one", "Number", t.Number))
			b.WriteString(`"></td>`)
		}
		b.WriteString("\n<td><a href=\"")
		esc(q.URL("/tickets/" + id))
		b.WriteString(`">#` + number + "</a></td>\n<td>")
		esc(t.Title)
		for _, tag := range t.Tags {
			b.WriteString(` <span class="badge">`)
			esc(tag)
			b.WriteString(`</span>`)
		}
		b.WriteString("</td>\n<td><span class=\"badge status-")
		esc(string(t.Status))
		b.WriteString(`">` + label(key("status", t.Status)) + "</span></td>\n<td>" + label(key("priority", t.Priority)) + "</td>\n<td>")
		if t.SLAState != "" {
			b.WriteString(`<span class="badge sla-`)
			esc(string(t.SLAState))
			b.WriteString(`">` + label(key("sla", t.SLAState)) + `</span>`)
		}
		b.WriteString("</td>\n<td>")
		esc(n.contact(t.RequesterContactID))
		b.WriteString("</td>\n<td>")
		if a := n.userName(t.AssigneeUserID); a != "" {
			esc(a)
		} else {
			b.WriteString(`<span class="muted">` + label("tickets.unassigned") + `</span>`)
		}
		b.WriteString("</td>\n<td><time datetime=\"" + html.EscapeString(q.ISO(t.UpdatedAt)) + `">`)
		esc(q.DateTime(t.UpdatedAt))
		b.WriteString("</time></td>\n</tr>")
	}
	return template.HTML(b.String())
}

// ticketQueue is the ticket queue: filters in the URL, keyset pages, and
// bulk actions for those who work tickets.
func (c *console) ticketQueue(w http.ResponseWriter, r *http.Request, q *request) error {
	p, err := c.loadQueue(q, readQueueFilters(r.URL.Query()))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if p.Errors != nil {
		status = http.StatusUnprocessableEntity
	}
	c.render(w, q, status, "tickets", p)
	return nil
}

// ticketQueueRows renders the rows of the queue alone.
func (c *console) ticketQueueRows(w http.ResponseWriter, r *http.Request, q *request) error {
	p, err := c.loadQueue(q, readQueueFilters(r.URL.Query()))
	if err != nil {
		return err
	}
	c.renderFragment(w, q, "tickets", "queue-rows", p)
	return nil
}

// bulkResult is the outcome of a bulk action on one ticket.
type bulkResult struct {
	ID     int64
	Number int64
	OK     bool
	Error  string
}

// ticketBulk assigns or moves the selected tickets one by one and shows
// each one's outcome; the services check every ticket's permissions and
// workflow, so one refusal does not stop the others.
func (c *console) ticketBulk(w http.ResponseWriter, r *http.Request, q *request) error {
	f := readQueueFilters(r.PostForm)
	action := r.PostForm.Get("action")
	var b validation.Builder
	var ids []int64
	for _, s := range r.PostForm["id"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return errNotFound
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		b.Add("id", "choose at least one ticket")
	}
	var assignee int64
	var status tickets.Status
	switch action {
	case "assign":
		v := r.PostForm.Get("bulk_assignee")
		if v != "" && v != "0" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				b.Add("bulk_assignee", "must be a user")
			}
			assignee = id
		}
	case "status":
		status = tickets.Status(r.PostForm.Get("bulk_status"))
		if status == "" {
			b.Add("bulk_status", "is required")
		}
	default:
		b.Add("action", "is required")
	}
	if err := b.Err(); err != nil {
		p, lerr := c.loadQueue(q, f)
		if lerr != nil {
			return lerr
		}
		p.Errors = fieldErrors(q, err)
		c.render(w, q, http.StatusUnprocessableEntity, "tickets", p)
		return nil
	}
	var results []bulkResult
	for _, id := range ids {
		res := bulkResult{ID: id}
		var err error
		var d tickets.Details
		if action == "assign" {
			d, err = c.desk.Tickets.Assign(q.Context(), q.actor, id, tenant.UserID(assignee), 0)
		} else {
			d, err = c.desk.Tickets.Update(q.Context(), q.actor, id, tickets.Patch{Status: &status,
				ResolutionNote: r.PostForm.Get("resolution_note"), Reason: r.PostForm.Get("reason")})
		}
		res.Number = d.Ticket.Number
		if err != nil {
			res.Error = c.describeError(q, err)
		} else {
			res.OK = true
		}
		results = append(results, res)
	}
	p, err := c.loadQueue(q, f)
	if err != nil {
		return err
	}
	p.Results = results
	c.render(w, q, http.StatusOK, "tickets", p)
	return nil
}

// describeError is a person's explanation of a refused operation.
func (c *console) describeError(q *request, err error) string {
	var ve *validation.Error
	switch {
	case errors.As(err, &ve):
		var parts []string
		for field, msg := range fieldErrors(q, err) {
			parts = append(parts, q.T(key("field_name", field))+": "+msg)
		}
		return strings.Join(parts, "; ")
	case errors.Is(err, storage.ErrNotFound):
		return q.T("error.404.title")
	case errors.Is(err, tenant.ErrForbidden):
		return q.T("error.403.title")
	case errors.Is(err, storage.ErrStale), errors.Is(err, storage.ErrConflict):
		return q.T("error.409.title")
	default:
		if isTransition(err) {
			return q.T("tickets.transition_refused")
		}
		c.log.ErrorContext(q.Context(), "webui: ticket operation", "error", err.Error())
		return q.T("error.500.title")
	}
}

// BulkHidden are the filters a bulk action carries along, so that its
// results show the same view.
func (f queueFilters) BulkHidden() map[string]string {
	out := map[string]string{}
	for k, v := range f.query() {
		out[k] = v[0]
	}
	return out
}
