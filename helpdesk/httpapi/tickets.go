package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// The tickets API: tickets (Chamados), their comments and the analytics.
//
//	POST /api/helpdesk/tickets                 open a ticket (201, ETag, Location; Idempotency-Key)
//	GET  /api/helpdesk/tickets                 list tickets, with filters
//	GET  /api/helpdesk/tickets/{id}            read a ticket (ETag, sla, next_actions)
//	PUT  /api/helpdesk/tickets/{id}            change fields and/or status (If-Match)
//	POST /api/helpdesk/tickets/{id}/assign     assign or unassign (If-Match optional)
//	POST /api/helpdesk/tickets/{id}/comments   add a reply or an internal note (201; Idempotency-Key)
//	GET  /api/helpdesk/tickets/{id}/comments   the ticket's comments, oldest first
//	GET  /api/helpdesk/tickets/{id}/history    the ticket's recorded changes, oldest first
//	GET  /api/helpdesk/analytics               the company's ticket analytics
//
// Single-ticket responses carry the SLA evaluated now (both targets, with
// their targets, elapsed business time and due times) and the caller's
// next actions. List items carry the SLA summary stored with the ticket at
// its last change or SLA check — the worst state, the value the sla_state
// filter matches, and both due times — because evaluating the business
// calendar for every row of a page belongs to the tickets service, not to
// a list.
//
// Authorization, tenant scoping, validation and the lifecycle belong to
// tickets.Service: the handlers only translate between HTTP and its calls.

// ticketsBase is the path the ticket endpoints hang from.
const ticketsBase = "/api/helpdesk/tickets"

// defaultAnalyticsWindow is the window of the analytics when the request
// bounds neither end.
const defaultAnalyticsWindow = 30 * 24 * time.Hour

// ticketRoutes registers the tickets API on the mux.
func (a *api) ticketRoutes() {
	a.mux.Handle("POST /api/helpdesk/tickets", a.authed(a.idempotentCreate(ticketLocation, a.createTicket)))
	a.mux.Handle("GET /api/helpdesk/tickets", a.authed(a.listTickets))
	a.mux.Handle("GET /api/helpdesk/tickets/{id}", a.authed(a.getTicket))
	a.mux.Handle("PUT /api/helpdesk/tickets/{id}", a.authed(a.updateTicket))
	a.mux.Handle("POST /api/helpdesk/tickets/{id}/assign", a.authed(a.assignTicket))
	// JSON, or multipart with files (see attachments.go).
	a.mux.Handle("POST /api/helpdesk/tickets/{id}/comments", a.authed(a.commentRoute))
	// Oldest first; requesters never see internal notes.
	a.mux.Handle("GET /api/helpdesk/tickets/{id}/comments", a.authed(listOf(a, idParam, a.desk.Tickets.Comments, commentOf)))
	// Oldest first; requesters never see the entries of internal notes.
	a.mux.Handle("GET /api/helpdesk/tickets/{id}/history", a.authed(listOf(a, idParam, a.desk.Tickets.History, ticketHistoryOf)))
	a.mux.Handle("GET /api/helpdesk/analytics", a.authed(a.ticketAnalytics))
}

// slaTargetJSON is one SLA target. State, TargetSeconds and
// ElapsedSeconds are set on single-ticket responses, which evaluate the
// SLA now; list items carry only the due time.
type slaTargetJSON struct {
	State          string   `json:"state,omitempty"`
	TargetSeconds  *int64   `json:"target_seconds,omitempty"`
	ElapsedSeconds *int64   `json:"elapsed_seconds,omitempty"`
	DueAt          timeJSON `json:"due_at"`
	BreachedAt     timeJSON `json:"breached_at,omitzero"`
}

// slaJSON is a ticket's SLA: the worse of its two targets' states, each
// target and whether the clocks are paused.
type slaJSON struct {
	State         string        `json:"state"`
	FirstResponse slaTargetJSON `json:"first_response"`
	Resolution    slaTargetJSON `json:"resolution"`
	Paused        bool          `json:"paused"`
}

// seconds is d in whole seconds, for JSON.
func seconds(d time.Duration) *int64 {
	s := int64(d / time.Second)
	return &s
}

// slaTargetOf is the JSON shape of an evaluated target.
func slaTargetOf(s sla.Status) slaTargetJSON {
	return slaTargetJSON{State: string(s.State), TargetSeconds: seconds(s.Target), ElapsedSeconds: seconds(s.Elapsed),
		DueAt: adminTime(s.Due), BreachedAt: adminTime(s.BreachedAt)}
}

