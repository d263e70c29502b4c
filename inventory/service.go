package inventory

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/storage"
)

// Service manages stock and assets for an actor. It is safe for concurrent
// use.
type Service struct {
	store   Store
	now     func() time.Time
	machine *workflow.Machine[Status]
	// backoff is the first retry delay after a serial collision; it doubles
	// on each attempt, with jitter.
	backoff time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithSerialBackoff sets the first delay after a serial collision (default
// 2 ms; it doubles on each attempt, with jitter).
func WithSerialBackoff(d time.Duration) Option { return func(s *Service) { s.backoff = d } }

// NewService returns an inventory service over store.
func NewService(store Store, opts ...Option) (*Service, error) {
	m, err := newMachine()
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	s := &Service{store: store, now: time.Now, machine: m, backoff: 2 * time.Millisecond}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Machine returns the asset lifecycle, for "next actions" in the API.
func (s *Service) Machine() *workflow.Machine[Status] { return s.machine }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func emit(ctx context.Context, tx Tx, actor tenant.Actor, typ string, company tenant.CompanyID, aggregate string,
	id int64, at time.Time, data any) error {
	ev, err := events.New(typ, company, aggregate, strconv.FormatInt(id, 10), actor, at, data)
	if err != nil {
		return err
	}
	return tx.AppendEvents(ctx, ev)
}

// IntakeInput describes a received batch.
type IntakeInput struct {
	Name           string
	Category       string
	Manufacturer   string
	Model          string
	Quantity       int
	Location       string
	Supplier       string
	InvoiceNumber  string
	UnitCostCents  int64
	ReceivedAt     time.Time
	WarrantyMonths int
	// ManufacturerSerials optionally gives the manufacturer serial of each
	// unit, in order; at most Quantity of them.
	ManufacturerSerials []string
}

// Validate checks a batch as Intake does, without writing anything: a
// form can show every field's error at once.
func (in IntakeInput) Validate(now time.Time) error {
	_, err := in.validate(now)
	return err
}

func (in IntakeInput) validate(now time.Time) (StockItem, error) {
	var b validation.Builder
	st := StockItem{
		Name:          b.Text("name", in.Name, 1, MaxNameLength),
		Category:      b.Text("category", in.Category, 1, MaxFieldLength),
		Manufacturer:  b.Text("manufacturer", in.Manufacturer, 0, MaxFieldLength),
		Model:         b.Text("model", in.Model, 0, MaxFieldLength),
		Location:      b.Text("location", in.Location, 0, MaxFieldLength),
		Supplier:      b.Text("supplier", in.Supplier, 0, MaxFieldLength),
		InvoiceNumber: b.Text("invoice_number", in.InvoiceNumber, 0, 60),
		Quantity:      in.Quantity, Available: in.Quantity,
		UnitCostCents: in.UnitCostCents, WarrantyMonths: in.WarrantyMonths,
		ReceivedAt: in.ReceivedAt.UTC().Truncate(time.Microsecond),
	}
	if in.Quantity < 1 || in.Quantity > MaxQuantity {
		b.Add("quantity", "must be from 1 to %d", MaxQuantity)
	}
	if in.UnitCostCents < 0 {
		b.Add("unit_cost_cents", "must not be negative")
	}
	if in.WarrantyMonths < 0 || in.WarrantyMonths > MaxWarrantyMonths {
		b.Add("warranty_months", "must be from 0 to %d", MaxWarrantyMonths)
	}
	if in.ReceivedAt.IsZero() {
		st.ReceivedAt = now
	} else if in.ReceivedAt.After(now.Add(24 * time.Hour)) {
		b.Add("received_at", "must not be in the future")
	}
	if len(in.ManufacturerSerials) > in.Quantity && in.Quantity > 0 {
		b.Add("manufacturer_serials", "has more serials than the quantity")
	}
	for i, ms := range in.ManufacturerSerials {
		if len(strings.TrimSpace(ms)) > MaxFieldLength {
			b.Add("manufacturer_serials", "serial %d is longer than %d characters", i+1, MaxFieldLength)
		} else if !validation.PlainText(strings.TrimSpace(ms)) {
			b.Add("manufacturer_serials", "serial %d must be valid UTF-8 without control characters (a NUL byte included)", i+1)
		}
	}
	return st, b.Err()
}

// Intake receives a batch: the stock item and one asset per unit, with
// generated serials, history and events, in one unit of work. It needs
// tenant.PermAssetsManage.
func (s *Service) Intake(ctx context.Context, actor tenant.Actor, in IntakeInput) (StockItem, []Asset, error) {
	if err := actor.RequireIn(tenant.PermAssetsManage); err != nil {
		return StockItem{}, nil, err
	}
	now := s.clock()
	st, err := in.validate(now)
	if err != nil {
		return StockItem{}, nil, err
	}
	st.CompanyID, st.CreatedBy, st.CreatedAt, st.UpdatedAt = actor.CompanyID, actor.UserID, now, now
	var assets []Asset
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		assets = assets[:0]
		scope, err := s.serialScope(ctx, tx, actor.CompanyID, st.Category, st.ReceivedAt)
		if err != nil {
			return err
		}
		if err := tx.InsertStockItem(ctx, &st); err != nil {
			return err
		}
		first, err := tx.NextSerials(ctx, actor.CompanyID, scope.key(), st.Quantity)
		if err != nil {
			return err
		}
		var warranty time.Time
		if st.WarrantyMonths > 0 {
			warranty = st.ReceivedAt.AddDate(0, st.WarrantyMonths, 0)
		}
		for i := range st.Quantity {
			a := Asset{CompanyID: st.CompanyID, StockItemID: st.ID, Name: st.Name, Category: st.Category,
				Manufacturer: st.Manufacturer, Model: st.Model, Status: StatusInStock, Location: st.Location,
				WarrantyUntil: warranty, CreatedAt: now, UpdatedAt: now}
			if i < len(in.ManufacturerSerials) {
				a.ManufacturerSerial = strings.TrimSpace(in.ManufacturerSerials[i])
			}
			if err := s.insertWithSerial(ctx, tx, &a, scope, first+int64(i)); err != nil {
				return err
			}
			assets = append(assets, a)
		}
		entries := make([]HistoryEntry, len(assets))
		for i, a := range assets {
			entries[i] = HistoryEntry{CompanyID: a.CompanyID, AssetID: a.ID, At: now, ActorUserID: actor.UserID,
				Action: "created", Field: "status", To: string(StatusInStock), Note: "intake of stock item " + strconv.FormatInt(st.ID, 10)}
		}
		if err := tx.AppendAssetHistory(ctx, entries...); err != nil {
			return err
		}
		evs := make([]events.Event, 0, len(assets)+1)
		ev, err := events.New("inventory.intake_received", st.CompanyID, "stock_item", st.ID, actor, now, stockData(st))
		if err != nil {
			return err
		}
		evs = append(evs, ev)
		for _, a := range assets {
			ev, err := events.New("asset.created", a.CompanyID, "asset", a.ID, actor, now, assetData(a))
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		return tx.AppendEvents(ctx, evs...)
	})
	if err != nil {
		return StockItem{}, nil, fmt.Errorf("intake: %w", err)
	}
	return st, assets, nil
}

// serialScope renders the company's pattern for one intake.
func (s *Service) serialScope(ctx context.Context, q Queries, company tenant.CompanyID, category string, receivedAt time.Time) (serialScope, error) {
	c, err := q.CompanyByID(ctx, company)
	if err != nil {
		return serialScope{}, fmt.Errorf("company %d: %w", company, err)
	}
	if !c.Active {
		return serialScope{}, fmt.Errorf("company %d is deactivated: %w", company, storage.ErrConflict)
	}
	set, err := q.SerialSettings(ctx, company)
	if errors.Is(err, storage.ErrNotFound) {
		set = SerialSettings{}
	} else if err != nil {
		return serialScope{}, err
	}
	if set.Pattern == "" {
		set.Pattern = DefaultSerialPattern
	}
	if set.Prefix == "" {
		set.Prefix = DefaultPrefix(c.Name, int64(c.ID))
	}
	// The year is the company's: an intake on 31 December at 22:00 in São
	// Paulo belongs to that year even though it is January in UTC.
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		loc = time.UTC
	}
	return set.Pattern.scope(set.Prefix, category, receivedAt.In(loc))
}

// insertWithSerial inserts a with the serial of sequence number n. When that
// serial is taken (an imported or manual one), it draws the next number of
// the sequence, backing off exponentially with jitter, up to
// MaxSerialAttempts.
func (s *Service) insertWithSerial(ctx context.Context, tx Tx, a *Asset, scope serialScope, n int64) error {
	delay := s.backoff
	for attempt := 1; ; attempt++ {
		a.Serial = scope.format(n)
		ok, err := tx.InsertAsset(ctx, a)
		if err != nil {
			if errors.Is(err, storage.ErrConflict) && a.ManufacturerSerial != "" {
				return validation.Field("manufacturer_serials", "manufacturer serial %q is already registered", a.ManufacturerSerial)
			}
			return err
		}
		if ok {
			return nil
		}
		if attempt == MaxSerialAttempts {
			return fmt.Errorf("%w: last tried %s after %d attempts: %w", ErrSerialExhausted, a.Serial, attempt, storage.ErrConflict)
		}
		if delay > 0 {
			jittered := delay/2 + rand.N(delay/2+1)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(jittered):
			}
			delay *= 2
		}
		if n, err = tx.NextSerials(ctx, a.CompanyID, scope.key(), 1); err != nil {
			return err
		}
	}
}

