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
	"github.com/sistemaboladao/boladao/inventory"
)

// The inventory API: stock intake, stock items and assets.
//
//	POST /api/helpdesk/inventory/intake                receive a batch (201; Idempotency-Key)
//	GET  /api/helpdesk/inventory/stock-items           list stock items
//	GET  /api/helpdesk/inventory/stock-items/{id}      read a stock item (ETag)
//	PUT  /api/helpdesk/inventory/serial-settings       set the serial pattern and prefix (204)
//	GET  /api/helpdesk/assets                          list assets
//	GET  /api/helpdesk/assets/{id}                     read an asset (ETag, allowed_transitions)
//	GET  /api/helpdesk/assets/by-serial?serial=        read an asset by its serial
//	PUT  /api/helpdesk/assets/{id}                     change an asset (If-Match)
//	POST /api/helpdesk/assets/{id}/assign              assign or unassign (If-Match)
//	GET  /api/helpdesk/assets/{id}/history             the asset's history, oldest first
//
// The serial is a query parameter, not a path segment: a pattern
// .../assets/by-serial/{serial} would be ambiguous with .../assets/{id}/history
// and .../assets/{id}/assign (ServeMux refuses to register both, and OpenAPI
// linters flag them), and serial patterns may contain "/".
//
// Authorization, tenant scoping, validation and the lifecycle belong to
// inventory.Service: the handlers only translate between HTTP and its calls.

// inventoryBase is the path the stock endpoints hang from.
const inventoryBase = "/api/helpdesk/inventory"

// inventoryRoutes registers the inventory API on the mux.
func (a *api) inventoryRoutes() {
	a.mux.Handle("POST /api/helpdesk/inventory/intake", a.authed(a.intake))
	a.mux.Handle("GET /api/helpdesk/inventory/stock-items",
		a.authed(listOf(a, stockItemFilter, a.desk.Inventory.ListStockItems, stockItemOf)))
	a.mux.Handle("GET /api/helpdesk/inventory/stock-items/{id}",
		a.authed(getOne(a.desk.Inventory.GetStockItem, stockItemOf)))
	a.mux.Handle("PUT /api/helpdesk/inventory/serial-settings", a.authed(a.putSerialSettings))
	a.mux.Handle("GET /api/helpdesk/assets", a.authed(a.listAssets))
	a.mux.Handle("GET /api/helpdesk/assets/{id}", a.authed(a.getAsset))
	a.mux.Handle("GET /api/helpdesk/assets/by-serial", a.authed(a.getAssetBySerial))
	a.mux.Handle("PUT /api/helpdesk/assets/{id}", a.authed(a.updateAsset))
	a.mux.Handle("POST /api/helpdesk/assets/{id}/assign", a.authed(a.assignAsset))
	// Oldest first.
	a.mux.Handle("GET /api/helpdesk/assets/{id}/history", a.authed(listOf(a, idParam, a.desk.Inventory.History, historyOf)))
}

// stockItemJSON is a stock item in the API.
type stockItemJSON struct {
	ID             int64    `json:"id"`
	CompanyID      int64    `json:"company_id"`
	Name           string   `json:"name"`
	Category       string   `json:"category"`
	Manufacturer   string   `json:"manufacturer"`
	Model          string   `json:"model"`
	Quantity       int      `json:"quantity"`
	Available      int      `json:"available"`
	Location       string   `json:"location"`
	Supplier       string   `json:"supplier"`
	InvoiceNumber  string   `json:"invoice_number"`
	UnitCostCents  int64    `json:"unit_cost_cents"`
	ReceivedAt     timeJSON `json:"received_at"`
	WarrantyMonths int      `json:"warranty_months"`
	Version        int64    `json:"version"`
	CreatedAt      timeJSON `json:"created_at"`
	UpdatedAt      timeJSON `json:"updated_at"`
}

// stockItemOf is the JSON shape of s.
func stockItemOf(s inventory.StockItem) stockItemJSON {
	return stockItemJSON{ID: s.ID, CompanyID: int64(s.CompanyID), Name: s.Name, Category: s.Category,
		Manufacturer: s.Manufacturer, Model: s.Model, Quantity: s.Quantity, Available: s.Available,
		Location: s.Location, Supplier: s.Supplier, InvoiceNumber: s.InvoiceNumber, UnitCostCents: s.UnitCostCents,
		ReceivedAt: adminTime(s.ReceivedAt), WarrantyMonths: s.WarrantyMonths, Version: s.Version,
		CreatedAt: adminTime(s.CreatedAt), UpdatedAt: adminTime(s.UpdatedAt)}
}

