package webui

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// Saved views are named queue filters a person keeps for themselves. They
// live in a cookie of the person's own (per user, per browser): a view is
// only a link, so nothing on the server needs to know it.
const (
	maxSavedViews    = 10
	maxViewNameChars = 60
)

// savedView is one named view: its filters as a query string.
type savedView struct {
	Name  string `json:"n"`
	Query string `json:"q"`
	// Link is the view's address in the console (not stored).
	Link string `json:"-"`
}

func (c *console) ticketViewRoutes() {
	c.page("POST /tickets/views", c.saveView)
	c.page("POST /tickets/views/delete", c.deleteView)
}

func viewsCookie(q *request) string {
	return "boladao_views_" + strconv.FormatInt(int64(q.actor.UserID), 10)
}

// savedViews reads the person's views; a damaged cookie reads as none.
func (q *request) savedViews() []savedView {
	ck, err := q.r.Cookie(viewsCookie(q))
	if err != nil {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return nil
	}
	var views []savedView
	if json.Unmarshal(raw, &views) != nil || len(views) > maxSavedViews {
		return nil
	}
	for i := range views {
		// Only the queue's own filters, as the queue writes them.
		f := readQueueFilters(parseQuery(views[i].Query))
		views[i].Query = f.Query()
		views[i].Link = q.c.path("/tickets?" + views[i].Query)
	}
	return views
}

func parseQuery(s string) url.Values {
	v, _ := url.ParseQuery(s)
	return v
}

func (c *console) writeViews(w http.ResponseWriter, q *request, views []savedView) {
	raw, _ := json.Marshal(views)
	http.SetCookie(w, c.cookie(q.r, viewsCookie(q), base64.RawURLEncoding.EncodeToString(raw), 365*24*3600))
}

// saveView keeps the current filters under a name (replacing a view of the
// same name).
func (c *console) saveView(w http.ResponseWriter, r *http.Request, q *request) error {
	f := readQueueFilters(r.PostForm)
	name := strings.TrimSpace(r.PostForm.Get("view_name"))
	var b validation.Builder
	switch {
	case name == "":
		b.Add("view_name", "is required")
	case utf8.RuneCountInString(name) > maxViewNameChars:
		b.Add("view_name", "must have at most %d characters", maxViewNameChars)
	}
	views := slices.DeleteFunc(q.savedViews(), func(v savedView) bool { return v.Name == name })
	if len(views) >= maxSavedViews {
		b.Add("view_name", "you may keep at most %d views: delete one first", maxSavedViews)
	}
	if err := b.Err(); err != nil {
		p, lerr := c.loadQueue(q, f)
		if lerr != nil {
			return lerr
		}
		p.Errors, p.ViewName = fieldErrors(q, err), name
		c.render(w, q, http.StatusUnprocessableEntity, "tickets", p)
		return nil
	}
	c.writeViews(w, q, append(views, savedView{Name: name, Query: f.Query()}))
	http.Redirect(w, r, c.path("/tickets?"+f.Query()), http.StatusSeeOther)
	return nil
}

// deleteView forgets a view.
func (c *console) deleteView(w http.ResponseWriter, r *http.Request, q *request) error {
	name := r.PostForm.Get("view_name")
	c.writeViews(w, q, slices.DeleteFunc(q.savedViews(), func(v savedView) bool { return v.Name == name }))
	http.Redirect(w, r, c.path("/tickets"), http.StatusSeeOther)
	return nil
}
