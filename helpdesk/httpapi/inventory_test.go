package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// invFixture is an API over one backend with two companies, Acme (a) and
// Beta (b), each with an admin, agent, requester and viewer.
type invFixture struct {
	*env
	a, b   directory.Company
	ta, tb map[tenant.Role]string
}

func newInvFixture(e *env) *invFixture {
	e.t.Helper()
	f := &invFixture{env: e}
	f.a, f.ta = e.company("Acme")
	f.b, f.tb = e.company("Beta")
	return f
}

// call sends a request as token. Each call advances the test clock by
// 20 ms so that the per-principal rate limit (50/s, which reads that
// clock) refills as fast as the tests spend it.
func (f *invFixture) call(token, method, path string, body any, headers ...string) response {
	f.t.Helper()
	f.clock.Advance(20 * time.Millisecond)
	return f.do(method, path, body, append([]string{"Authorization", token}, headers...)...)
}

// contactOf returns the contact of the user behind token.
func (f *invFixture) contactOf(token string) int64 {
	f.t.Helper()
	r := f.call(token, "GET", "/auth/me", nil)
	require.Equal(f.t, http.StatusOK, r.Status, "%s", r.Body)
	var me struct {
		ContactID int64 `json:"contact_id"`
	}
	r.JSON(f.t, &me)
	require.NotZero(f.t, me.ContactID)
	return me.ContactID
}

// intake receives a batch as token and requires success.
func (f *invFixture) intake(token string, body map[string]any) intakeResult {
	f.t.Helper()
	r := f.call(token, "POST", "/api/helpdesk/inventory/intake", body)
	require.Equal(f.t, http.StatusCreated, r.Status, "%s", r.Body)
	var out intakeResult
	r.JSON(f.t, &out)
	return out
}

// asset reads an asset as token and requires success.
func (f *invFixture) asset(token string, id int64) assetResp {
	f.t.Helper()
	r := f.call(token, "GET", assetPath(id), nil)
	require.Equal(f.t, http.StatusOK, r.Status, "%s", r.Body)
	var a assetResp
	r.JSON(f.t, &a)
	require.Equal(f.t, etagOf(a.Version), r.Header.Get("ETag"))
	return a
}

