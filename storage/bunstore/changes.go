package bunstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

var (
	_ audit.ChangeStore  = (*Store)(nil)
	_ audit.ChangeWriter = (*Tx)(nil)
)

// Changes returns the store as the audit trail's storage contract: reads
// on the readers, purges on the writer.
func (s *Store) Changes() audit.ChangeStore { return s }

// auditChangeRow is an audit_changes row; fields is JSON text.
type auditChangeRow struct {
	bun.BaseModel `bun:"table:audit_changes"`
	ID            int64     `bun:"id,pk,autoincrement"`
	At            time.Time `bun:"at"`
	CompanyID     int64     `bun:"company_id"`
	ActorKind     string    `bun:"actor_kind"`
	ActorUserID   int64     `bun:"actor_user_id"`
	ActorTokenID  int64     `bun:"actor_token_id"`
	IP            string    `bun:"ip"`
	RequestID     string    `bun:"request_id"`
	EntityType    string    `bun:"entity_type"`
	EntityID      string    `bun:"entity_id"`
	Action        string    `bun:"action"`
	Fields        string    `bun:"fields"`
}

// fieldJSON is one element of the fields column.
type fieldJSON struct {
	Field  string `json:"field"`
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
	Secret bool   `json:"secret,omitempty"`
}

func changeRowOf(c *audit.Change) (auditChangeRow, error) {
	fs := make([]fieldJSON, len(c.Fields))
	for i, f := range c.Fields {
		fs[i] = fieldJSON{Field: f.Field, Old: f.Old, New: f.New, Secret: f.Secret}
		if f.Secret {
			fs[i].Old, fs[i].New = "", ""
		}
	}
	b, err := json.Marshal(fs)
	if err != nil {
		return auditChangeRow{}, fmt.Errorf("encoding the fields of a change: %w", err)
	}
	return auditChangeRow{At: c.At.UTC(), CompanyID: int64(c.CompanyID), ActorKind: string(c.Actor.Kind),
		ActorUserID: int64(c.Actor.UserID), ActorTokenID: c.Actor.TokenID, IP: c.IP, RequestID: c.RequestID,
		EntityType: string(c.EntityType), EntityID: c.EntityID, Action: string(c.Action), Fields: string(b)}, nil
}

func (r auditChangeRow) model() (audit.Change, error) {
	var fs []fieldJSON
	if err := json.Unmarshal([]byte(r.Fields), &fs); err != nil {
		return audit.Change{}, fmt.Errorf("decoding the fields of change %d: %w", r.ID, err)
	}
	c := audit.Change{ID: r.ID, At: r.At.UTC(), CompanyID: tenant.CompanyID(r.CompanyID),
		Actor: audit.Actor{Kind: audit.ActorKind(r.ActorKind), UserID: tenant.UserID(r.ActorUserID), TokenID: r.ActorTokenID},
		IP:    r.IP, RequestID: r.RequestID, EntityType: audit.EntityType(r.EntityType), EntityID: r.EntityID,
		Action: audit.Action(r.Action), Fields: make([]audit.FieldChange, len(fs))}
	for i, f := range fs {
		c.Fields[i] = audit.FieldChange{Field: f.Field, Old: f.Old, New: f.New, Secret: f.Secret}
	}
	return c, nil
}

// recordChanges inserts cs on db and sets their IDs.
func recordChanges(ctx context.Context, db bun.IDB, cs []*audit.Change) error {
	if len(cs) == 0 {
		return nil
	}
	rows := make([]auditChangeRow, len(cs))
	for i, c := range cs {
		r, err := changeRowOf(c)
		if err != nil {
			return err
		}
		rows[i] = r
	}
	if _, err := db.NewInsert().Model(&rows).Returning("id").Exec(ctx); err != nil {
		return translate(err, "recording changes")
	}
	for i, c := range cs {
		c.ID = rows[i].ID
	}
	return nil
}

// RecordChanges implements audit.ChangeWriter in the unit of work.
func (t *Tx) RecordChanges(ctx context.Context, cs []*audit.Change) error {
	return recordChanges(ctx, t.db, cs)
}

// ListChanges implements audit.ChangeStore.
func (s *Store) ListChanges(ctx context.Context, q audit.ChangeQuery, p storage.PageRequest) (storage.Page[audit.Change], error) {
	p = p.Normalize()
	before, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[audit.Change]{}, err
	}
	var rows []auditChangeRow
	sq := window(s.read.NewSelect().Model(&rows), q.Since, q.Until)
	if !q.AllCompanies {
		sq = sq.Where("company_id = ?", int64(q.CompanyID))
	}
	if before > 0 {
		sq = sq.Where("id < ?", before)
	}
	if q.EntityType != "" {
		sq = sq.Where("entity_type = ?", string(q.EntityType))
	}
	if q.EntityID != "" {
		sq = sq.Where("entity_id = ?", q.EntityID)
	}
	if q.ActorKind != "" {
		sq = sq.Where("actor_kind = ?", string(q.ActorKind))
	}
	if q.ActorUserID != 0 {
		sq = sq.Where("actor_user_id = ?", int64(q.ActorUserID))
	}
	if q.ActorTokenID != 0 {
		sq = sq.Where("actor_token_id = ?", q.ActorTokenID)
	}
	if q.Action != "" {
		sq = sq.Where("action = ?", string(q.Action))
	}
	if err := sq.OrderExpr("id DESC").Limit(int64(p.Limit + 1)).Scan(ctx); err != nil {
		return storage.Page[audit.Change]{}, translate(err, "reading changes")
	}
	out := make([]audit.Change, len(rows))
	for i, r := range rows {
		if out[i], err = r.model(); err != nil {
			return storage.Page[audit.Change]{}, err
		}
	}
	return storage.PageOf(out, p.Limit, func(c audit.Change) int64 { return c.ID }), nil
}

// PurgeChanges implements audit.ChangeStore.
func (s *Store) PurgeChanges(ctx context.Context, before time.Time) (int, error) {
	res, err := s.write.NewDelete().Model((*auditChangeRow)(nil)).Where("? < ?", bun.Ident("at"), before.UTC()).Exec(ctx)
	if err != nil {
		return 0, translate(err, "purging changes")
	}
	n, err := res.RowsAffected()
	return int(n), translate(err, "purging changes")
}

// withPending runs write on the writer; when ctx carries pending changes
// (audit.WithPending), it runs write and records them in one
// transaction, the changes taking the ID write reports when they have
// none.
func (s *Store) withPending(ctx context.Context, write func(ctx context.Context, db bun.IDB) (id int64, err error)) error {
	cs := audit.PendingFrom(ctx)
	if len(cs) == 0 {
		_, err := write(ctx, s.write)
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Tx) error {
		id, err := write(ctx, tx.db)
		if err != nil {
			return err
		}
		audit.FillEntityID(cs, fmt.Sprint(id))
		return recordChanges(ctx, tx.db, cs)
	})
}
