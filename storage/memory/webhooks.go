package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

var _ webhooks.Store = webhookStore{}

// webhookTables holds endpoints, deliveries and attempts. Like tables, it
// takes no lock of its own.
type webhookTables struct {
	endpoints  *table[int64, webhooks.Endpoint]
	deliveries *table[int64, webhooks.Delivery]
	attempts   *table[int64, webhooks.Attempt]
	byEvent    map[deliveryKey]int64
	// lastSeq is the last sequence number of each endpoint's aggregate;
	// owners names the dispatcher that claimed a pending delivery.
	lastSeq map[aggKey]int64
	owners  map[int64]string
}

type deliveryKey struct {
	endpoint int64
	event    string
}

func newWebhookTables() *webhookTables {
	return &webhookTables{endpoints: newTable[int64, webhooks.Endpoint](), deliveries: newTable[int64, webhooks.Delivery](),
		attempts: newTable[int64, webhooks.Attempt](), byEvent: map[deliveryKey]int64{}, lastSeq: map[aggKey]int64{},
		owners: map[int64]string{}}
}

// webhookStore is the webhooks.Store adapter of a Store.
type webhookStore struct{ s *Store }

// Webhooks returns the store as the webhooks package's storage contract.
func (s *Store) Webhooks() webhooks.Store { return webhookStore{s} }

func cloneEndpoint(e webhooks.Endpoint) webhooks.Endpoint {
	e.Events = slices.Clone(e.Events)
	return e
}

func cloneDelivery(d webhooks.Delivery) webhooks.Delivery {
	d.Payload = bytes.Clone(d.Payload)
	return d
}

func (w webhookStore) lock(ctx context.Context, what string) (*webhookTables, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("memory: %s: %w", what, err)
	}
	w.s.mu.Lock()
	return w.s.t.webhooks, w.s.mu.Unlock, nil
}

func (w webhookStore) rlock(ctx context.Context, what string) (*webhookTables, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("memory: %s: %w", what, err)
	}
	w.s.mu.RLock()
	return w.s.t.webhooks, w.s.mu.RUnlock, nil
}

func (w webhookStore) InsertEndpoint(ctx context.Context, ep *webhooks.Endpoint) error {
	t, unlock, err := w.lock(ctx, "inserting webhook endpoint")
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := w.s.t.companies.get(ep.CompanyID); !ok {
		return fmt.Errorf("memory: inserting webhook endpoint: company %d: %w", ep.CompanyID, storage.ErrNotFound)
	}
	ep.ID = t.endpoints.allocate()
	ep.Version = 1
	t.endpoints.put(ep.ID, cloneEndpoint(*ep))
	w.s.t.changes.recordPending(ctx, ep.ID)
	return nil
}

func (w webhookStore) UpdateEndpoint(ctx context.Context, ep *webhooks.Endpoint) error {
	t, unlock, err := w.lock(ctx, "updating webhook endpoint")
	if err != nil {
		return err
	}
	defer unlock()
	cur, ok := t.endpoints.get(ep.ID)
	if !ok || cur.CompanyID != ep.CompanyID {
		return fmt.Errorf("memory: updating webhook endpoint %d: %w", ep.ID, storage.ErrNotFound)
	}
	if cur.Version != ep.Version {
		return fmt.Errorf("memory: updating webhook endpoint %d at version %d: %w", ep.ID, ep.Version, storage.ErrStale)
	}
	ep.Version++
	ep.CreatedAt = cur.CreatedAt
	t.endpoints.put(ep.ID, cloneEndpoint(*ep))
	w.s.t.changes.recordPending(ctx, ep.ID)
	return nil
}

