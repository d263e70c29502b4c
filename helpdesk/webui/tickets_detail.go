package webui

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

func (c *console) ticketDetailRoutes() {
	c.page("GET /tickets/{id}", c.ticketDetail)
	// The header and the conversation alone, for htmx to re-fetch when the
	// ticket changes.
	c.page("GET /tickets/{id}/header", c.ticketFragment("ticket-header", 0))
	c.page("GET /tickets/{id}/conversation", c.ticketFragment("ticket-conversation", withComments))
	c.page("POST /tickets/{id}/comments", c.ticketComment)
	c.page("POST /tickets/{id}/transition", c.ticketTransition)
	c.page("POST /tickets/{id}/assign", c.ticketAssign)
	c.page("POST /tickets/{id}/edit", c.ticketEdit)
	c.fileRoutes()
}

// isTransition reports whether err is a workflow refusal.
func isTransition(err error) bool { return errors.Is(err, workflow.ErrIllegalTransition) }

// ticketForm holds the values of the edit form, as entered.
type ticketForm struct {
	Title       string
	Description string
	Priority    string
	Category    string
	Tags        string
	Version     int64
}

func formOf(t tickets.Ticket) ticketForm {
	return ticketForm{Title: t.Title, Description: t.Description, Priority: string(t.Priority), Category: t.Category,
		Tags: strings.Join(t.Tags, ", "), Version: t.Version}
}

// actionView is one of the workflow's next actions, with the fields it
// asks for.
type actionView struct {
	Name     string
	Status   string
	Required []string
}

// ticketPage is the view model of a ticket.
type ticketPage struct {
	Ticket    tickets.Ticket
	SLA       sla.Result
	Requester string
	Assignee  string
	Asset     string
	Comments  []commentView
	// Files are the ticket's own attachments (those of comments are
	// listed with them); FilesEnabled says whether the reply form takes
	// files.
	Files        []fileView
	FilesEnabled bool
	History      []historyEntry
	Actions      []actionView
	Assignees    []option
	// Priorities are the choices of the edit form.
	Priorities []option
	// Edit is the edit form's values; Conflict, when set, is the ticket as
	// someone else saved it while this person was editing.
	Edit     ticketForm
	Conflict *tickets.Ticket
	// Errors are field errors of the form named by Form.
	Form   string
	Errors map[string]string
	// Comment keeps the text of a refused comment; Action the name of a
	// refused transition, with its fields.
	Comment      string
	Internal     bool
	Action       string
	ActionFields map[string]string
}

// historyEntry is one entry of the ticket's history as a person reads it.
type historyEntry struct {
	At time.Time
	// What says what happened; Detail, when set, the values or the note.
	What   string
	Detail string
	// Actor names who did it; empty for the system.
	Actor string
}

// ticketHistoryView turns the ticket's recorded changes into sentences in the
// person's language: statuses, priorities and people by name.
func ticketHistoryView(q *request, n *names, es []tickets.HistoryEntry) []historyEntry {
	out := make([]historyEntry, 0, len(es))
	for _, e := range es {
		v := historyEntry{At: e.At, Actor: n.user(e.ActorUserID)}
		if e.ActorUserID == 0 {
			v.Actor = ""
		}
		value := func(s string) string {
			switch {
			case s == "":
				return "—"
			case e.Field == "status":
				return q.T(key("status", s))
			case e.Field == "priority":
				return q.T(key("priority", s))
			case e.Field == "assignee_user_id":
				if id, err := strconv.ParseInt(s, 10, 64); err == nil {
					return n.user(tenant.UserID(id))
				}
			case e.Field == "asset_id":
				return "#" + s
			}
			return s
		}
		switch e.Action {
		case tickets.HistoryCreated:
			v.What = q.T("ticket.history.created")
		case tickets.HistoryStatusChanged:
			v.What = q.T("ticket.history.status_changed", "From", value(e.From), "To", value(e.To))
			v.Detail = e.Note
		case tickets.HistoryAssigned:
			v.What = q.T("ticket.history.assigned", "Who", value(e.To))
		case tickets.HistoryUnassigned:
			v.What = q.T("ticket.history.unassigned")
		case tickets.HistoryUpdated:
			v.What = q.T("ticket.history.updated", "Field", q.T(key("field_name", e.Field)))
			if e.Field != "description" {
				v.Detail = value(e.From) + " → " + value(e.To)
			}
		case tickets.HistoryCommented:
			if e.Internal {
				v.What = q.T("ticket.history.note")
			} else {
				v.What = q.T("ticket.history.reply")
			}
		case tickets.HistorySLABreached:
			v.What = q.T(key("ticket.history.sla_breached", e.Field))
		default:
			v.What = e.Action
		}
		out = append(out, v)
	}
	return out
}