// slaOf is the JSON shape of an SLA evaluation.
func slaOf(r sla.Result) slaJSON {
	return slaJSON{State: string(r.Worst()), FirstResponse: slaTargetOf(r.FirstResponse),
		Resolution: slaTargetOf(r.Resolution), Paused: r.Paused}
}

// slaSummaryOf is the SLA summary stored with t, for list items.
func slaSummaryOf(t tickets.Ticket) slaJSON {
	paused := len(t.Pauses) > 0 && t.Pauses[len(t.Pauses)-1].To.IsZero()
	return slaJSON{State: string(t.SLAState), FirstResponse: slaTargetJSON{DueAt: adminTime(t.ResponseDueAt)},
		Resolution: slaTargetJSON{DueAt: adminTime(t.ResolutionDueAt)}, Paused: paused}
}

// nextActionJSON is a transition the caller may take now: its name, the
// status it leads to and the fields it requires.
type nextActionJSON struct {
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	Required []string `json:"required"`
}

// ticketJSON is a ticket in the API. NextActions is set (possibly empty)
// on single-ticket responses and absent from list items.
type ticketJSON struct {
	ID                 int64             `json:"id"`
	CompanyID          int64             `json:"company_id"`
	Number             int64             `json:"number"`
	Title              string            `json:"title"`
	Description        string            `json:"description"`
	Priority           string            `json:"priority"`
	Category           string            `json:"category"`
	Channel            string            `json:"channel"`
	Tags               []string          `json:"tags"`
	RequesterContactID int64             `json:"requester_contact_id"`
	AssigneeUserID     int64             `json:"assignee_user_id,omitempty"`
	AssetID            int64             `json:"asset_id,omitempty"`
	Status             string            `json:"status"`
	ResolutionNote     string            `json:"resolution_note,omitempty"`
	CancelReason       string            `json:"cancel_reason,omitempty"`
	ReopenCount        int               `json:"reopen_count"`
	FirstResponseAt    timeJSON          `json:"first_response_at,omitzero"`
	ResolvedAt         timeJSON          `json:"resolved_at,omitzero"`
	ClosedAt           timeJSON          `json:"closed_at,omitzero"`
	SLA                slaJSON           `json:"sla"`
	NextActions        *[]nextActionJSON `json:"next_actions,omitempty"`
	Version            int64             `json:"version"`
	CreatedAt          timeJSON          `json:"created_at"`
	UpdatedAt          timeJSON          `json:"updated_at"`
}

// idAndVersion tells the ticket's ID and version.
func (t ticketJSON) idAndVersion() (id, version int64) { return t.ID, t.Version }

// appendJSON implements jsonAppender.
func (t *ticketJSON) appendJSON(b []byte) []byte {
	o := openObject(b)
	o.int("id", t.ID)
	o.int("company_id", t.CompanyID)
	o.int("number", t.Number)
	o.str("title", t.Title)
	o.str("description", t.Description)
	o.str("priority", t.Priority)
	o.str("category", t.Category)
	o.str("channel", t.Channel)
	o.strs("tags", t.Tags)
	o.int("requester_contact_id", t.RequesterContactID)
	o.optInt("assignee_user_id", t.AssigneeUserID)
	o.optInt("asset_id", t.AssetID)
	o.str("status", t.Status)
	o.optStr("resolution_note", t.ResolutionNote)
	o.optStr("cancel_reason", t.CancelReason)
	o.int("reopen_count", int64(t.ReopenCount))
	o.optTime("first_response_at", t.FirstResponseAt)
	o.optTime("resolved_at", t.ResolvedAt)
	o.optTime("closed_at", t.ClosedAt)
	o.key("sla")
	o.b = t.SLA.appendJSON(o.b)
	if t.NextActions != nil {
		o.key("next_actions")
		if *t.NextActions == nil {
			o.b = append(o.b, "null"...)
		} else {
			o.b = append(o.b, '[')
			for i, n := range *t.NextActions {
				if i > 0 {
					o.b = append(o.b, ',')
				}
				a := openObject(o.b)
				a.str("name", n.Name)
				a.str("status", n.Status)
				a.strs("required", n.Required)
				o.b = a.close()
			}
			o.b = append(o.b, ']')
		}
	}
	o.int("version", t.Version)
	o.time("created_at", t.CreatedAt)
	o.time("updated_at", t.UpdatedAt)
	return o.close()
}