func (w webhookStore) DeleteEndpoint(ctx context.Context, company tenant.CompanyID, id int64) error {
	t, unlock, err := w.lock(ctx, "deleting webhook endpoint")
	if err != nil {
		return err
	}
	defer unlock()
	cur, ok := t.endpoints.get(id)
	if !ok || cur.CompanyID != company {
		return fmt.Errorf("memory: deleting webhook endpoint %d: %w", id, storage.ErrNotFound)
	}
	t.endpoints.remove(id)
	var gone []int64
	t.deliveries.scan(0, func(d webhooks.Delivery) bool {
		if d.EndpointID == id {
			gone = append(gone, d.ID)
		}
		return true
	})
	for _, d := range gone {
		dv, _ := t.deliveries.get(d)
		delete(t.byEvent, deliveryKey{id, dv.EventID})
		t.deliveries.remove(d)
	}
	var attempts []int64
	t.attempts.scan(0, func(a webhooks.Attempt) bool {
		if a.EndpointID == id {
			attempts = append(attempts, a.ID)
		}
		return true
	})
	for _, a := range attempts {
		t.attempts.remove(a)
	}
	w.s.t.changes.recordPending(ctx, id)
	return nil
}

func (w webhookStore) EndpointByID(ctx context.Context, company tenant.CompanyID, id int64) (webhooks.Endpoint, error) {
	t, unlock, err := w.rlock(ctx, "reading webhook endpoint")
	if err != nil {
		return webhooks.Endpoint{}, err
	}
	defer unlock()
	ep, ok := t.endpoints.get(id)
	if !ok || ep.CompanyID != company {
		return webhooks.Endpoint{}, fmt.Errorf("memory: webhook endpoint %d: %w", id, storage.ErrNotFound)
	}
	return cloneEndpoint(ep), nil
}

func (w webhookStore) ListEndpoints(ctx context.Context, company tenant.CompanyID, p storage.PageRequest) (storage.Page[webhooks.Endpoint], error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[webhooks.Endpoint]{}, err
	}
	t, unlock, err := w.rlock(ctx, "listing webhook endpoints")
	if err != nil {
		return storage.Page[webhooks.Endpoint]{}, err
	}
	defer unlock()
	rows := list(t.endpoints, after, p.Limit, func(e webhooks.Endpoint) bool { return e.CompanyID == company }, cloneEndpoint)
	return storage.PageOf(rows, p.Limit, func(e webhooks.Endpoint) int64 { return e.ID }), nil
}

func (w webhookStore) ActiveEndpoints(ctx context.Context, company tenant.CompanyID) ([]webhooks.Endpoint, error) {
	return w.endpoints(ctx, company, true)
}

func (w webhookStore) CompanyEndpoints(ctx context.Context, company tenant.CompanyID) ([]webhooks.Endpoint, error) {
	return w.endpoints(ctx, company, false)
}

func (w webhookStore) endpoints(ctx context.Context, company tenant.CompanyID, active bool) ([]webhooks.Endpoint, error) {
	t, unlock, err := w.rlock(ctx, "listing webhook endpoints")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []webhooks.Endpoint
	t.endpoints.scan(0, func(e webhooks.Endpoint) bool {
		if e.CompanyID == company && (e.Active || !active) {
			out = append(out, cloneEndpoint(e))
		}
		return true
	})
	return out, nil
}

func (w webhookStore) EnqueueDeliveries(ctx context.Context, ds []webhooks.Delivery, lease time.Duration, owner string) (int, error) {
	t, unlock, err := w.lock(ctx, "enqueueing webhook deliveries")
	if err != nil {
		return 0, err
	}
	defer unlock()
	for _, d := range ds { // check first, so that a bad delivery writes nothing
		if ep, ok := t.endpoints.get(d.EndpointID); !ok || ep.CompanyID != d.CompanyID {
			return 0, fmt.Errorf("memory: enqueueing a delivery to webhook endpoint %d: %w", d.EndpointID, storage.ErrNotFound)
		}
	}
	waiting := map[aggKey]bool{} // pending or failed before the call
	if lease > 0 {
		t.deliveries.scan(0, func(d webhooks.Delivery) bool {
			if d.Status == webhooks.StatusPending || d.Status == webhooks.StatusFailed {
				waiting[aggKey{d.EndpointID, d.AggregateKey}] = true
			}
			return true
		})
	}
	n := 0
	for i := range ds {
		d := &ds[i]
		d.ID, d.ClaimedUntil, d.BlockedBy = 0, time.Time{}, 0
		ep, _ := t.endpoints.get(d.EndpointID)
		k := deliveryKey{d.EndpointID, d.EventID}
		if _, dup := t.byEvent[k]; dup {
			continue
		}
		ak := aggKey{d.EndpointID, d.AggregateKey}
		if lease > 0 && ep.Active && !waiting[ak] {
			d.NextAttemptAt = d.NextAttemptAt.Add(lease)
			d.ClaimedUntil = d.NextAttemptAt
		}
		t.lastSeq[ak]++
		d.Sequence = t.lastSeq[ak]
		d.ID = t.deliveries.allocate()
		t.deliveries.put(d.ID, cloneDelivery(*d))
		if !d.ClaimedUntil.IsZero() {
			t.owners[d.ID] = owner
		}
		t.byEvent[k] = d.ID
		n++
	}
	return n, nil
}

