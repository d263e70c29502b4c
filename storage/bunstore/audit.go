package bunstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

var _ audit.Store = (*Store)(nil)

// Audit returns the store as the audit package's storage contract. Events
// are written on the writer, outside any unit of work, and read on the
// readers.
func (s *Store) Audit() audit.Store { return s }

type securityEventRow struct {
	bun.BaseModel `bun:"table:security_events"`
	ID            int64     `bun:"id,pk,autoincrement"`
	At            time.Time `bun:"at"`
	Kind          string    `bun:"kind"`
	IP            string    `bun:"ip"`
	Email         string    `bun:"email"`
	UserID        int64     `bun:"user_id"`
	CompanyID     int64     `bun:"company_id"`
	Detail        string    `bun:"detail"`
	Occurrences   int64     `bun:"occurrences"`
	LastAt        time.Time `bun:"last_at,nullzero"`
}

func securityEventRowOf(e *audit.Event) securityEventRow {
	r := securityEventRow{At: e.At.UTC(), Kind: string(e.Kind), IP: e.IP, Email: e.Email,
		UserID: int64(e.UserID), CompanyID: int64(e.CompanyID), Detail: e.Detail, Occurrences: e.Occurrences()}
	if r.Occurrences > 1 || !e.LastAt.IsZero() {
		r.LastAt = e.Last().UTC()
	}
	return r
}

func (r securityEventRow) event() audit.Event {
	return audit.Event{ID: r.ID, At: r.At.UTC(), Kind: audit.Kind(r.Kind), IP: r.IP, Email: r.Email,
		UserID: tenant.UserID(r.UserID), CompanyID: tenant.CompanyID(r.CompanyID), Detail: r.Detail,
		Count: max(r.Occurrences, 1), LastAt: r.LastAt.UTC()}
}

// defaultAuditLimit is the number of events SecurityEvents returns when the
// query sets no limit.
const defaultAuditLimit = 100

// RecordSecurityEvent implements audit.Store.
func (s *Store) RecordSecurityEvent(ctx context.Context, e *audit.Event) error {
	r := securityEventRowOf(e)
	if err := insert(ctx, s.write, &r, "security event"); err != nil {
		return err
	}
	e.ID, e.Count = r.ID, r.Occurrences
	return nil
}

// RecordSecurityEvents implements audit.Store: one multi-row INSERT.
func (s *Store) RecordSecurityEvents(ctx context.Context, es []*audit.Event) error {
	if len(es) == 0 {
		return nil
	}
	rows := make([]securityEventRow, len(es))
	for i, e := range es {
		rows[i] = securityEventRowOf(e)
	}
	if _, err := s.write.NewInsert().Model(&rows).Returning("id").Exec(ctx); err != nil {
		return translate(err, "inserting security events")
	}
	for i, e := range es {
		e.ID, e.Count = rows[i].ID, rows[i].Occurrences
	}
	return nil
}

// window restricts q to [since, until); a zero bound does not restrict.
func window(q *bun.SelectQuery, since, until time.Time) *bun.SelectQuery {
	if !since.IsZero() {
		q = q.Where("? >= ?", bun.Ident("at"), since.UTC())
	}
	if !until.IsZero() {
		q = q.Where("? < ?", bun.Ident("at"), until.UTC())
	}
	return q
}

// SecurityEvents implements audit.Store: newest first (by time, then ID).
func (s *Store) SecurityEvents(ctx context.Context, q audit.Query) ([]audit.Event, error) {
	var rows []securityEventRow
	sq := window(s.read.NewSelect().Model(&rows), q.Since, q.Until)
	if q.Kind != "" {
		sq = sq.Where("kind = ?", string(q.Kind))
	}
	if q.IP != "" {
		sq = sq.Where("ip = ?", q.IP)
	}
	if q.CompanyID != 0 {
		sq = sq.Where("company_id = ?", int64(q.CompanyID))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	if err := sq.OrderExpr("? DESC, id DESC", bun.Ident("at")).Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, translate(err, "reading security events")
	}
	out := make([]audit.Event, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}

// CountSecurityEvents implements audit.Store.
func (s *Store) CountSecurityEvents(ctx context.Context, since, until time.Time) (map[audit.Kind]int, error) {
	var rows []struct {
		Kind string `bun:"kind"`
		N    int    `bun:"n"`
	}
	sq := window(s.read.NewSelect().Table("security_events").Column("kind").ColumnExpr("sum(occurrences) AS n"), since, until)
	if err := sq.Group("kind").Scan(ctx, &rows); err != nil {
		return nil, translate(err, "counting security events")
	}
	out := make(map[audit.Kind]int, len(rows))
	for _, r := range rows {
		out[audit.Kind(r.Kind)] = r.N
	}
	return out, nil
}
