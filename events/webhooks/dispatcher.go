package webhooks

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// Subscription is how the Service subscribes to the bus.
var Subscription = events.Subscription{Name: "webhooks", Pattern: ">"}

// DisabledEventType is emitted when the dispatcher disables an endpoint.
const DisabledEventType = "webhook.endpoint_disabled"

func mustPayload(ev events.Event) []byte {
	b, err := json.Marshal(ev)
	if err != nil { // an Event always encodes: its Data is valid JSON
		panic(fmt.Sprintf("webhooks: encoding event %s: %v", ev.ID, err))
	}
	return b
}

func newDelivery(ep Endpoint, ev events.Event, due time.Time) (Delivery, error) {
	if !json.Valid(ev.Data) {
		return Delivery{}, fmt.Errorf("webhooks: event %s has invalid JSON data", ev.ID)
	}
	now := due.UTC()
	return Delivery{CompanyID: ep.CompanyID, EndpointID: ep.ID, EventID: ev.ID, EventType: ev.Type,
		AggregateKey: ev.AggregateType + ":" + ev.AggregateID, Payload: mustPayload(ev), Status: StatusPending,
		NextAttemptAt: due.UTC(), CreatedAt: now, UpdatedAt: now}, nil
}

// HandleEvent is the bus handler: it writes one delivery per endpoint of
// the event's company whose filter matches, active or not (an inactive
// endpoint's deliveries are held until it is enabled). It is idempotent.
//
// Concurrent calls are grouped: the first caller writes its event and
// every event that arrives meanwhile in one statement (group commit), so
// a relay publishing many aggregates at once pays one commit per group.
// The first caller yields the processor once before it writes, so that
// calls started together (a relay's publishers) make one group rather
// than one of a single event and one of the rest.
func (s *Service) HandleEvent(ctx context.Context, ev events.Event) error {
	req := &enqueueReq{ev: ev, at: time.Now(), done: make(chan error, 1)}
	s.gmu.Lock()
	s.queue = append(s.queue, req)
	if s.flushing {
		s.gmu.Unlock()
		select {
		case err := <-req.done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.flushing = true
	s.gmu.Unlock()
	runtime.Gosched()
	s.gmu.Lock()
	for {
		batch := s.queue
		s.queue = nil
		s.gmu.Unlock()
		err := s.enqueue(ctx, batch)
		for _, r := range batch {
			r.done <- err
		}
		s.gmu.Lock()
		if len(s.queue) == 0 {
			s.flushing = false
			s.gmu.Unlock()
			return <-req.done
		}
	}
}

// enqueueReq is one event waiting for its group's commit.
type enqueueReq struct {
	ev events.Event
	// at is when the event arrived: it was committed before, so a read of
	// the endpoints begun after it sees every endpoint the event must go
	// to.
	at   time.Time
	done chan error
}

// enqueue writes the deliveries of a group of events in one statement.
func (s *Service) enqueue(ctx context.Context, batch []*enqueueReq) error {
	now := s.cfg.Now().UTC()
	arrived := map[tenant.CompanyID]time.Time{} // the last arrival per company
	for _, r := range batch {
		if r.at.After(arrived[r.ev.CompanyID]) {
			arrived[r.ev.CompanyID] = r.at
		}
	}
	endpoints := map[tenant.CompanyID][]Endpoint{}
	var ds []Delivery
	for _, r := range batch {
		eps, ok := endpoints[r.ev.CompanyID]
		if !ok {
			var err error
			if eps, err = s.endpoints.get(ctx, r.ev.CompanyID, arrived[r.ev.CompanyID], s.store.CompanyEndpoints); err != nil {
				return err
			}
			endpoints[r.ev.CompanyID] = eps
		}
		for _, ep := range eps {
			if !events.MatchAny(ep.Events, r.ev.Type) {
				continue
			}
			d, err := newDelivery(ep, r.ev, now)
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return nil
	}
	// A running dispatcher sends what it may send at once (handOff);
	// without one, everything waits for ProcessDue.
	s.mu.Lock()
	running := s.runCtx != nil
	s.mu.Unlock()
	lease := time.Duration(0)
	if running {
		lease = s.lease()
	}
	if _, err := s.store.EnqueueDeliveries(ctx, ds, lease, s.owner); err != nil {
		return err
	}
	var claimed []Delivery
	waiting := map[int64]bool{} // endpoints with deliveries left for a claim
	for _, d := range ds {
		switch {
		case d.ID == 0: // enqueued before
		case !d.ClaimedUntil.IsZero():
			claimed = append(claimed, d)
		default:
			waiting[d.EndpointID] = true
		}
	}
	s.claims.add(claimed)
	s.handOff(ctx, claimed, waiting)
	return nil
}

// handOff gives the deliveries that EnqueueDeliveries claimed to their
// endpoints' workers, so that they are sent without waiting for a claim:
// a new worker for an idle endpoint, the queue of a busy one. What the
// dispatcher cannot take (it stopped, or the queue is full) is released.
// Endpoints in waiting have deliveries that only a claim can take: their
// workers claim them, or the dispatcher is woken for idle ones.
func (s *Service) handOff(ctx context.Context, claimed []Delivery, waiting map[int64]bool) {
	var release []Delivery
	wake := false
	s.mu.Lock()
	for id, ds := range byEndpoint(claimed) {
		w := s.inflight[id]
		switch {
		case s.runCtx == nil:
			release = append(release, ds...)
		case w == nil:
			s.startWorker(s.runCtx, &s.workers, id, ds)
		case len(w.queued)+len(ds) > s.cfg.BatchSize:
			release = append(release, ds...)
			w.dirty = true
		default:
			w.queued = append(w.queued, ds...)
		}
	}
	for id := range waiting {
		if w := s.inflight[id]; w != nil {
			w.dirty = true
		} else {
			wake = true
		}
	}
	s.mu.Unlock()
	s.release(ctx, release)
	if wake || len(release) > 0 {
		s.Wake()
	}
}

// byEndpoint groups deliveries by endpoint, keeping their order.
func byEndpoint(ds []Delivery) map[int64][]Delivery {
	out := map[int64][]Delivery{}
	for _, d := range ds {
		out[d.EndpointID] = append(out[d.EndpointID], d)
	}
	return out
}

// endpointWork is the state of an endpoint being served: the deliveries
// handed to it while it was busy, and whether it may have due deliveries
// that only a claim can take.
type endpointWork struct {
	queued []Delivery
	dirty  bool
}

// startWorker serves endpoint id, beginning with ds, until it has nothing
// more to send. s.mu must be held.
func (s *Service) startWorker(ctx context.Context, wg *sync.WaitGroup, id int64, ds []Delivery) {
	s.inflight[id] = &endpointWork{}
	wg.Go(func() {
		var ep endpointCopy
		for len(ds) > 0 {
			if err := ep.refresh(ctx, s, ds[0]); err != nil || !ep.Active { // deliveries of inactive endpoints wait
				s.release(ctx, ds)
			} else {
				s.serveEndpoint(ctx, ep.Endpoint, ds)
			}
			ds = s.next(ctx, id)
		}
	})
}

// endpointCopy is a worker's copy of its endpoint (URL, secret, active),
// read again when it is older than endpointCacheTTL or when the service
// changed an endpoint since.
type endpointCopy struct {
	Endpoint
	at  time.Time
	gen uint64
}

func (c *endpointCopy) refresh(ctx context.Context, s *Service, d Delivery) error {
	gen := s.endpoints.generation()
	if !c.at.IsZero() && time.Since(c.at) < endpointCacheTTL && gen == c.gen {
		return nil
	}
	at := time.Now()
	ep, err := s.store.EndpointByID(ctx, d.CompanyID, d.EndpointID)
	if err != nil {
		c.at = time.Time{}
		return err
	}
	*c = endpointCopy{Endpoint: ep, at: at, gen: gen}
	return nil
}

// next returns what endpoint id's worker sends next: the deliveries handed
// to it meanwhile and, if it may have some, those a claim finds due. With
// nothing left it ends the endpoint's turn.
func (s *Service) next(ctx context.Context, id int64) []Delivery {
	for {
		s.mu.Lock()
		w := s.inflight[id]
		ds, dirty := w.queued, w.dirty
		w.queued, w.dirty = nil, false
		if ctx.Err() != nil || (len(ds) == 0 && !dirty) {
			delete(s.inflight, id)
			s.mu.Unlock()
			s.release(ctx, ds)
			return nil
		}
		s.mu.Unlock()
		if dirty {
			more, err := s.store.ClaimDeliveries(ctx, Claim{Now: s.cfg.Now().UTC(), Lease: s.lease(), Owner: s.owner,
				Limit: s.cfg.BatchSize, Endpoint: id})
			s.claims.add(more)
			if err != nil && ctx.Err() == nil {
				s.cfg.Logger.WarnContext(ctx, "webhooks: claiming deliveries failed", "endpoint_id", id, "error", err)
			}
			if len(more) == s.cfg.BatchSize || (len(more) == 0 && len(ds) > 0) {
				// More may be due, or what waits may be behind what was
				// handed over: claim again after this pass.
				s.mu.Lock()
				w.dirty = true
				s.mu.Unlock()
			}
			ds = append(ds, more...)
		}
		if len(ds) > 0 {
			return ds
		}
	}
}

// Wake makes a running dispatcher look for due deliveries now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends due deliveries until ctx is done, then waits for the requests
// in flight and returns nil. While it runs, HandleEvent's deliveries are
// sent at once rather than at the next claim.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.runCtx != nil {
		s.mu.Unlock()
		return errors.New("webhooks: the dispatcher is running already")
	}
	s.runCtx = ctx
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.runCtx = nil // no worker starts after this
		s.mu.Unlock()
		s.workers.Wait()
	}()
	s.workers.Go(func() { s.keepClaims(ctx) })
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	s.prune(ctx)
	for {
		n, err := s.dispatch(ctx, &s.workers)
		if err != nil && ctx.Err() == nil {
			s.cfg.Logger.WarnContext(ctx, "webhooks: claiming deliveries failed", "error", err)
		}
		if n == s.cfg.BatchSize && ctx.Err() == nil {
			continue // a full batch: more may be due
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-poll.C:
		case <-prune.C:
			s.prune(ctx)
		}
	}
}