// appendJSON writes the SLA as encoding/json does.
func (s slaJSON) appendJSON(b []byte) []byte {
	o := openObject(b)
	o.str("state", s.State)
	o.key("first_response")
	o.b = s.FirstResponse.appendJSON(o.b)
	o.key("resolution")
	o.b = s.Resolution.appendJSON(o.b)
	o.bool("paused", s.Paused)
	return o.close()
}

// appendJSON writes the target as encoding/json does.
func (s slaTargetJSON) appendJSON(b []byte) []byte {
	o := openObject(b)
	o.optStr("state", s.State)
	if s.TargetSeconds != nil {
		o.int("target_seconds", *s.TargetSeconds)
	}
	if s.ElapsedSeconds != nil {
		o.int("elapsed_seconds", *s.ElapsedSeconds)
	}
	o.time("due_at", s.DueAt)
	o.optTime("breached_at", s.BreachedAt)
	return o.close()
}

// ticketOf is the JSON shape of t as a list item, with its stored SLA
// summary and no next actions.
func ticketOf(t tickets.Ticket) ticketJSON {
	tags := t.Tags
	if tags == nil {
		tags = []string{}
	}
	return ticketJSON{ID: t.ID, CompanyID: int64(t.CompanyID), Number: t.Number, Title: t.Title,
		Description: t.Description, Priority: string(t.Priority), Category: t.Category, Channel: string(t.Channel),
		Tags: tags, RequesterContactID: int64(t.RequesterContactID), AssigneeUserID: int64(t.AssigneeUserID),
		AssetID: t.AssetID, Status: string(t.Status), ResolutionNote: t.ResolutionNote, CancelReason: t.CancelReason,
		ReopenCount: t.ReopenCount, FirstResponseAt: adminTime(t.FirstResponseAt), ResolvedAt: adminTime(t.ResolvedAt),
		ClosedAt: adminTime(t.ClosedAt), SLA: slaSummaryOf(t), Version: t.Version,
		CreatedAt: adminTime(t.CreatedAt), UpdatedAt: adminTime(t.UpdatedAt)}
}

// ticketDetailsOf is the JSON shape of a single ticket: the SLA evaluated
// now and the caller's next actions.
func ticketDetailsOf(d tickets.Details) ticketJSON {
	out := ticketOf(d.Ticket)
	out.SLA = slaOf(d.SLA)
	next := make([]nextActionJSON, len(d.NextActions))
	for i, n := range d.NextActions {
		next[i] = nextActionJSON{Name: n.Name, Status: string(n.Status), Required: append([]string{}, n.Required...)}
	}
	out.NextActions = &next
	return out
}

// ticketLocation is the path of the ticket id.
func ticketLocation(id int64) string { return ticketsBase + "/" + strconv.FormatInt(id, 10) }

// ticketCreateRequest is the body of POST /api/helpdesk/tickets.
type ticketCreateRequest struct {
	Title              string   `json:"title"`
	Description        string   `json:"description"`
	Priority           string   `json:"priority"`
	Category           string   `json:"category"`
	AssetID            int64    `json:"asset_id"`
	RequesterContactID int64    `json:"requester_contact_id"`
	Tags               []string `json:"tags"`
	Channel            string   `json:"channel"`
}

// createTicket opens a ticket and answers 201 with it, read back so
// that it carries the SLA evaluated now and the caller's next actions.
// When the caller may open tickets but not read them (an API token scoped
// to tickets.create), the answer carries the stored SLA summary and no
// next actions.
func (a *api) createTicket(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in ticketCreateRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	d, err := a.desk.Tickets.Create(r.Context(), p.Actor, tickets.CreateInput{
		Title: in.Title, Description: in.Description, Priority: sla.Priority(strings.TrimSpace(in.Priority)),
		Category: in.Category, Channel: tickets.Channel(strings.TrimSpace(in.Channel)), Tags: in.Tags,
		AssetID: in.AssetID, RequesterContactID: tenant.ContactID(in.RequesterContactID)})
	if err != nil {
		return err
	}
	// Create answers what Get would, next actions included, without a
	// read; a caller who may not read tickets gets the stored summary.
	body := ticketOf(d.Ticket)
	if d.NextActions != nil {
		body = ticketDetailsOf(d)
	}
	w.Header().Set("Location", ticketLocation(d.Ticket.ID))
	writeResource(w, http.StatusCreated, d.Ticket.Version, body)
	return nil
}