// idAndVersion tells the stock item's ID and version.
func (s stockItemJSON) idAndVersion() (id, version int64) { return s.ID, s.Version }

// assetJSON is an asset in the API. AllowedTransitions are the statuses
// the requesting actor may move it to (its "next actions"); they depend on
// who asks.
type assetJSON struct {
	ID                 int64    `json:"id"`
	CompanyID          int64    `json:"company_id"`
	StockItemID        int64    `json:"stock_item_id"`
	Serial             string   `json:"serial"`
	ManufacturerSerial string   `json:"manufacturer_serial"`
	Name               string   `json:"name"`
	Category           string   `json:"category"`
	Manufacturer       string   `json:"manufacturer"`
	Model              string   `json:"model"`
	Status             string   `json:"status"`
	AssigneeContactID  int64    `json:"assignee_contact_id,omitempty"`
	Location           string   `json:"location"`
	WarrantyUntil      timeJSON `json:"warranty_until,omitzero"`
	RetiredReason      string   `json:"retired_reason,omitempty"`
	AllowedTransitions []string `json:"allowed_transitions"`
	Version            int64    `json:"version"`
	CreatedAt          timeJSON `json:"created_at"`
	UpdatedAt          timeJSON `json:"updated_at"`
}

// appendJSON implements jsonAppender.
func (x *assetJSON) appendJSON(b []byte) []byte {
	o := openObject(b)
	o.int("id", x.ID)
	o.int("company_id", x.CompanyID)
	o.int("stock_item_id", x.StockItemID)
	o.str("serial", x.Serial)
	o.str("manufacturer_serial", x.ManufacturerSerial)
	o.str("name", x.Name)
	o.str("category", x.Category)
	o.str("manufacturer", x.Manufacturer)
	o.str("model", x.Model)
	o.str("status", x.Status)
	o.optInt("assignee_contact_id", x.AssigneeContactID)
	o.str("location", x.Location)
	o.optTime("warranty_until", x.WarrantyUntil)
	o.optStr("retired_reason", x.RetiredReason)
	o.strs("allowed_transitions", x.AllowedTransitions)
	o.int("version", x.Version)
	o.time("created_at", x.CreatedAt)
	o.time("updated_at", x.UpdatedAt)
	return o.close()
}

// assetOf returns the converter of assets as seen by actor.
func (a *api) assetOf(actor tenant.Actor) func(inventory.Asset) assetJSON {
	m := a.desk.Inventory.Machine()
	return func(x inventory.Asset) assetJSON {
		next := m.Allowed(actor, x.Status)
		allowed := make([]string, len(next))
		for i, s := range next {
			allowed[i] = string(s)
		}
		return assetJSON{ID: x.ID, CompanyID: int64(x.CompanyID), StockItemID: x.StockItemID, Serial: x.Serial,
			ManufacturerSerial: x.ManufacturerSerial, Name: x.Name, Category: x.Category, Manufacturer: x.Manufacturer,
			Model: x.Model, Status: string(x.Status), AssigneeContactID: int64(x.AssigneeContactID), Location: x.Location,
			WarrantyUntil: adminTime(x.WarrantyUntil), RetiredReason: x.RetiredReason, AllowedTransitions: allowed,
			Version: x.Version, CreatedAt: adminTime(x.CreatedAt), UpdatedAt: adminTime(x.UpdatedAt)}
	}
}

// historyJSON is one entry of an asset's history.
type historyJSON struct {
	ID          int64    `json:"id"`
	At          timeJSON `json:"at"`
	ActorUserID int64    `json:"actor_user_id"`
	Action      string   `json:"action"`
	Field       string   `json:"field"`
	From        string   `json:"from"`
	To          string   `json:"to"`
	Note        string   `json:"note"`
}

// historyOf is the JSON shape of h.
func historyOf(h inventory.HistoryEntry) historyJSON {
	return historyJSON{ID: h.ID, At: adminTime(h.At), ActorUserID: int64(h.ActorUserID), Action: h.Action,
		Field: h.Field, From: h.From, To: h.To, Note: h.Note}
}

