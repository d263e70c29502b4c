package webui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// pickerMatches bounds the contacts a picker offers for a search.
const pickerMatches = 20

// pickerListed bounds the contacts the new-ticket form offers before any
// search.
const pickerListed = 50

func (c *console) pickerRoutes() {
	// The select of a requester picker alone, for htmx to swap as the
	// person types in its search box.
	c.page("GET /tickets/requester-picker", c.requesterPickerFragment)
}

// pickerKind is where a requester picker sits: the queue's filters or the
// new-ticket form.
type pickerKind string

const (
	pickerQueue pickerKind = "queue"
	pickerNew   pickerKind = "new"
)

// contactPicker is the view model of a requester picker: a search box
// (requester_q) and a select (requester) of the contacts it found, the
// chosen one first. Without JavaScript the search submits the form it
// sits in and the page comes back with the matches; with htmx the select
// is re-fetched as the person types.
type contactPicker struct {
	Kind pickerKind
	// ID is the select's element ID; the search box's is ID + "-q".
	ID string
	// Label and Empty are the select's label and the label of its empty
	// choice.
	Label, Empty string
	Query        string
	Selected     string
	Options      []option
	// Found says how many contacts the search found; empty without one.
	Found string
	// Error is the field error of the search or of the choice.
	Error string
	// Action is the fragment's address; Form the address of the form's
	// plain (no JavaScript) search.
	Action, Form string
}

// requesterPicker builds the picker of kind: the chosen contact (by name)
// and the active contacts matching query, read with the person's
// permissions. The queue lists nobody before a search; the new-ticket form
// lists the first contacts.
func (c *console) requesterPicker(q *request, kind pickerKind, query, selected string) contactPicker {
	p := contactPicker{Kind: kind, Query: strings.TrimSpace(query), Selected: selected,
		Action: c.path("/tickets/requester-picker?for=" + string(kind))}
	if kind == pickerQueue {
		p.ID, p.Label, p.Empty, p.Form = "f-requester", q.T("tickets.requester"), q.T("tickets.any"), c.path("/tickets")
	} else {
		p.ID, p.Label, p.Empty, p.Form = "requester", q.T("ticket_new.requester"), q.T("ticket_new.choose_requester"), c.path("/tickets/new")
	}
	if !q.actor.Can(tenant.PermContactsRead) {
		return p
	}
	label := func(ct directory.Contact) string {
		if ct.Email == "" {
			return ct.Name
		}
		return ct.Name + " <" + ct.Email + ">"
	}
	chosen, err := strconv.ParseInt(selected, 10, 64)
	if err == nil && chosen > 0 {
		if ct, err := c.desk.Directory.GetContact(q.Context(), q.actor, tenant.ContactID(chosen)); err == nil {
			p.Options = append(p.Options, option{Value: selected, Label: label(ct)})
		}
	}
	if p.Query == "" && kind == pickerQueue {
		return p
	}
	active := true
	limit := pickerListed
	if p.Query != "" {
		limit = pickerMatches
	}
	page, err := c.desk.Directory.ListContacts(q.Context(), q.actor, directory.ContactFilter{Active: &active, Search: p.Query},
		storage.PageRequest{Limit: limit})
	var ve *validation.Error
	switch {
	case errors.As(err, &ve):
		for _, msg := range fieldErrors(q, err) {
			p.Error = msg
		}
		return p
	case err != nil:
		c.log.ErrorContext(q.Context(), "webui: searching contacts", "error", err.Error())
		return p
	}
	for _, ct := range page.Items {
		if int64(ct.ID) != chosen {
			p.Options = append(p.Options, option{Value: strconv.FormatInt(int64(ct.ID), 10), Label: label(ct)})
		}
	}
	if p.Query != "" {
		p.Found = q.TN("picker.found", len(page.Items))
	}
	return p
}

// requesterPickerFragment renders a picker's select for the search typed
// so far, keeping the choice already made.
func (c *console) requesterPickerFragment(w http.ResponseWriter, r *http.Request, q *request) error {
	v := r.URL.Query()
	kind := pickerKind(v.Get("for"))
	if kind != pickerQueue && kind != pickerNew {
		return errNotFound
	}
	if err := q.actor.RequireIn(tenant.PermContactsRead); err != nil {
		return err
	}
	c.renderFragment(w, q, "tickets", "contact-picker-fragment", c.requesterPicker(q, kind, v.Get("requester_q"), v.Get("requester")))
	return nil
}