// prune forgets finished deliveries older than the retention.
func (s *Service) prune(ctx context.Context) {
	if _, err := s.store.PruneDeliveries(ctx, s.cfg.Now().Add(-s.cfg.Retention)); err != nil && ctx.Err() == nil {
		s.cfg.Logger.WarnContext(ctx, "webhooks: pruning the delivery log failed", "error", err)
	}
}

// ProcessDue sends every delivery that is due now and waits for the
// answers; it returns how many deliveries it attempted.
func (s *Service) ProcessDue(ctx context.Context) (int, error) {
	keep, stop := context.WithCancel(ctx)
	defer stop()
	go s.keepClaims(keep)
	var wg sync.WaitGroup
	total := 0
	for {
		n, err := s.dispatch(ctx, &wg)
		total += n
		wg.Wait()
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// dispatch claims a batch of due deliveries of the endpoints that are not
// being served, and starts a worker (in wg) for each of their endpoints.
// The workers of the endpoints being served claim theirs at the end of
// their current pass.
func (s *Service) dispatch(ctx context.Context, wg *sync.WaitGroup) (int, error) {
	s.mu.Lock()
	exclude := make([]int64, 0, len(s.inflight))
	for id, w := range s.inflight {
		exclude = append(exclude, id)
		w.dirty = true
	}
	s.mu.Unlock()
	ds, err := s.store.ClaimDeliveries(ctx, Claim{Now: s.cfg.Now().UTC(), Lease: s.lease(), Owner: s.owner,
		Limit: s.cfg.BatchSize, Exclude: exclude})
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	s.claims.add(ds)
	s.mu.Lock()
	for id, eds := range byEndpoint(ds) {
		if w := s.inflight[id]; w != nil { // a hand-off started it meanwhile
			w.queued = append(w.queued, eds...)
			continue
		}
		s.startWorker(ctx, wg, id, eds)
	}
	s.mu.Unlock()
	return len(ds), nil
}

// serveEndpoint sends one endpoint's claimed deliveries: aggregates
// concurrently (PerEndpoint at a time), each aggregate's in order, stopping
// an aggregate at its first failure. Successes are recorded in batches,
// failures at once; the endpoint stays claimed until all are recorded.
func (s *Service) serveEndpoint(ctx context.Context, ep Endpoint, ds []Delivery) {
	var keys []string
	byKey := map[string][]Delivery{}
	for _, d := range ds {
		if _, ok := byKey[d.AggregateKey]; !ok {
			keys = append(keys, d.AggregateKey)
		}
		byKey[d.AggregateKey] = append(byKey[d.AggregateKey], d)
	}
	rec := &recorder{s: s, ctx: ctx}
	defer rec.flush()
	sem := make(chan struct{}, s.cfg.PerEndpoint)
	var wg sync.WaitGroup
	for _, k := range keys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			queue := byKey[k]
			for i, d := range queue {
				if ctx.Err() != nil || rec.stopped.Load() {
					s.release(ctx, queue[i:])
					return
				}
				r := s.attempt(ctx, ep, d)
				if !r.Succeeded && ctx.Err() != nil {
					// The dispatcher is stopping: the request was cut
					// short, not failed by the receiver. It counts
					// nothing and goes again.
					s.release(ctx, queue[i:])
					return
				}
				rec.add(r)
				if !r.Succeeded {
					s.release(ctx, queue[i+1:])
					return
				}
			}
		})
	}
	wg.Wait()
}