// ticketFilter reads the filters of GET /api/helpdesk/tickets; malformed
// IDs and times are 422 naming the parameter, unknown enum values are
// refused by the service.
func ticketFilter(r *http.Request) (tickets.Filter, error) {
	var b validation.Builder
	f := tickets.Filter{
		Status:             tickets.Status(queryText(r, "status")),
		Priority:           sla.Priority(queryText(r, "priority")),
		AssigneeUserID:     tenant.UserID(idQuery(r, "assignee_user_id", &b)),
		RequesterContactID: tenant.ContactID(idQuery(r, "requester_contact_id", &b)),
		AssetID:            idQuery(r, "asset_id", &b),
		Category:           queryText(r, "category"),
		Tag:                strings.ToLower(queryText(r, "tag")),
		Channel:            tickets.Channel(queryText(r, "channel")),
		SLAState:           sla.State(queryText(r, "sla_state")),
		CreatedFrom:        timeQuery(r, "created_from", &b),
		CreatedTo:          timeQuery(r, "created_to", &b),
		Search:             queryText(r, "q"),
		Sort:               tickets.Sort(queryText(r, "sort")),
	}
	if !f.CreatedFrom.IsZero() && !f.CreatedTo.IsZero() && f.CreatedTo.Before(f.CreatedFrom) {
		b.Add("created_to", "must not be before created_from")
	}
	return f, b.Err()
}

// timeQuery reads an optional RFC 3339 query parameter (zero when
// absent), recording a malformed one in b.
func timeQuery(r *http.Request, name string, b *validation.Builder) time.Time {
	v := queryText(r, name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		b.Add(name, "must be an RFC 3339 time such as 2026-07-01T09:30:00Z")
		return time.Time{}
	}
	return t.UTC()
}

// listTickets serves GET /api/helpdesk/tickets in the order sort names
// (ascending ID unless told).
func (a *api) listTickets(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	return listOf(a, ticketFilter, a.desk.Tickets.List, ticketOf)(w, r, p)
}

// getTicket serves GET /api/helpdesk/tickets/{id}.
func (a *api) getTicket(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	return getOne(a.desk.Tickets.Get, ticketDetailsOf)(w, r, p)
}

// presentText is a JSON string that tells absent from null: Set is true
// once the member was sent; null reads as "".
// statusOf reads the status member of a change: nil when absent, a
// validation error listing m's states when it names none of them.
func statusOf[S ~string](in presentText, m *workflow.Machine[S]) (*S, error) {
	if !in.Set {
		return nil, nil
	}
	st := S(strings.TrimSpace(in.Value))
	if !m.Valid(st) {
		names := make([]string, 0, len(m.States()))
		for _, s := range m.States() {
			names = append(names, string(s))
		}
		return nil, fieldError("status", "must be one of "+strings.Join(names, ", "))
	}
	return &st, nil
}

type presentText struct {
	Set   bool
	Value string
}

// UnmarshalJSON records that the member was sent and reads its value.
func (p *presentText) UnmarshalJSON(b []byte) error {
	p.Set = true
	if string(b) == "null" {
		p.Value = ""
		return nil
	}
	return json.Unmarshal(b, &p.Value)
}

// ptr returns the value of a sent member, nil for an absent one.
func (p presentText) ptr() *string {
	if !p.Set {
		return nil
	}
	return &p.Value
}

// ticketUpdate is the body of PUT /api/helpdesk/tickets/{id}: absent
// fields are kept. A null text clears it (a null title is refused like an
// empty one), a null or 0 asset_id detaches the asset and [] clears the
// tags (null tags are kept). A status change goes through the ticket workflow with
// resolution_note (resolving) or reason (cancelling).
type ticketUpdate struct {
	Title          presentText `json:"title"`
	Description    presentText `json:"description"`
	Priority       presentText `json:"priority"`
	Category       presentText `json:"category"`
	Tags           *[]string   `json:"tags"`
	AssetID        presentID   `json:"asset_id"`
	Status         presentText `json:"status"`
	ResolutionNote string      `json:"resolution_note"`
	Reason         string      `json:"reason"`
}