// aggKey is an endpoint's aggregate, whose deliveries go in order.
type aggKey struct {
	endpoint int64
	key      string
}

func (w webhookStore) ClaimDeliveries(ctx context.Context, c webhooks.Claim) ([]webhooks.Delivery, error) {
	t, unlock, err := w.lock(ctx, "claiming webhook deliveries")
	if err != nil {
		return nil, err
	}
	defer unlock()
	blocked := map[aggKey]bool{}
	var out []webhooks.Delivery
	t.deliveries.scan(0, func(d webhooks.Delivery) bool {
		if d.Status == webhooks.StatusFailed { // holds its aggregate back
			blocked[aggKey{d.EndpointID, d.AggregateKey}] = true
			return true
		}
		if d.Status != webhooks.StatusPending || slices.Contains(c.Exclude, d.EndpointID) ||
			(c.Endpoint != 0 && d.EndpointID != c.Endpoint) {
			return true
		}
		ep, ok := t.endpoints.get(d.EndpointID)
		if !ok || !ep.Active {
			return true
		}
		k := aggKey{d.EndpointID, d.AggregateKey}
		if d.NextAttemptAt.After(c.Now) {
			blocked[k] = true
			return true
		}
		if blocked[k] {
			return true
		}
		d.NextAttemptAt = c.Now.Add(c.Lease)
		t.deliveries.put(d.ID, d)
		t.owners[d.ID] = c.Owner
		out = append(out, t.view(d, false))
		return len(out) < c.Limit
	})
	return out, nil
}

func (w webhookStore) RenewClaims(ctx context.Context, owner string, ids []int64, until time.Time) error {
	t, unlock, err := w.lock(ctx, "renewing webhook delivery claims")
	if err != nil {
		return err
	}
	defer unlock()
	for _, id := range ids {
		if d, ok := t.deliveries.get(id); ok && d.Status == webhooks.StatusPending && t.owners[id] == owner && owner != "" {
			d.NextAttemptAt = until
			t.deliveries.put(id, d)
		}
	}
	return nil
}

// view is how a stored delivery is returned: a copy with its claim, what
// blocks it (when asked) and no next attempt once finished.
func (t *webhookTables) view(d webhooks.Delivery, blocked bool) webhooks.Delivery {
	d = cloneDelivery(d)
	d.ClaimedUntil, d.BlockedBy = time.Time{}, 0
	if d.Status != webhooks.StatusPending {
		d.NextAttemptAt = time.Time{}
		return d
	}
	if _, ok := t.owners[d.ID]; ok {
		d.ClaimedUntil = d.NextAttemptAt
	}
	if blocked {
		t.deliveries.scan(0, func(p webhooks.Delivery) bool {
			if p.ID >= d.ID {
				return false
			}
			if p.EndpointID == d.EndpointID && p.AggregateKey == d.AggregateKey && p.Status == webhooks.StatusFailed {
				d.BlockedBy = p.ID
				return false
			}
			return true
		})
	}
	return d
}

