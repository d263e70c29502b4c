package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
)

// Compile-time proof that the store serves the service orders contract.
var (
	_ serviceorders.Store = serviceOrdersStore{}
	_ serviceorders.Tx    = (*tx)(nil)
)

// serviceOrdersStore is the serviceorders.Store adapter of a Store.
type serviceOrdersStore struct {
	reader
	s *Store
}

// ServiceOrders returns the store as the serviceorders package's storage
// contract.
func (s *Store) ServiceOrders() serviceorders.Store {
	return serviceOrdersStore{reader: reader{s: s}, s: s}
}

// InTx runs fn as one unit of work; see serviceorders.Store.
func (i serviceOrdersStore) InTx(ctx context.Context, fn func(ctx context.Context, tx serviceorders.Tx) error) error {
	return i.s.inTx(ctx, func(ctx context.Context, x *tx) error { return fn(ctx, x) })
}

// orderTables holds the service order rows of a store. Like tables, its
// methods take no lock.
type orderTables struct {
	orders     *table[int64, serviceorders.Order]
	activities *table[int64, serviceorders.Activity]
	parts      *table[int64, serviceorders.Part]

	byNumber   map[orderSeq]int64 // unique (company, year, seq)
	actsByOrd  map[int64][]int64  // order ID → activity IDs, ascending
	partsByOrd map[int64][]int64  // order ID → part IDs, ascending
	counters   map[orderSeq]int64 // (company, year) → next seq (seq field unused)
}

type orderSeq struct {
	company tenant.CompanyID
	year    int
	seq     int64
}

func newOrderTables() *orderTables {
	return &orderTables{
		orders:     newTable[int64, serviceorders.Order](),
		activities: newTable[int64, serviceorders.Activity](),
		parts:      newTable[int64, serviceorders.Part](),
		byNumber:   make(map[orderSeq]int64),
		actsByOrd:  make(map[int64][]int64),
		partsByOrd: make(map[int64][]int64),
		counters:   make(map[orderSeq]int64),
	}
}

func cloneOrder(o serviceorders.Order) serviceorders.Order { return o }

// ---- reads ----

// ServiceOrderByID reads one order of company.
func (r reader) ServiceOrderByID(ctx context.Context, company tenant.CompanyID, id int64) (serviceorders.Order, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return serviceorders.Order{}, err
	}
	defer release()
	o, ok := r.s.t.serviceOrders.orders.get(id)
	if !ok || o.CompanyID != company {
		return serviceorders.Order{}, fmt.Errorf("memory: service order %d of company %d: %w", id, company, storage.ErrNotFound)
	}
	return o, nil
}

// ListServiceOrders lists the orders of company that pass f, by ascending
// ID.
func (r reader) ListServiceOrders(ctx context.Context, company tenant.CompanyID, f serviceorders.Filter, p storage.PageRequest) (storage.Page[serviceorders.Order], error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[serviceorders.Order]{}, fmt.Errorf("memory: list service orders: %w", err)
	}
	release, err := r.enter(ctx)
	if err != nil {
		return storage.Page[serviceorders.Order]{}, err
	}
	defer release()
	terms := searchTerms(f.Search)
	keep := func(o serviceorders.Order) bool {
		if o.CompanyID != company ||
			(f.Status != "" && o.Status != f.Status) ||
			(f.Type != "" && o.Type != f.Type) ||
			(f.TechnicianUserID != 0 && o.TechnicianUserID != f.TechnicianUserID) ||
			(f.TicketID != 0 && o.TicketID != f.TicketID) ||
			(f.AssetID != 0 && o.AssetID != f.AssetID) ||
			(f.APRNumber != "" && o.APRNumber != f.APRNumber) ||
			(!f.ScheduledFrom.IsZero() && (o.ScheduledStart.IsZero() || o.ScheduledStart.Before(f.ScheduledFrom))) ||
			(!f.ScheduledTo.IsZero() && (o.ScheduledStart.IsZero() || !o.ScheduledStart.Before(f.ScheduledTo))) {
			return false
		}
		return termsMatch(terms, o.Number, o.Description, o.Address, o.APRNumber)
	}
	rows := list(r.s.t.serviceOrders.orders, after, p.Limit, keep, cloneOrder)
	return storage.PageOf(rows, p.Limit, func(o serviceorders.Order) int64 { return o.ID }), nil
}

