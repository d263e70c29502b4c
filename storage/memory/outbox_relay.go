package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/events"
)

var (
	_ events.RelayStore     = (*Store)(nil)
	_ events.OutboxNotifier = (*Store)(nil)
)

// relayTables holds the delivery state of outbox events, by event ID (an
// event without an entry is pending and never attempted).
type relayTables struct {
	state map[string]*relayState
	// claim serialises ClaimOutbox calls: one claimer at a time, as on
	// SQLite.
	claim sync.Mutex
	// waiters are woken after a commit that appended events.
	waitMu  sync.Mutex
	waiters map[*func()]struct{}
}

type relayState struct {
	attempts    int
	nextAttempt time.Time
	lastError   string
	deliveredAt time.Time
	deadAt      time.Time
}

func newRelayTables() *relayTables {
	return &relayTables{state: map[string]*relayState{}, waiters: map[*func()]struct{}{}}
}

func (rt *relayTables) get(id string) *relayState {
	st := rt.state[id]
	if st == nil {
		st = &relayState{}
		rt.state[id] = st
	}
	return st
}

// ClaimOutbox implements events.RelayStore. Claims are serialised; the
// store's lock is not held while fn runs.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, limit int,
	fn func(ctx context.Context, recs []events.OutboxRecord) []events.OutboxOutcome) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memory: claiming outbox events: %w", err)
	}
	rt := s.t.relay
	rt.claim.Lock()
	defer rt.claim.Unlock()
	type agg struct{ company, typ, id string }
	var batch []events.OutboxRecord
	s.mu.RLock()
	blocked := map[agg]bool{}
	for _, ev := range s.t.outbox {
		if len(batch) >= limit {
			break
		}
		st := rt.state[ev.ID]
		if st != nil && !st.deliveredAt.IsZero() {
			continue
		}
		k := agg{fmt.Sprint(ev.CompanyID), ev.AggregateType, ev.AggregateID}
		if blocked[k] {
			continue
		}
		if st != nil && st.nextAttempt.After(now) {
			blocked[k] = true
			continue
		}
		rec := events.OutboxRecord{Event: cloneEvent(ev)}
		if st != nil {
			rec.Attempts, rec.LastError = st.attempts, st.lastError
		}
		batch = append(batch, rec)
	}
	s.mu.RUnlock()
	if len(batch) == 0 {
		return 0, nil
	}
	outcomes := fn(ctx, batch)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range outcomes {
		if _, ok := s.t.outboxIDs[o.ID]; !ok {
			continue
		}
		st := rt.get(o.ID)
		st.lastError = o.Err
		switch {
		case o.Delivered:
			st.deliveredAt = now
			if o.Dead {
				st.deadAt = now
			}
		default:
			st.attempts++
			st.nextAttempt = o.RetryAt
		}
	}
	return len(batch), nil
}

// PendingOutbox implements events.RelayStore.
func (s *Store) PendingOutbox(ctx context.Context, q events.OutboxQuery) ([]events.OutboxRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: reading pending events: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []events.OutboxRecord{}
	for _, ev := range s.t.outbox {
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
		if (q.CompanyID != 0 && ev.CompanyID != q.CompanyID) || (q.Type != "" && ev.Type != q.Type) {
			continue
		}
		rec := events.OutboxRecord{Event: cloneEvent(ev)}
		if st := s.t.relay.state[ev.ID]; st != nil {
			if !st.deliveredAt.IsZero() && st.deadAt.IsZero() {
				continue
			}
			rec.Attempts, rec.NextAttemptAt, rec.LastError = st.attempts, st.nextAttempt, st.lastError
			rec.DeliveredAt, rec.DeadAt = st.deliveredAt, st.deadAt
		}
		out = append(out, rec)
	}
	return out, nil
}

// PruneOutbox implements events.RelayStore.
func (s *Store) PruneOutbox(ctx context.Context, deliveredBefore time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memory: pruning the outbox: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.t.relay
	n := 0
	s.t.outbox = slices.DeleteFunc(s.t.outbox, func(ev events.Event) bool {
		st := rt.state[ev.ID]
		if st == nil || st.deliveredAt.IsZero() || !st.deadAt.IsZero() || !st.deliveredAt.Before(deliveredBefore) {
			return false
		}
		delete(rt.state, ev.ID)
		delete(s.t.outboxIDs, ev.ID)
		n++
		return true
	})
	return n, nil
}

// OutboxStats implements events.RelayStore.
func (s *Store) OutboxStats(ctx context.Context) (events.OutboxStats, error) {
	if err := ctx.Err(); err != nil {
		return events.OutboxStats{}, fmt.Errorf("memory: counting outbox events: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var st events.OutboxStats
	for _, ev := range s.t.outbox {
		rs := s.t.relay.state[ev.ID]
		switch {
		case rs != nil && !rs.deadAt.IsZero():
			st.DeadLetters++
		case rs == nil || rs.deliveredAt.IsZero():
			st.Pending++
			if st.OldestPendingAt.IsZero() || ev.OccurredAt.Before(st.OldestPendingAt) {
				st.OldestPendingAt = ev.OccurredAt.UTC()
			}
		}
	}
	return st, nil
}

// ListenOutbox implements events.OutboxNotifier: wake is called after every
// unit of work that appended events, until ctx is done.
func (s *Store) ListenOutbox(ctx context.Context, wake func()) error {
	rt := s.t.relay
	rt.waitMu.Lock()
	rt.waiters[&wake] = struct{}{}
	rt.waitMu.Unlock()
	<-ctx.Done()
	rt.waitMu.Lock()
	delete(rt.waiters, &wake)
	rt.waitMu.Unlock()
	return nil
}

// notifyOutbox wakes the listeners; called after a commit with events.
func (s *Store) notifyOutbox() {
	rt := s.t.relay
	rt.waitMu.Lock()
	defer rt.waitMu.Unlock()
	for w := range rt.waiters {
		(*w)()
	}
}