// intakeRequest is the body of POST /api/helpdesk/inventory/intake.
// ReceivedAt is parsed by the handler so that a malformed time is a 422
// naming the field, like every other invalid value of the batch.
type intakeRequest struct {
	Name                string   `json:"name"`
	Category            string   `json:"category"`
	Manufacturer        string   `json:"manufacturer"`
	Model               string   `json:"model"`
	Quantity            int      `json:"quantity"`
	Location            string   `json:"location"`
	Supplier            string   `json:"supplier"`
	InvoiceNumber       string   `json:"invoice_number"`
	UnitCostCents       int64    `json:"unit_cost_cents"`
	ReceivedAt          *string  `json:"received_at"`
	WarrantyMonths      int      `json:"warranty_months"`
	ManufacturerSerials []string `json:"manufacturer_serials"`
}

// intakeJSON is the response of an intake.
type intakeJSON struct {
	StockItem stockItemJSON `json:"stock_item"`
	Assets    []assetJSON   `json:"assets"`
}

// stockItemLocation is the path of the stock item id.
func stockItemLocation(id int64) string {
	return inventoryBase + "/stock-items/" + strconv.FormatInt(id, 10)
}

// intake serves POST /api/helpdesk/inventory/intake under Idempotency-Key;
// a replayed 201 gets back the Location and ETag of its stock item (see
// replayWriter).
func (a *api) intake(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	return a.idempotentReplay(stockItemLocation, "stock_item", a.doIntake)(w, r, p)
}

// doIntake receives a batch and answers 201 with the stock item, its
// assets, its ETag and its Location.
func (a *api) doIntake(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in intakeRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	var receivedAt time.Time
	if in.ReceivedAt != nil && strings.TrimSpace(*in.ReceivedAt) != "" {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*in.ReceivedAt))
		if err != nil {
			return validation.Field("received_at", "must be an RFC 3339 time such as 2026-07-01T09:30:00Z")
		}
		receivedAt = t
	}
	st, assets, err := a.desk.Inventory.Intake(r.Context(), p.Actor, inventory.IntakeInput{
		Name: in.Name, Category: in.Category, Manufacturer: in.Manufacturer, Model: in.Model, Quantity: in.Quantity,
		Location: in.Location, Supplier: in.Supplier, InvoiceNumber: in.InvoiceNumber, UnitCostCents: in.UnitCostCents,
		ReceivedAt: receivedAt, WarrantyMonths: in.WarrantyMonths, ManufacturerSerials: in.ManufacturerSerials})
	if err != nil {
		return err
	}
	out := intakeJSON{StockItem: stockItemOf(st), Assets: make([]assetJSON, len(assets))}
	conv := a.assetOf(p.Actor)
	for i, x := range assets {
		out.Assets[i] = conv(x)
	}
	w.Header().Set("Location", stockItemLocation(st.ID))
	writeResource(w, http.StatusCreated, st.Version, out)
	return nil
}

// stockItemFilter reads the filters of GET
// /api/helpdesk/inventory/stock-items.
func stockItemFilter(r *http.Request) (inventory.StockItemFilter, error) {
	inStock, err := boolParam(r, "in_stock")
	if err != nil {
		return inventory.StockItemFilter{}, err
	}
	return inventory.StockItemFilter{Category: queryText(r, "category"), Search: queryText(r, "q"),
		InStock: inStock != nil && *inStock}, nil
}

// serialSettingsRequest is the body of PUT
// /api/helpdesk/inventory/serial-settings. It replaces both settings: an
// absent or empty one means its default.
type serialSettingsRequest struct {
	Pattern string `json:"pattern"`
	Prefix  string `json:"prefix"`
}

