package storagetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
)

// inventoryCases are the inventory conformance cases; Run runs them with
// the others.
var inventoryCases = []struct {
	name string
	fn   func(t *testing.T, b Backend)
}{
	{"InventoryIntakeRoundTrip", testInventoryIntakeRoundTrip},
	{"InventoryConcurrentIntakes", testInventoryConcurrentIntakes},
	{"InventorySequencesPerCompany", testInventorySequencesPerCompany},
	{"InventorySerialCollisionRetries", testInventorySerialCollision},
	{"InventorySerialExhaustedWritesNothing", testInventorySerialExhausted},
	{"InventoryFailedIntakeWritesNothing", testInventoryFailedIntake},
	{"InventoryTenantIsolation", testInventoryTenantIsolation},
	{"InventoryLifecycleAndHistory", testInventoryLifecycle},
	{"InventoryRequesterSeesOwnAssets", testInventoryRequesterScope},
	{"InventoryFiltersSortsAndPaging", testInventoryFiltersAndPaging},
	{"InventoryTextSearch", testInventoryTextSearch},
	{"InventoryTextSearchIsInjectionProof", testInventorySearchInjection},
	{"InventoryConsumeStock", testInventoryConsumeStock},
	{"InventoryStaleVersion", testInventoryStale},
}

// invFixture is one company with the services to drive it.
type invFixture struct {
	b     Backend
	inv   *inventory.Service
	dir   *directory.Service
	co    directory.Company
	admin tenant.Actor
}

func newInvService(t *testing.T, b Backend) *inventory.Service {
	t.Helper()
	svc, err := inventory.NewService(b.Inventory(), inventory.WithClock(func() time.Time { return at }),
		inventory.WithSerialBackoff(time.Millisecond))
	require.NoError(t, err)
	return svc
}

func newInvFixture(t *testing.T, b Backend, name string) invFixture {
	t.Helper()
	dir := newService(t, b.Directory())
	co, err := dir.CreateCompany(ctx(t), tenant.System(), directory.CompanyInput{Name: name})
	require.NoError(t, err)
	return invFixture{b: b, inv: newInvService(t, b), dir: dir, co: co,
		admin: tenant.Actor{CompanyID: co.ID, UserID: 9001, Role: tenant.RoleAdmin}}
}

// sibling is another company of the same backend.
func (f invFixture) sibling(t *testing.T, name string) invFixture {
	t.Helper()
	co, err := f.dir.CreateCompany(ctx(t), tenant.System(), directory.CompanyInput{Name: name})
	require.NoError(t, err)
	return invFixture{b: f.b, inv: f.inv, dir: f.dir, co: co,
		admin: tenant.Actor{CompanyID: co.ID, UserID: 9002, Role: tenant.RoleAdmin}}
}

func (f invFixture) contact(t *testing.T, name string) directory.Contact {
	t.Helper()
	c, err := f.dir.CreateContact(ctx(t), f.admin, directory.ContactInput{Name: name})
	require.NoError(t, err)
	return c
}

func notebooks(qty int) inventory.IntakeInput {
	return inventory.IntakeInput{Name: "Notebook Dell Latitude 5440", Category: "Notebook", Manufacturer: "Dell",
		Model: "Latitude 5440", Quantity: qty, Location: "Sede", Supplier: "Dell Brasil", InvoiceNumber: "NF-000123",
		UnitCostCents: 450_000, WarrantyMonths: 12}
}

func (f invFixture) intake(t *testing.T, in inventory.IntakeInput) (inventory.StockItem, []inventory.Asset) {
	t.Helper()
	st, assets, err := f.inv.Intake(ctx(t), f.admin, in)
	require.NoError(t, err)
	return st, assets
}

// preInsert inserts an asset straight through the store, as an import
// would, outside any intake.
func (f invFixture) preInsert(t *testing.T, a inventory.Asset) inventory.Asset {
	t.Helper()
	a.CompanyID = f.co.ID
	if a.Name == "" {
		a.Name = "Imported"
	}
	if a.Status == "" {
		a.Status = inventory.StatusInStock
	}
	a.CreatedAt, a.UpdatedAt = at, at
	require.NoError(t, f.b.Inventory().InTx(ctx(t), func(ctx context.Context, tx inventory.Tx) error {
		ok, err := tx.InsertAsset(ctx, &a)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("serial %s is taken", a.Serial)
		}
		return nil
	}))
	require.NotZero(t, a.ID)
	return a
}

func (f invFixture) allAssets(t *testing.T, filter inventory.AssetFilter) []inventory.Asset {
	t.Helper()
	return walkAssets(t, f.b.Inventory(), f.co.ID, filter, 200)
}

// walkAssets pages through a list to its end, checking that no asset comes
// twice and that pages are full except the last.
func walkAssets(t *testing.T, q inventory.Queries, company tenant.CompanyID, f inventory.AssetFilter, limit int) []inventory.Asset {
	t.Helper()
	var (
		out  []inventory.Asset
		seen = map[int64]bool{}
		req  = storage.PageRequest{Limit: limit}
	)
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10_000, "paging must terminate")
		p, err := q.ListAssets(ctx(t), company, f, req)
		require.NoError(t, err)
		for _, a := range p.Items {
			require.False(t, seen[a.ID], "asset %d listed twice", a.ID)
			seen[a.ID] = true
		}
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out
		}
		require.Len(t, p.Items, limit, "a page with a next cursor is full")
		req.Cursor = p.NextCursor
	}
}

func serials(as []inventory.Asset) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Serial
	}
	return out
}

