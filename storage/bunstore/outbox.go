package bunstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

type outboxRow struct {
	bun.BaseModel `bun:"table:outbox"`
	Seq           int64           `bun:"seq,pk,autoincrement"`
	ID            string          `bun:"id"`
	Type          string          `bun:"type"`
	CompanyID     int64           `bun:"company_id"`
	AggregateType string          `bun:"aggregate_type"`
	AggregateID   string          `bun:"aggregate_id"`
	OccurredAt    time.Time       `bun:"occurred_at"`
	ActorUserID   int64           `bun:"actor_user_id"`
	Data          json.RawMessage `bun:"data,type:jsonb"`
}

// AppendEvents implements events.Appender: the events are written by the
// transaction, so they commit or roll back with it. On PostgreSQL their
// INSERT travels with the COMMIT, in the same round trip (see withCommit):
// the rows are invisible to everyone until the commit anyway, and an
// INSERT that fails there fails the commit, with storage.ErrConflict for a
// duplicate event ID as here.
func (t *Tx) AppendEvents(ctx context.Context, evs ...events.Event) error {
	if len(evs) == 0 {
		return nil
	}
	rows := make([]outboxRow, len(evs))
	for i, e := range evs {
		rows[i] = outboxRow{ID: e.ID, Type: e.Type, CompanyID: int64(e.CompanyID), AggregateType: e.AggregateType,
			AggregateID: e.AggregateID, OccurredAt: e.OccurredAt.UTC(), ActorUserID: int64(e.ActorUserID), Data: e.Data}
	}
	err := execAtCommit(ctx, t.withCommit, t.db.NewInsert().Model(&rows))
	if err == nil && t.appended != nil {
		*t.appended = true
	}
	return translate(err, "appending events")
}

// OutboxEvents implements events.OutboxReader, in append order.
func (s *Store) OutboxEvents(ctx context.Context, q events.OutboxQuery) ([]events.Event, error) {
	var rows []outboxRow
	if err := outboxQuery(s.read.NewSelect().Model(&rows), q).Scan(ctx); err != nil {
		return nil, translate(err, "reading the outbox")
	}
	out := make([]events.Event, len(rows))
	for i, r := range rows {
		out[i] = events.Event{ID: r.ID, Type: r.Type, CompanyID: tenant.CompanyID(r.CompanyID), AggregateType: r.AggregateType,
			AggregateID: r.AggregateID, OccurredAt: r.OccurredAt.UTC(), ActorUserID: tenant.UserID(r.ActorUserID), Data: r.Data}
	}
	return out, nil
}

// outboxQuery orders sq by append order and applies q's filters and limit.
func outboxQuery(sq *bun.SelectQuery, q events.OutboxQuery) *bun.SelectQuery {
	sq = sq.OrderExpr("seq ASC")
	if q.CompanyID != 0 {
		sq = sq.Where("company_id = ?", int64(q.CompanyID))
	}
	if q.Type != "" {
		sq = sq.Where("type = ?", q.Type)
	}
	if q.Limit > 0 {
		sq = sq.Limit(int64(q.Limit))
	}
	return sq
}