// putSerialSettings replaces the company's serial settings (204).
func (a *api) putSerialSettings(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in serialSettingsRequest
	if err := decodeJSON(w, r, &in, a.cfg.MaxBodyBytes); err != nil {
		return err
	}
	err := a.desk.Inventory.SetSerialSettings(r.Context(), p.Actor, inventory.SerialSettings{
		Pattern: inventory.SerialPattern(strings.TrimSpace(in.Pattern)), Prefix: in.Prefix})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// idQuery reads an optional positive ID query parameter (0 when absent),
// recording a malformed one in b.
func idQuery(r *http.Request, name string, b *validation.Builder) int64 {
	v := queryText(r, name)
	if v == "" {
		return 0
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		b.Add(name, "must be a positive integer ID")
		return 0
	}
	return id
}

// listAssets serves GET /api/helpdesk/assets; its cursor may carry a sort
// key (storage.CursorAfterKey).
func (a *api) listAssets(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	pg, err := a.pageRequest(r)
	if err != nil {
		return err
	}
	var b validation.Builder
	assignee := idQuery(r, "assignee_contact_id", &b)
	stockItem := idQuery(r, "stock_item_id", &b)
	if err := b.Err(); err != nil {
		return err
	}
	f := inventory.AssetFilter{Status: inventory.Status(queryText(r, "status")), Category: queryText(r, "category"),
		AssigneeContactID: tenant.ContactID(assignee), Location: queryText(r, "location"), StockItemID: stockItem,
		Search: queryText(r, "q"), Sort: inventory.SortOrder(queryText(r, "sort"))}
	page, err := a.desk.Inventory.ListAssets(r.Context(), p.Actor, f, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(page, a.assetOf(p.Actor)))
	return nil
}

// writeAsset writes x as actor sees it, with 200 and its ETag.
func (a *api) writeAsset(w http.ResponseWriter, actor tenant.Actor, x inventory.Asset) {
	writeResource(w, http.StatusOK, x.Version, a.assetOf(actor)(x))
}

// getAsset serves GET /api/helpdesk/assets/{id}.
func (a *api) getAsset(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	x, err := a.desk.Inventory.GetAsset(r.Context(), p.Actor, id)
	if err != nil {
		return err
	}
	a.writeAsset(w, p.Actor, x)
	return nil
}

// getAssetBySerial serves GET /api/helpdesk/assets/by-serial?serial=.
func (a *api) getAssetBySerial(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	x, err := a.desk.Inventory.GetAssetBySerial(r.Context(), p.Actor, queryText(r, "serial"))
	if err != nil {
		return err
	}
	a.writeAsset(w, p.Actor, x)
	return nil
}

// assetUpdate is the body of PUT /api/helpdesk/assets/{id}: absent fields
// are kept. A status change goes through the lifecycle's transition table;
// reason is required to retire an asset or report it lost.
type assetUpdate struct {
	Name               *string `json:"name"`
	Location           *string `json:"location"`
	ManufacturerSerial *string `json:"manufacturer_serial"`
	Status             *string `json:"status"`
	Reason             string  `json:"reason"`
}

// updateAsset serves PUT /api/helpdesk/assets/{id} (If-Match).
func (a *api) updateAsset(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in assetUpdate
	id, version, err := a.changeRequest(w, r, &in)
	if err != nil {
		return err
	}
	patch := inventory.AssetPatch{Name: in.Name, Location: in.Location, ManufacturerSerial: in.ManufacturerSerial,
		Reason: in.Reason, Version: version}
	if in.Status != nil {
		st := inventory.Status(strings.TrimSpace(*in.Status))
		patch.Status = &st
	}
	x, err := a.desk.Inventory.UpdateAsset(r.Context(), p.Actor, id, patch)
	if err != nil {
		return err
	}
	a.writeAsset(w, p.Actor, x)
	return nil
}

// presentID is a JSON ID that tells absent from null: Set is true once the
// member was sent, ID stays 0 for null.
type presentID struct {
	Set bool
	ID  int64
}

// UnmarshalJSON records that the member was sent and reads its value.
func (p *presentID) UnmarshalJSON(b []byte) error {
	p.Set = true
	if string(b) == "null" {
		p.ID = 0
		return nil
	}
	return json.Unmarshal(b, &p.ID)
}

// assignRequest is the body of POST /api/helpdesk/assets/{id}/assign.
type assignRequest struct {
	ContactID presentID `json:"contact_id"`
}

// assignAsset serves POST /api/helpdesk/assets/{id}/assign: a contact ID
// assigns, 0 or null unassigns (If-Match).
func (a *api) assignAsset(w http.ResponseWriter, r *http.Request, p helpdesk.Principal) error {
	var in assignRequest
	id, version, err := a.changeRequest(w, r, &in)
	if err != nil {
		return err
	}
	var x inventory.Asset
	switch {
	case !in.ContactID.Set:
		return fieldError("contact_id", "is required: a contact of this company, or 0 or null to unassign")
	case in.ContactID.ID < 0:
		return fieldError("contact_id", "must be a contact ID, or 0 or null to unassign")
	case in.ContactID.ID == 0:
		x, err = a.desk.Inventory.Unassign(r.Context(), p.Actor, id, version)
	default:
		x, err = a.desk.Inventory.Assign(r.Context(), p.Actor, id, tenant.ContactID(in.ContactID.ID), version)
	}
	if err != nil {
		return err
	}
	a.writeAsset(w, p.Actor, x)
	return nil
}