// commentView is one message of the conversation.
type commentView struct {
	Comment tickets.Comment
	Author  string
	// Files are the comment's attachments.
	Files []fileView
}

func ticketID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// ticketParts says which of a ticket page's lists to read beside the
// ticket: a fragment re-fetched on every live update reads only its own.
type ticketParts int

const (
	withComments ticketParts = 1 << iota
	withHistory
	wholePage = withComments | withHistory
)

// loadTicket reads a ticket with what its page (or the parts of it named
// by parts) shows. Another company's ticket, and a requester's look at
// someone else's, are not found.
func (c *console) loadTicket(q *request, id int64, parts ticketParts) (ticketPage, error) {
	ctx := q.Context()
	d, err := c.desk.Tickets.Get(ctx, q.actor, id)
	if err != nil {
		if errors.Is(err, tenant.ErrForbidden) {
			return ticketPage{}, errNotFound
		}
		return ticketPage{}, err
	}
	n := newNames(q)
	p := ticketPage{Ticket: d.Ticket, SLA: d.SLA, Requester: n.contact(d.Ticket.RequesterContactID),
		Assignee: n.userName(d.Ticket.AssigneeUserID), Edit: formOf(d.Ticket), Priorities: priorityOptions(q)}
	if d.Ticket.AssetID != 0 {
		p.Asset = "#" + strconv.FormatInt(d.Ticket.AssetID, 10)
		if a, err := c.desk.Inventory.GetAsset(ctx, q.actor, d.Ticket.AssetID); err == nil {
			p.Asset = a.Name + " (" + a.Serial + ")"
		}
	}
	for _, a := range d.NextActions {
		p.Actions = append(p.Actions, actionView{Name: a.Name, Status: string(a.Status), Required: a.Required})
	}
	if q.actor.Can(tenant.PermTicketsManage) {
		p.Assignees = n.assigneeOptions()
	}
	if parts&withComments != 0 {
		comments, err := storage.Collect(0, func(cur storage.Cursor) (storage.Page[tickets.Comment], error) {
			return c.desk.Tickets.Comments(ctx, q.actor, id, storage.PageRequest{Limit: storage.MaxLimit, Cursor: cur})
		})
		if err != nil {
			return ticketPage{}, err
		}
		files, err := c.filesOf(q, id)
		if err != nil {
			return ticketPage{}, err
		}
		p.Files, p.FilesEnabled = files[0], c.desk.Attachments.Enabled()
		for _, cm := range comments {
			p.Comments = append(p.Comments, commentView{Comment: cm, Author: n.user(cm.AuthorUserID), Files: files[cm.ID]})
		}
	}
	if parts&withHistory != 0 {
		hist, err := storage.Collect(0, func(cur storage.Cursor) (storage.Page[tickets.HistoryEntry], error) {
			return c.desk.Tickets.History(ctx, q.actor, id, storage.PageRequest{Limit: storage.MaxLimit, Cursor: cur})
		})
		if err != nil {
			return ticketPage{}, err
		}
		p.History = ticketHistoryView(q, n, hist)
	}
	return p, nil
}

func (c *console) ticketDetail(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := ticketID(r)
	if err != nil {
		return err
	}
	p, err := c.loadTicket(q, id, wholePage)
	if err != nil {
		return err
	}
	c.render(w, q, http.StatusOK, "ticket", p)
	return nil
}

// ticketFragment renders one part of the ticket's page alone, reading
// only the lists that part shows.
func (c *console) ticketFragment(name string, parts ticketParts) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, q *request) error {
		id, err := ticketID(r)
		if err != nil {
			return err
		}
		p, err := c.loadTicket(q, id, parts)
		if err != nil {
			return err
		}
		c.renderFragment(w, q, "ticket", name, p)
		return nil
	}
}

// refuse re-renders the ticket's page with a form's field errors and the
// entered values (set by keep), answering status.
func (c *console) refuse(w http.ResponseWriter, q *request, id int64, status int, form string, err error, keep func(*ticketPage)) error {
	p, lerr := c.loadTicket(q, id, wholePage)
	if lerr != nil {
		return lerr
	}
	p.Form, p.Errors = form, fieldErrors(q, err)
	if p.Errors == nil {
		p.Errors = map[string]string{"form": c.describeError(q, err)}
	}
	keep(&p)
	c.render(w, q, status, "ticket", p)
	return nil
}

// back redirects to the ticket's page after a change (POST → 303 → GET).
func (c *console) back(w http.ResponseWriter, r *http.Request, id int64, anchor string) {
	http.Redirect(w, r, c.path("/tickets/"+strconv.FormatInt(id, 10)+anchor), http.StatusSeeOther)
}