func assetIDs(as []inventory.Asset) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func eventTypes(t *testing.T, b Backend, company tenant.CompanyID) []string {
	t.Helper()
	evs, err := b.OutboxEvents(ctx(t), events.OutboxQuery{CompanyID: company})
	require.NoError(t, err)
	types := []string{}
	for _, e := range evs {
		types = append(types, e.Type)
	}
	return types
}

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	ve, ok := errors.AsType[*validation.Error](err)
	require.True(t, ok, "want a validation error naming %s, got %v", field, err)
	require.True(t, ve.Has(field), "want a validation error naming %s, got %v", field, err)
}

// requireNothingWritten checks that the company has no stock item, exactly
// the given assets and no inventory event.
func (f invFixture) requireNothingWritten(t *testing.T, assets []inventory.Asset) {
	t.Helper()
	items, err := f.b.Inventory().ListStockItems(ctx(t), f.co.ID, inventory.StockItemFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, items.Items, "no stock item")
	require.Equal(t, assetIDs(assets), assetIDs(f.allAssets(t, inventory.AssetFilter{})), "no asset")
	for _, typ := range eventTypes(t, f.b, f.co.ID) {
		require.False(t, strings.HasPrefix(typ, "inventory.") || strings.HasPrefix(typ, "asset."), "no inventory event, found %s", typ)
	}
}

func testInventoryIntakeRoundTrip(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme Informática")
	in := notebooks(3)
	in.ManufacturerSerials = []string{" CN-0001 ", "CN-0002"}
	st, assets := f.intake(t, in)
	require.NotZero(t, st.ID)
	require.EqualValues(t, 1, st.Version)
	require.Equal(t, 3, st.Quantity)
	require.Equal(t, 3, st.Available)
	require.True(t, st.ReceivedAt.Equal(at))

	got, err := b.Inventory().StockItemByID(ctx(t), f.co.ID, st.ID)
	require.NoError(t, err)
	require.Equal(t, st, got)

	require.Equal(t, []string{"ACME-2026-000001", "ACME-2026-000002", "ACME-2026-000003"}, serials(assets))
	require.Equal(t, "CN-0001", assets[0].ManufacturerSerial)
	require.Equal(t, "CN-0002", assets[1].ManufacturerSerial)
	require.Empty(t, assets[2].ManufacturerSerial)
	for _, a := range assets {
		require.NotZero(t, a.ID)
		require.EqualValues(t, 1, a.Version)
		require.Equal(t, st.ID, a.StockItemID)
		require.Equal(t, inventory.StatusInStock, a.Status)
		require.True(t, a.WarrantyUntil.Equal(at.AddDate(0, 12, 0)))
		byID, err := b.Inventory().AssetByID(ctx(t), f.co.ID, a.ID)
		require.NoError(t, err)
		require.Equal(t, a, byID)
		bySerial, err := b.Inventory().AssetBySerial(ctx(t), f.co.ID, a.Serial)
		require.NoError(t, err)
		require.Equal(t, a, bySerial)

		h, err := b.Inventory().AssetHistory(ctx(t), f.co.ID, a.ID, storage.PageRequest{})
		require.NoError(t, err)
		require.Len(t, h.Items, 1)
		require.NotZero(t, h.Items[0].ID)
		require.Equal(t, inventory.HistoryEntry{ID: h.Items[0].ID, CompanyID: f.co.ID, AssetID: a.ID, At: at,
			ActorUserID: f.admin.UserID, Action: "created", Field: "status", To: "in_stock",
			Note: fmt.Sprintf("intake of stock item %d", st.ID)}, h.Items[0])
	}
	require.Equal(t, assets, f.allAssets(t, inventory.AssetFilter{StockItemID: st.ID}))
	_, err = b.Inventory().AssetBySerial(ctx(t), f.co.ID, "ACME-2026-000004")
	require.ErrorIs(t, err, storage.ErrNotFound)

	evs, err := b.OutboxEvents(ctx(t), events.OutboxQuery{CompanyID: f.co.ID})
	require.NoError(t, err)
	var inv []events.Event
	for _, e := range evs {
		if e.Type != "company.created" {
			inv = append(inv, e)
		}
	}
	require.Len(t, inv, 4)
	require.Equal(t, "inventory.intake_received", inv[0].Type)
	require.Equal(t, fmt.Sprint(st.ID), inv[0].AggregateID)
	for i, a := range assets {
		require.Equal(t, "asset.created", inv[i+1].Type)
		require.Equal(t, "asset", inv[i+1].AggregateType)
		require.Equal(t, fmt.Sprint(a.ID), inv[i+1].AggregateID)
		require.Contains(t, string(inv[i+1].Data), a.Serial)
	}

	// The sequence continues; stock item filters.
	other := inventory.IntakeInput{Name: "Monitor LG 27", Category: "Monitor", Manufacturer: "LG", Quantity: 2, Supplier: "Kabum"}
	st2, more := f.intake(t, other)
	require.Equal(t, []string{"ACME-2026-000004", "ACME-2026-000005"}, serials(more))
	stockNames := func(filter inventory.StockItemFilter) []int64 {
		p, err := b.Inventory().ListStockItems(ctx(t), f.co.ID, filter, storage.PageRequest{})
		require.NoError(t, err)
		var ids []int64
		for _, s := range p.Items {
			ids = append(ids, s.ID)
		}
		return ids
	}
	require.Equal(t, []int64{st.ID, st2.ID}, stockNames(inventory.StockItemFilter{}))
	require.Equal(t, []int64{st2.ID}, stockNames(inventory.StockItemFilter{Category: "Monitor"}))
	require.Equal(t, []int64{st.ID}, stockNames(inventory.StockItemFilter{Search: "dell BRASIL"}))
	require.Equal(t, []int64{st.ID}, stockNames(inventory.StockItemFilter{Search: "nf-000123"}))
	require.Equal(t, []int64{st2.ID}, stockNames(inventory.StockItemFilter{Search: "kabum"}))
	_, err = f.inv.Consume(ctx(t), f.admin, st2.ID, 2)
	require.NoError(t, err)
	require.Equal(t, []int64{st.ID}, stockNames(inventory.StockItemFilter{InStock: true}))
}