func (w webhookStore) ReleaseDeliveries(ctx context.Context, ids []int64, at time.Time) error {
	t, unlock, err := w.lock(ctx, "releasing webhook deliveries")
	if err != nil {
		return err
	}
	defer unlock()
	for _, id := range ids {
		if d, ok := t.deliveries.get(id); ok && d.Status == webhooks.StatusPending {
			d.NextAttemptAt = at
			t.deliveries.put(id, d)
			delete(t.owners, id)
		}
	}
	return nil
}

func (w webhookStore) RecordAttempts(ctx context.Context, recs []webhooks.AttemptRecord) ([]bool, error) {
	t, unlock, err := w.lock(ctx, "recording webhook attempts")
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Check first, so that a bad record writes nothing.
	for _, rec := range recs {
		if cur, ok := t.deliveries.get(rec.Delivery.ID); !ok || cur.CompanyID != rec.Delivery.CompanyID {
			return nil, fmt.Errorf("memory: recording an attempt of delivery %d: %w", rec.Delivery.ID, storage.ErrNotFound)
		}
	}
	out := make([]bool, len(recs))
	for i, rec := range recs {
		out[i] = w.recordLocked(t, rec)
	}
	return out, nil
}

// recordLocked writes one attempt; the caller holds the write lock and has
// checked the delivery.
func (w webhookStore) recordLocked(t *webhookTables, rec webhooks.AttemptRecord) bool {
	d := rec.Delivery
	cur, _ := t.deliveries.get(d.ID)
	a := rec.Attempt
	a.ID = t.attempts.allocate()
	t.attempts.put(a.ID, a)
	cur.Status, cur.Attempts, cur.NextAttemptAt = d.Status, d.Attempts, d.NextAttemptAt
	cur.LastStatusCode, cur.LastError, cur.UpdatedAt, cur.DeliveredAt = d.LastStatusCode, d.LastError, d.UpdatedAt, d.DeliveredAt
	cur.ClaimedUntil, cur.BlockedBy = time.Time{}, 0
	t.deliveries.put(cur.ID, cur)
	delete(t.owners, cur.ID)
	ep, ok := t.endpoints.get(d.EndpointID)
	if !ok {
		return false
	}
	disabled := false
	if rec.Succeeded {
		ep.ConsecutiveFailures, ep.FailingSince = 0, time.Time{}
	} else {
		ep.ConsecutiveFailures++
		if ep.FailingSince.IsZero() {
			ep.FailingSince = rec.Now
		}
		reason := rec.Disable
		if reason == "" {
			reason = webhooks.FailingReason(rec, ep.ConsecutiveFailures, ep.FailingSince)
		}
		if ep.Active && reason != "" {
			ep.Active, disabled = false, true
			ep.DisabledReason = reason
			ep.Version++
			ep.UpdatedAt = rec.Now
		}
	}
	t.endpoints.put(ep.ID, ep)
	if disabled && rec.Disabled.ID != "" {
		w.s.appendLocked(rec.Disabled)
	}
	return disabled
}

// appendLocked writes an event into the outbox outside a unit of work; the
// caller holds the write lock.
func (s *Store) appendLocked(ev events.Event) {
	if _, dup := s.t.outboxIDs[ev.ID]; dup {
		return
	}
	s.t.outbox = append(s.t.outbox, cloneEvent(ev))
	s.t.outboxIDs[ev.ID] = struct{}{}
	s.notifyOutbox()
}

func (w webhookStore) DeliveryByID(ctx context.Context, company tenant.CompanyID, endpoint, id int64) (webhooks.Delivery, error) {
	t, unlock, err := w.rlock(ctx, "reading webhook delivery")
	if err != nil {
		return webhooks.Delivery{}, err
	}
	defer unlock()
	d, ok := t.deliveries.get(id)
	if !ok || d.CompanyID != company || d.EndpointID != endpoint {
		return webhooks.Delivery{}, fmt.Errorf("memory: webhook delivery %d: %w", id, storage.ErrNotFound)
	}
	return t.view(d, true), nil
}

