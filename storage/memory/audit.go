package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/audit"
)

// Audit returns the store as the audit package's storage contract. Its
// methods take part in no unit of work: do not call them from inside InTx.
func (s *Store) Audit() audit.Store { return s }

// defaultAuditLimit is the number of events SecurityEvents returns when the
// query sets no limit.
const defaultAuditLimit = 100

// RecordSecurityEvent appends e and assigns its ID.
func (s *Store) RecordSecurityEvent(ctx context.Context, e *audit.Event) error {
	unlock, err := s.lock(ctx, "recording security event")
	if err != nil {
		return err
	}
	defer unlock()
	s.t.appendSecurityEvent(e)
	return nil
}

// RecordSecurityEvents appends es and assigns their IDs.
func (s *Store) RecordSecurityEvents(ctx context.Context, es []*audit.Event) error {
	unlock, err := s.lock(ctx, "recording security events")
	if err != nil {
		return err
	}
	defer unlock()
	for _, e := range es {
		s.t.appendSecurityEvent(e)
	}
	return nil
}

func (t *tables) appendSecurityEvent(e *audit.Event) {
	t.lastSecurityID++
	e.ID, e.Count = t.lastSecurityID, e.Occurrences()
	stored := *e
	stored.Count = e.Occurrences()
	stored.LastAt = e.Last()
	if stored.Count == 1 && e.LastAt.IsZero() {
		stored.LastAt = time.Time{}
	}
	t.securityEvents = append(t.securityEvents, stored)
}

// inWindow reports whether at is in [since, until); zero bounds are open.
func inWindow(at, since, until time.Time) bool {
	return (since.IsZero() || !at.Before(since)) && (until.IsZero() || at.Before(until))
}

// SecurityEvents returns the events matching q, newest first (by time, then
// ID), at most q.Limit of them (100 when unset).
func (s *Store) SecurityEvents(ctx context.Context, q audit.Query) ([]audit.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: reading security events: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []audit.Event{}
	for _, e := range s.t.securityEvents {
		if inWindow(e.At, q.Since, q.Until) && (q.Kind == "" || e.Kind == q.Kind) &&
			(q.IP == "" || e.IP == q.IP) && (q.CompanyID == 0 || e.CompanyID == q.CompanyID) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b audit.Event) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	limit := q.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	return out[:min(limit, len(out))], nil
}

// CountSecurityEvents counts events by kind in [since, until).
func (s *Store) CountSecurityEvents(ctx context.Context, since, until time.Time) (map[audit.Kind]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: counting security events: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[audit.Kind]int{}
	for _, e := range s.t.securityEvents {
		if inWindow(e.At, since, until) {
			out[e.Kind] += int(e.Occurrences())
		}
	}
	return out, nil
}