// ServiceOrderActivities lists an order's activities by ascending ID.
func (r reader) ServiceOrderActivities(ctx context.Context, company tenant.CompanyID, orderID int64) ([]serviceorders.Activity, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ot := r.s.t.serviceOrders
	out := []serviceorders.Activity{}
	for _, id := range ot.actsByOrd[orderID] {
		if a, _ := ot.activities.get(id); a.CompanyID == company {
			out = append(out, a)
		}
	}
	return out, nil
}

// ServiceOrderParts lists an order's parts by ascending ID.
func (r reader) ServiceOrderParts(ctx context.Context, company tenant.CompanyID, orderID int64) ([]serviceorders.Part, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ot := r.s.t.serviceOrders
	out := []serviceorders.Part{}
	for _, id := range ot.partsByOrd[orderID] {
		if p, _ := ot.parts.get(id); p.CompanyID == company {
			out = append(out, p)
		}
	}
	return out, nil
}

// ServiceOrderAnalytics computes the report in Go, with the semantics of
// the SQL backends (storage/bunstore/serviceorders.go).
func (r reader) ServiceOrderAnalytics(ctx context.Context, company tenant.CompanyID, q serviceorders.AnalyticsQuery) (serviceorders.Analytics, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return serviceorders.Analytics{}, err
	}
	defer release()
	ot := r.s.t.serviceOrders
	out := serviceorders.Analytics{From: q.From, To: q.To}
	byStatus := map[serviceorders.Status]int{}
	var (
		cancelled, done, timed, onTime int
		sum                            int64
	)
	ot.orders.scan(0, func(o serviceorders.Order) bool {
		if o.CompanyID != company || o.CreatedAt.Before(q.From) || !o.CreatedAt.Before(q.To) {
			return true
		}
		out.Total++
		byStatus[o.Status]++
		switch {
		case o.Status == serviceorders.StatusCancelled:
			cancelled++
		case o.Status.Done():
			done++
		}
		if ms, byEnd, ok := serviceorders.Completion(o); ok {
			timed++
			sum += ms
			if byEnd {
				onTime++
			}
		}
		return true
	})
	out.ByStatus = serviceorders.StatusCounts(byStatus)
	out.CompletionRate, out.OnTimeRate = serviceorders.Rate(done, out.Total-cancelled), serviceorders.Rate(onTime, timed)
	out.CompletedWithSchedule = timed
	out.ScheduledToCompleted = serviceorders.MeanMillis(sum, timed)
	tech := map[tenant.UserID]*serviceorders.Hours{}
	month := map[string]*serviceorders.Hours{}
	ot.activities.scan(0, func(a serviceorders.Activity) bool {
		if a.CompanyID != company || !a.DeletedAt.IsZero() || a.Month < q.FromMonth || a.Month > q.ToMonth {
			return true
		}
		for _, h := range []*serviceorders.Hours{&out.Hours, get(tech, a.TechnicianUserID), get(month, a.Month)} {
			if a.Billable {
				h.BillableMinutes += a.Minutes
			} else {
				h.NonBillableMinutes += a.Minutes
			}
		}
		return true
	})
	out.ByTechnician = make([]serviceorders.TechnicianHours, 0, len(tech))
	for u, h := range tech {
		out.ByTechnician = append(out.ByTechnician, serviceorders.TechnicianHours{UserID: u, Hours: *h})
	}
	serviceorders.SortTechnicianHours(out.ByTechnician)
	out.ByMonth = make([]serviceorders.MonthHours, 0, len(month))
	for m, h := range month {
		out.ByMonth = append(out.ByMonth, serviceorders.MonthHours{Month: m, Hours: *h})
	}
	slices.SortFunc(out.ByMonth, func(a, b serviceorders.MonthHours) int { return cmp.Compare(a.Month, b.Month) })
	return out, nil
}

func get[K comparable](m map[K]*serviceorders.Hours, k K) *serviceorders.Hours {
	if m[k] == nil {
		m[k] = &serviceorders.Hours{}
	}
	return m[k]
}

