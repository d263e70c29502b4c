package webui

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

func (c *console) ticketNewRoutes() {
	c.page("GET /tickets/new", c.ticketNew)
	c.page("POST /tickets/new", c.ticketCreate)
}

// newTicketForm is the view model of the new-ticket form, with the values
// as entered.
type newTicketForm struct {
	Title       string
	Description string
	Priority    string
	Category    string
	Tags        string
	Requester   string
	// RequesterQ is the requester picker's search.
	RequesterQ string
	Asset      string
	Errors     map[string]string
	// OnBehalf reports whether the person opens tickets for others (agents
	// and admins), with the requester picker; Assets are the assets to
	// choose from.
	OnBehalf   bool
	Picker     contactPicker
	Assets     []option
	Priorities []option
}

func (c *console) newTicketForm(q *request, f newTicketForm) newTicketForm {
	ctx := q.Context()
	f.Priorities = priorityOptions(q)
	f.OnBehalf = q.actor.Can(tenant.PermTicketsManage)
	if f.OnBehalf {
		f.Picker = c.requesterPicker(q, pickerNew, f.RequesterQ, f.Requester)
		f.Picker.Error = cmp.Or(f.Errors["requester_contact_id"], f.Picker.Error)
	}
	if q.actor.Can(tenant.PermAssetsRead) || q.actor.Can(tenant.PermAssetsReadOwn) {
		if page, err := c.desk.Inventory.ListAssets(ctx, q.actor, inventory.AssetFilter{}, storage.PageRequest{Limit: storage.MaxLimit}); err == nil {
			for _, a := range page.Items {
				f.Assets = append(f.Assets, option{Value: strconv.FormatInt(a.ID, 10), Label: a.Name + " (" + a.Serial + ")"})
			}
		}
	}
	return f
}

func (c *console) ticketNew(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := q.actor.RequireIn(tenant.PermTicketsCreate); err != nil {
		return err
	}
	// The form's values come back in the URL when the requester picker
	// searches without JavaScript (a GET of the form).
	v := r.URL.Query()
	f := newTicketForm{Title: v.Get("title"), Description: v.Get("description"), Priority: cmp.Or(v.Get("priority"), string(sla.PriorityMedium)),
		Category: v.Get("category"), Tags: v.Get("tags"), Requester: v.Get("requester"), RequesterQ: v.Get("requester_q"), Asset: v.Get("asset")}
	c.render(w, q, http.StatusOK, "ticket_new", c.newTicketForm(q, f))
	return nil
}

// ticketCreate opens the ticket and goes to its page; a refusal shows the
// form again with the entered values and each field's error.
func (c *console) ticketCreate(w http.ResponseWriter, r *http.Request, q *request) error {
	f := newTicketForm{Title: r.PostForm.Get("title"), Description: r.PostForm.Get("description"),
		Priority: r.PostForm.Get("priority"), Category: r.PostForm.Get("category"), Tags: r.PostForm.Get("tags"),
		Requester: r.PostForm.Get("requester"), RequesterQ: r.PostForm.Get("requester_q"), Asset: r.PostForm.Get("asset")}
	in := tickets.CreateInput{Title: f.Title, Description: f.Description, Priority: sla.Priority(f.Priority),
		Category: f.Category, Channel: tickets.ChannelWeb, Tags: splitTags(f.Tags)}
	var b validation.Builder
	if f.Requester != "" {
		id, err := strconv.ParseInt(f.Requester, 10, 64)
		if err != nil || id <= 0 {
			b.Add("requester_contact_id", "must be a contact")
		}
		in.RequesterContactID = tenant.ContactID(id)
	}
	if f.Asset != "" {
		id, err := strconv.ParseInt(f.Asset, 10, 64)
		if err != nil || id <= 0 {
			b.Add("asset_id", "must be an asset")
		}
		in.AssetID = id
	}
	err := b.Err()
	var d tickets.Details
	if err == nil {
		d, err = c.desk.Tickets.Create(q.Context(), q.actor, in)
	}
	if err != nil {
		if !errors.Is(err, validation.ErrInvalid) {
			return err
		}
		f.Errors = fieldErrors(q, err)
		c.render(w, q, http.StatusUnprocessableEntity, "ticket_new", c.newTicketForm(q, f))
		return nil
	}
	http.Redirect(w, r, c.path("/tickets/"+strconv.FormatInt(d.Ticket.ID, 10)), http.StatusSeeOther)
	return nil
}
