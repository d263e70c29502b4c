package webui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
)

func (c *console) intakeRoutes() {
	c.page("GET /assets/intake", c.intakeForm)
	c.page("POST /assets/intake", c.intakeSubmit)
	c.page("GET /stock/{id}", c.stockDetail)
}

// intakeForm is the view model of the intake form, with the values as
// entered.
type intakeForm struct {
	Name, Category, Manufacturer, Model, Quantity, Location, Supplier string
	InvoiceNumber, UnitCost, ReceivedAt, WarrantyMonths               string
	Errors                                                            map[string]string
}

func (c *console) intakeForm(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := q.actor.RequireIn(tenant.PermAssetsManage); err != nil {
		return err
	}
	c.render(w, q, http.StatusOK, "intake", intakeForm{Quantity: "1", WarrantyMonths: "12",
		ReceivedAt: c.now().In(q.tz).Format(time.DateOnly)})
	return nil
}

// parseReais reads an amount in reais as a person types it ("1.234,56",
// "1234,56", "1234.56", "R$ 80") and returns cents.
func parseReais(s string) (int64, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "R$"))
	s = strings.ReplaceAll(s, " ", "")
	if s == "" {
		return 0, true
	}
	// The last separator followed by one or two digits is the decimal one;
	// every other '.' or ',' groups thousands.
	intPart, frac := s, ""
	if i := strings.LastIndexAny(s, ".,"); i >= 0 && len(s)-i-1 <= 2 && len(s)-i-1 > 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	intPart = strings.NewReplacer(".", "", ",", "").Replace(intPart)
	if intPart == "" {
		intPart = "0"
	}
	for len(frac) < 2 {
		frac += "0"
	}
	whole, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || whole < 0 || whole > 1_000_000_000 {
		return 0, false
	}
	cents, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || cents < 0 {
		return 0, false
	}
	return whole*100 + cents, true
}

// intakeFields maps the domain's field names to the form's.
var intakeFields = map[string]string{"unit_cost_cents": "unit_cost"}

// intakeSubmit receives a batch: one unit of work creates the stock item
// and every asset, so a refusal for any field creates nothing, and the form
// comes back with the entered values and each field's error.
func (c *console) intakeSubmit(w http.ResponseWriter, r *http.Request, q *request) error {
	pf := r.PostForm
	f := intakeForm{Name: pf.Get("name"), Category: pf.Get("category"), Manufacturer: pf.Get("manufacturer"),
		Model: pf.Get("model"), Quantity: strings.TrimSpace(pf.Get("quantity")), Location: pf.Get("location"),
		Supplier: pf.Get("supplier"), InvoiceNumber: pf.Get("invoice_number"), UnitCost: pf.Get("unit_cost"),
		ReceivedAt: strings.TrimSpace(pf.Get("received_at")), WarrantyMonths: strings.TrimSpace(pf.Get("warranty_months"))}
	in := inventory.IntakeInput{Name: f.Name, Category: f.Category, Manufacturer: f.Manufacturer, Model: f.Model,
		Location: f.Location, Supplier: f.Supplier, InvoiceNumber: f.InvoiceNumber}
	var b validation.Builder
	var err error
	if in.Quantity, err = strconv.Atoi(f.Quantity); err != nil {
		b.Add("quantity", "must be from 1 to %d", inventory.MaxQuantity)
	}
	if f.WarrantyMonths != "" {
		if in.WarrantyMonths, err = strconv.Atoi(f.WarrantyMonths); err != nil {
			b.Add("warranty_months", "must be from 0 to %d", inventory.MaxWarrantyMonths)
		}
	}
	var ok bool
	if in.UnitCostCents, ok = parseReais(f.UnitCost); !ok {
		b.Add("unit_cost", "must be an amount in reais, such as 1.234,56")
	}
	if f.ReceivedAt != "" {
		day, err := time.ParseInLocation(time.DateOnly, f.ReceivedAt, q.tz)
		if err != nil {
			b.Add("received_at", "must be a date")
		}
		// Noon keeps the date the same in every timezone of the company's
		// country.
		in.ReceivedAt = day.Add(12 * time.Hour)
	}
	err = b.Err()
	var st inventory.StockItem
	if err == nil {
		st, _, err = c.desk.Inventory.Intake(q.Context(), q.actor, in)
	}
	if err != nil {
		if !errors.Is(err, validation.ErrInvalid) {
			return err
		}
		f.Errors = map[string]string{}
		if parseErr := b.Err(); parseErr != nil {
			// The fields that parsed are checked too, so that every error
			// shows at once; the ones that did not keep their own.
			if in.Quantity < 1 {
				in.Quantity = 1
			}
			for field, msg := range fieldErrors(q, in.Validate(c.now())) {
				f.Errors[field] = msg
			}
		}
		for field, msg := range fieldErrors(q, err) {
			f.Errors[field] = msg
		}
		for from, to := range intakeFields {
			if msg, ok := f.Errors[from]; ok {
				delete(f.Errors, from)
				f.Errors[to] = msg
			}
		}
		c.render(w, q, http.StatusUnprocessableEntity, "intake", f)
		return nil
	}
	http.Redirect(w, r, c.path("/stock/"+strconv.FormatInt(st.ID, 10)+"?received=1"), http.StatusSeeOther)
	return nil
}

// stockItemPage is the view model of a stock item's page: the batch and
// the serials generated for its units.
type stockItemPage struct {
	Item     inventory.StockItem
	Assets   []inventory.Asset
	Received bool
}

// stockDetail shows a received batch with the generated serial of each
// unit, and the link to print their labels.
func (c *console) stockDetail(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	st, err := c.desk.Inventory.GetStockItem(q.Context(), q.actor, id)
	if err != nil {
		return err
	}
	assets, err := c.batchAssets(q, id)
	if err != nil {
		return err
	}
	c.render(w, q, http.StatusOK, "stock_item", stockItemPage{Item: st, Assets: assets, Received: r.URL.Query().Get("received") == "1"})
	return nil
}

// batchAssets lists every asset of a stock item, in serial order.
func (c *console) batchAssets(q *request, stockID int64) ([]inventory.Asset, error) {
	var out []inventory.Asset
	var cursor storage.Cursor
	for {
		page, err := c.desk.Inventory.ListAssets(q.Context(), q.actor, inventory.AssetFilter{StockItemID: stockID},
			storage.PageRequest{Limit: storage.MaxLimit, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" || len(out) >= inventory.MaxQuantity {
			return out, nil
		}
		cursor = page.NextCursor
	}
}
