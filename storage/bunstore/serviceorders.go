package bunstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
)

// Compile-time proof that the store serves the service orders contract.
var (
	_ serviceorders.Store = serviceOrdersStore{}
	_ serviceorders.Tx    = (*Tx)(nil)
)

type serviceOrdersStore struct{ *Store }

// ServiceOrders returns the store as the serviceorders package sees it.
func (s *Store) ServiceOrders() serviceorders.Store { return serviceOrdersStore{s} }

func (s serviceOrdersStore) InTx(ctx context.Context, fn func(ctx context.Context, tx serviceorders.Tx) error) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Tx) error { return fn(ctx, tx) })
}

// orderRow is a service_orders row; optional IDs and times are NULL when
// zero.
type orderRow struct {
	bun.BaseModel    `bun:"table:service_orders,alias:so"`
	ID               int64     `bun:"id,pk,autoincrement"`
	CompanyID        int64     `bun:"company_id"`
	Year             int       `bun:"year"`
	Seq              int64     `bun:"seq"`
	Number           string    `bun:"number"`
	Type             string    `bun:"type"`
	Status           string    `bun:"status"`
	TicketID         int64     `bun:"ticket_id,nullzero"`
	AssetID          int64     `bun:"asset_id,nullzero"`
	TechnicianUserID int64     `bun:"technician_user_id,nullzero"`
	ScheduledStart   time.Time `bun:"scheduled_start,nullzero"`
	ScheduledEnd     time.Time `bun:"scheduled_end,nullzero"`
	Address          string    `bun:"address"`
	APRNumber        string    `bun:"apr_number"`
	Description      string    `bun:"description"`
	SignOffName      string    `bun:"sign_off_name"`
	SignOffAt        time.Time `bun:"sign_off_at,nullzero"`
	SignOffNote      string    `bun:"sign_off_note"`
	CancelReason     string    `bun:"cancel_reason"`
	StartedAt        time.Time `bun:"started_at,nullzero"`
	CompletedAt      time.Time `bun:"completed_at,nullzero"`
	ApprovedAt       time.Time `bun:"approved_at,nullzero"`
	InvoicedAt       time.Time `bun:"invoiced_at,nullzero"`
	CancelledAt      time.Time `bun:"cancelled_at,nullzero"`
	CreatedBy        int64     `bun:"created_by"`
	Version          int64     `bun:"version"`
	CreatedAt        time.Time `bun:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at"`
}