func (w webhookStore) ListDeliveries(ctx context.Context, company tenant.CompanyID, endpoint int64, f webhooks.DeliveryFilter,
	p storage.PageRequest) (storage.Page[webhooks.Delivery], error) {
	p = p.Normalize()
	before, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[webhooks.Delivery]{}, err
	}
	t, unlock, err := w.rlock(ctx, "listing webhook deliveries")
	if err != nil {
		return storage.Page[webhooks.Delivery]{}, err
	}
	defer unlock()
	var out []webhooks.Delivery
	ids := t.deliveries.ids
	for i := len(ids) - 1; i >= 0 && len(out) <= p.Limit; i-- {
		if before != 0 && ids[i] >= before {
			continue
		}
		d := t.deliveries.rows[ids[i]]
		if d.CompanyID != company || d.EndpointID != endpoint || (f.Status != "" && d.Status != f.Status) {
			continue
		}
		out = append(out, t.view(d, true))
	}
	return storage.PageOf(out, p.Limit, func(d webhooks.Delivery) int64 { return d.ID }), nil
}

func (w webhookStore) ListAttempts(ctx context.Context, company tenant.CompanyID, delivery int64) ([]webhooks.Attempt, error) {
	t, unlock, err := w.rlock(ctx, "listing webhook attempts")
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := []webhooks.Attempt{}
	t.attempts.scan(0, func(a webhooks.Attempt) bool {
		if a.CompanyID == company && a.DeliveryID == delivery {
			out = append(out, a)
		}
		return true
	})
	return out, nil
}

func (w webhookStore) ResetDelivery(ctx context.Context, company tenant.CompanyID, endpoint, id int64, now time.Time) (webhooks.Delivery, error) {
	return w.setStatus(ctx, company, endpoint, id, now, webhooks.StatusPending,
		func(s webhooks.Status) bool { return s != webhooks.StatusSkipped },
		"it was skipped and the later deliveries of its aggregate went on without it")
}

func (w webhookStore) SkipDelivery(ctx context.Context, company tenant.CompanyID, endpoint, id int64, now time.Time) (webhooks.Delivery, error) {
	return w.setStatus(ctx, company, endpoint, id, now, webhooks.StatusSkipped,
		func(s webhooks.Status) bool { return s == webhooks.StatusFailed }, "only failed deliveries can be skipped")
}

// setStatus moves a delivery whose status ok accepts to status (due at now
// if pending); another is a storage.ErrConflict, with why.
func (w webhookStore) setStatus(ctx context.Context, company tenant.CompanyID, endpoint, id int64, now time.Time,
	status webhooks.Status, ok func(webhooks.Status) bool, why string) (webhooks.Delivery, error) {
	t, unlock, err := w.lock(ctx, "changing webhook delivery")
	if err != nil {
		return webhooks.Delivery{}, err
	}
	defer unlock()
	d, found := t.deliveries.get(id)
	if !found || d.CompanyID != company || d.EndpointID != endpoint {
		return webhooks.Delivery{}, fmt.Errorf("memory: webhook delivery %d: %w", id, storage.ErrNotFound)
	}
	if !ok(d.Status) {
		return webhooks.Delivery{}, fmt.Errorf("memory: webhook delivery %d is %s: %s: %w", id, d.Status, why, storage.ErrConflict)
	}
	d.Status, d.NextAttemptAt, d.UpdatedAt, d.DeliveredAt = status, now, now, time.Time{}
	t.deliveries.put(id, d)
	delete(t.owners, id)
	return t.view(d, false), nil
}