// listAll follows next_cursor through every page of path (whose query
// must already hold any filters) and returns the items in order.
func listAll[T any](f *invFixture, token, path string, limit int, headers ...string) []T {
	f.t.Helper()
	var all []T
	cursor := ""
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for range 100 {
		p := path + sep + "limit=" + strconv.Itoa(limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		r := f.call(token, "GET", p, nil, headers...)
		require.Equal(f.t, http.StatusOK, r.Status, "%s: %s", p, r.Body)
		var page struct {
			Items      []T    `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		r.JSON(f.t, &page)
		require.LessOrEqual(f.t, len(page.Items), limit)
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
	f.t.Fatalf("%s: more than 100 pages", path)
	return nil
}

func (f *invFixture) stockItemCount(token string) int {
	f.t.Helper()
	return len(listAll[stockItemResp](f, token, "/api/helpdesk/inventory/stock-items", 200))
}

func (f *invFixture) assetCount(token string) int {
	f.t.Helper()
	return len(listAll[assetResp](f, token, "/api/helpdesk/assets", 200))
}

// assetIn decodes an asset response into a fresh value (decoding into a
// used one would keep the members the new body omits).
func assetIn(t *testing.T, r response) assetResp {
	t.Helper()
	var a assetResp
	r.JSON(t, &a)
	return a
}

func assetPath(id int64) string { return "/api/helpdesk/assets/" + strconv.FormatInt(id, 10) }

func etagOf(v int64) string { return `"v` + strconv.FormatInt(v, 10) + `"` }

type stockItemResp struct {
	ID             int64     `json:"id"`
	CompanyID      int64     `json:"company_id"`
	Name           string    `json:"name"`
	Category       string    `json:"category"`
	Manufacturer   string    `json:"manufacturer"`
	Model          string    `json:"model"`
	Quantity       int       `json:"quantity"`
	Available      int       `json:"available"`
	Location       string    `json:"location"`
	Supplier       string    `json:"supplier"`
	InvoiceNumber  string    `json:"invoice_number"`
	UnitCostCents  int64     `json:"unit_cost_cents"`
	ReceivedAt     time.Time `json:"received_at"`
	WarrantyMonths int       `json:"warranty_months"`
	Version        int64     `json:"version"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

type assetResp struct {
	ID                 int64      `json:"id"`
	CompanyID          int64      `json:"company_id"`
	StockItemID        int64      `json:"stock_item_id"`
	Serial             string     `json:"serial"`
	ManufacturerSerial string     `json:"manufacturer_serial"`
	Name               string     `json:"name"`
	Category           string     `json:"category"`
	Manufacturer       string     `json:"manufacturer"`
	Model              string     `json:"model"`
	Status             string     `json:"status"`
	AssigneeContactID  *int64     `json:"assignee_contact_id"`
	Location           string     `json:"location"`
	WarrantyUntil      *time.Time `json:"warranty_until"`
	RetiredReason      *string    `json:"retired_reason"`
	AllowedTransitions []string   `json:"allowed_transitions"`
	Version            int64      `json:"version"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

type intakeResult struct {
	StockItem stockItemResp `json:"stock_item"`
	Assets    []assetResp   `json:"assets"`
}

type historyResp struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"at"`
	ActorUserID int64     `json:"actor_user_id"`
	Action      string    `json:"action"`
	Field       string    `json:"field"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	Note        string    `json:"note"`
}

// staffFromStock are the statuses an agent or admin may move an in-stock
// asset to, in the lifecycle's declaration order.
var staffFromStock = []string{"assigned", "in_repair", "retired", "lost"}

func TestInventoryIntake(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent := f.ta[tenant.RoleAgent]
		body := map[string]any{
			"name": "Notebook Dell Latitude", "category": "Notebook", "manufacturer": "Dell", "model": "Latitude 5440",
			"quantity": 3, "location": "Almoxarifado", "supplier": "Distribuidora SP", "invoice_number": "NF-123",
			"unit_cost_cents": 450000, "warranty_months": 12, "manufacturer_serials": []string{"DL-1", "DL-2"},
		}
		r := f.call(agent, "POST", "/api/helpdesk/inventory/intake", body, "Idempotency-Key", "intake-1")
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		var got intakeResult
		r.JSON(t, &got)
		st := got.StockItem
		require.Equal(t, "/api/helpdesk/inventory/stock-items/"+strconv.FormatInt(st.ID, 10), r.Header.Get("Location"))
		require.Equal(t, `"v1"`, r.Header.Get("ETag"))
		require.Equal(t, int64(f.a.ID), st.CompanyID)
		require.Equal(t, 3, st.Quantity)
		require.Equal(t, 3, st.Available)
		require.Equal(t, int64(450000), st.UnitCostCents)
		require.Equal(t, "NF-123", st.InvoiceNumber)
		require.Equal(t, 2026, st.ReceivedAt.Year(), "received_at defaults to the desk clock (2026-07-01)")
		require.Equal(t, time.UTC, st.ReceivedAt.Location())

		require.Len(t, got.Assets, 3)
		for i, a := range got.Assets {
			require.Equal(t, fmt.Sprintf("ACME-2026-%06d", i+1), a.Serial)
			require.Equal(t, st.ID, a.StockItemID)
			require.Equal(t, "in_stock", a.Status)
			require.Nil(t, a.AssigneeContactID, "assignee_contact_id is omitted when none")
			require.Nil(t, a.RetiredReason)
			require.Equal(t, "Almoxarifado", a.Location)
			require.Equal(t, int64(1), a.Version)
			require.Equal(t, staffFromStock, a.AllowedTransitions)
			require.NotNil(t, a.WarrantyUntil)
			require.True(t, st.ReceivedAt.AddDate(0, 12, 0).Equal(*a.WarrantyUntil))
		}
		require.Equal(t, "DL-1", got.Assets[0].ManufacturerSerial)
		require.Equal(t, "DL-2", got.Assets[1].ManufacturerSerial)
		require.Empty(t, got.Assets[2].ManufacturerSerial)

		// The same key and body replays the stored answer and creates
		// nothing more.
		again := f.call(agent, "POST", "/api/helpdesk/inventory/intake", body, "Idempotency-Key", "intake-1")
		require.Equal(t, http.StatusCreated, again.Status, "%s", again.Body)
		require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
		require.JSONEq(t, string(r.Body), string(again.Body))
		require.Equal(t, r.Header.Get("Location"), again.Header.Get("Location"))
		require.Equal(t, r.Header.Get("ETag"), again.Header.Get("ETag"))
		require.Equal(t, 1, f.stockItemCount(agent))
		require.Equal(t, 3, f.assetCount(agent))

		// The same key with another body is refused.
		other := with(body, "quantity", 2)
		require.Equal(t, http.StatusUnprocessableEntity,
			f.call(agent, "POST", "/api/helpdesk/inventory/intake", other, "Idempotency-Key", "intake-1").Status)

		// The stock item reads back with its ETag.
		sr := f.call(agent, "GET", r.Header.Get("Location"), nil)
		require.Equal(t, http.StatusOK, sr.Status, "%s", sr.Body)
		require.Equal(t, `"v1"`, sr.Header.Get("ETag"))
		var read stockItemResp
		sr.JSON(t, &read)
		require.Equal(t, st, read)

		// The sequence goes on; an explicit received_at sets the year and
		// the warranty; a platform admin intakes in the company it picks.
		next := f.call(f.root, "POST", "/api/helpdesk/inventory/intake",
			map[string]any{"name": "Monitor", "category": "Monitor", "quantity": 2, "received_at": "2026-03-10T09:30:00-03:00", "warranty_months": 6},
			"X-Company-ID", strconv.FormatInt(int64(f.a.ID), 10))
		require.Equal(t, http.StatusCreated, next.Status, "%s", next.Body)
		var n intakeResult
		next.JSON(t, &n)
		require.Equal(t, "2026-03-10T12:30:00Z", n.StockItem.ReceivedAt.Format(time.RFC3339))
		require.Equal(t, []string{"ACME-2026-000004", "ACME-2026-000005"}, []string{n.Assets[0].Serial, n.Assets[1].Serial})
		require.Equal(t, "2026-09-10T12:30:00Z", n.Assets[0].WarrantyUntil.Format(time.RFC3339))

		// Beta's numbering is its own.
		b := f.intake(f.tb[tenant.RoleAdmin], map[string]any{"name": "Mouse", "category": "Periférico", "quantity": 1})
		require.Equal(t, "BETA-2026-000001", b.Assets[0].Serial)
	})
}

// with returns a copy of m with key set to v.
func with(m map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, x := range m {
		out[k] = x
	}
	out[key] = v
	return out
}

func TestInventoryIntakeRefusals(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent := f.ta[tenant.RoleAgent]
		valid := map[string]any{"name": "Teclado", "category": "Periférico", "quantity": 2}
		without := func(key string) map[string]any {
			m := with(valid, key, nil)
			delete(m, key)
			return m
		}
		tests := []struct {
			name   string
			token  string
			body   any
			status int
			field  string
		}{
			{"quantity zero", agent, with(valid, "quantity", 0), 422, "quantity"},
			{"quantity missing", agent, without("quantity"), 422, "quantity"},
			{"quantity over the limit", agent, with(valid, "quantity", 1001), 422, "quantity"},
			{"negative cost", agent, with(valid, "unit_cost_cents", -1), 422, "unit_cost_cents"},
			{"name too long", agent, with(valid, "name", strings.Repeat("n", 201)), 422, "name"},
			{"name blank", agent, with(valid, "name", "   "), 422, "name"},
			{"category missing", agent, without("category"), 422, "category"},
			{"received_at malformed", agent, with(valid, "received_at", "01/07/2026"), 422, "received_at"},
			{"received_at in the future", agent, with(valid, "received_at", "2027-01-01T00:00:00Z"), 422, "received_at"},
			{"warranty too long", agent, with(valid, "warranty_months", 241), 422, "warranty_months"},
			{"more serials than units", agent, with(valid, "manufacturer_serials", []string{"a", "b", "c"}), 422, "manufacturer_serials"},
			{"unknown field", agent, with(valid, "colour", "black"), 422, "colour"},
			{"quantity of the wrong type", agent, with(valid, "quantity", "2"), 400, "quantity"},
			{"malformed JSON", agent, `{"name": "x",`, 400, ""},
			{"requester", f.ta[tenant.RoleRequester], valid, 403, ""},
			{"viewer", f.ta[tenant.RoleViewer], valid, 403, ""},
			{"platform admin without a company", f.root, valid, 400, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := f.call(tt.token, "POST", "/api/helpdesk/inventory/intake", tt.body)
				require.Equal(t, tt.status, r.Status, "%s", r.Body)
				p := r.Problem(t)
				if tt.field != "" {
					require.Equal(t, []string{tt.field}, p.Fields(), "%s", r.Body)
				}
			})
		}
		// Nothing was written.
		require.Zero(t, f.stockItemCount(agent))
		require.Zero(t, f.assetCount(agent))
		// Every invalid field is named at once.
		r := f.call(agent, "POST", "/api/helpdesk/inventory/intake", map[string]any{"name": "", "quantity": 0, "unit_cost_cents": -5})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status)
		require.ElementsMatch(t, []string{"name", "category", "quantity", "unit_cost_cents"}, r.Problem(t).Fields())
		require.Zero(t, f.stockItemCount(agent))
	})
}

func TestInventoryListsAndSearch(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent, viewer := f.ta[tenant.RoleAgent], f.ta[tenant.RoleViewer]
		notebooks := f.intake(agent, map[string]any{"name": "Notebook Dell", "category": "Notebook", "manufacturer": "Dell",
			"quantity": 2, "location": "Sala 1", "supplier": "Fornecedor Norte"})
		monitors := f.intake(agent, map[string]any{"name": "Monitor LG", "category": "Monitor", "manufacturer": "LG",
			"model": "UltraWide", "quantity": 3, "location": "Sala 2", "invoice_number": "NF-778"})
		mice := f.intake(agent, map[string]any{"name": "Mouse Logitech", "category": "Periférico", "quantity": 1, "location": "Sala 1"})
		f.intake(f.tb[tenant.RoleAgent], map[string]any{"name": "Monitor Beta", "category": "Monitor", "quantity": 2})

		ids := func(items []assetResp) []int64 {
			out := make([]int64, len(items))
			for i, a := range items {
				out[i] = a.ID
			}
			return out
		}
		idsOf := func(rs ...intakeResult) []int64 {
			var out []int64
			for _, r := range rs {
				out = append(out, ids(r.Assets)...)
			}
			return out
		}

		stock := []struct {
			query string
			want  []int64
		}{
			{"", []int64{notebooks.StockItem.ID, monitors.StockItem.ID, mice.StockItem.ID}},
			{"category=Monitor", []int64{monitors.StockItem.ID}},
			{"q=dell", []int64{notebooks.StockItem.ID}},
			{"q=nf-778", []int64{monitors.StockItem.ID}},
			{"q=norte", []int64{notebooks.StockItem.ID}},
			{"in_stock=true", []int64{notebooks.StockItem.ID, monitors.StockItem.ID, mice.StockItem.ID}},
			{"category=Nothing", nil},
		}
		for _, tt := range stock {
			items := listAll[stockItemResp](f, viewer, "/api/helpdesk/inventory/stock-items?"+tt.query, 2)
			var got []int64
			for _, s := range items {
				got = append(got, s.ID)
				require.Equal(t, int64(f.a.ID), s.CompanyID)
			}
			require.Equal(t, tt.want, got, "stock-items?%s", tt.query)
		}

		assets := []struct {
			query string
			want  []int64
		}{
			{"", idsOf(notebooks, monitors, mice)},
			{"sort=created", idsOf(notebooks, monitors, mice)},
			{"category=Monitor", idsOf(monitors)},
			{"location=" + url.QueryEscape("Sala 1"), idsOf(notebooks, mice)},
			{"stock_item_id=" + strconv.FormatInt(monitors.StockItem.ID, 10), idsOf(monitors)},
			{"status=in_stock", idsOf(notebooks, monitors, mice)},
			{"status=assigned", nil},
			{"q=logitech", idsOf(mice)},
			{"q=ultra", idsOf(monitors)},
			{"q=" + monitors.Assets[1].Serial, []int64{monitors.Assets[1].ID}},
			{"q=monitor&location=" + url.QueryEscape("Sala 2"), idsOf(monitors)},
		}
		for _, tt := range assets {
			items := listAll[assetResp](f, viewer, "/api/helpdesk/assets?"+tt.query, 2)
			require.Equal(t, tt.want, nilIfEmpty(ids(items)), "assets?%s", tt.query)
		}

		// Sorted by name, page by page, with no duplicates.
		byName := listAll[assetResp](f, viewer, "/api/helpdesk/assets?sort=name", 2)
		require.Len(t, byName, 6)
		seen := map[int64]bool{}
		for i, a := range byName {
			require.False(t, seen[a.ID], "asset %d listed twice", a.ID)
			seen[a.ID] = true
			if i > 0 {
				prev := byName[i-1]
				require.True(t, prev.Name < a.Name || (prev.Name == a.Name && prev.ID < a.ID), "%v before %v", prev, a)
			}
		}
		require.Equal(t, []string{"Monitor LG", "Monitor LG", "Monitor LG", "Mouse Logitech", "Notebook Dell", "Notebook Dell"},
			func() []string {
				var names []string
				for _, a := range byName {
					names = append(names, a.Name)
				}
				return names
			}())
		require.Equal(t, idsOf(monitors), ids(listAll[assetResp](f, viewer, "/api/helpdesk/assets?sort=name&category=Monitor", 1)))

		// By serial.
		r := f.call(viewer, "GET", "/api/helpdesk/assets/by-serial?serial="+url.QueryEscape(mice.Assets[0].Serial), nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Equal(t, etagOf(1), r.Header.Get("ETag"))
		var bySerial assetResp
		r.JSON(t, &bySerial)
		require.Equal(t, mice.Assets[0].ID, bySerial.ID)
		require.Empty(t, bySerial.AllowedTransitions, "a viewer may not move assets")
		require.NotNil(t, bySerial.AllowedTransitions)

		// Refused parameters.
		for _, tt := range []struct {
			path   string
			status int
			field  string
		}{
			{"/api/helpdesk/assets?status=broken", 422, "status"},
			{"/api/helpdesk/assets?sort=price", 422, "sort"},
			{"/api/helpdesk/assets?assignee_contact_id=abc", 422, "assignee_contact_id"},
			{"/api/helpdesk/assets?stock_item_id=-1", 422, "stock_item_id"},
			{"/api/helpdesk/assets?limit=0", 422, "limit"},
			{"/api/helpdesk/assets?limit=201", 422, "limit"},
			{"/api/helpdesk/assets?cursor=not-a-cursor!", 400, ""},
			{"/api/helpdesk/inventory/stock-items?in_stock=maybe", 422, "in_stock"},
			{"/api/helpdesk/inventory/stock-items?cursor=xyz", 400, ""},
			{"/api/helpdesk/assets/by-serial", 422, "serial"},
			{"/api/helpdesk/assets/by-serial?serial=ACME-2026-999999", 404, ""},
			{"/api/helpdesk/assets/by-serial?serial=" + url.QueryEscape("BETA-2026-000001"), 404, ""},
		} {
			r := f.call(viewer, "GET", tt.path, nil)
			require.Equal(t, tt.status, r.Status, "%s: %s", tt.path, r.Body)
			if tt.field != "" {
				require.Equal(t, []string{tt.field}, r.Problem(t).Fields(), "%s", tt.path)
			}
		}
	})
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestInventoryAssetLifecycle(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent, admin := f.ta[tenant.RoleAgent], f.ta[tenant.RoleAdmin]
		requester, viewer := f.ta[tenant.RoleRequester], f.ta[tenant.RoleViewer]
		holder := f.contactOf(requester)
		betaContact := f.contactOf(f.tb[tenant.RoleRequester])
		batch := f.intake(agent, map[string]any{"name": "Notebook", "category": "Notebook", "quantity": 2, "location": "Almoxarifado"})
		id, other := batch.Assets[0].ID, batch.Assets[1].ID
		path := assetPath(id)

		// A stale If-Match is refused and changes nothing.
		r := f.call(agent, "PUT", path, map[string]any{"name": "Renamed"}, "If-Match", `"v7"`)
		require.Equal(t, http.StatusPreconditionFailed, r.Status, "%s", r.Body)
		require.Equal(t, "Notebook", f.asset(agent, id).Name)
		require.Equal(t, int64(1), f.asset(agent, id).Version)
		r = f.call(agent, "PUT", path, map[string]any{"name": "Renamed"}, "If-Match", "v1")
		require.Equal(t, http.StatusBadRequest, r.Status, "a malformed If-Match: %s", r.Body)

		// Rename and move, with the current ETag.
		r = f.call(agent, "PUT", path, map[string]any{"name": "Notebook da Ana", "location": "Sala 3"}, "If-Match", `"v1"`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Equal(t, `"v2"`, r.Header.Get("ETag"))
		a := assetIn(t, r)
		require.Equal(t, "Notebook da Ana", a.Name)
		require.Equal(t, "Sala 3", a.Location)

		// Assign to a contact of the company.
		r = f.call(agent, "POST", path+"/assign", map[string]any{"contact_id": holder}, "If-Match", `"v2"`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		a = assetIn(t, r)
		require.Equal(t, "assigned", a.Status)
		require.NotNil(t, a.AssigneeContactID)
		require.Equal(t, holder, *a.AssigneeContactID)
		require.Equal(t, []string{"in_use", "in_stock", "in_repair", "lost"}, a.AllowedTransitions)
		require.Equal(t, etagOf(a.Version), r.Header.Get("ETag"))

		// Another company's contact does not exist here.
		before := f.asset(agent, id)
		r = f.call(agent, "POST", path+"/assign", map[string]any{"contact_id": betaContact})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		require.Equal(t, []string{"contact_id"}, r.Problem(t).Fields())
		for _, body := range []any{map[string]any{}, map[string]any{"contact_id": -3}} {
			r = f.call(agent, "POST", path+"/assign", body)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
			require.Equal(t, []string{"contact_id"}, r.Problem(t).Fields())
		}
		require.Equal(t, before, f.asset(agent, id))

		// In use.
		r = f.call(agent, "PUT", path, map[string]any{"status": "in_use"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

		// The requester sees only the asset it holds, and cannot change it.
		mine := listAll[assetResp](f, requester, "/api/helpdesk/assets", 50)
		require.Len(t, mine, 1)
		require.Equal(t, id, mine[0].ID)
		require.Empty(t, mine[0].AllowedTransitions)
		require.Len(t, listAll[assetResp](f, requester, "/api/helpdesk/assets?assignee_contact_id="+strconv.FormatInt(f.contactOf(viewer), 10), 50), 1,
			"a requester's filter cannot widen its view")
		require.Equal(t, http.StatusOK, f.call(requester, "GET", path, nil).Status)
		require.Equal(t, http.StatusOK, f.call(requester, "GET", path+"/history", nil).Status)
		for _, p := range []string{assetPath(other), assetPath(other) + "/history", "/api/helpdesk/assets/by-serial?serial=" + batch.Assets[1].Serial} {
			r = f.call(requester, "GET", p, nil)
			require.Equal(t, http.StatusNotFound, r.Status, "%s: %s", p, r.Body)
		}
		require.Equal(t, http.StatusForbidden, f.call(requester, "PUT", path, map[string]any{"status": "in_stock"}).Status)
		require.Equal(t, http.StatusForbidden, f.call(requester, "GET", "/api/helpdesk/inventory/stock-items", nil).Status)

		// The viewer reads everything and changes nothing.
		require.Len(t, listAll[assetResp](f, viewer, "/api/helpdesk/assets", 50), 2)
		require.Empty(t, f.asset(viewer, id).AllowedTransitions)
		r = f.call(viewer, "PUT", path, map[string]any{"name": "x"})
		require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
		r = f.call(viewer, "POST", path+"/assign", map[string]any{"contact_id": nil})
		require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
		require.Equal(t, "in_use", f.asset(agent, id).Status)

		// Back to stock, then retire: the reason is required.
		r = f.call(agent, "PUT", path, map[string]any{"status": "in_stock"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		a = assetIn(t, r)
		require.Nil(t, a.AssigneeContactID, "returning to stock unassigns")
		require.Equal(t, staffFromStock, a.AllowedTransitions)
		r = f.call(agent, "PUT", path, map[string]any{"status": "retired"})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		require.Equal(t, []string{"reason"}, r.Problem(t).Fields())
		r = f.call(agent, "PUT", path, map[string]any{"status": "retired", "reason": "tela quebrada"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		a = assetIn(t, r)
		require.Equal(t, "retired", a.Status)
		require.NotNil(t, a.AllowedTransitions)
		require.Empty(t, a.AllowedTransitions)
		require.NotNil(t, a.RetiredReason)
		require.Equal(t, "tela quebrada", *a.RetiredReason)
		retired := f.asset(admin, id)
		require.Empty(t, retired.AllowedTransitions)

		// Retired is final.
		for _, status := range []string{"in_stock", "lost"} {
			r = f.call(admin, "PUT", path, map[string]any{"status": status, "reason": "found it"})
			require.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
			p := r.Problem(t)
			require.NotNil(t, p.AllowedTransitions, "allowed_transitions is present: %s", r.Body)
			require.Empty(t, p.AllowedTransitions)
		}
		r = f.call(admin, "POST", path+"/assign", map[string]any{"contact_id": holder})
		require.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
		require.Equal(t, retired, f.asset(admin, id))

		// An unknown status is a field error.
		r = f.call(agent, "PUT", assetPath(other), map[string]any{"status": "borrowed"})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		require.Equal(t, []string{"status"}, r.Problem(t).Fields())

		// The history lists every step, oldest first.
		hist := listAll[historyResp](f, viewer, path+"/history", 2)
		type step struct{ action, field, from, to, note string }
		var steps []step
		for i, h := range hist {
			steps = append(steps, step{h.Action, h.Field, h.From, h.To, h.Note})
			if i > 0 {
				require.Greater(t, h.ID, hist[i-1].ID)
				require.False(t, h.At.Before(hist[i-1].At))
			}
			require.NotZero(t, h.ActorUserID)
		}
		h := strconv.FormatInt(holder, 10)
		require.Equal(t, []step{
			{"created", "status", "", "in_stock", "intake of stock item " + strconv.FormatInt(batch.StockItem.ID, 10)},
			{"updated", "name", "Notebook", "Notebook da Ana", ""},
			{"moved", "location", "Almoxarifado", "Sala 3", ""},
			{"status_changed", "status", "in_stock", "assigned", ""},
			{"assigned", "assignee_contact_id", "", h, "Acme requester"},
			{"status_changed", "status", "assigned", "in_use", ""},
			{"status_changed", "status", "in_use", "in_stock", ""},
			{"unassigned", "assignee_contact_id", h, "", ""},
			{"status_changed", "status", "in_stock", "retired", "tela quebrada"},
		}, steps)
		// Its pages hold all the entries.
		r = f.call(viewer, "GET", path+"/history?limit=200", nil)
		require.Equal(t, http.StatusOK, r.Status)
		var page struct {
			Items []historyResp `json:"items"`
		}
		r.JSON(t, &page)
		require.Equal(t, hist, page.Items)
	})
}

func TestInventoryAssignAndUnassign(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		agent := f.ta[tenant.RoleAgent]
		holder := f.contactOf(f.ta[tenant.RoleViewer])
		id := f.intake(agent, map[string]any{"name": "Celular", "category": "Telefonia", "quantity": 1}).Assets[0].ID
		path := assetPath(id)

		r := f.call(agent, "POST", path+"/assign", map[string]any{"contact_id": holder}, "If-Match", `"v1"`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		// A stale If-Match is refused.
		r = f.call(agent, "POST", path+"/assign", map[string]any{"contact_id": nil}, "If-Match", `"v1"`)
		require.Equal(t, http.StatusPreconditionFailed, r.Status, "%s", r.Body)
		require.Equal(t, "assigned", f.asset(agent, id).Status)

		for _, body := range []map[string]any{{"contact_id": nil}, {"contact_id": 0}} {
			r = f.call(agent, "POST", path+"/assign", body)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			a := assetIn(t, r)
			require.Equal(t, "in_stock", a.Status)
			require.Nil(t, a.AssigneeContactID)
		}
		// Assigning to nobody twice changes nothing the second time.
		require.Equal(t, int64(3), f.asset(agent, id).Version)

		// A deactivated contact cannot receive assets.
		ct, err := e.desk.Directory.CreateContact(t.Context(), mustIn(t, f.a), directory.ContactInput{Name: "Saiu da empresa"})
		require.NoError(t, err)
		inactive := false
		_, err = e.desk.Directory.UpdateContact(t.Context(), mustIn(t, f.a), ct.ID, directory.ContactPatch{Active: &inactive})
		require.NoError(t, err)
		r = f.call(agent, "POST", path+"/assign", map[string]any{"contact_id": int64(ct.ID)})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		require.Equal(t, []string{"contact_id"}, r.Problem(t).Fields())

		// A body of the wrong shape is malformed.
		r = f.call(agent, "POST", path+"/assign", map[string]any{"contact_id": "seven"})
		require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	})
}

func mustIn(t *testing.T, c directory.Company) tenant.Actor {
	t.Helper()
	a, err := tenant.System().InCompany(c.ID)
	require.NoError(t, err)
	return a
}

func TestInventoryTenantIsolation(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		beta := f.intake(f.tb[tenant.RoleAgent], map[string]any{"name": "Servidor", "category": "Servidor", "quantity": 1})
		betaAsset, betaStock := beta.Assets[0], beta.StockItem
		acme := f.intake(f.ta[tenant.RoleAgent], map[string]any{"name": "Switch", "category": "Rede", "quantity": 1})
		acmeContact := f.contactOf(f.ta[tenant.RoleRequester])

		bp := assetPath(betaAsset.ID)
		rootInAcme := []string{"X-Company-ID", strconv.FormatInt(int64(f.a.ID), 10)}
		for _, who := range []struct {
			name    string
			token   string
			headers []string
		}{
			{"admin", f.ta[tenant.RoleAdmin], nil},
			{"agent", f.ta[tenant.RoleAgent], nil},
			{"viewer", f.ta[tenant.RoleViewer], nil},
			{"platform admin in Acme", f.root, rootInAcme},
		} {
			for _, req := range []struct {
				method, path string
				body         any
			}{
				{"GET", bp, nil},
				{"GET", bp + "/history", nil},
				{"GET", "/api/helpdesk/assets/by-serial?serial=" + betaAsset.Serial, nil},
				{"PUT", bp, map[string]any{"name": "hijacked"}},
				{"PUT", bp, map[string]any{"status": "retired", "reason": "x"}},
				{"POST", bp + "/assign", map[string]any{"contact_id": acmeContact}},
				{"POST", bp + "/assign", map[string]any{"contact_id": nil}},
				{"GET", "/api/helpdesk/inventory/stock-items/" + strconv.FormatInt(betaStock.ID, 10), nil},
			} {
				r := f.call(who.token, req.method, req.path, req.body, who.headers...)
				if who.name == "viewer" && req.method != "GET" {
					// A viewer may change nothing anywhere: its role is
					// refused before any row is read.
					require.Equal(t, http.StatusForbidden, r.Status, "%s %s %s: %s", who.name, req.method, req.path, r.Body)
					continue
				}
				require.Equal(t, http.StatusNotFound, r.Status, "%s %s %s: %s", who.name, req.method, req.path, r.Body)
			}
			list := listAll[assetResp](f, who.token, "/api/helpdesk/assets?stock_item_id="+strconv.FormatInt(betaStock.ID, 10), 50, who.headers...)
			require.Empty(t, list, who.name)
		}
		// Unchanged for Beta.
		require.Equal(t, betaAsset, f.asset(f.tb[tenant.RoleAgent], betaAsset.ID))
		hist := listAll[historyResp](f, f.tb[tenant.RoleAgent], bp+"/history", 50)
		require.Len(t, hist, 1)

		// Malformed and unknown IDs are missing too. (0 and -1 are left
		// out: checkExchange's path-parameter tolerance does not see
		// through kin-openapi's nested schema errors for them.)
		agent := f.ta[tenant.RoleAgent]
		for _, p := range []string{"abc", "999999999", "1.5", "9223372036854775808"} {
			for _, req := range []struct {
				method, suffix string
				body           any
			}{
				{"GET", "", nil}, {"GET", "/history", nil}, {"PUT", "", map[string]any{}},
				{"POST", "/assign", map[string]any{"contact_id": nil}},
			} {
				r := f.call(agent, req.method, "/api/helpdesk/assets/"+p+req.suffix, req.body)
				require.Equal(t, http.StatusNotFound, r.Status, "%s %s: %s", req.method, p, r.Body)
			}
			r := f.call(agent, "GET", "/api/helpdesk/inventory/stock-items/"+p, nil)
			require.Equal(t, http.StatusNotFound, r.Status, "stock item %s: %s", p, r.Body)
		}
		// Acme's own asset is still Acme's.
		require.Equal(t, acme.Assets[0].ID, f.asset(agent, acme.Assets[0].ID).ID)
	})
}

func TestInventorySerialSettings(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		f := newInvFixture(e)
		admin, agent := f.ta[tenant.RoleAdmin], f.ta[tenant.RoleAgent]
		const path = "/api/helpdesk/inventory/serial-settings"
		for _, tt := range []struct {
			name   string
			token  string
			body   any
			status int
			field  string
		}{
			{"agent", agent, map[string]any{"prefix": "AG"}, 403, ""},
			{"viewer", f.ta[tenant.RoleViewer], map[string]any{"prefix": "VW"}, 403, ""},
			{"no sequence", admin, map[string]any{"pattern": "{PREFIX}-{YYYY}"}, 422, "pattern"},
			{"unknown token", admin, map[string]any{"pattern": "{PREFIX}-{MONTH}-{SEQ}"}, 422, "pattern"},
			{"prefix too long", admin, map[string]any{"prefix": strings.Repeat("P", 17)}, 422, "prefix"},
			{"unknown field", admin, map[string]any{"width": 4}, 422, "width"},
		} {
			r := f.call(tt.token, "PUT", path, tt.body)
			require.Equal(t, tt.status, r.Status, "%s: %s", tt.name, r.Body)
			if tt.field != "" {
				require.Equal(t, []string{tt.field}, r.Problem(t).Fields(), tt.name)
			}
		}
		require.Equal(t, "ACME-2026-000001", f.intake(agent, map[string]any{"name": "A", "category": "Notebook", "quantity": 1}).Assets[0].Serial)

		r := f.call(admin, "PUT", path, map[string]any{"pattern": "{PREFIX}/{CAT}/{YY}-{SEQ:4}", "prefix": "XY"})
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		got := f.intake(agent, map[string]any{"name": "B", "category": "Notebook", "quantity": 2})
		require.Equal(t, []string{"XY/NOT/26-0001", "XY/NOT/26-0002"}, []string{got.Assets[0].Serial, got.Assets[1].Serial})
		// A serial with slashes is found by the query parameter.
		r = f.call(agent, "GET", "/api/helpdesk/assets/by-serial?serial="+url.QueryEscape("XY/NOT/26-0002"), nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var a assetResp
		r.JSON(t, &a)
		require.Equal(t, got.Assets[1].ID, a.ID)

		// Empty settings restore the defaults; the platform admin may set
		// them in the company it picks.
		r = f.call(f.root, "PUT", path, map[string]any{}, "X-Company-ID", strconv.FormatInt(int64(f.a.ID), 10))
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		require.Equal(t, "ACME-2026-000002", f.intake(agent, map[string]any{"name": "C", "category": "Notebook", "quantity": 1}).Assets[0].Serial)
		// Beta is untouched.
		require.Equal(t, "BETA-2026-000001", f.intake(f.tb[tenant.RoleAgent], map[string]any{"name": "D", "category": "Notebook", "quantity": 1}).Assets[0].Serial)
	})
}
