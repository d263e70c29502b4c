package webui

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// Saved views are named queue filters a person keeps for themselves, on
// the server (tickets.Service.SaveView): they follow the person from one
// browser to another. The console stores the queue's own filters only, as
// the queue writes them, and reads them back the same way.

// savedView is one named view, as the queue shows it.
type savedView struct {
	ID    int64
	Name  string
	Query string
	// Link is the view's address in the console.
	Link string
}

func (c *console) ticketViewRoutes() {
	c.page("POST /tickets/views", c.saveView)
	c.page("POST /tickets/views/delete", c.deleteView)
}

// savedViews reads the person's views; when they cannot be read, the
// queue shows none (and the failure is logged).
func (q *request) savedViews() []savedView {
	vs, err := q.c.desk.Tickets.Views(q.Context(), q.actor)
	if err != nil {
		q.c.log.WarnContext(q.Context(), "webui: saved views unavailable", "error", err.Error())
		return nil
	}
	out := make([]savedView, len(vs))
	for i, v := range vs {
		// Only the queue's own filters, as the queue writes them.
		query := readQueueFilters(parseQuery(v.Query)).Query()
		out[i] = savedView{ID: v.ID, Name: v.Name, Query: query, Link: q.c.path("/tickets?" + query)}
	}
	return out
}

func parseQuery(s string) url.Values {
	v, _ := url.ParseQuery(s)
	return v
}

// viewFieldErrors names the form's field in the service's refusal.
func viewFieldErrors(q *request, err error) map[string]string {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return nil
	}
	renamed := &validation.Error{}
	for _, f := range ve.Fields {
		if f.Field == "name" || f.Field == "query" {
			f.Field = "view_name"
		}
		renamed.Fields = append(renamed.Fields, f)
	}
	return fieldErrors(q, renamed)
}

// saveView keeps the current filters under a name (replacing a view of the
// same name).
func (c *console) saveView(w http.ResponseWriter, r *http.Request, q *request) error {
	f := readQueueFilters(r.PostForm)
	name := r.PostForm.Get("view_name")
	_, err := c.desk.Tickets.SaveView(q.Context(), q.actor, name, f.Query())
	if errors.Is(err, validation.ErrInvalid) {
		p, lerr := c.loadQueue(q, f)
		if lerr != nil {
			return lerr
		}
		p.Errors, p.ViewName = viewFieldErrors(q, err), name
		c.render(w, q, http.StatusUnprocessableEntity, "tickets", p)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, c.path("/tickets?"+f.Query()), http.StatusSeeOther)
	return nil
}

// deleteView forgets the person's view of that name; a name they have no
// view of changes nothing.
func (c *console) deleteView(w http.ResponseWriter, r *http.Request, q *request) error {
	name := r.PostForm.Get("view_name")
	vs, err := c.desk.Tickets.Views(q.Context(), q.actor)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.Name == name {
			if err := c.desk.Tickets.DeleteView(q.Context(), q.actor, v.ID); err != nil {
				return err
			}
		}
	}
	http.Redirect(w, r, c.path("/tickets"), http.StatusSeeOther)
	return nil
}