// updateTicket serves PUT /api/helpdesk/tickets/{id} (If-Match). An
// unknown status is 422 naming status; a known one the workflow does not
// allow from the current status is 409 with allowed_transitions.
func (a *api) updateTicket(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in ticketUpdate
	id, version, err := a.changeRequest(w, r, &in)
	if err != nil {
		return err
	}
	patch := tickets.Patch{Title: in.Title.ptr(), Description: in.Description.ptr(), Category: in.Category.ptr(),
		Tags: in.Tags, ResolutionNote: in.ResolutionNote, Reason: in.Reason, Version: version}
	if in.Priority.Set {
		pr := sla.Priority(strings.TrimSpace(in.Priority.Value))
		patch.Priority = &pr
	}
	if in.AssetID.Set {
		patch.AssetID = &in.AssetID.ID
	}
	if patch.Status, err = statusOf(in.Status, a.desk.Tickets.Machine()); err != nil {
		return err
	}
	d, err := a.desk.Tickets.Update(r.Context(), p.Actor, id, patch)
	if err != nil {
		return err
	}
	writeOne(w, ticketDetailsOf(d))
	return nil
}

// ticketAssignRequest is the body of POST /api/helpdesk/tickets/{id}/assign.
type ticketAssignRequest struct {
	AssigneeUserID presentID `json:"assignee_user_id"`
}

// assignTicket serves POST /api/helpdesk/tickets/{id}/assign: a user ID
// assigns, 0 or null unassigns; If-Match is optional.
func (a *api) assignTicket(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in ticketAssignRequest
	id, version, err := a.changeRequest(w, r, &in)
	if err != nil {
		return err
	}
	switch {
	case !in.AssigneeUserID.Set:
		return fieldError("assignee_user_id", "is required: an agent or admin of this company, or 0 or null to unassign")
	case in.AssigneeUserID.ID < 0:
		return fieldError("assignee_user_id", "must be a user ID, or 0 or null to unassign")
	}
	d, err := a.desk.Tickets.Assign(r.Context(), p.Actor, id, tenant.UserID(in.AssigneeUserID.ID), version)
	if err != nil {
		return err
	}
	writeOne(w, ticketDetailsOf(d))
	return nil
}

// commentJSON is a comment in the API.
type commentJSON struct {
	ID           int64    `json:"id"`
	TicketID     int64    `json:"ticket_id"`
	AuthorUserID int64    `json:"author_user_id"`
	Body         string   `json:"body"`
	Internal     bool     `json:"internal"`
	CreatedAt    timeJSON `json:"created_at"`
}

// commentOf is the JSON shape of c.
func commentOf(c tickets.Comment) commentJSON {
	return commentJSON{ID: c.ID, TicketID: c.TicketID, AuthorUserID: int64(c.AuthorUserID), Body: c.Body,
		Internal: c.Internal, CreatedAt: adminTime(c.CreatedAt)}
}

// ticketHistoryJSON is one entry of a ticket's history.
type ticketHistoryJSON struct {
	historyJSON
	Internal bool `json:"internal"`
}

// ticketHistoryOf is the JSON shape of h.
func ticketHistoryOf(h tickets.HistoryEntry) ticketHistoryJSON {
	return ticketHistoryJSON{historyJSON: historyJSON{ID: h.ID, At: adminTime(h.At), ActorUserID: int64(h.ActorUserID),
		Action: h.Action, Field: h.Field, From: h.From, To: h.To, Note: h.Note}, Internal: h.Internal}
}

// commentRequest is the body of POST /api/helpdesk/tickets/{id}/comments.
type commentRequest struct {
	Body     string `json:"body"`
	Internal bool   `json:"internal"`
}

// addComment serves POST /api/helpdesk/tickets/{id}/comments (201).
// Comments are never changed, so the answer has neither ETag nor
// Location: they are read back in the ticket's comment list.
func (a *api) addComment(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	var in commentRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	c, err := a.desk.Tickets.AddComment(r.Context(), p.Actor, id, in.Body, in.Internal)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, commentOf(c))
	return nil
}

// durationStatsJSON summarises a set of durations in seconds.
type durationStatsJSON struct {
	Count       int   `json:"count"`
	MeanSeconds int64 `json:"mean_seconds"`
	P90Seconds  int64 `json:"p90_seconds"`
}