// recordBatch is how many successful attempts are written together.
const recordBatch = 64

// recorder writes the attempt records of one endpoint's pass.
type recorder struct {
	s       *Service
	ctx     context.Context
	mu      sync.Mutex
	buf     []AttemptRecord
	stopped atomic.Bool // the endpoint was disabled: send nothing more
}

// add records r: a failure at once (it may disable the endpoint), a
// success with the next batch.
func (r *recorder) add(rec AttemptRecord) {
	r.mu.Lock()
	r.buf = append(r.buf, rec)
	full := len(r.buf) >= recordBatch || !rec.Succeeded
	r.mu.Unlock()
	if full {
		r.flush()
	}
}

func (r *recorder) flush() {
	r.mu.Lock()
	batch := r.buf
	r.buf = nil
	r.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	disabled, err := r.s.store.RecordAttempts(context.WithoutCancel(r.ctx), batch)
	// Recorded, or left to lapse: either way no longer this dispatcher's.
	r.s.claims.removeRecords(batch)
	if err != nil {
		// Nothing was written: the attempts count no failure, and the
		// deliveries go again, in order, once their claims lapse. The pass
		// stops so that no later delivery overtakes them.
		r.stopped.Store(true)
		r.s.cfg.Logger.ErrorContext(r.ctx, "webhooks: recording attempts failed; the deliveries are sent again after their lease",
			"deliveries", len(batch), "lease", r.s.lease(), "error", err)
		return
	}
	for i, d := range disabled {
		if d {
			r.stopped.Store(true)
			r.s.endpoints.forget(batch[i].Delivery.CompanyID)
			r.s.cfg.Logger.WarnContext(r.ctx, "webhooks: endpoint disabled", "endpoint_id", batch[i].Delivery.EndpointID,
				"company_id", batch[i].Delivery.CompanyID, "reason", cmp.Or(batch[i].Disable, "too many failed attempts in a row"))
		}
	}
}

