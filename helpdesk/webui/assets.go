package webui

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

func (c *console) assetRoutes() {
	c.page("GET /assets", c.assetList)
	c.page("GET /assets/export.csv", c.assetExport)
	c.page("GET /assets/{id}", c.assetDetail)
	c.page("POST /assets/{id}/transition", c.assetTransition)
	c.page("GET /stock", c.stockList)
}

// maxWarrantyDays bounds the "warranty ending within N days" filter.
const maxWarrantyDays = 3660

// assetFilters are the asset list's filters as they appear in the URL.
type assetFilters struct {
	Search   string
	Status   string
	Category string
	Location string
	// Assignee is a contact ID.
	Assignee string
	// WarrantyDays keeps assets whose warranty ends within that many days
	// from now.
	WarrantyDays string
	Cursor       string
}

func readAssetFilters(v url.Values) assetFilters {
	return assetFilters{Search: strings.TrimSpace(v.Get("q")), Status: v.Get("status"),
		Category: strings.TrimSpace(v.Get("category")), Location: strings.TrimSpace(v.Get("location")),
		Assignee: strings.TrimSpace(v.Get("assignee")), WarrantyDays: strings.TrimSpace(v.Get("warranty_days")),
		Cursor: v.Get("cursor")}
}

// Query is the filters as a URL query string, without the cursor.
func (f assetFilters) Query() string {
	v := url.Values{}
	for k, s := range map[string]string{"q": f.Search, "status": f.Status, "category": f.Category, "location": f.Location,
		"assignee": f.Assignee, "warranty_days": f.WarrantyDays} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

// filter converts the URL's filters to the service's, naming the field of
// any value that does not parse.
func (f assetFilters) filter(now time.Time) (inventory.AssetFilter, error) {
	var b validation.Builder
	out := inventory.AssetFilter{Search: f.Search, Status: inventory.Status(f.Status), Category: f.Category, Location: f.Location}
	if f.Assignee != "" {
		id, err := strconv.ParseInt(f.Assignee, 10, 64)
		if err != nil || id <= 0 {
			b.Add("assignee", "must be a contact")
		}
		out.AssigneeContactID = tenant.ContactID(id)
	}
	if f.WarrantyDays != "" {
		n, err := strconv.Atoi(f.WarrantyDays)
		if err != nil || n < 1 || n > maxWarrantyDays {
			b.Add("warranty_days", "must be from 1 to %d", maxWarrantyDays)
		}
		out.WarrantyFrom, out.WarrantyTo = now, now.AddDate(0, 0, n)
	}
	return out, b.Err()
}

// assetRow is one asset of the list, with its texts made once in Go: a
// page lists up to 200 rows, and a template's method calls and message
// lookups cost more per row than the whole query.
type assetRow struct {
	Asset    inventory.Asset
	Assignee string
	// Href is the asset's page; Status its status, translated.
	Href, Status string
	// Warranty is the warranty's end as a date, WarrantyISO for the
	// <time> element; both empty without a warranty.
	Warranty, WarrantyISO string
}

// assetListPage is the view model of the asset list.
type assetListPage struct {
	Filters    assetFilters
	Rows       []assetRow
	NextCursor string
	Errors     map[string]string
	Statuses   []option
}

// assetStatusOptions are the asset statuses, translated.
func assetStatusOptions(q *request) []option {
	var out []option
	for _, s := range inventory.Statuses() {
		out = append(out, option{Value: string(s), Label: q.T(key("asset_status", s))})
	}
	return out
}

// contactOptions lists the company's active contacts (empty when the
// person may not read contacts).
func (c *console) contactOptions(q *request) []option {
	if !q.actor.Can(tenant.PermContactsRead) || q.actor.CompanyID == 0 {
		return nil
	}
	active := true
	page, err := c.desk.Directory.ListContacts(q.Context(), q.actor, directory.ContactFilter{Active: &active},
		storage.PageRequest{Limit: storage.MaxLimit})
	if err != nil {
		return nil
	}
	out := make([]option, 0, len(page.Items))
	for _, ct := range page.Items {
		out = append(out, option{Value: strconv.FormatInt(int64(ct.ID), 10), Label: ct.Name})
	}
	return out
}

func (c *console) loadAssets(q *request, f assetFilters) (assetListPage, error) {
	p := assetListPage{Filters: f, Statuses: assetStatusOptions(q)}
	filter, err := f.filter(c.now())
	if err != nil {
		p.Errors = fieldErrors(q, err)
		return p, nil
	}
	page, err := c.desk.Inventory.ListAssets(q.Context(), q.actor, filter, storage.PageRequest{Cursor: storage.Cursor(f.Cursor)})
	var ve *validation.Error
	switch {
	case errors.As(err, &ve):
		p.Errors = fieldErrors(q, err)
		return p, nil
	case errors.Is(err, storage.ErrBadCursor):
		p.Errors = map[string]string{"cursor": q.T("tickets.bad_cursor")}
		return p, nil
	case err != nil:
		return p, err
	}
	n := newNames(q)
	statuses := map[inventory.Status]string{}
	p.Rows = make([]assetRow, 0, len(page.Items))
	for _, a := range page.Items {
		label, ok := statuses[a.Status]
		if !ok {
			label = q.T(key("asset_status", a.Status))
			statuses[a.Status] = label
		}
		row := assetRow{Asset: a, Assignee: n.contact(a.AssigneeContactID), Status: label,
			Href: q.URL("/assets/" + strconv.FormatInt(a.ID, 10))}
		if !a.WarrantyUntil.IsZero() {
			row.Warranty, row.WarrantyISO = q.Date(a.WarrantyUntil), q.ISO(a.WarrantyUntil)
		}
		p.Rows = append(p.Rows, row)
	}
	p.NextCursor = string(page.NextCursor)
	return p, nil
}

// assetList is the asset list: search, filters in the URL, keyset pages.
func (c *console) assetList(w http.ResponseWriter, r *http.Request, q *request) error {
	p, err := c.loadAssets(q, readAssetFilters(r.URL.Query()))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if p.Errors != nil {
		status = http.StatusUnprocessableEntity
	}
	c.render(w, q, status, "assets", p)
	return nil
}

// maxExportRows bounds one CSV export.
const maxExportRows = 100_000

// assetExport downloads the filtered list as CSV, page by page.
func (c *console) assetExport(w http.ResponseWriter, r *http.Request, q *request) error {
	f := readAssetFilters(r.URL.Query())
	filter, err := f.filter(c.now())
	if err != nil {
		return err
	}
	ctx := q.Context()
	// The first page is read before anything is written, so that a refusal
	// still renders its error page.
	page, err := c.desk.Inventory.ListAssets(ctx, q.actor, filter, storage.PageRequest{Limit: storage.MaxLimit})
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="assets.csv"`)
	h.Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "serial", "name", "category", "manufacturer", "model", "status", "assignee_contact_id",
		"location", "warranty_until", "manufacturer_serial", "stock_item_id"})
	rows := 0
	for {
		for _, a := range page.Items {
			assignee, warranty := "", ""
			if a.AssigneeContactID != 0 {
				assignee = strconv.FormatInt(int64(a.AssigneeContactID), 10)
			}
			if !a.WarrantyUntil.IsZero() {
				warranty = a.WarrantyUntil.In(q.tz).Format(time.DateOnly)
			}
			_ = cw.Write([]string{strconv.FormatInt(a.ID, 10), a.Serial, a.Name, a.Category, a.Manufacturer, a.Model,
				string(a.Status), assignee, a.Location, warranty, a.ManufacturerSerial, strconv.FormatInt(a.StockItemID, 10)})
			rows++
		}
		if page.NextCursor == "" || rows >= maxExportRows {
			break
		}
		if page, err = c.desk.Inventory.ListAssets(ctx, q.actor, filter,
			storage.PageRequest{Limit: storage.MaxLimit, Cursor: page.NextCursor}); err != nil {
			c.log.ErrorContext(ctx, "webui: asset export", "error", err.Error())
			break
		}
	}
	cw.Flush()
	return nil
}

// assetActionView is one lifecycle action of an asset, with its fields.
type assetActionView struct {
	Name     string
	Status   string
	Required []string
}

// Needs reports whether the action asks for a field.
func (a assetActionView) Needs(field string) bool { return slices.Contains(a.Required, field) }

// historyView is one entry of an asset's timeline.
type historyView struct {
	Entry inventory.HistoryEntry
	Actor string
	// From and To are the entry's values as a person reads them.
	From, To string
}

// assetPage is the view model of an asset's page.
type assetPage struct {
	Asset    inventory.Asset
	Assignee string
	Stock    *inventory.StockItem
	History  []historyView
	Tickets  []tickets.Ticket
	Orders   []serviceorders.Order
	Actions  []assetActionView
	Contacts []option
	// Action is the refused action's name, Fields its entered values and
	// Errors its field errors.
	Action string
	Fields map[string]string
	Errors map[string]string
	// Files are the asset's attachments; FilesEnabled says whether files
	// can be added.
	Files        []fileView
	FilesEnabled bool
}

func assetID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// maxTimeline bounds the history entries an asset's page shows.
const maxTimeline = 1000

func (c *console) loadAsset(q *request, id int64) (assetPage, error) {
	ctx := q.Context()
	a, err := c.desk.Inventory.GetAsset(ctx, q.actor, id)
	if err != nil {
		return assetPage{}, err
	}
	n := newNames(q)
	p := assetPage{Asset: a, Assignee: n.contact(a.AssigneeContactID)}
	if q.actor.Can(tenant.PermAssetsRead) && a.StockItemID != 0 {
		if st, err := c.desk.Inventory.GetStockItem(ctx, q.actor, a.StockItemID); err == nil {
			p.Stock = &st
		}
	}
	hist, err := storage.Collect(maxTimeline, func(cur storage.Cursor) (storage.Page[inventory.HistoryEntry], error) {
		return c.desk.Inventory.History(ctx, q.actor, id, storage.PageRequest{Limit: storage.MaxLimit, Cursor: cur})
	})
	if err != nil {
		return assetPage{}, err
	}
	for _, h := range hist {
		hv := historyView{Entry: h, Actor: n.user(h.ActorUserID), From: h.From, To: h.To}
		switch h.Field {
		case "status":
			hv.From, hv.To = statusText(q, h.From), statusText(q, h.To)
		case "assignee_contact_id":
			hv.From, hv.To = contactText(n, h.From), contactText(n, h.To)
		}
		p.History = append(p.History, hv)
	}
	slices.Reverse(p.History) // newest first
	if q.actor.Can(tenant.PermTicketsRead) || q.actor.Can(tenant.PermTicketsReadOwn) {
		if page, err := c.desk.Tickets.List(ctx, q.actor, tickets.Filter{AssetID: id}, storage.PageRequest{Limit: 50}); err == nil {
			p.Tickets = page.Items
		}
	}
	if q.actor.Can(tenant.PermOrdersRead) {
		if page, err := c.desk.ServiceOrders.List(ctx, q.actor, serviceorders.Filter{AssetID: id}, storage.PageRequest{Limit: 50}); err == nil {
			p.Orders = page.Items
		}
	}
	for _, t := range c.desk.Inventory.Machine().AllowedTransitions(q.actor, a.Status) {
		p.Actions = append(p.Actions, assetActionView{Name: t.Name, Status: string(t.To), Required: t.Required})
	}
	if len(p.Actions) > 0 {
		p.Contacts = c.contactOptions(q)
	}
	p.Files, p.FilesEnabled = c.ownerFiles(q, attachments.AssetOwner(id)), c.desk.Attachments.Enabled()
	return p, nil
}

func statusText(q *request, s string) string {
	if s == "" {
		return ""
	}
	return q.T(key("asset_status", s))
}

func contactText(n *names, s string) string {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return s
	}
	return n.contact(tenant.ContactID(id))
}

func (c *console) assetDetail(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := assetID(r)
	if err != nil {
		return err
	}
	p, err := c.loadAsset(q, id)
	if err != nil {
		return err
	}
	c.render(w, q, http.StatusOK, "asset", p)
	return nil
}

// assetTransition runs one lifecycle action: assign (with the contact),
// return to stock, repair, put in use, retire or report lost (with the
// reason). A refusal shows the page again with the entered values.
func (c *console) assetTransition(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := assetID(r)
	if err != nil {
		return err
	}
	action := r.PostForm.Get("action")
	to := inventory.Status(r.PostForm.Get("status"))
	reason, contact := r.PostForm.Get("reason"), strings.TrimSpace(r.PostForm.Get("assignee_contact_id"))
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	patch := inventory.AssetPatch{Reason: reason, Version: version}
	if to == inventory.StatusAssigned {
		var cid int64
		if contact != "" {
			if cid, err = strconv.ParseInt(contact, 10, 64); err != nil || cid < 0 {
				cid = -1
			}
		}
		switch {
		case cid < 0:
			err = validation.Field("assignee_contact_id", "must be a contact")
		case cid == 0:
			err = validation.Field("assignee_contact_id", "is required")
		default:
			ct := tenant.ContactID(cid)
			patch.AssigneeContactID = &ct
		}
	} else {
		patch.Status = &to
	}
	if err == nil {
		_, err = c.desk.Inventory.UpdateAsset(q.Context(), q.actor, id, patch)
	}
	if err != nil {
		if errors.Is(err, tenant.ErrForbidden) || errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if !errors.Is(err, validation.ErrInvalid) && !isTransition(err) && !errors.Is(err, storage.ErrStale) && !errors.Is(err, storage.ErrConflict) {
			return err
		}
		p, lerr := c.loadAsset(q, id)
		if lerr != nil {
			return lerr
		}
		p.Action, p.Fields = action, map[string]string{"reason": reason, "assignee_contact_id": contact}
		p.Errors = fieldErrors(q, err)
		if p.Errors == nil {
			p.Errors = map[string]string{"form": c.explain(q, err)}
		}
		if _, ok := p.Errors["contact_id"]; ok { // Assign names the contact so
			p.Errors["assignee_contact_id"] = p.Errors["contact_id"]
		}
		c.render(w, q, statusOf(err), "asset", p)
		return nil
	}
	http.Redirect(w, r, c.path("/assets/"+strconv.FormatInt(id, 10)), http.StatusSeeOther)
	return nil
}

// stockPage is the view model of the stock list.
type stockPage struct {
	Search     string
	Category   string
	InStock    bool
	Query      string
	Items      []inventory.StockItem
	NextCursor string
	Errors     map[string]string
}

// stockList lists the received batches with their remaining quantity.
func (c *console) stockList(w http.ResponseWriter, r *http.Request, q *request) error {
	v := r.URL.Query()
	p := stockPage{Search: strings.TrimSpace(v.Get("q")), Category: strings.TrimSpace(v.Get("category")), InStock: v.Get("in_stock") == "1"}
	qv := url.Values{}
	for k, s := range map[string]string{"q": p.Search, "category": p.Category} {
		if s != "" {
			qv.Set(k, s)
		}
	}
	if p.InStock {
		qv.Set("in_stock", "1")
	}
	p.Query = qv.Encode()
	page, err := c.desk.Inventory.ListStockItems(q.Context(), q.actor,
		inventory.StockItemFilter{Search: p.Search, Category: p.Category, InStock: p.InStock},
		storage.PageRequest{Cursor: storage.Cursor(v.Get("cursor"))})
	status := http.StatusOK
	switch {
	case errors.Is(err, storage.ErrBadCursor):
		p.Errors, status = map[string]string{"cursor": q.T("tickets.bad_cursor")}, http.StatusUnprocessableEntity
	case errors.Is(err, validation.ErrInvalid):
		p.Errors, status = fieldErrors(q, err), http.StatusUnprocessableEntity
	case err != nil:
		return err
	default:
		p.Items, p.NextCursor = page.Items, string(page.NextCursor)
	}
	c.render(w, q, status, "stock", p)
	return nil
}

// Date formats t's day in the company's timezone: "07/12/2026" in pt-BR,
// "Dec 7, 2026" in English. The zero time is "".
func (q *request) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if q.lang == langEN {
		return t.In(q.tz).Format("Jan 2, 2006")
	}
	return t.In(q.tz).Format("02/01/2006")
}
