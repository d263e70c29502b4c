package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
	"github.com/sistemaboladao/boladao/storage"
)

var (
	_ audit.ChangeStore  = (*Store)(nil)
	_ audit.ChangeWriter = (*tx)(nil)
)

// changeTables is the audit trail of changes, in ID order.
type changeTables struct {
	rows   []audit.Change
	lastID int64
}

func cloneChange(c audit.Change) audit.Change {
	c.Fields = slices.Clone(c.Fields)
	for i := range c.Fields {
		if c.Fields[i].Secret {
			c.Fields[i].Old, c.Fields[i].New = "", ""
		}
	}
	return c
}

// append stores cs, assigning their IDs; the caller holds the write lock.
func (t *changeTables) append(cs []*audit.Change) {
	for _, c := range cs {
		t.lastID++
		c.ID = t.lastID
		stored := cloneChange(*c)
		stored.At = stored.At.UTC()
		t.rows = append(t.rows, stored)
	}
}

// recordPending stores the changes ctx carries (audit.WithPending) for the
// standalone write that just succeeded under the write lock, giving those
// without an entity ID the written row's.
func (t *changeTables) recordPending(ctx context.Context, id int64) {
	cs := audit.PendingFrom(ctx)
	if len(cs) == 0 {
		return
	}
	audit.FillEntityID(cs, strconv.FormatInt(id, 10))
	t.append(cs)
}

// Changes returns the store as the audit trail's storage contract.
func (s *Store) Changes() audit.ChangeStore { return s }

// RecordChanges implements audit.ChangeWriter in the unit of work.
func (x *tx) RecordChanges(ctx context.Context, cs []*audit.Change) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t.changes
	n, last := len(t.rows), t.lastID
	t.append(cs)
	x.onRollback(func() {
		clear(t.rows[n:])
		t.rows, t.lastID = t.rows[:n], last
	})
	return nil
}

// ListChanges implements audit.ChangeStore: newest first.
func (s *Store) ListChanges(ctx context.Context, q audit.ChangeQuery, p storage.PageRequest) (storage.Page[audit.Change], error) {
	if err := ctx.Err(); err != nil {
		return storage.Page[audit.Change]{}, fmt.Errorf("memory: reading changes: %w", err)
	}
	p = p.Normalize()
	before, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[audit.Change]{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rows := s.t.changes.rows
	out := []audit.Change{}
	for i := len(rows) - 1; i >= 0 && len(out) <= p.Limit; i-- {
		c := rows[i]
		if (before == 0 || c.ID < before) && q.Matches(c) {
			out = append(out, cloneChange(c))
		}
	}
	return storage.PageOf(out, p.Limit, func(c audit.Change) int64 { return c.ID }), nil
}

// PurgeChanges implements audit.ChangeStore.
func (s *Store) PurgeChanges(ctx context.Context, before time.Time) (int, error) {
	unlock, err := s.lock(ctx, "purging changes")
	if err != nil {
		return 0, err
	}
	defer unlock()
	t := s.t.changes
	kept := t.rows[:0]
	for _, c := range t.rows {
		if !c.At.Before(before) {
			kept = append(kept, c)
		}
	}
	n := len(t.rows) - len(kept)
	clear(t.rows[len(kept):])
	t.rows = kept
	return n, nil
}