// release hands claimed but unattempted deliveries back: due now, so that
// they follow the earlier delivery of their aggregate.
func (s *Service) release(ctx context.Context, ds []Delivery) {
	if len(ds) == 0 {
		return
	}
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	err := s.store.ReleaseDeliveries(context.WithoutCancel(ctx), ids, s.cfg.Now().UTC())
	s.claims.remove(ds)
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "webhooks: releasing deliveries failed; they wait for their lease", "error", err)
	}
}

// attemptAndRecord sends d once, records the outcome and returns the
// delivery's new state.
func (s *Service) attemptAndRecord(ctx context.Context, ep Endpoint, d Delivery) (Delivery, error) {
	rec := s.attempt(ctx, ep, d)
	r := &recorder{s: s, ctx: ctx}
	r.add(rec)
	r.flush()
	return rec.Delivery, nil
}

// attempt sends one request and works out the delivery's next state.
func (s *Service) attempt(ctx context.Context, ep Endpoint, d Delivery) AttemptRecord {
	start := s.cfg.Now().UTC()
	rec := AttemptRecord{Delivery: d, DisableAfter: s.cfg.DisableAfter, Now: start,
		Attempt: Attempt{CompanyID: d.CompanyID, EndpointID: d.EndpointID, DeliveryID: d.ID, At: start}}
	stopwatch := time.Now() // latency is measured, not read from the injected clock
	status, body, retryAfter, err := s.send(ctx, ep, d)
	rec.Attempt.LatencyMS = int(time.Since(stopwatch).Milliseconds())
	rec.Attempt.StatusCode, rec.Attempt.Response = status, body
	nd := &rec.Delivery
	nd.Attempts++
	nd.LastStatusCode = status
	nd.UpdatedAt = s.cfg.Now().UTC()
	switch {
	case err == nil && status >= 200 && status < 300:
		rec.Succeeded = true
		nd.Status, nd.LastError, nd.DeliveredAt = StatusSucceeded, "", nd.UpdatedAt
		nd.NextAttemptAt, nd.ClaimedUntil = time.Time{}, time.Time{}
		return rec
	case err != nil:
		rec.Attempt.Error = err.Error()
	case status == http.StatusGone:
		rec.Attempt.Error = "410 Gone: the receiver asked to stop; endpoint disabled"
		rec.Disable = "the endpoint answered 410 Gone"
	case status >= 300 && status < 400:
		rec.Attempt.Error = fmt.Sprintf("redirect %d to %q not followed", status, body)
	default:
		rec.Attempt.Error = fmt.Sprintf("status %d", status)
	}
	nd.LastError = rec.Attempt.Error
	nd.ClaimedUntil = time.Time{}
	idx := nd.Attempts - 1
	switch {
	case rec.Disable != "", errors.Is(err, ErrAddressRefused), idx >= len(s.cfg.Schedule):
		nd.Status, nd.NextAttemptAt = StatusFailed, time.Time{}
	default:
		wait := s.cfg.Schedule[idx]
		wait += time.Duration(rand.Float64() * s.cfg.Jitter * float64(wait))
		if retryAfter > wait {
			wait = min(retryAfter, 24*time.Hour)
		}
		nd.Status, nd.NextAttemptAt = StatusPending, nd.UpdatedAt.Add(wait)
	}
	if rec.Disable != "" || rec.DisableAfter > 0 {
		reason := rec.Disable
		if reason == "" {
			reason = fmt.Sprintf("failing for %v without a success", rec.DisableAfter)
		}
		rec.Disabled, _ = events.New(DisabledEventType, ep.CompanyID, "webhook_endpoint", ep.ID, tenant.System(), nd.UpdatedAt,
			map[string]any{"endpoint_id": ep.ID, "url": ep.URL, "reason": reason})
	}
	return rec
}