// ConsumeTx takes qty units of a stock item inside the caller's unit of
// work (service orders consume parts this way) and emits
// inventory.stock_consumed. Insufficient stock fails with
// ErrInsufficientStock and writes nothing.
func (s *Service) ConsumeTx(ctx context.Context, tx Tx, actor tenant.Actor, stockItemID int64, qty int) (StockItem, error) {
	if err := actor.RequireIn(tenant.PermAssetsManage); err != nil {
		return StockItem{}, err
	}
	if qty < 1 || qty > MaxQuantity {
		return StockItem{}, validation.Field("quantity", "must be from 1 to %d", MaxQuantity)
	}
	now := s.clock()
	st, err := tx.ConsumeStock(ctx, actor.CompanyID, stockItemID, qty, now)
	if err != nil {
		return StockItem{}, fmt.Errorf("consuming stock item %d: %w", stockItemID, err)
	}
	data := stockData(st)
	data["consumed"] = qty
	return st, emit(ctx, tx, actor, "inventory.stock_consumed", st.CompanyID, "stock_item", st.ID, now, data)
}

// Consume is ConsumeTx in a unit of work of its own.
func (s *Service) Consume(ctx context.Context, actor tenant.Actor, stockItemID int64, qty int) (StockItem, error) {
	var st StockItem
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		st, err = s.ConsumeTx(ctx, tx, actor, stockItemID, qty)
		return err
	})
	return st, err
}