// analyticsJSON is the response of GET /api/helpdesk/analytics.
type analyticsJSON struct {
	From                 time.Time           `json:"from"`
	To                   time.Time           `json:"to"`
	ByStatusPriority     []statusCountJSON   `json:"by_status_priority"`
	PerDay               []dayCountJSON      `json:"per_day"`
	FirstResponse        durationStatsJSON   `json:"first_response"`
	Resolution           durationStatsJSON   `json:"resolution"`
	SLACompliancePercent *float64            `json:"sla_compliance_percent"`
	Backlog              []backlogBucketJSON `json:"backlog"`
	Load                 []agentLoadJSON     `json:"load"`
	Escalations          []escalationJSON    `json:"escalations"`
}

type statusCountJSON struct {
	Status   string `json:"status"`
	Priority string `json:"priority"`
	Count    int    `json:"count"`
}

type dayCountJSON struct {
	Day      string `json:"day"`
	Created  int    `json:"created"`
	Resolved int    `json:"resolved"`
}

type backlogBucketJSON struct {
	Bucket string `json:"bucket"`
	Count  int    `json:"count"`
}

type agentLoadJSON struct {
	UserID int64 `json:"user_id"`
	Active int   `json:"active"`
}

type escalationJSON struct {
	TicketID    int64  `json:"ticket_id,omitempty"`
	Number      int64  `json:"number,omitempty"`
	AgentUserID int64  `json:"agent_user_id,omitempty"`
	Reason      string `json:"reason"`
}

// durationStatsOf is the JSON shape of s, rounded to whole seconds.
func durationStatsOf(s tickets.DurationStats) durationStatsJSON {
	return durationStatsJSON{Count: s.N, MeanSeconds: int64(s.Mean.Round(time.Second) / time.Second),
		P90Seconds: int64(s.P90.Round(time.Second) / time.Second)}
}

// analyticsOf is the JSON shape of x; every list is present, possibly
// empty.
func analyticsOf(x tickets.Analytics) analyticsJSON {
	out := analyticsJSON{From: x.From.UTC(), To: x.To.UTC(),
		ByStatusPriority: make([]statusCountJSON, len(x.ByStatusPriority)),
		PerDay:           make([]dayCountJSON, len(x.PerDay)),
		FirstResponse:    durationStatsOf(x.FirstResponse), Resolution: durationStatsOf(x.Resolution),
		Backlog: make([]backlogBucketJSON, len(x.Backlog)), Load: make([]agentLoadJSON, len(x.Load)),
		Escalations: make([]escalationJSON, len(x.Escalations))}
	for i, c := range x.ByStatusPriority {
		out.ByStatusPriority[i] = statusCountJSON{Status: string(c.Status), Priority: c.Priority, Count: c.N}
	}
	for i, d := range x.PerDay {
		out.PerDay[i] = dayCountJSON{Day: d.Day, Created: d.Created, Resolved: d.Resolved}
	}
	if x.SLACompliance >= 0 {
		v := x.SLACompliance
		out.SLACompliancePercent = &v
	}
	for i, b := range x.Backlog {
		out.Backlog[i] = backlogBucketJSON{Bucket: b.Bucket, Count: b.N}
	}
	for i, l := range x.Load {
		out.Load[i] = agentLoadJSON{UserID: int64(l.UserID), Active: l.Active}
	}
	for i, e := range x.Escalations {
		out.Escalations[i] = escalationJSON{TicketID: e.TicketID, Number: e.Number, AgentUserID: int64(e.AgentUserID),
			Reason: e.Reason}
	}
	return out
}

// analyticsWindow reads the from and to query parameters of an analytics
// request: without to the window ends now; without from it starts
// defaultAnalyticsWindow before its end.
func (a *api) analyticsWindow(r *http.Request) (from, to time.Time, err error) {
	var b validation.Builder
	from, to = timeQuery(r, "from", &b), timeQuery(r, "to", &b)
	if err := b.Err(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if to.IsZero() {
		to = a.now().UTC()
	}
	if from.IsZero() {
		from = to.Add(-defaultAnalyticsWindow)
	}
	return from, to, nil
}

// ticketAnalytics serves GET /api/helpdesk/analytics?from=&to=: tickets
// created in [from, to). Without to the window ends now; without from it
// starts 30 days before its end.
func (a *api) ticketAnalytics(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	from, to, err := a.analyticsWindow(r)
	if err != nil {
		return err
	}
	x, err := a.desk.Tickets.Analytics(r.Context(), p.Actor, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, analyticsOf(x))
	return nil
}
