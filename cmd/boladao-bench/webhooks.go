package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk"
)

// webhookScenarioName is the outbox → webhook scenario's line.
const webhookScenarioName = "event → webhook (end to end)"

// webhookRateScenarioName is the line of the same path at a fixed rate.
func webhookRateScenarioName(rate int) string {
	return fmt.Sprintf("event → webhook at %d/s (open loop)", rate)
}

// pacedWorkers is how many workers offer the fixed rate: enough that each
// has rate/pacedWorkers ops a second, and an op may take that long before
// the worker falls behind (which counts as latency).
const pacedWorkers = 512

// webhookBaselineName is the raw baseline's line.
const webhookBaselineName = "bun.RunInTx outbox row, then a signed POST by the worker"

// webhookMaxP99 is the end-to-end latency target of a delivery.
const webhookMaxP99 = 250 * time.Millisecond

// loopbackWebhooks lets the desk deliver to the local receiver.
var loopbackWebhooks = helpdesk.WithWebhookConfig(webhooks.Config{
	AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, BatchSize: 500, PerEndpoint: 8})

// receiver is a local webhook receiver: it checks each signature and
// wakes whoever waits for that event.
type receiver struct {
	srv     *server
	secret  string
	mu      sync.Mutex
	waiting map[string]chan struct{}
}

func (r *receiver) arrived(id string) chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.waiting[id]
	if !ok {
		ch = make(chan struct{})
		r.waiting[id] = ch
	}
	return ch
}

func (r *receiver) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.waiting, id)
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id := req.Header.Get("webhook-id")
	ts, _ := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
	if err := webhooks.Verify(r.secret, id, ts, body, req.Header.Get("webhook-signature")); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ch := r.arrived(id)
	r.mu.Lock()
	select {
	case <-ch:
	default:
		close(ch)
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// wait blocks until event id arrived.
func (r *receiver) wait(ctx context.Context, id string) error {
	defer r.forget(id)
	select {
	case <-r.arrived(id):
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("event %s did not arrive within 30s", id)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// webhookScenarios measure an event from its commit to a local receiver
// (one unit of work writes it; the relay hands it to the bus, the webhook
// service enqueues, signs and POSTs it) against its raw baseline: the same
// outbox row written by bun.RunInTx, then signed and POSTed by the worker
// itself. Each op waits for the receiver, so its latency is end to end.
// The first scenario runs the clients closed loop; the second offers
// cfg.webhookRate events a second on a schedule (open loop): on
// PostgreSQL, its targets are that throughput with the latency target.
func webhookScenarios(ctx context.Context, e *env, cfg config) []scenarioResult {
	closed := scenarioResult{name: webhookScenarioName, maxP99: webhookMaxP99}
	paced := scenarioResult{name: webhookRateScenarioName(cfg.webhookRate)}
	if cfg.db == "postgres" { // the rate is a target on PostgreSQL (with NOTIFY) only
		paced.maxP99, paced.minOpsPerSec = webhookMaxP99, pacedRateShare*float64(cfg.webhookRate)
	}
	out := []scenarioResult{closed}
	if cfg.webhookRate > 0 {
		out = append(out, paced)
	}
	fail := func(err error) []scenarioResult {
		for i := range out {
			out[i].real = loadResult{errors: 1, samples: []string{err.Error()}}
		}
		return out
	}
	rcv := &receiver{waiting: map[string]chan struct{}{}}
	srv, err := startServer(rcv)
	if err != nil {
		return fail(err)
	}
	defer srv.close()
	rcv.srv = srv
	actor := e.admin.Actor()
	ep, err := e.desk.Webhooks.CreateEndpoint(ctx, actor, webhooks.EndpointInput{URL: srv.url + "/hook", Events: []string{"custom.*"}})
	if err != nil {
		return fail(fmt.Errorf("creating the endpoint: %w", err))
	}
	rcv.secret = ep.Secret
	defer func() { _ = e.desk.Webhooks.DeleteEndpoint(context.WithoutCancel(ctx), actor, ep.ID) }()
	// The earlier scenarios left events behind: relay them first, so that
	// the measured window carries this scenario's events only.
	if _, err := e.desk.Relay().Drain(ctx); err != nil {
		return fail(fmt.Errorf("draining the outbox: %w", err))
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.desk.Run(runCtx) }()
	defer func() { stop(); <-done }()

	pairs := func(n int) ([]op, []op) {
		ops, raw := make([]op, n), make([]op, n)
		for i := range n {
			ops[i] = publishOp(e, rcv, i)
			raw[i] = rawDeliverOp(e, rcv, ep.Secret, srv.url+"/hook", i)
		}
		return ops, raw
	}
	ops, raw := pairs(cfg.clients)
	out[0].real, out[0].raw = measurePair(ctx, ops, raw, cfg.duration)
	if cfg.webhookRate > 0 {
		ops, raw = pairs(pacedWorkers)
		out[1].real, out[1].raw = measurePairAt(ctx, ops, raw, cfg.duration, float64(cfg.webhookRate))
	}
	return out
}

// pacedRateShare is the share of the offered rate that a paced run must
// complete a second: its elapsed time includes the ops still in flight at
// the end of each round.
const pacedRateShare = 0.95

// publishOp publishes a custom event through the desk and waits for it.
func publishOp(e *env, rcv *receiver, worker int) op {
	actor := e.admin.Actor()
	n := 0
	return func(ctx context.Context) error {
		n++
		ev, err := e.desk.PublishCustom(ctx, actor, helpdesk.CustomEvent{Type: "custom.bench",
			AggregateID: strconv.Itoa(worker), Data: json.RawMessage(`{"n":` + strconv.Itoa(n) + `}`)})
		if err != nil {
			return err
		}
		return rcv.wait(ctx, ev.ID)
	}
}

// rawDeliverOp writes the outbox row with bun.RunInTx, then signs and
// POSTs the event itself: the floor of the scenario.
func rawDeliverOp(e *env, rcv *receiver, secret, url string, worker int) op {
	db := e.store.DB()
	client := newClient(1)
	company, user := int64(e.admin.CompanyID), int64(e.admin.ID)
	n := 0
	return func(ctx context.Context) error {
		n++
		now := time.Now().UTC().Truncate(time.Microsecond)
		ev := events.Event{ID: events.NewID(now), Type: "custom.bench_raw", CompanyID: e.admin.CompanyID, AggregateType: "custom",
			AggregateID: strconv.Itoa(worker), OccurredAt: now, ActorUserID: e.admin.ID, Data: json.RawMessage(`{"n":` + strconv.Itoa(n) + `}`)}
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, type, company_id, aggregate_type, aggregate_id, occurred_at, actor_user_id, data, delivered_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, ev.ID, ev.Type, company, ev.AggregateType, ev.AggregateID, now, user, string(ev.Data), now)
			return err
		})
		if err != nil {
			return fmt.Errorf("inserting the outbox row: %w", err)
		}
		body, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		ts := time.Now().Unix()
		sig, err := webhooks.Sign(secret, ev.ID, ts, body)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("webhook-id", ev.ID)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("webhook-signature", sig)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("receiver answered %d", resp.StatusCode)
		}
		rcv.forget(ev.ID)
		return nil
	}
}