func (c *console) ticketComment(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := ticketID(r)
	if err != nil {
		return err
	}
	if isMultipart(r) {
		return c.commentWithFiles(w, r, q, id)
	}
	body, internal := r.PostForm.Get("body"), r.PostForm.Get("internal") == "1"
	if _, err := c.desk.Tickets.AddComment(q.Context(), q.actor, id, body, internal); err != nil {
		if !errors.Is(err, validation.ErrInvalid) && !errors.Is(err, storage.ErrConflict) {
			return err
		}
		return c.refuse(w, q, id, statusOf(err), "comment", err, func(p *ticketPage) { p.Comment, p.Internal = body, internal })
	}
	c.back(w, r, id, "#conversation")
	return nil
}

// statusOf is the status of a refused form.
func statusOf(err error) int {
	if errors.Is(err, validation.ErrInvalid) {
		return http.StatusUnprocessableEntity
	}
	return http.StatusConflict
}

func (c *console) ticketTransition(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := ticketID(r)
	if err != nil {
		return err
	}
	to := tickets.Status(r.PostForm.Get("status"))
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	note, reason := r.PostForm.Get("resolution_note"), r.PostForm.Get("reason")
	_, err = c.desk.Tickets.Update(q.Context(), q.actor, id, tickets.Patch{Status: &to, ResolutionNote: note, Reason: reason, Version: version})
	if err != nil {
		if errors.Is(err, tenant.ErrForbidden) {
			return err
		}
		if !errors.Is(err, validation.ErrInvalid) && !isTransition(err) && !errors.Is(err, storage.ErrStale) && !errors.Is(err, storage.ErrConflict) {
			return err
		}
		return c.refuse(w, q, id, statusOf(err), "action-"+string(to), err, func(p *ticketPage) {
			p.Action, p.ActionFields = string(to), map[string]string{"resolution_note": note, "reason": reason}
		})
	}
	c.back(w, r, id, "")
	return nil
}

func (c *console) ticketAssign(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := ticketID(r)
	if err != nil {
		return err
	}
	var user int64
	if v := r.PostForm.Get("assignee"); v != "" {
		if user, err = strconv.ParseInt(v, 10, 64); err != nil || user < 0 {
			return c.refuse(w, q, id, http.StatusUnprocessableEntity, "assign", validation.Field("assignee", "must be a user"), func(*ticketPage) {})
		}
	}
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if _, err := c.desk.Tickets.Assign(q.Context(), q.actor, id, tenant.UserID(user), version); err != nil {
		if !errors.Is(err, validation.ErrInvalid) && !errors.Is(err, storage.ErrStale) && !errors.Is(err, storage.ErrConflict) {
			return err
		}
		return c.refuse(w, q, id, statusOf(err), "assign", err, func(*ticketPage) {})
	}
	c.back(w, r, id, "")
	return nil
}

// ticketEdit saves the edit form under the version the form was loaded
// with (If-Match): when someone else saved the ticket meanwhile, nothing
// is written and the page shows their change beside the entered values.
func (c *console) ticketEdit(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := ticketID(r)
	if err != nil {
		return err
	}
	form := ticketForm{Title: r.PostForm.Get("title"), Description: r.PostForm.Get("description"),
		Priority: r.PostForm.Get("priority"), Category: r.PostForm.Get("category"), Tags: r.PostForm.Get("tags")}
	form.Version, _ = strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if form.Version <= 0 {
		return c.refuse(w, q, id, http.StatusUnprocessableEntity, "edit", validation.Field("version", "is required"),
			func(p *ticketPage) { p.Edit = form })
	}
	priority := sla.Priority(form.Priority)
	tags := splitTags(form.Tags)
	if tags == nil {
		tags = []string{}
	}
	patch := tickets.Patch{Title: &form.Title, Description: &form.Description, Priority: &priority, Category: &form.Category,
		Tags: &tags, Version: form.Version}
	_, err = c.desk.Tickets.Update(q.Context(), q.actor, id, patch)
	switch {
	case err == nil:
		c.back(w, r, id, "")
		return nil
	case errors.Is(err, storage.ErrStale):
		p, lerr := c.loadTicket(q, id, wholePage)
		if lerr != nil {
			return lerr
		}
		theirs := p.Ticket
		p.Conflict = &theirs
		p.Form = "edit"
		// The entered values stay in the form, now against the current
		// version: saving again is a deliberate overwrite.
		form.Version = theirs.Version
		p.Edit = form
		c.render(w, q, http.StatusConflict, "ticket", p)
		return nil
	case errors.Is(err, validation.ErrInvalid):
		return c.refuse(w, q, id, http.StatusUnprocessableEntity, "edit", err, func(p *ticketPage) { p.Edit = form })
	default:
		return err
	}
}

// Needs reports whether an action asks for a field.
func (a actionView) Needs(field string) bool { return slices.Contains(a.Required, field) }