// testInventoryConcurrentIntakes runs 50 intakes of 5 units at once in one
// company: none fails and the 250 serials are distinct and gapless.
func testInventoryConcurrentIntakes(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme")
	const intakes, qty = 50, 5
	var wg sync.WaitGroup
	errs := make(chan error, intakes)
	for range intakes {
		wg.Go(func() {
			_, _, err := f.inv.Intake(ctx(t), f.admin, notebooks(qty))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	all := f.allAssets(t, inventory.AssetFilter{})
	require.Len(t, all, intakes*qty)
	got := serials(all)
	slices.Sort(got)
	want := make([]string, intakes*qty)
	for i := range want {
		want[i] = fmt.Sprintf("ACME-2026-%06d", i+1)
	}
	require.Equal(t, want, got, "distinct serials with no gap")
	byItem := map[int64][]string{}
	for _, a := range all {
		byItem[a.StockItemID] = append(byItem[a.StockItemID], a.Serial)
	}
	require.Len(t, byItem, intakes)
	for _, ss := range byItem {
		require.Len(t, ss, qty, "each intake reserved one range")
	}
	types := eventTypes(t, b, f.co.ID)
	require.Equal(t, intakes*qty, countOf(types, "asset.created"))
	require.Equal(t, intakes, countOf(types, "inventory.intake_received"))
}

func countOf(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// testInventorySequencesPerCompany checks that each company numbers on its
// own and that serials are unique per company only.
func testInventorySequencesPerCompany(t *testing.T, b Backend) {
	a := newInvFixture(t, b, "Acme")
	c := a.sibling(t, "Beta Serviços")
	_, err := b.Inventory().SerialSettings(ctx(t), c.co.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	// Beta uses Acme's prefix: the same serials, in another company.
	require.NoError(t, c.inv.SetSerialSettings(ctx(t), c.admin, inventory.SerialSettings{Prefix: "ACME"}))
	set, err := b.Inventory().SerialSettings(ctx(t), c.co.ID)
	require.NoError(t, err)
	require.Equal(t, inventory.SerialSettings{Prefix: "ACME"}, set)

	_, fromA := a.intake(t, notebooks(2))
	_, fromC := c.intake(t, notebooks(3))
	_, againA := a.intake(t, notebooks(1))
	require.Equal(t, []string{"ACME-2026-000001", "ACME-2026-000002"}, serials(fromA))
	require.Equal(t, []string{"ACME-2026-000001", "ACME-2026-000002", "ACME-2026-000003"}, serials(fromC))
	require.Equal(t, []string{"ACME-2026-000003"}, serials(againA))
	got, err := b.Inventory().AssetBySerial(ctx(t), c.co.ID, "ACME-2026-000001")
	require.NoError(t, err)
	require.Equal(t, fromC[0].ID, got.ID)

	// A custom pattern starts its own sequence; settings can be replaced.
	require.NoError(t, c.inv.SetSerialSettings(ctx(t), c.admin, inventory.SerialSettings{Pattern: "{PREFIX}-{CAT}-{SEQ:4}", Prefix: "BT"}))
	set, err = b.Inventory().SerialSettings(ctx(t), c.co.ID)
	require.NoError(t, err)
	require.Equal(t, inventory.SerialSettings{Pattern: "{PREFIX}-{CAT}-{SEQ:4}", Prefix: "BT"}, set)
	_, custom := c.intake(t, notebooks(2))
	require.Equal(t, []string{"BT-NOT-0001", "BT-NOT-0002"}, serials(custom))
}

// testInventorySerialCollision makes the first serial an intake draws
// already taken: InsertAsset reports false without failing the unit of
// work, and the intake moves on to the next number.
func testInventorySerialCollision(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme")
	taken := f.preInsert(t, inventory.Asset{Serial: "ACME-2026-000001"})

	// A taken serial reports false and leaves the transaction usable.
	var second inventory.Asset
	require.NoError(t, b.Inventory().InTx(ctx(t), func(ctx context.Context, tx inventory.Tx) error {
		dup := inventory.Asset{CompanyID: f.co.ID, Serial: taken.Serial, Name: "Dup", Status: inventory.StatusInStock, CreatedAt: at, UpdatedAt: at}
		ok, err := tx.InsertAsset(ctx, &dup)
		require.NoError(t, err)
		require.False(t, ok)
		require.Zero(t, dup.ID, "no ID for an asset that was not inserted")
		second = inventory.Asset{CompanyID: f.co.ID, Serial: "IMPORT-2", Name: "Second", Status: inventory.StatusInStock, CreatedAt: at, UpdatedAt: at}
		ok, err = tx.InsertAsset(ctx, &second)
		require.NoError(t, err)
		require.True(t, ok)
		return nil
	}))
	got, err := b.Inventory().AssetBySerial(ctx(t), f.co.ID, taken.Serial)
	require.NoError(t, err)
	require.Equal(t, taken, got, "the taken serial keeps its asset")
	_, err = b.Inventory().AssetByID(ctx(t), f.co.ID, second.ID)
	require.NoError(t, err, "the unit of work committed after the collision")

	_, assets := f.intake(t, notebooks(1))
	require.Equal(t, []string{"ACME-2026-000002"}, serials(assets))
	_, assets = f.intake(t, notebooks(2))
	require.Equal(t, []string{"ACME-2026-000003", "ACME-2026-000004"}, serials(assets))
}

// testInventorySerialExhausted takes every number the intake will draw:
// it fails with ErrSerialExhausted, writes nothing, and its sequence
// reservations roll back with it (the next intake draws the same numbers).
func testInventorySerialExhausted(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme")
	var pre []inventory.Asset
	for n := 1; n <= inventory.MaxSerialAttempts; n++ {
		pre = append(pre, f.preInsert(t, inventory.Asset{Serial: fmt.Sprintf("ACME-2026-%06d", n)}))
	}
	for range 2 {
		_, _, err := f.inv.Intake(ctx(t), f.admin, notebooks(1))
		require.ErrorIs(t, err, inventory.ErrSerialExhausted)
		require.ErrorIs(t, err, storage.ErrConflict)
		require.Contains(t, err.Error(), fmt.Sprintf("ACME-2026-%06d", inventory.MaxSerialAttempts), "the last serial tried")
		f.requireNothingWritten(t, pre)
	}
	// The sequence is still at 1: an intake of MaxSerialAttempts+1 units
	// reserves 1..6, finds 1..5 taken and draws 7.. for them.
	_, assets := f.intake(t, notebooks(inventory.MaxSerialAttempts+1))
	got := serials(assets)
	slices.Sort(got)
	want := []string{}
	for n := inventory.MaxSerialAttempts + 1; n <= 2*inventory.MaxSerialAttempts+1; n++ {
		want = append(want, fmt.Sprintf("ACME-2026-%06d", n))
	}
	require.Equal(t, want, got)
}

// testInventoryFailedIntake fails intakes part-way through: nothing of
// them stays, and the sequence has no gap afterwards.
func testInventoryFailedIntake(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme")
	dup := notebooks(3)
	dup.ManufacturerSerials = []string{"CN-1", "CN-2", "CN-1"}
	_, _, err := f.inv.Intake(ctx(t), f.admin, dup)
	requireField(t, err, "manufacturer_serials")
	f.requireNothingWritten(t, nil)

	bad := notebooks(0)
	_, _, err = f.inv.Intake(ctx(t), f.admin, bad)
	requireField(t, err, "quantity")
	f.requireNothingWritten(t, nil)

	// A manufacturer serial already registered (same manufacturer) fails;
	// the same serial of another manufacturer is fine.
	pre := f.preInsert(t, inventory.Asset{Serial: "IMPORT-1", Manufacturer: "Dell", ManufacturerSerial: "CN-9"})
	again := notebooks(2)
	again.ManufacturerSerials = []string{"CN-8", "CN-9"}
	_, _, err = f.inv.Intake(ctx(t), f.admin, again)
	requireField(t, err, "manufacturer_serials")
	f.requireNothingWritten(t, []inventory.Asset{pre})

	lg := notebooks(1)
	lg.Manufacturer = "LG"
	lg.ManufacturerSerials = []string{"CN-9"}
	_, assets := f.intake(t, lg)
	require.Equal(t, []string{"ACME-2026-000001"}, serials(assets), "failed intakes leave no gap in the sequence")

	// At the store: a taken manufacturer serial is storage.ErrConflict.
	err = b.Inventory().InTx(ctx(t), func(ctx context.Context, tx inventory.Tx) error {
		a := inventory.Asset{CompanyID: f.co.ID, Serial: "IMPORT-2", Name: "x", Manufacturer: "Dell", ManufacturerSerial: "CN-9",
			Status: inventory.StatusInStock, CreatedAt: at, UpdatedAt: at}
		_, err := tx.InsertAsset(ctx, &a)
		return err
	})
	require.ErrorIs(t, err, storage.ErrConflict)
}

// testInventoryTenantIsolation uses one company's IDs from another: every
// read is not found, every write is not found and changes nothing.
func testInventoryTenantIsolation(t *testing.T, b Backend) {
	a := newInvFixture(t, b, "Acme")
	other := a.sibling(t, "Beta")
	st, assets := a.intake(t, notebooks(2))
	asset := assets[0]
	ana := a.contact(t, "Ana")
	require.NoError(t, a.inv.SetSerialSettings(ctx(t), a.admin, inventory.SerialSettings{Prefix: "AC"}))
	s := b.Inventory()
	oc := other.co.ID

	_, err := s.StockItemByID(ctx(t), oc, st.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.AssetByID(ctx(t), oc, asset.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.AssetBySerial(ctx(t), oc, asset.Serial)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.SerialSettings(ctx(t), oc)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.ContactByID(ctx(t), oc, ana.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	items, err := s.ListStockItems(ctx(t), oc, inventory.StockItemFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, items.Items)
	for _, filter := range []inventory.AssetFilter{{}, {StockItemID: st.ID}, {Search: "notebook"}, {Sort: inventory.SortName}} {
		list, err := s.ListAssets(ctx(t), oc, filter, storage.PageRequest{})
		require.NoError(t, err)
		require.Empty(t, list.Items, "%+v", filter)
	}
	h, err := s.AssetHistory(ctx(t), oc, asset.ID, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, h.Items)

	stolen := asset
	stolen.CompanyID = oc
	stolen.Name = "Stolen"
	err = s.InTx(ctx(t), func(ctx context.Context, tx inventory.Tx) error { return tx.UpdateAsset(ctx, &stolen) })
	require.ErrorIs(t, err, storage.ErrNotFound)
	stolen.Version = 99
	err = s.InTx(ctx(t), func(ctx context.Context, tx inventory.Tx) error { return tx.UpdateAsset(ctx, &stolen) })
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.NotErrorIs(t, err, storage.ErrStale)
	err = s.InTx(ctx(t), func(ctx context.Context, tx inventory.Tx) error {
		_, err := tx.ConsumeStock(ctx, oc, st.ID, 1, at)
		return err
	})
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.NotErrorIs(t, err, inventory.ErrInsufficientStock)

	// Through the service.
	name := "Stolen"
	_, err = other.inv.GetAsset(ctx(t), other.admin, asset.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = other.inv.GetAssetBySerial(ctx(t), other.admin, asset.Serial)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = other.inv.GetStockItem(ctx(t), other.admin, st.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = other.inv.History(ctx(t), other.admin, asset.ID, storage.PageRequest{})
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = other.inv.UpdateAsset(ctx(t), other.admin, asset.ID, inventory.AssetPatch{Name: &name})
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = other.inv.Consume(ctx(t), other.admin, st.ID, 1)
	require.ErrorIs(t, err, storage.ErrNotFound)

	// Assigning to another company's contact is a bad contact_id.
	bruno := other.contact(t, "Bruno")
	_, err = a.inv.Assign(ctx(t), a.admin, asset.ID, bruno.ID, 0)
	requireField(t, err, "contact_id")

	gotSt, err := s.StockItemByID(ctx(t), a.co.ID, st.ID)
	require.NoError(t, err)
	require.Equal(t, st, gotSt, "nothing changed")
	gotA, err := s.AssetByID(ctx(t), a.co.ID, asset.ID)
	require.NoError(t, err)
	require.Equal(t, asset, gotA, "nothing changed")
	h, err = s.AssetHistory(ctx(t), a.co.ID, asset.ID, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, h.Items, 1, "no history was written")
	for _, typ := range eventTypes(t, b, oc) {
		require.NotContains(t, []string{"asset.updated", "inventory.stock_consumed"}, typ, "no inventory event in the other company")
	}
}

type step struct{ action, field, from, to string }

// testInventoryLifecycle walks an asset through its lifecycle and reads
// every step back from the history, in order.
func testInventoryLifecycle(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme")
	ana := f.contact(t, "Ana")
	_, assets := f.intake(t, notebooks(1))
	a := assets[0]
	ctx := ctx(t)

	a, err := f.inv.Assign(ctx, f.admin, a.ID, ana.ID, a.Version)
	require.NoError(t, err)
	require.Equal(t, inventory.StatusAssigned, a.Status)
	require.Equal(t, ana.ID, a.AssigneeContactID)
	require.EqualValues(t, 2, a.Version)
	move := func(to inventory.Status, reason string) (inventory.Asset, error) {
		return f.inv.UpdateAsset(ctx, f.admin, a.ID, inventory.AssetPatch{Status: &to, Reason: reason, Version: a.Version})
	}
	a, err = move(inventory.StatusInUse, "")
	require.NoError(t, err)
	a, err = move(inventory.StatusInRepair, "")
	require.NoError(t, err)
	require.Equal(t, ana.ID, a.AssigneeContactID, "repair keeps the assignee")
	a, err = move(inventory.StatusInStock, "")
	require.NoError(t, err)
	require.Zero(t, a.AssigneeContactID, "back in stock means unassigned")

	_, err = f.inv.Retire(ctx, f.admin, a.ID, "  ", a.Version)
	requireField(t, err, "reason")
	a, err = f.inv.Retire(ctx, f.admin, a.ID, "Tela quebrada", a.Version)
	require.NoError(t, err)
	require.Equal(t, inventory.StatusRetired, a.Status)
	require.Equal(t, "Tela quebrada", a.RetiredReason)
	require.EqualValues(t, 6, a.Version)
	stored, err := b.Inventory().AssetByID(ctx, f.co.ID, a.ID)
	require.NoError(t, err)
	require.Equal(t, a, stored)

	for _, to := range inventory.Statuses() {
		if to == inventory.StatusRetired {
			continue
		}
		_, err := move(to, "because")
		te, ok := errors.AsType[*workflow.TransitionError](err)
		require.True(t, ok, "retired → %s: want a transition error, got %v", to, err)
		require.ErrorIs(t, err, workflow.ErrIllegalTransition)
		require.Empty(t, te.Allowed, "nothing is allowed from retired")
	}
	_, err = f.inv.Assign(ctx, f.admin, a.ID, ana.ID, a.Version)
	require.ErrorIs(t, err, workflow.ErrIllegalTransition)

	want := []step{
		{"created", "status", "", "in_stock"},
		{"status_changed", "status", "in_stock", "assigned"},
		{"assigned", "assignee_contact_id", "", fmt.Sprint(ana.ID)},
		{"status_changed", "status", "assigned", "in_use"},
		{"status_changed", "status", "in_use", "in_repair"},
		{"status_changed", "status", "in_repair", "in_stock"},
		{"unassigned", "assignee_contact_id", fmt.Sprint(ana.ID), ""},
		{"status_changed", "status", "in_stock", "retired"},
	}
	var got []step
	var lastID int64
	req := storage.PageRequest{Limit: 2}
	for {
		p, err := f.inv.History(ctx, f.admin, a.ID, req)
		require.NoError(t, err)
		for _, h := range p.Items {
			require.Greater(t, h.ID, lastID, "oldest first")
			lastID = h.ID
			require.Equal(t, a.ID, h.AssetID)
			require.Equal(t, f.admin.UserID, h.ActorUserID)
			got = append(got, step{h.Action, h.Field, h.From, h.To})
			if h.To == "retired" {
				require.Equal(t, "Tela quebrada", h.Note)
			}
		}
		if p.NextCursor == "" {
			break
		}
		req.Cursor = p.NextCursor
	}
	require.Equal(t, want, got)

	types := eventTypes(t, b, f.co.ID)
	for _, typ := range []string{"asset.assigned", "asset.status_changed", "asset.unassigned", "asset.retired"} {
		require.Contains(t, types, typ)
	}
}

// testInventoryRequesterScope checks that a requester sees only the assets
// assigned to its own contact.
func testInventoryRequesterScope(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme")
	ana, bruno := f.contact(t, "Ana"), f.contact(t, "Bruno")
	_, assets := f.intake(t, notebooks(3))
	mine, err := f.inv.Assign(ctx(t), f.admin, assets[0].ID, ana.ID, 0)
	require.NoError(t, err)
	_, err = f.inv.Assign(ctx(t), f.admin, assets[1].ID, bruno.ID, 0)
	require.NoError(t, err)

	requester := tenant.Actor{CompanyID: f.co.ID, UserID: 77, ContactID: ana.ID, Role: tenant.RoleRequester}
	p, err := f.inv.ListAssets(ctx(t), requester, inventory.AssetFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []inventory.Asset{mine}, p.Items)
	p, err = f.inv.ListAssets(ctx(t), requester, inventory.AssetFilter{AssigneeContactID: bruno.ID, Sort: inventory.SortName}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []inventory.Asset{mine}, p.Items, "a requester cannot widen its scope with a filter")
	got, err := f.inv.GetAsset(ctx(t), requester, mine.ID)
	require.NoError(t, err)
	require.Equal(t, mine, got)
	for _, other := range assets[1:] {
		_, err = f.inv.GetAsset(ctx(t), requester, other.ID)
		require.ErrorIs(t, err, storage.ErrNotFound)
		_, err = f.inv.GetAssetBySerial(ctx(t), requester, other.Serial)
		require.ErrorIs(t, err, storage.ErrNotFound)
		_, err = f.inv.History(ctx(t), requester, other.ID, storage.PageRequest{})
		require.ErrorIs(t, err, storage.ErrNotFound)
	}
	nobody := tenant.Actor{CompanyID: f.co.ID, UserID: 78, Role: tenant.RoleRequester}
	p, err = f.inv.ListAssets(ctx(t), nobody, inventory.AssetFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, p.Items)
	_, _, err = f.inv.Intake(ctx(t), requester, notebooks(1))
	require.ErrorIs(t, err, tenant.ErrForbidden)
}

// testInventoryFiltersAndPaging checks every filter and both orders
// against the same predicate computed here, walking pages of two.
func testInventoryFiltersAndPaging(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme")
	ana, bruno := f.contact(t, "Ana"), f.contact(t, "Bruno")
	batches := []inventory.IntakeInput{
		{Name: "Notebook Dell", Category: "Notebook", Quantity: 3, Location: "Sede", WarrantyMonths: 12},
		{Name: "monitor LG", Category: "Monitor", Quantity: 3, Location: "Filial", WarrantyMonths: 3},
		{Name: "Água mineral", Category: "Copa", Quantity: 2, Location: "Sede"},
		{Name: "Mouse", Category: "Periférico", Quantity: 3, Location: "Filial"},
		{Name: "Notebook Dell", Category: "Notebook", Quantity: 2, Location: "Filial"},
	}
	var stocks []inventory.StockItem
	for _, in := range batches {
		st, _ := f.intake(t, in)
		stocks = append(stocks, st)
	}
	all := f.allAssets(t, inventory.AssetFilter{})
	require.Len(t, all, 13)
	// Some assignments and a status change, to filter on.
	for i, a := range all {
		switch i % 4 {
		case 1:
			_, err := f.inv.Assign(ctx(t), f.admin, a.ID, ana.ID, 0)
			require.NoError(t, err)
		case 2:
			_, err := f.inv.Assign(ctx(t), f.admin, a.ID, bruno.ID, 0)
			require.NoError(t, err)
			inUse := inventory.StatusInUse
			_, err = f.inv.UpdateAsset(ctx(t), f.admin, a.ID, inventory.AssetPatch{Status: &inUse})
			require.NoError(t, err)
		}
	}
	all = f.allAssets(t, inventory.AssetFilter{})
	// Between the monitors' 3-month warranty and the first notebooks'
	// 12-month one.
	warrantyMid := all[0].WarrantyUntil.AddDate(0, -6, 0)
	require.False(t, all[0].WarrantyUntil.IsZero())
	byName := slices.Clone(all)
	slices.SortFunc(byName, func(x, y inventory.Asset) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), cmp.Compare(x.ID, y.ID))
	})
	var names []string
	for _, a := range byName {
		if len(names) == 0 || names[len(names)-1] != a.Name {
			names = append(names, a.Name)
		}
	}
	require.Equal(t, []string{"Mouse", "Notebook Dell", "monitor LG", "Água mineral"}, names, "names sort bytewise")

	filters := []struct {
		f    inventory.AssetFilter
		keep func(inventory.Asset) bool
	}{
		{inventory.AssetFilter{}, func(inventory.Asset) bool { return true }},
		{inventory.AssetFilter{Status: inventory.StatusInStock}, func(a inventory.Asset) bool { return a.Status == inventory.StatusInStock }},
		{inventory.AssetFilter{Status: inventory.StatusInUse}, func(a inventory.Asset) bool { return a.Status == inventory.StatusInUse }},
		{inventory.AssetFilter{Status: inventory.StatusRetired}, func(inventory.Asset) bool { return false }},
		{inventory.AssetFilter{Category: "Notebook"}, func(a inventory.Asset) bool { return a.Category == "Notebook" }},
		{inventory.AssetFilter{Category: "notebook"}, func(inventory.Asset) bool { return false }},
		{inventory.AssetFilter{AssigneeContactID: ana.ID}, func(a inventory.Asset) bool { return a.AssigneeContactID == ana.ID }},
		{inventory.AssetFilter{Location: "Filial"}, func(a inventory.Asset) bool { return a.Location == "Filial" }},
		{inventory.AssetFilter{StockItemID: stocks[4].ID}, func(a inventory.Asset) bool { return a.StockItemID == stocks[4].ID }},
		{inventory.AssetFilter{Category: "Notebook", Location: "Filial", Status: inventory.StatusAssigned},
			func(a inventory.Asset) bool {
				return a.Category == "Notebook" && a.Location == "Filial" && a.Status == inventory.StatusAssigned
			}},
		{inventory.AssetFilter{Search: "note"}, func(a inventory.Asset) bool { return strings.HasPrefix(a.Name, "Notebook") }},
		{inventory.AssetFilter{WarrantyTo: warrantyMid}, func(a inventory.Asset) bool {
			return !a.WarrantyUntil.IsZero() && a.WarrantyUntil.Before(warrantyMid)
		}},
		{inventory.AssetFilter{WarrantyFrom: warrantyMid}, func(a inventory.Asset) bool {
			return !a.WarrantyUntil.IsZero() && !a.WarrantyUntil.Before(warrantyMid)
		}},
		{inventory.AssetFilter{WarrantyFrom: all[0].WarrantyUntil, WarrantyTo: all[0].WarrantyUntil.Add(time.Microsecond), Search: "note"},
			func(a inventory.Asset) bool {
				return a.WarrantyUntil.Equal(all[0].WarrantyUntil) && strings.HasPrefix(a.Name, "Notebook")
			}},
		{inventory.AssetFilter{Search: "MON", AssigneeContactID: bruno.ID},
			func(a inventory.Asset) bool { return a.Name == "monitor LG" && a.AssigneeContactID == bruno.ID }},
	}
	for _, tc := range filters {
		for _, sort := range []inventory.SortOrder{"", inventory.SortCreated, inventory.SortName} {
			filter := tc.f
			filter.Sort = sort
			src := all
			if sort == inventory.SortName {
				src = byName
			}
			want := []int64{}
			for _, a := range src {
				if tc.keep(a) {
					want = append(want, a.ID)
				}
			}
			got := walkAssets(t, b.Inventory(), f.co.ID, filter, 2)
			require.Equal(t, want, append([]int64{}, assetIDs(got)...), "filter %+v", filter)
		}
	}
	// A cursor that was not made by the backend is refused in both orders.
	_, err := b.Inventory().ListAssets(ctx(t), f.co.ID, inventory.AssetFilter{}, storage.PageRequest{Cursor: "not-a-cursor"})
	require.ErrorIs(t, err, storage.ErrBadCursor)
	_, err = b.Inventory().ListAssets(ctx(t), f.co.ID, inventory.AssetFilter{Sort: inventory.SortName}, storage.PageRequest{Cursor: "!!"})
	require.ErrorIs(t, err, storage.ErrBadCursor)
}

// searchAsset is a row of the text search table.
type searchAsset struct{ name, serial, mfrSerial, model string }

var searchAssets = []searchAsset{
	{"Notebook Dell Latitude 5440", "ACME-2026-000042", "CN-0ABC123", "Latitude 5440"},
	{"Monitor LG UltraWide", "ACME-2026-000043", "", "34WN80C-B"},
	{"Impressora TÉRMICA Zebra", "TI/2026/7", "ZB.99-X", "ZD220"},
	{"Cadeira ergonômica", "MOB_0001", "", ""},
	{"Cabo \"HDMI\" 2m (10*)", "AND", "NOT:1", "a&b|c"},
}

// searchCases pin the text search semantics: the query splits into terms
// on every character that is not a letter or a digit, and an asset matches
// when every term is a case-insensitive prefix of a word of its name,
// serial, manufacturer serial or model (words split the same way). Accents
// are significant. A query without terms does not filter.
var searchCases = []struct {
	query string
	want  []int // indexes into searchAssets
}{
	{"ACME-2026", []int{0, 1}},
	{"acme 2026", []int{0, 1}},
	{"0000", []int{0, 1}},
	{"000042", []int{0}},
	{"42", nil},
	{"lat 544", []int{0}},
	{"latitude-5440", []int{0}},
	{"dell monitor", nil},
	{"34wn", []int{1}},
	{"80c", nil},
	{"b", []int{1, 4}},
	{"térm", []int{2}},
	{"TÉRMICA", []int{2}},
	{"termica", nil},
	{"zb 99 x", []int{2}},
	{"zb.99", []int{2}},
	{"2026/7", []int{2}},
	{"mob_0001", []int{3}},
	{"ERGONÔMICA", []int{3}},
	{"0abc", []int{0}},
	{"abc", nil},
	{`"hdmi"`, []int{4}},
	{"hdmi*", []int{4}},
	{"10*", []int{4}},
	{"and", []int{4}},
	{"not:1", []int{4}},
	{"a & b | c", []int{4}},
	{"(cabo)", []int{4}},
	{"", []int{0, 1, 2, 3, 4}},
	{"  --- ", []int{0, 1, 2, 3, 4}},
	{`"*:&|()!'\%_`, []int{0, 1, 2, 3, 4}},
}

func (f invFixture) seedSearch(t *testing.T) []inventory.Asset {
	t.Helper()
	var out []inventory.Asset
	for _, s := range searchAssets {
		out = append(out, f.preInsert(t, inventory.Asset{Name: s.name, Serial: s.serial, ManufacturerSerial: s.mfrSerial,
			Manufacturer: "M", Model: s.model}))
	}
	return out
}

func testInventoryTextSearch(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme")
	assets := f.seedSearch(t)
	// Another company's identical rows never show up.
	other := f.sibling(t, "Beta")
	other.seedSearch(t)
	for _, tc := range searchCases {
		want := []int64{}
		for _, i := range tc.want {
			want = append(want, assets[i].ID)
		}
		got := f.allAssets(t, inventory.AssetFilter{Search: tc.query})
		require.Equal(t, want, append([]int64{}, assetIDs(got)...), "search %q", tc.query)
		// Searching under the name order and with a filter agrees.
		byName := walkAssets(t, b.Inventory(), f.co.ID, inventory.AssetFilter{Search: tc.query, Sort: inventory.SortName, Status: inventory.StatusInStock}, 2)
		require.ElementsMatch(t, want, assetIDs(byName), "search %q by name", tc.query)
	}

	// Text search follows updates of the searched fields.
	a := assets[3]
	a.Name = "Poltrona giratória"
	a.UpdatedAt = at
	require.NoError(t, b.Inventory().InTx(ctx(t), func(ctx context.Context, tx inventory.Tx) error { return tx.UpdateAsset(ctx, &a) }))
	require.Empty(t, f.allAssets(t, inventory.AssetFilter{Search: "cadeira"}))
	require.Equal(t, []int64{a.ID}, assetIDs(f.allAssets(t, inventory.AssetFilter{Search: "girat"})))
}

// testInventorySearchInjection throws random queries made of words and
// the syntax characters of FTS5 and tsquery at every backend: none fails,
// and each returns what the semantics say.
func testInventorySearchInjection(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme")
	assets := f.seedSearch(t)
	pieces := []string{"acme", "2026", "0000", "lat", "dell", "zb", "térm", "hdmi", "and", "or", "not", "near", "a", "b",
		`"`, `""`, "'", "*", ":", ":*", "&", "|", "!", "(", ")", "-", "^", "+", "{", "}", "\\", "%", "_", ",", ".", " ", "  ", "\t", "\x00", "é", "ß"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		var q strings.Builder
		for range 1 + rng.IntN(6) {
			q.WriteString(pieces[rng.IntN(len(pieces))])
		}
		query := q.String()
		want := []int64{}
		for i, s := range searchAssets {
			if refMatch(s, query) {
				want = append(want, assets[i].ID)
			}
		}
		p, err := b.Inventory().ListAssets(ctx(t), f.co.ID, inventory.AssetFilter{Search: query}, storage.PageRequest{Limit: 50})
		require.NoError(t, err, "search %q", query)
		require.Equal(t, want, append([]int64{}, assetIDs(p.Items)...), "search %q", query)
	}
}

// refMatch is the reference implementation of the search semantics.
func refMatch(s searchAsset, query string) bool {
	split := func(x string) []string {
		return strings.FieldsFunc(strings.ToLower(x), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	words := slices.Concat(split(s.name), split(s.serial), split(s.mfrSerial), split(s.model))
	for _, term := range split(query) {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, term) }) {
			return false
		}
	}
	return true
}

func testInventoryConsumeStock(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme")
	st, _ := f.intake(t, notebooks(3))
	got, err := f.inv.Consume(ctx(t), f.admin, st.ID, 2)
	require.NoError(t, err)
	require.Equal(t, 1, got.Available)
	require.Equal(t, 3, got.Quantity)
	require.EqualValues(t, 2, got.Version)
	got, err = f.inv.Consume(ctx(t), f.admin, st.ID, 1)
	require.NoError(t, err)
	require.Zero(t, got.Available)
	require.EqualValues(t, 3, got.Version)
	stored, err := b.Inventory().StockItemByID(ctx(t), f.co.ID, st.ID)
	require.NoError(t, err)
	require.Equal(t, got, stored)

	_, err = f.inv.Consume(ctx(t), f.admin, st.ID, 1)
	require.ErrorIs(t, err, inventory.ErrInsufficientStock)
	require.ErrorIs(t, err, storage.ErrConflict)
	after, err := b.Inventory().StockItemByID(ctx(t), f.co.ID, st.ID)
	require.NoError(t, err)
	require.Equal(t, stored, after, "an insufficient consumption changes nothing")
	_, err = f.inv.Consume(ctx(t), f.admin, st.ID+1000, 1)
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.Equal(t, 2, countOf(eventTypes(t, b, f.co.ID), "inventory.stock_consumed"))

	// Concurrent consumers never overdraw.
	st, _ = f.intake(t, notebooks(5))
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for range 12 {
		wg.Go(func() {
			_, err := f.inv.Consume(ctx(t), f.admin, st.ID, 1)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
			continue
		}
		require.ErrorIs(t, err, inventory.ErrInsufficientStock)
	}
	require.Equal(t, 5, ok)
	final, err := b.Inventory().StockItemByID(ctx(t), f.co.ID, st.ID)
	require.NoError(t, err)
	require.Zero(t, final.Available)
	require.EqualValues(t, 6, final.Version)
}

func testInventoryStale(t *testing.T, b Backend) {
	f := newInvFixture(t, b, "Acme")
	_, assets := f.intake(t, notebooks(1))
	first, second := assets[0], assets[0]
	first.Location = "Sala 1"
	require.NoError(t, b.Inventory().InTx(ctx(t), func(ctx context.Context, tx inventory.Tx) error { return tx.UpdateAsset(ctx, &first) }))
	require.EqualValues(t, 2, first.Version)
	second.Location = "Sala 2"
	err := b.Inventory().InTx(ctx(t), func(ctx context.Context, tx inventory.Tx) error { return tx.UpdateAsset(ctx, &second) })
	require.ErrorIs(t, err, storage.ErrStale)
	got, err := b.Inventory().AssetByID(ctx(t), f.co.ID, first.ID)
	require.NoError(t, err)
	require.Equal(t, "Sala 1", got.Location)
	require.EqualValues(t, 2, got.Version)

	// Through the service (If-Match).
	loc := "Sala 3"
	_, err = f.inv.UpdateAsset(ctx(t), f.admin, first.ID, inventory.AssetPatch{Location: &loc, Version: 1})
	require.ErrorIs(t, err, storage.ErrStale)
	moved, err := f.inv.UpdateAsset(ctx(t), f.admin, first.ID, inventory.AssetPatch{Location: &loc, Version: 2})
	require.NoError(t, err)
	require.EqualValues(t, 3, moved.Version)
	missing := got
	missing.ID += 1000
	err = b.Inventory().InTx(ctx(t), func(ctx context.Context, tx inventory.Tx) error { return tx.UpdateAsset(ctx, &missing) })
	require.ErrorIs(t, err, storage.ErrNotFound)
}