// send makes the signed request. It returns the status, the start of the
// body (for redirects, the Location), the Retry-After wait for 429 and 503,
// and a transport error.
func (s *Service) send(ctx context.Context, ep Endpoint, d Delivery) (int, string, time.Duration, error) {
	now := s.cfg.Now()
	ts := now.Unix()
	body := d.Body()
	sig, err := Sign(ep.Secret, d.EventID, ts, body)
	if err != nil {
		return 0, "", 0, err
	}
	if ep.PreviousSecret != "" && now.Before(ep.PreviousSecretUntil) { // rotation grace: both sign
		old, err := Sign(ep.PreviousSecret, d.EventID, ts, body)
		if err != nil {
			return 0, "", 0, err
		}
		sig += " " + old
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "", 0, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Boladao-Webhooks/1")
	req.Header.Set("webhook-id", d.EventID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := s.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrAddressRefused) {
			return 0, "", 0, fmt.Errorf("%w (at delivery, after DNS resolution)", ErrAddressRefused)
		}
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return 0, "", 0, fmt.Errorf("timed out after %v", s.cfg.Timeout)
		}
		return 0, "", 0, cleanErr(err)
	}
	defer resp.Body.Close()
	buf, _ := io.ReadAll(io.LimitReader(resp.Body, int64(s.cfg.MaxResponse)))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	answer := strings.ToValidUTF8(string(buf), "?")
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		answer = resp.Header.Get("Location")
	}
	var retryAfter time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), s.cfg.Now())
	}
	return resp.StatusCode, answer, retryAfter, nil
}

// parseRetryAfter reads seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// cleanErr drops the request URL (which may carry tokens) from a client
// error.
func cleanErr(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap()
	}
	return err
}