// BillableHours sums the billable minutes of a month per order and
// technician.
func (r reader) BillableHours(ctx context.Context, company tenant.CompanyID, month string) ([]serviceorders.BillableLine, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ot := r.s.t.serviceOrders
	type key struct {
		order int64
		tech  tenant.UserID
	}
	sums := map[key]int{}
	ot.activities.scan(0, func(a serviceorders.Activity) bool {
		if a.CompanyID == company && a.DeletedAt.IsZero() && a.Billable && a.Month == month {
			sums[key{a.OrderID, a.TechnicianUserID}] += a.Minutes
		}
		return true
	})
	out := make([]serviceorders.BillableLine, 0, len(sums))
	for k, n := range sums {
		o, _ := ot.orders.get(k.order)
		out = append(out, serviceorders.BillableLine{OrderID: o.ID, Number: o.Number, TicketID: o.TicketID,
			TechnicianUserID: k.tech, BillableMinutes: n})
	}
	serviceorders.SortBillableLines(out)
	return out, nil
}

// ---- writes ----

// NextServiceOrderSeq allocates the next sequence number of the company's
// orders of year; a rollback gives it back.
func (x *tx) NextServiceOrderSeq(ctx context.Context, company tenant.CompanyID, year int) (int64, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	if _, ok := x.s.t.companies.get(company); !ok {
		return 0, fmt.Errorf("memory: allocate a service order number: company %d does not exist", company)
	}
	ot := x.s.t.serviceOrders
	k := orderSeq{company: company, year: year}
	old, existed := ot.counters[k]
	next := old
	if !existed {
		next = 1
	}
	ot.counters[k] = next + 1
	x.onRollback(func() {
		if existed {
			ot.counters[k] = old
		} else {
			delete(ot.counters, k)
		}
	})
	return next, nil
}

// orderReferences checks the order's foreign keys, as the SQL schema does.
func (x *tx) orderReferences(o serviceorders.Order) error {
	if _, ok := x.s.t.companies.get(o.CompanyID); !ok {
		return fmt.Errorf("company %d does not exist", o.CompanyID)
	}
	if o.TicketID != 0 {
		if t, ok := x.s.t.tickets.tickets.get(o.TicketID); !ok || t.CompanyID != o.CompanyID {
			return fmt.Errorf("ticket %d does not exist in company %d", o.TicketID, o.CompanyID)
		}
	}
	if o.AssetID != 0 {
		if a, ok := x.s.t.inventory.assets.get(o.AssetID); !ok || a.CompanyID != o.CompanyID {
			return fmt.Errorf("asset %d does not exist in company %d", o.AssetID, o.CompanyID)
		}
	}
	if o.TechnicianUserID != 0 {
		if u, ok := x.s.t.users.get(o.TechnicianUserID); !ok || u.CompanyID != o.CompanyID {
			return fmt.Errorf("user %d does not exist in company %d", o.TechnicianUserID, o.CompanyID)
		}
	}
	return nil
}

// InsertServiceOrder inserts o, setting its ID and Version.
func (x *tx) InsertServiceOrder(ctx context.Context, o *serviceorders.Order) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := x.orderReferences(*o); err != nil {
		return fmt.Errorf("memory: insert service order: %w", err)
	}
	ot := x.s.t.serviceOrders
	key := orderSeq{o.CompanyID, o.Year, o.Seq}
	if _, taken := ot.byNumber[key]; taken {
		return fmt.Errorf("memory: insert service order: number %s is taken: %w", o.Number, storage.ErrConflict)
	}
	row := *o
	row.ID, row.Version = ot.orders.allocate(), 1
	ot.orders.put(row.ID, row)
	ot.byNumber[key] = row.ID
	x.onRollback(func() {
		ot.orders.remove(row.ID)
		delete(ot.byNumber, key)
	})
	o.ID, o.Version = row.ID, row.Version
	return nil
}

// UpdateServiceOrder writes o over the stored order with the same ID,
// company and Version, then increments o.Version.
func (x *tx) UpdateServiceOrder(ctx context.Context, o *serviceorders.Order) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	ot := x.s.t.serviceOrders
	old, ok := ot.orders.get(o.ID)
	ok = ok && old.CompanyID == o.CompanyID
	if err := matchVersion(fmt.Sprintf("service order %d of company %d", o.ID, o.CompanyID), ok, old.Version, o.Version); err != nil {
		return err
	}
	if err := x.orderReferences(*o); err != nil {
		return fmt.Errorf("memory: update service order %d: %w", o.ID, err)
	}
	row := *o
	row.CreatedAt = old.CreatedAt
	row.Version++
	ot.orders.put(row.ID, row)
	x.onRollback(func() { ot.orders.put(old.ID, old) })
	o.Version = row.Version
	return nil
}