// GetStockItem reads a stock item of the actor's company.
func (s *Service) GetStockItem(ctx context.Context, actor tenant.Actor, id int64) (StockItem, error) {
	if err := actor.RequireIn(tenant.PermAssetsRead); err != nil {
		return StockItem{}, err
	}
	st, err := s.store.StockItemByID(ctx, actor.CompanyID, id)
	if err != nil {
		return StockItem{}, fmt.Errorf("stock item %d: %w", id, err)
	}
	return st, nil
}

// ListStockItems lists the stock items of the actor's company.
func (s *Service) ListStockItems(ctx context.Context, actor tenant.Actor, f StockItemFilter, p storage.PageRequest) (storage.Page[StockItem], error) {
	if err := actor.RequireIn(tenant.PermAssetsRead); err != nil {
		return storage.Page[StockItem]{}, err
	}
	var b validation.Builder
	b.Filter("category", f.Category)
	b.Search("q", f.Search)
	if err := b.Err(); err != nil {
		return storage.Page[StockItem]{}, err
	}
	return s.store.ListStockItems(ctx, actor.CompanyID, f, p.Normalize())
}

// SetSerialSettings changes the company's serial pattern and prefix. It
// needs tenant.PermUsersManage (company admins) and applies to later
// intakes.
func (s *Service) SetSerialSettings(ctx context.Context, actor tenant.Actor, set SerialSettings) error {
	if err := actor.RequireIn(tenant.PermUsersManage); err != nil {
		return err
	}
	var b validation.Builder
	if set.Pattern != "" {
		b.Check("pattern", set.Pattern.Validate())
	}
	set.Prefix = b.Text("prefix", set.Prefix, 0, 16)
	if err := b.Err(); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		return tx.PutSerialSettings(ctx, actor.CompanyID, set)
	})
}

func stockData(st StockItem) map[string]any {
	return map[string]any{"id": st.ID, "name": st.Name, "category": st.Category, "quantity": st.Quantity,
		"available": st.Available, "invoice_number": st.InvoiceNumber, "unit_cost_cents": st.UnitCostCents}
}

func assetData(a Asset) map[string]any {
	return map[string]any{"id": a.ID, "serial": a.Serial, "stock_item_id": a.StockItemID, "name": a.Name,
		"status": a.Status, "assignee_contact_id": a.AssigneeContactID, "location": a.Location, "version": a.Version}
}