func (w webhookStore) EndpointStats(ctx context.Context, company tenant.CompanyID, endpoint int64, now time.Time) (webhooks.Stats, error) {
	t, unlock, err := w.rlock(ctx, "reading webhook statistics")
	if err != nil {
		return webhooks.Stats{}, err
	}
	defer unlock()
	var st webhooks.Stats
	if ep, ok := t.endpoints.get(endpoint); ok && ep.CompanyID == company {
		g := t.gauge(ep, now)
		st.Held, st.Claimed, st.ClaimedUntil = g.Held, g.Claimed, g.ClaimedUntil
	}
	t.deliveries.scan(0, func(d webhooks.Delivery) bool {
		if d.CompanyID == company && d.EndpointID == endpoint {
			st.Deliveries++
			switch d.Status {
			case webhooks.StatusPending:
				st.Pending++
			case webhooks.StatusSucceeded:
				st.Succeeded++
			case webhooks.StatusFailed:
				st.Failed++
			case webhooks.StatusSkipped:
				st.Skipped++
			}
		}
		return true
	})
	var latency int64
	t.attempts.scan(0, func(a webhooks.Attempt) bool {
		if a.CompanyID == company && a.EndpointID == endpoint {
			st.Attempts++
			latency += int64(a.LatencyMS)
			ok := a.StatusCode >= 200 && a.StatusCode < 300 && a.Error == ""
			if !ok {
				st.FailedAttempts++
			}
			if a.At.After(st.LastAttemptAt) {
				st.LastAttemptAt = a.At
			}
			if ok && a.At.After(st.LastSuccessAt) {
				st.LastSuccessAt = a.At
			}
		}
		return true
	})
	webhooks.FinishStats(&st, latency)
	return st, nil
}

// gauge counts ep's unfinished deliveries; the caller holds a lock.
func (t *webhookTables) gauge(ep webhooks.Endpoint, now time.Time) webhooks.Gauge {
	g := webhooks.Gauge{CompanyID: ep.CompanyID, EndpointID: ep.ID, Active: ep.Active}
	failed := map[string]bool{} // aggregates with a failed delivery so far
	t.deliveries.scan(0, func(d webhooks.Delivery) bool {
		if d.EndpointID != ep.ID {
			return true
		}
		switch d.Status {
		case webhooks.StatusFailed:
			g.Failed++
			failed[d.AggregateKey] = true
		case webhooks.StatusPending:
			g.Pending++
			if !ep.Active || failed[d.AggregateKey] {
				g.Held++
			}
			if _, ok := t.owners[d.ID]; ok && d.NextAttemptAt.After(now) {
				g.Claimed++
				if d.NextAttemptAt.After(g.ClaimedUntil) {
					g.ClaimedUntil = d.NextAttemptAt
				}
			}
		}
		return true
	})
	return g
}

// DeliveryGauges implements webhooks.Store.
func (w webhookStore) DeliveryGauges(ctx context.Context, now time.Time) ([]webhooks.Gauge, error) {
	t, unlock, err := w.rlock(ctx, "counting unfinished webhook deliveries")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []webhooks.Gauge
	t.endpoints.scan(0, func(ep webhooks.Endpoint) bool {
		out = append(out, t.gauge(ep, now))
		return true
	})
	slices.SortFunc(out, func(a, b webhooks.Gauge) int {
		if a.CompanyID != b.CompanyID {
			return int(a.CompanyID - b.CompanyID)
		}
		return int(a.EndpointID - b.EndpointID)
	})
	return out, nil
}

// PruneDeliveries implements webhooks.Store.
func (w webhookStore) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	t, unlock, err := w.lock(ctx, "pruning webhook deliveries")
	if err != nil {
		return 0, err
	}
	defer unlock()
	gone := map[int64]bool{}
	t.deliveries.scan(0, func(d webhooks.Delivery) bool {
		if d.Status != webhooks.StatusPending && d.UpdatedAt.Before(before) &&
			d.Sequence < t.lastSeq[aggKey{d.EndpointID, d.AggregateKey}] { // the last one carries the sequence on
			gone[d.ID] = true
		}
		return true
	})
	for id := range gone {
		d, _ := t.deliveries.get(id)
		delete(t.byEvent, deliveryKey{d.EndpointID, d.EventID})
		delete(t.owners, id)
		t.deliveries.remove(id)
	}
	var attempts []int64
	t.attempts.scan(0, func(a webhooks.Attempt) bool {
		if gone[a.DeliveryID] {
			attempts = append(attempts, a.ID)
		}
		return true
	})
	for _, a := range attempts {
		t.attempts.remove(a)
	}
	return len(gone), nil
}