// OverlappingActivity finds a live timed activity of the technician that
// overlaps [from, to), other than exclude. Units of work are serialised by
// the store's lock.
func (x *tx) OverlappingActivity(ctx context.Context, company tenant.CompanyID, technician tenant.UserID, from, to time.Time, exclude int64) (int64, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	var found int64
	x.s.t.serviceOrders.activities.scan(0, func(a serviceorders.Activity) bool {
		if a.CompanyID == company && a.TechnicianUserID == technician && a.DeletedAt.IsZero() && a.Timed() &&
			a.ID != exclude && a.StartedAt.Before(to) && a.EndedAt.After(from) {
			found = a.ID
			return false
		}
		return true
	})
	return found, nil
}

// activityReferences checks an activity's foreign keys.
func (x *tx) activityReferences(a serviceorders.Activity) error {
	if o, ok := x.s.t.serviceOrders.orders.get(a.OrderID); !ok || o.CompanyID != a.CompanyID {
		return fmt.Errorf("service order %d does not exist in company %d", a.OrderID, a.CompanyID)
	}
	if u, ok := x.s.t.users.get(a.TechnicianUserID); !ok || u.CompanyID != a.CompanyID {
		return fmt.Errorf("user %d does not exist in company %d", a.TechnicianUserID, a.CompanyID)
	}
	return nil
}

// InsertActivity inserts a, setting its ID and Version.
func (x *tx) InsertActivity(ctx context.Context, a *serviceorders.Activity) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := x.activityReferences(*a); err != nil {
		return fmt.Errorf("memory: insert activity: %w", err)
	}
	ot := x.s.t.serviceOrders
	row := *a
	row.ID, row.Version = ot.activities.allocate(), 1
	ot.activities.put(row.ID, row)
	ot.actsByOrd[row.OrderID] = append(ot.actsByOrd[row.OrderID], row.ID)
	x.onRollback(func() {
		ot.activities.remove(row.ID)
		ids := ot.actsByOrd[row.OrderID]
		ot.actsByOrd[row.OrderID] = ids[:len(ids)-1]
	})
	a.ID, a.Version = row.ID, row.Version
	return nil
}

// UpdateActivity writes a over the stored activity with the same ID,
// company and Version, then increments a.Version.
func (x *tx) UpdateActivity(ctx context.Context, a *serviceorders.Activity) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	ot := x.s.t.serviceOrders
	old, ok := ot.activities.get(a.ID)
	ok = ok && old.CompanyID == a.CompanyID && old.OrderID == a.OrderID
	if err := matchVersion(fmt.Sprintf("activity %d of company %d", a.ID, a.CompanyID), ok, old.Version, a.Version); err != nil {
		return err
	}
	if err := x.activityReferences(*a); err != nil {
		return fmt.Errorf("memory: update activity %d: %w", a.ID, err)
	}
	row := *a
	row.CreatedAt = old.CreatedAt
	row.Version++
	ot.activities.put(row.ID, row)
	x.onRollback(func() { ot.activities.put(old.ID, old) })
	a.Version = row.Version
	return nil
}

// InsertPart inserts p, setting its ID.
func (x *tx) InsertPart(ctx context.Context, p *serviceorders.Part) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	ot := x.s.t.serviceOrders
	if o, ok := ot.orders.get(p.OrderID); !ok || o.CompanyID != p.CompanyID {
		return fmt.Errorf("memory: insert part: service order %d does not exist in company %d", p.OrderID, p.CompanyID)
	}
	if st, ok := x.s.t.inventory.stockItems.get(p.StockItemID); !ok || st.CompanyID != p.CompanyID {
		return fmt.Errorf("memory: insert part: stock item %d does not exist in company %d", p.StockItemID, p.CompanyID)
	}
	row := *p
	row.ID = ot.parts.allocate()
	ot.parts.put(row.ID, row)
	ot.partsByOrd[row.OrderID] = append(ot.partsByOrd[row.OrderID], row.ID)
	x.onRollback(func() {
		ot.parts.remove(row.ID)
		ids := ot.partsByOrd[row.OrderID]
		ot.partsByOrd[row.OrderID] = ids[:len(ids)-1]
	})
	p.ID = row.ID
	return nil
}