func (r orderRow) model() serviceorders.Order {
	return serviceorders.Order{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), Year: r.Year, Seq: r.Seq, Number: r.Number,
		Type: serviceorders.Type(r.Type), Status: serviceorders.Status(r.Status), TicketID: r.TicketID, AssetID: r.AssetID,
		TechnicianUserID: tenant.UserID(r.TechnicianUserID), ScheduledStart: utc(r.ScheduledStart), ScheduledEnd: utc(r.ScheduledEnd),
		Address: r.Address, APRNumber: r.APRNumber, Description: r.Description,
		SignOff:      serviceorders.SignOff{Name: r.SignOffName, At: utc(r.SignOffAt), Note: r.SignOffNote},
		CancelReason: r.CancelReason, StartedAt: utc(r.StartedAt), CompletedAt: utc(r.CompletedAt), ApprovedAt: utc(r.ApprovedAt),
		InvoicedAt: utc(r.InvoicedAt), CancelledAt: utc(r.CancelledAt), CreatedBy: tenant.UserID(r.CreatedBy), Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func orderRowOf(o serviceorders.Order) orderRow {
	return orderRow{ID: o.ID, CompanyID: int64(o.CompanyID), Year: o.Year, Seq: o.Seq, Number: o.Number, Type: string(o.Type),
		Status: string(o.Status), TicketID: o.TicketID, AssetID: o.AssetID, TechnicianUserID: int64(o.TechnicianUserID),
		ScheduledStart: utc(o.ScheduledStart), ScheduledEnd: utc(o.ScheduledEnd), Address: o.Address, APRNumber: o.APRNumber,
		Description: o.Description, SignOffName: o.SignOff.Name, SignOffAt: utc(o.SignOff.At), SignOffNote: o.SignOff.Note,
		CancelReason: o.CancelReason, StartedAt: utc(o.StartedAt), CompletedAt: utc(o.CompletedAt), ApprovedAt: utc(o.ApprovedAt),
		InvoicedAt: utc(o.InvoicedAt), CancelledAt: utc(o.CancelledAt),
		CreatedBy: int64(o.CreatedBy), Version: o.Version, CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC()}
}

type activityRow struct {
	bun.BaseModel    `bun:"table:service_order_activities"`
	ID               int64     `bun:"id,pk,autoincrement"`
	CompanyID        int64     `bun:"company_id"`
	OrderID          int64     `bun:"order_id"`
	Kind             string    `bun:"kind"`
	Description      string    `bun:"description"`
	TechnicianUserID int64     `bun:"technician_user_id"`
	StartedAt        time.Time `bun:"started_at,nullzero"`
	EndedAt          time.Time `bun:"ended_at,nullzero"`
	Minutes          int       `bun:"minutes"`
	Billable         bool      `bun:"billable"`
	Month            string    `bun:"month"`
	DeletedAt        time.Time `bun:"deleted_at,nullzero"`
	CreatedBy        int64     `bun:"created_by"`
	Version          int64     `bun:"version"`
	CreatedAt        time.Time `bun:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at"`
}

func (r activityRow) model() serviceorders.Activity {
	return serviceorders.Activity{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), OrderID: r.OrderID,
		Kind: serviceorders.ActivityKind(r.Kind), Description: r.Description, TechnicianUserID: tenant.UserID(r.TechnicianUserID),
		StartedAt: utc(r.StartedAt), EndedAt: utc(r.EndedAt), Minutes: r.Minutes, Billable: r.Billable, Month: r.Month,
		DeletedAt: utc(r.DeletedAt), CreatedBy: tenant.UserID(r.CreatedBy), Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func activityRowOf(a serviceorders.Activity) activityRow {
	return activityRow{ID: a.ID, CompanyID: int64(a.CompanyID), OrderID: a.OrderID, Kind: string(a.Kind),
		Description: a.Description, TechnicianUserID: int64(a.TechnicianUserID), StartedAt: utc(a.StartedAt),
		EndedAt: utc(a.EndedAt), Minutes: a.Minutes, Billable: a.Billable, Month: a.Month, DeletedAt: utc(a.DeletedAt),
		CreatedBy: int64(a.CreatedBy), Version: a.Version, CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
}

type partRow struct {
	bun.BaseModel `bun:"table:service_order_parts"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	OrderID       int64     `bun:"order_id"`
	StockItemID   int64     `bun:"stock_item_id"`
	Name          string    `bun:"name"`
	Quantity      int       `bun:"quantity"`
	UnitCostCents int64     `bun:"unit_cost_cents"`
	CreatedBy     int64     `bun:"created_by"`
	CreatedAt     time.Time `bun:"created_at"`
}

func (r partRow) model() serviceorders.Part {
	return serviceorders.Part{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), OrderID: r.OrderID, StockItemID: r.StockItemID,
		Name: r.Name, Quantity: r.Quantity, UnitCostCents: r.UnitCostCents, CreatedBy: tenant.UserID(r.CreatedBy),
		CreatedAt: r.CreatedAt.UTC()}
}

// ---- reads ----

// ServiceOrderByID implements serviceorders.Queries.
func (q queries) ServiceOrderByID(ctx context.Context, company tenant.CompanyID, id int64) (serviceorders.Order, error) {
	var r orderRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ? AND id = ?", int64(company), id).Scan(ctx)
	if err != nil {
		return serviceorders.Order{}, translate(err, fmt.Sprintf("service order %d", id))
	}
	return r.model(), nil
}

// ListServiceOrders implements serviceorders.Queries: the filters of f,
// keyset pages by ascending ID. A text search is an FTS5 match on SQLite
// and a tsvector match on PostgreSQL, with the word-prefix semantics of the
// ticket search.
func (q queries) ListServiceOrders(ctx context.Context, company tenant.CompanyID, f serviceorders.Filter, p storage.PageRequest) (storage.Page[serviceorders.Order], error) {
	var rows []orderRow
	sq := q.db.NewSelect().Model(&rows).Where("company_id = ?", int64(company))
	if f.Status != "" {
		sq = sq.Where("status = ?", string(f.Status))
	}
	if f.Type != "" {
		sq = sq.Where("type = ?", string(f.Type))
	}
	if f.TechnicianUserID != 0 {
		sq = sq.Where("technician_user_id = ?", int64(f.TechnicianUserID))
	}
	if f.TicketID != 0 {
		sq = sq.Where("ticket_id = ?", f.TicketID)
	}
	if f.AssetID != 0 {
		sq = sq.Where("asset_id = ?", f.AssetID)
	}
	if f.APRNumber != "" {
		sq = sq.Where("apr_number = ?", f.APRNumber)
	}
	if !f.ScheduledFrom.IsZero() {
		sq = sq.Where("scheduled_start >= ?", f.ScheduledFrom.UTC())
	}
	if !f.ScheduledTo.IsZero() {
		sq = sq.Where("scheduled_start < ?", f.ScheduledTo.UTC())
	}
	if terms := searchTerms(f.Search); len(terms) > 0 {
		if q.dialect == Postgres {
			sq = sq.Where("search_vector @@ to_tsquery('simple', ?)", tsQuery(terms))
		} else {
			sq = sq.Where("id IN (SELECT rowid FROM service_orders_fts WHERE service_orders_fts MATCH ?)", ftsQuery(terms))
		}
	}
	return list(ctx, sq, p, &rows, orderRow.model, func(o serviceorders.Order) int64 { return o.ID }, "listing service orders")
}

// ServiceOrderActivities implements serviceorders.Queries.
func (q queries) ServiceOrderActivities(ctx context.Context, company tenant.CompanyID, orderID int64) ([]serviceorders.Activity, error) {
	var rows []activityRow
	err := q.db.NewSelect().Model(&rows).Where("company_id = ? AND order_id = ?", int64(company), orderID).
		OrderExpr("id ASC").Scan(ctx)
	if err != nil {
		return nil, translate(err, fmt.Sprintf("listing the activities of service order %d", orderID))
	}
	out := make([]serviceorders.Activity, len(rows))
	for i, r := range rows {
		out[i] = r.model()
	}
	return out, nil
}

// ServiceOrderParts implements serviceorders.Queries.
func (q queries) ServiceOrderParts(ctx context.Context, company tenant.CompanyID, orderID int64) ([]serviceorders.Part, error) {
	var rows []partRow
	err := q.db.NewSelect().Model(&rows).Where("company_id = ? AND order_id = ?", int64(company), orderID).
		OrderExpr("id ASC").Scan(ctx)
	if err != nil {
		return nil, translate(err, fmt.Sprintf("listing the parts of service order %d", orderID))
	}
	out := make([]serviceorders.Part, len(rows))
	for i, r := range rows {
		out[i] = r.model()
	}
	return out, nil
}

// ServiceOrderAnalytics implements serviceorders.Queries with aggregate
// queries only. The orders of the window's whole UTC days are summed from
// service_order_daily_stats (a few rows a day), those of its partial first
// and last days from service_orders through the covering creation index;
// the time entries of the window's months are grouped by technician, month
// and billable over the covering month index.
func (q queries) ServiceOrderAnalytics(ctx context.Context, company tenant.CompanyID, aq serviceorders.AnalyticsQuery) (serviceorders.Analytics, error) {
	co := int64(company)
	out := serviceorders.Analytics{From: aq.From, To: aq.To}
	wrap := func(err error, what string) error { return translate(err, "service order analytics: "+what) }
	groups, err := q.orderGroups(ctx, co, aq.From.UTC(), aq.To.UTC())
	if err != nil {
		return out, wrap(err, "orders by status")
	}
	byStatus := map[serviceorders.Status]int{}
	var cancelled, done, nTimed, onTime int
	var sum int64
	for _, g := range groups {
		st := serviceorders.Status(g.Status)
		byStatus[st] += g.Orders
		out.Total += g.Orders
		switch {
		case st == serviceorders.StatusCancelled:
			cancelled += g.Orders
		case st.Done():
			done += g.Orders
		}
		nTimed, onTime, sum = nTimed+g.Timed, onTime+g.OnTime, sum+g.CompletionMS
	}
	out.ByStatus = serviceorders.StatusCounts(byStatus)
	out.CompletionRate, out.OnTimeRate = serviceorders.Rate(done, out.Total-cancelled), serviceorders.Rate(onTime, nTimed)
	out.CompletedWithSchedule = nTimed
	out.ScheduledToCompleted = serviceorders.MeanMillis(sum, nTimed)

	var hours []struct {
		UserID   int64  `bun:"technician_user_id"`
		Month    string `bun:"month"`
		Billable bool   `bun:"billable"`
		Minutes  int    `bun:"minutes"`
	}
	if err := q.db.NewRaw(`SELECT technician_user_id, month, billable, sum(minutes) AS minutes
FROM service_order_activities WHERE company_id = ? AND month >= ? AND month <= ? AND deleted_at IS NULL
GROUP BY month, billable, technician_user_id`, co, aq.FromMonth, aq.ToMonth).Scan(ctx, &hours); err != nil {
		return out, wrap(err, "hours")
	}
	tech := map[tenant.UserID]*serviceorders.Hours{}
	month := map[string]*serviceorders.Hours{}
	for _, h := range hours {
		u := tenant.UserID(h.UserID)
		if tech[u] == nil {
			tech[u] = &serviceorders.Hours{}
		}
		if month[h.Month] == nil {
			month[h.Month] = &serviceorders.Hours{}
		}
		for _, t := range []*serviceorders.Hours{&out.Hours, tech[u], month[h.Month]} {
			if h.Billable {
				t.BillableMinutes += h.Minutes
			} else {
				t.NonBillableMinutes += h.Minutes
			}
		}
	}
	out.ByTechnician = make([]serviceorders.TechnicianHours, 0, len(tech))
	for u, h := range tech {
		out.ByTechnician = append(out.ByTechnician, serviceorders.TechnicianHours{UserID: u, Hours: *h})
	}
	serviceorders.SortTechnicianHours(out.ByTechnician)
	out.ByMonth = make([]serviceorders.MonthHours, 0, len(month))
	for _, m := range slices.Sorted(maps.Keys(month)) {
		out.ByMonth = append(out.ByMonth, serviceorders.MonthHours{Month: m, Hours: *month[m]})
	}
	return out, nil
}

// orderGroup is one status's sums over a set of orders.
type orderGroup struct {
	Status       string `bun:"status"`
	Orders       int    `bun:"orders"`
	Timed        int    `bun:"timed"`
	OnTime       int    `bun:"on_time"`
	CompletionMS int64  `bun:"completion_ms"`
}

// dayLayout names a UTC day in service_order_daily_stats.
const dayLayout = "2006-01-02"

// orderGroups sums the orders of company created in [from, to) by status:
// the whole UTC days from the daily totals, the partial days at either end
// from the orders themselves.
func (q queries) orderGroups(ctx context.Context, company int64, from, to time.Time) ([]orderGroup, error) {
	firstDay := from.Truncate(24 * time.Hour)
	if firstDay.Before(from) {
		firstDay = firstDay.Add(24 * time.Hour)
	}
	lastDay := to.Truncate(24 * time.Hour)
	if !firstDay.Before(lastDay) {
		return q.orderGroupsRaw(ctx, company, from, to)
	}
	var out []orderGroup
	if err := q.db.NewRaw(`SELECT status, coalesce(sum(orders), 0) AS orders, coalesce(sum(timed), 0) AS timed,
  coalesce(sum(on_time), 0) AS on_time, coalesce(sum(completion_ms), 0) AS completion_ms
FROM service_order_daily_stats WHERE company_id = ? AND day >= ? AND day < ? GROUP BY status`,
		company, firstDay.Format(dayLayout), lastDay.Format(dayLayout)).Scan(ctx, &out); err != nil {
		return nil, err
	}
	for _, edge := range [][2]time.Time{{from, firstDay}, {lastDay, to}} {
		if !edge[0].Before(edge[1]) {
			continue
		}
		gs, err := q.orderGroupsRaw(ctx, company, edge[0], edge[1])
		if err != nil {
			return nil, err
		}
		out = append(out, gs...)
	}
	return out, nil
}

// orderGroupsRaw sums the orders of company created in [from, to) by
// status from service_orders, through its covering creation index.
func (q queries) orderGroupsRaw(ctx context.Context, company int64, from, to time.Time) ([]orderGroup, error) {
	ms := bun.Safe("CAST(round((unixepoch(completed_at, 'subsec') - unixepoch(scheduled_start, 'subsec')) * 1000) AS INTEGER)")
	if q.dialect == Postgres {
		ms = "round(extract(epoch FROM completed_at - scheduled_start) * 1000)::bigint"
	}
	const timed = "completed_at IS NOT NULL AND scheduled_start IS NOT NULL"
	var out []orderGroup
	err := q.db.NewRaw(`SELECT status, count(*) AS orders,
  coalesce(sum(CASE WHEN `+timed+` THEN 1 ELSE 0 END), 0) AS timed,
  coalesce(sum(CASE WHEN `+timed+` AND completed_at <= scheduled_end THEN 1 ELSE 0 END), 0) AS on_time,
  coalesce(sum(CASE WHEN `+timed+` THEN ? ELSE 0 END), 0) AS completion_ms
FROM service_orders WHERE company_id = ? AND created_at >= ? AND created_at < ? GROUP BY status`,
		ms, company, from, to).Scan(ctx, &out)
	return out, err
}

// moveDailyStats adds sign times o's contribution to the daily totals of
// its creation day and status.
func (t *Tx) moveDailyStats(ctx context.Context, o serviceorders.Order, sign int64) error {
	var timed, onTime int64
	ms, byEnd, ok := serviceorders.Completion(o)
	if ok {
		timed = 1
		if byEnd {
			onTime = 1
		}
	}
	_, err := t.db.NewRaw(`INSERT INTO service_order_daily_stats (company_id, day, status, orders, timed, on_time, completion_ms)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (company_id, day, status) DO UPDATE SET orders = service_order_daily_stats.orders + excluded.orders,
  timed = service_order_daily_stats.timed + excluded.timed, on_time = service_order_daily_stats.on_time + excluded.on_time,
  completion_ms = service_order_daily_stats.completion_ms + excluded.completion_ms`,
		int64(o.CompanyID), o.CreatedAt.UTC().Format(dayLayout), string(o.Status), sign, sign*timed, sign*onTime, sign*ms).Exec(ctx)
	return translate(err, fmt.Sprintf("updating the daily totals of service order %d", o.ID))
}

// statsKey is what an order contributes to the daily totals.
func statsKey(o serviceorders.Order) string {
	ms, byEnd, ok := serviceorders.Completion(o)
	return fmt.Sprint(o.CreatedAt.UTC().Format(dayLayout), o.Status, ms, byEnd, ok)
}

// BillableHours implements serviceorders.Queries with one aggregate query
// over the covering month index.
func (q queries) BillableHours(ctx context.Context, company tenant.CompanyID, month string) ([]serviceorders.BillableLine, error) {
	var rows []struct {
		OrderID  int64  `bun:"order_id"`
		Number   string `bun:"number"`
		TicketID *int64 `bun:"ticket_id"`
		UserID   int64  `bun:"technician_user_id"`
		Minutes  int    `bun:"minutes"`
	}
	err := q.db.NewRaw(`SELECT a.order_id, so.number, so.ticket_id, a.technician_user_id, a.minutes FROM (
  SELECT order_id, technician_user_id, sum(minutes) AS minutes FROM service_order_activities
  WHERE company_id = ? AND month = ? AND billable = ? AND deleted_at IS NULL
  GROUP BY order_id, technician_user_id) AS a
JOIN service_orders AS so ON so.company_id = ? AND so.id = a.order_id
ORDER BY so.number, a.technician_user_id`, int64(company), month, true, int64(company)).Scan(ctx, &rows)
	if err != nil {
		return nil, translate(err, "billable hours of "+month)
	}
	out := make([]serviceorders.BillableLine, len(rows))
	for i, r := range rows {
		out[i] = serviceorders.BillableLine{OrderID: r.OrderID, Number: r.Number, TechnicianUserID: tenant.UserID(r.UserID),
			BillableMinutes: r.Minutes}
		if r.TicketID != nil {
			out[i].TicketID = *r.TicketID
		}
	}
	return out, nil
}

// ---- writes ----

// NextServiceOrderSeq implements serviceorders.Tx with one upsert on the
// counter row of the company and year: the row lock it takes (PostgreSQL)
// or the single writer (SQLite) serialises concurrent creations until the
// transaction ends, and a rollback gives the number back.
func (t *Tx) NextServiceOrderSeq(ctx context.Context, company tenant.CompanyID, year int) (int64, error) {
	var next int64
	err := t.db.NewRaw(`INSERT INTO service_order_counters (company_id, year, next_seq) VALUES (?, ?, 2)
ON CONFLICT (company_id, year) DO UPDATE SET next_seq = service_order_counters.next_seq + 1
RETURNING next_seq`, int64(company), year).Scan(ctx, &next)
	if err != nil {
		return 0, translate(err, fmt.Sprintf("allocating a service order number of company %d in %d", company, year))
	}
	return next - 1, nil
}

// InsertServiceOrder implements serviceorders.Tx.
func (t *Tx) InsertServiceOrder(ctx context.Context, o *serviceorders.Order) error {
	r := orderRowOf(*o)
	r.ID, r.Version = 0, 1
	if err := insert(ctx, t.db, &r, "service order "+o.Number); err != nil {
		return err
	}
	o.ID, o.Version = r.ID, 1
	return t.moveDailyStats(ctx, *o, 1)
}

// UpdateServiceOrder implements serviceorders.Tx, moving the order's
// contribution to the daily totals when its status or completion changed.
func (t *Tx) UpdateServiceOrder(ctx context.Context, o *serviceorders.Order) error {
	old, err := t.ServiceOrderByID(ctx, o.CompanyID, o.ID)
	if err != nil {
		return fmt.Errorf("updating service order %d: %w", o.ID, err)
	}
	r := orderRowOf(*o)
	if err := update(ctx, t.db, &r, "service_orders", r.ID, o.CompanyID, "company_id", o.Version, fmt.Sprintf("service order %d", o.ID)); err != nil {
		return err
	}
	o.Version++
	now := *o
	now.CreatedAt = old.CreatedAt // never written
	if statsKey(old) == statsKey(now) {
		return nil
	}
	// Both rows are touched in key order, so that two units of work moving
	// orders between the same statuses in opposite directions cannot
	// deadlock on PostgreSQL.
	moves := []struct {
		o    serviceorders.Order
		sign int64
	}{{old, -1}, {now, 1}}
	if string(now.Status) < string(old.Status) {
		moves[0], moves[1] = moves[1], moves[0]
	}
	for _, m := range moves {
		if err := t.moveDailyStats(ctx, m.o, m.sign); err != nil {
			return err
		}
	}
	return nil
}

// OverlappingActivity implements serviceorders.Tx. On PostgreSQL it first
// takes a transaction-scoped advisory lock on the technician, so that two
// concurrent entries of one technician are checked one after the other;
// SQLite's single writer already serialises them.
func (t *Tx) OverlappingActivity(ctx context.Context, company tenant.CompanyID, technician tenant.UserID, from, to time.Time, exclude int64) (int64, error) {
	what := fmt.Sprintf("checking the time entries of technician %d", technician)
	if t.dialect == Postgres {
		key := fmt.Sprintf("service_order_technician:%d:%d", int64(company), int64(technician))
		if _, err := t.db.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", key); err != nil {
			return 0, translate(err, what)
		}
	}
	var ids []int64
	err := t.db.NewSelect().Table("service_order_activities").Column("id").
		Where("company_id = ? AND technician_user_id = ?", int64(company), int64(technician)).
		Where("deleted_at IS NULL AND started_at IS NOT NULL").
		Where("started_at < ? AND ended_at > ? AND id <> ?", to.UTC(), from.UTC(), exclude).
		// No entry lasts longer than serviceorders.MaxMinutes: the bound
		// keeps the index range to the entries that can reach from.
		Where("started_at > ?", from.UTC().Add(-serviceorders.MaxMinutes*time.Minute)).
		OrderExpr("id ASC").Limit(1).Scan(ctx, &ids)
	if err != nil {
		return 0, translate(err, what)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// InsertActivity implements serviceorders.Tx.
func (t *Tx) InsertActivity(ctx context.Context, a *serviceorders.Activity) error {
	r := activityRowOf(*a)
	r.ID, r.Version = 0, 1
	if err := insert(ctx, t.db, &r, fmt.Sprintf("an activity of service order %d", a.OrderID)); err != nil {
		return err
	}
	a.ID, a.Version = r.ID, 1
	return nil
}

// UpdateActivity implements serviceorders.Tx.
func (t *Tx) UpdateActivity(ctx context.Context, a *serviceorders.Activity) error {
	r := activityRowOf(*a)
	if err := update(ctx, t.db, &r, "service_order_activities", r.ID, a.CompanyID, "company_id", a.Version, fmt.Sprintf("activity %d", a.ID)); err != nil {
		return err
	}
	a.Version++
	return nil
}

// InsertPart implements serviceorders.Tx.
func (t *Tx) InsertPart(ctx context.Context, p *serviceorders.Part) error {
	r := partRow{CompanyID: int64(p.CompanyID), OrderID: p.OrderID, StockItemID: p.StockItemID, Name: p.Name,
		Quantity: p.Quantity, UnitCostCents: p.UnitCostCents, CreatedBy: int64(p.CreatedBy), CreatedAt: p.CreatedAt.UTC()}
	if err := insert(ctx, t.db, &r, fmt.Sprintf("a part of service order %d", p.OrderID)); err != nil {
		return err
	}
	p.ID = r.ID
	return nil
}
