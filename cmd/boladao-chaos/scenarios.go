package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// result is one scenario's outcome.
type result struct {
	name string
	took time.Duration
	// acked writes; lost (missing or changed); duplicates (numbers,
	// serials, order sequences); phantom events (of writes that do not
	// exist, or deliveries of events that do not exist).
	acked, lost, duplicates, phantom int
	// delivered/expected webhook events (expected < 0: not measured).
	delivered, expected int
	// recovery is the scenario's recovery time (see its notes).
	recovery time.Duration
	// violations are the broken invariants; notes the other figures.
	violations []string
	notes      []string
	err        error
}

func (r *result) ok() bool { return r.err == nil && len(r.violations) == 0 }

func (r *result) violate(format string, args ...any) {
	r.violations = append(r.violations, fmt.Sprintf(format, args...))
}

func (r *result) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// line is the scenario's one-line summary.
func (r *result) line() string {
	status := "PASS"
	if !r.ok() {
		status = "FAIL"
	}
	delivered := "n/a"
	if r.expected >= 0 {
		delivered = fmt.Sprintf("%d/%d", r.delivered, r.expected)
	}
	s := fmt.Sprintf("chaos: %-26s %s  acked=%d lost=%d duplicates=%d phantom=%d delivered=%s recovery=%v  [%v]",
		r.name, status, r.acked, r.lost, r.duplicates, r.phantom, delivered, r.recovery.Round(time.Millisecond), r.took.Round(time.Second))
	if r.err != nil {
		s += "\n        error: " + r.err.Error()
	}
	for _, v := range r.violations {
		s += "\n        violated: " + v
	}
	return s
}

// scenario is one runnable scenario.
type scenario struct {
	name string
	run  func(ctx context.Context) result
}

// scenarios expands a scenario name into its runs.
func (h *harness) scenarios(name string) []scenario {
	one := func(n string, f func(context.Context, string) result, kind string) scenario {
		return scenario{name: n, run: func(ctx context.Context) result { return f(ctx, kind) }}
	}
	var out []scenario
	switch name {
	case "kill9":
		for _, kind := range h.cfg.dbs {
			out = append(out, one("kill9/"+kind, h.kill9, kind))
		}
	case "webhooks":
		out = append(out, one("webhooks/"+h.cfg.dbs[0], h.webhooks, h.cfg.dbs[0]))
	case "pgcut":
		if slices.Contains(h.cfg.dbs, "postgres") {
			out = append(out, one("pgcut/postgres", h.pgcut, "postgres"))
		}
	case "twoinstance":
		if !slices.Contains(h.cfg.dbs, "postgres") {
			break
		}
		n := "twoinstance/postgres"
		if h.cfg.nats != "" {
			n += "+nats"
		}
		out = append(out, one(n, h.twoInstances, "postgres"))
	case "soak":
		out = append(out, one("soak/"+h.cfg.dbs[0], h.soak, h.cfg.dbs[0]))
	case "sigterm":
		for _, kind := range h.cfg.dbs {
			out = append(out, one("sigterm/"+kind, h.sigterm, kind))
		}
	}
	return out
}

// env is a database, one server on it and a company with agents.
type env struct {
	db     *database
	srv    *server
	a      *api
	co     *company
	secret string
}

// newEnv creates a database of kind, starts a server on it and sets up a
// company with cfg.workers agents. cleanup stops the server and drops the
// database.
func (h *harness) newEnv(ctx context.Context, kind string, extra ...string) (e *env, cleanup func(), err error) {
	e = &env{a: newAPI(), secret: newSecret()}
	if e.db, err = h.newDatabase(ctx, kind); err != nil {
		return nil, nil, err
	}
	cleanup = func() {
		if e.srv != nil {
			e.srv.kill()
		}
		if err := e.db.drop(); err != nil {
			h.logf("dropping %s: %v", e.db.name(), err)
		}
	}
	if e.srv, err = h.newServer(e.db, e.secret, extra...); err != nil {
		cleanup()
		return nil, nil, err
	}
	if _, err = e.srv.start(ctx); err != nil {
		cleanup()
		return nil, nil, err
	}
	if e.co, err = e.a.setupCompany(ctx, e.srv.base(), "Chaos "+kind, h.cfg.workers); err != nil {
		cleanup()
		return nil, nil, err
	}
	return e, cleanup, nil
}

// pause waits d unless ctx ends first: it paces the faults, it waits for
// nothing.
func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// applyStore turns the stored data's checks into figures and violations.
func (r *result) applyStore(c storeChecks) {
	r.acked += c.acked
	r.lost += c.lost + c.changed
	r.duplicates += c.duplicates
	r.phantom += c.phantom
	if c.lost > 0 {
		r.violate("%d acknowledged writes missing", c.lost)
	}
	if c.changed > 0 {
		r.violate("%d acknowledged writes changed", c.changed)
	}
	if c.duplicates > 0 {
		r.violate("%d duplicate ticket numbers, serials or service order numbers", c.duplicates)
	}
	if c.gaps > 0 {
		r.violate("%d gaps in service order numbers", c.gaps)
	}
	if c.phantom > 0 {
		r.violate("%d events of writes that do not exist", c.phantom)
	}
	if c.noEvent > 0 {
		r.violate("%d acknowledged writes without their event", c.noEvent)
	}
	if c.integrity != "" {
		r.note("SQLite integrity_check: %s", c.integrity)
		if c.integrity != "ok" {
			r.violate("SQLite integrity_check: %s", c.integrity)
		}
	}
}

// applyDeliveries turns an endpoint's delivery checks into figures and
// violations; once makes a second delivery of an event a violation.
func (r *result) applyDeliveries(endpoint string, d deliveryChecks, once bool) {
	if r.expected < 0 {
		r.expected = 0
	}
	r.delivered += d.delivered
	r.expected += d.expected
	r.note("endpoint %s: delivered %d/%d, redelivered %d, out of order %d aggregates, not expected %d",
		endpoint, d.delivered, d.expected, d.duplicates, d.outOfOrder, d.extra)
	if d.delivered < d.expected {
		r.violate("endpoint %s: %d of %d events never delivered", endpoint, d.expected-d.delivered, d.expected)
	}
	if d.outOfOrder > 0 {
		r.violate("endpoint %s: %d aggregates got their events out of order, e.g. %s", endpoint, d.outOfOrder, d.example)
	}
	if once && d.duplicates > 0 {
		r.duplicates += d.duplicates
		r.violate("endpoint %s: %d events delivered more than once", endpoint, d.duplicates)
	}
}

// phantomDeliveries counts accepted event IDs that no outbox row has.
func phantomDeliveries(accepted map[string]int, all []outboxRow) int {
	known := map[string]bool{}
	for _, e := range all {
		known[e.id] = true
	}
	n := 0
	for id := range accepted {
		if !known[id] {
			n++
		}
	}
	return n
}

// awaitDeliveries polls until every event of the company matching the
// endpoints' patterns (and after boundary, a seq) was accepted by each
// endpoint, or timeout; it returns the time it took.
func awaitDeliveries(ctx context.Context, db *database, co int64, rcv *receiver, timeout time.Duration, endpoints map[string]int64) (time.Duration, bool) {
	var last time.Time
	return waitFor(ctx, timeout, func() bool {
		if time.Since(last) < time.Second {
			return false // read the outbox once a second at most
		}
		last = time.Now()
		evs, err := outboxOf(ctx, db, co)
		if err != nil {
			return false
		}
		for ep, boundary := range endpoints {
			accepted, _ := rcv.snapshot(ep)
			for _, e := range evs {
				if e.seq > boundary && accepted[e.id] == 0 {
					return false
				}
			}
		}
		return true
	})
}

// expectedAfter filters events to those with seq > boundary.
func expectedAfter(evs []outboxRow, boundary int64) []outboxRow {
	var out []outboxRow
	for _, e := range evs {
		if e.seq > boundary {
			out = append(out, e)
		}
	}
	return out
}

// finish stops srvs with SIGTERM (a non-zero exit is a violation), then
// checks the stored data against l.
func (h *harness) finish(ctx context.Context, r *result, e *env, l *ledger, srvs ...*server) *facts {
	if len(srvs) == 0 {
		srvs = []*server{e.srv}
	}
	for _, s := range srvs {
		code, err := s.term()
		if err != nil || code != 0 {
			r.violate("server exit after SIGTERM: code %d %v", code, err)
		}
	}
	f, err := readFacts(ctx, e.db, e.co.id)
	if err != nil {
		r.err = errors.Join(r.err, err)
		return nil
	}
	r.applyStore(check(l, f))
	return f
}

// kill9 kills the server with SIGKILL during mixed write load, restarts
// it, several times, then checks every acknowledged write, the database's
// integrity, numbering, events and webhook deliveries.
func (h *harness) kill9(ctx context.Context, kind string) (r result) {
	r.expected = -1
	e, cleanup, err := h.newEnv(ctx, kind)
	if err != nil {
		r.err = err
		return r
	}
	defer cleanup()
	rcv, err := newReceiver()
	if err != nil {
		r.err = err
		return r
	}
	defer rcv.close()
	if _, err := e.a.createEndpoint(ctx, e.srv.base(), e.co, rcv.url("a")); err != nil {
		r.err = err
		return r
	}
	l := newLedger()
	ld := &load{a: e.a, c: e.co, l: l, bases: []string{e.srv.base()}, rate: 25, tag: "kill9"}
	var worst time.Duration
	var restartedAt time.Time
	for k := range h.cfg.kills {
		stop := ld.start(ctx)
		pause(ctx, h.cfg.killEvery)
		e.srv.kill()
		stop()
		h.logf("kill %d: %d writes, %d acknowledged (%s)", k+1, l.writes, l.acks, l.failures())
		restartedAt = time.Now()
		took, err := e.srv.start(ctx)
		if err != nil {
			r.violate("restart after kill -9 #%d: %v", k+1, err)
			return r
		}
		worst = max(worst, took)
	}
	r.recovery = worst
	r.note("%d kills; restart to /health 200: worst %v; writes %d, acknowledged %d, failed: %s",
		h.cfg.kills, worst.Round(time.Millisecond), l.writes, l.acks, l.failures())

	// Deliveries resume after the last restart, and everything committed
	// reaches the endpoint.
	evs, err := outboxOf(ctx, e.db, e.co.id)
	if err != nil {
		r.err = err
		return r
	}
	accepted, _ := rcv.snapshot("a")
	pending := 0
	for _, ev := range evs {
		if accepted[ev.id] == 0 {
			pending++
		}
	}
	if pending > 0 {
		var first time.Time
		_, ok := waitFor(ctx, 10*time.Second, func() bool {
			var ok bool
			first, ok = rcv.acceptedSince("a", restartedAt)
			return ok
		})
		if ok {
			r.note("deliveries resumed within %v of the last restart (%d events were pending)",
				first.Sub(restartedAt).Round(time.Millisecond), pending)
		} else {
			r.violate("deliveries did not resume within 10s of the restart (%d events pending)", pending)
		}
	}
	if _, ok := awaitDeliveries(ctx, e.db, e.co.id, rcv, h.cfg.deliver, map[string]int64{"a": 0}); ok {
		r.note("every event delivered %v after the last restart", time.Since(restartedAt).Round(time.Millisecond))
	} else {
		r.note("not every event delivered within %v (-deliver-within) of the last restart", h.cfg.deliver)
	}
	if evs, err = outboxOf(ctx, e.db, e.co.id); err != nil {
		r.err = err
		return r
	}
	accepted, order := rcv.snapshot("a")
	r.applyDeliveries("a", checkDeliveries(evs, accepted, order), false)
	h.deliveryPhantoms(ctx, &r, e, accepted)
	h.finish(ctx, &r, e, l)
	h.checkWebhookIDs(&r, rcv)
	return r
}

// deliveryPhantoms counts accepted events the outbox does not hold.
func (h *harness) deliveryPhantoms(ctx context.Context, r *result, e *env, accepted map[string]int) {
	st, err := e.db.open(ctx)
	if err != nil {
		r.err = errors.Join(r.err, err)
		return
	}
	defer st.Close()
	all, err := readOutbox(ctx, st, e.co.id)
	if err != nil {
		r.err = errors.Join(r.err, err)
		return
	}
	if n := phantomDeliveries(accepted, all); n > 0 {
		r.phantom += n
		r.violate("%d delivered events are not in the outbox", n)
	}
}

// checkWebhookIDs checks that every request carried its event's ID as
// webhook-id.
func (h *harness) checkWebhookIDs(r *result, rcv *receiver) {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	r.note("webhook requests %d, webhook-id different from the event's id: %d", rcv.requests, rcv.mismatched)
	if rcv.mismatched > 0 {
		r.violate("%d webhook requests whose webhook-id is not their event's id", rcv.mismatched)
	}
}

// webhooks takes the receiver down (503, refused connections, timeouts, a
// third of the outage each) under load and brings it back; an endpoint
// disabled during the outage is re-enabled after it.
func (h *harness) webhooks(ctx context.Context, kind string) (r result) {
	r.expected = -1
	e, cleanup, err := h.newEnv(ctx, kind)
	if err != nil {
		r.err = err
		return r
	}
	defer cleanup()
	rcv, err := newReceiver()
	if err != nil {
		r.err = err
		return r
	}
	defer rcv.close()
	epA, err := e.a.createEndpoint(ctx, e.srv.base(), e.co, rcv.url("a"))
	if err != nil {
		r.err = err
		return r
	}
	epB, err := e.a.createEndpoint(ctx, e.srv.base(), e.co, rcv.url("b"))
	if err != nil {
		r.err = err
		return r
	}
	l := newLedger()
	ld := &load{a: e.a, c: e.co, l: l, bases: []string{e.srv.base()}, rate: 5, tag: "webhooks"}
	stop := ld.start(ctx)
	pause(ctx, 5*time.Second)
	if err := e.a.setEndpointActive(ctx, e.srv.base(), e.co, epB, false); err != nil {
		stop()
		r.err = err
		return r
	}
	third := h.cfg.outage / 3
	for _, m := range []string{modeUnavail, modeRefuse, modeHang} {
		h.logf("receiver: %s for %v", m, third)
		if err := rcv.setMode(m); err != nil {
			stop()
			r.err = err
			return r
		}
		pause(ctx, third)
	}
	if err := rcv.setMode(modeOK); err != nil {
		stop()
		r.err = err
		return r
	}
	backAt := time.Now()
	if err := e.a.setEndpointActive(ctx, e.srv.base(), e.co, epB, true); err != nil {
		stop()
		r.err = err
		return r
	}
	pause(ctx, 5*time.Second)
	stop()
	r.note("outage %v (503, refused, timeouts); writes %d, acknowledged %d, failed: %s", h.cfg.outage, l.writes, l.acks, l.failures())
	active, reason, err := e.a.endpointState(ctx, e.srv.base(), e.co, epA)
	if err != nil {
		r.err = err
		return r
	}
	if !active {
		// The dispatcher disabled the endpoint after its failures in a
		// row, as configured: an operator re-enables it once the receiver
		// is back, and it must then get every event.
		r.note("endpoint a was disabled by the dispatcher during the outage (%s); re-enabled now", reason)
		if err := e.a.setEndpointActive(ctx, e.srv.base(), e.co, epA, true); err != nil {
			r.err = err
			return r
		}
	}
	_, ok := awaitDeliveries(ctx, e.db, e.co.id, rcv, h.cfg.deliver, map[string]int64{"a": 0, "b": 0})
	r.recovery = time.Since(backAt)
	if ok {
		r.note("every event delivered to both endpoints %v after the receiver came back", r.recovery.Round(time.Millisecond))
	} else {
		r.note("gave up waiting for deliveries %v after the receiver came back", r.recovery.Round(time.Millisecond))
	}
	evs, err := outboxOf(ctx, e.db, e.co.id)
	if err != nil {
		r.err = err
		return r
	}
	for _, ep := range []string{"a", "b"} {
		accepted, order := rcv.snapshot(ep)
		r.applyDeliveries(ep, checkDeliveries(evs, accepted, order), false)
		h.deliveryPhantoms(ctx, &r, e, accepted)
	}
	h.checkWebhookIDs(&r, rcv)
	h.finish(ctx, &r, e, l)
	return r
}

// pgcut cuts the server's PostgreSQL connections under load, and refuses
// new ones for a while, twice: requests must fail fast with a 503 problem,
// /ready must say so, and the server must recover by itself.
func (h *harness) pgcut(ctx context.Context, kind string) (r result) {
	r.expected = -1
	e, cleanup, err := h.newEnv(ctx, kind)
	if err != nil {
		r.err = err
		return r
	}
	defer cleanup()
	admin, err := h.pgAdmin(ctx)
	if err != nil {
		r.err = err
		return r
	}
	defer admin.Close()
	name := e.db.name()
	l := newLedger()
	ld := &load{a: e.a, c: e.co, l: l, bases: []string{e.srv.base()}, rate: 10, tag: "pgcut"}
	stop := ld.start(ctx)
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	pause(ctx, 3*time.Second)
	const outage = 5 * time.Second
	type window struct{ from, to time.Time }
	var windows []window
	probe := e.co.agents[0].token
	for i := range 2 {
		from := time.Now()
		if _, err := admin.DB().ExecContext(ctx, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS false"); err != nil {
			r.err = err
			return r
		}
		var cut int
		if err := admin.DB().QueryRowContext(ctx,
			"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()", name).Scan(&cut); err != nil {
			r.err = err
			return r
		}
		// During the outage: /ready must report it, every answer must be
		// quick.
		readyDown, slowest := false, time.Duration(0)
		for time.Since(from) < outage {
			rr := e.a.call(ctx, e.srv.base(), "GET", "/ready", "", nil)
			slowest = max(slowest, rr.took)
			if rr.status == 503 {
				readyDown = true
			}
			pause(ctx, 200*time.Millisecond)
		}
		if _, err := admin.DB().ExecContext(ctx, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS true"); err != nil {
			r.err = err
			return r
		}
		to := time.Now()
		windows = append(windows, window{from, to})
		rec, ok := waitFor(ctx, 30*time.Second, func() bool {
			resp := e.a.call(ctx, e.srv.base(), "GET", "/api/helpdesk/tickets?limit=1", probe, nil)
			return resp.ok()
		})
		r.recovery = max(r.recovery, rec)
		r.note("cut %d: %d connections terminated, new ones refused for %v; /ready reported 503: %v (slowest /ready %v); recovered %v after connections were allowed",
			i+1, cut, outage, readyDown, slowest.Round(time.Millisecond), rec.Round(time.Millisecond))
		if !readyDown {
			r.violate("cut %d: /ready never reported the database down", i+1)
		}
		if !ok {
			r.violate("cut %d: the server did not recover within 30s", i+1)
		}
		pause(ctx, 2*time.Second)
	}
	stop()
	stop = nil
	// Every write answered during an outage: fast, and a 503 problem when
	// refused.
	l.mu.Lock()
	var during, failed, slow, not503 int
	var slowest time.Duration
	statuses := map[int]int{}
	for _, s := range l.samples {
		in := false
		for _, w := range windows {
			if !s.start.Before(w.from) && s.start.Before(w.to) {
				in = true
			}
		}
		if !in {
			continue
		}
		during++
		slowest = max(slowest, s.took)
		if s.took >= 5*time.Second {
			slow++
		}
		if s.status >= 200 && s.status < 300 {
			continue
		}
		failed++
		statuses[s.status]++
		if s.status != 503 || !s.problem {
			not503++
		}
	}
	for code, ex := range l.examples {
		if code != 503 {
			r.note("first %d answer: %s", code, ex)
		}
	}
	l.mu.Unlock()
	r.note("writes during the outages %d: refused %d %v (status → count; 0 is no answer), slowest %v; in all: %d writes, %s",
		during, failed, statuses, slowest.Round(time.Millisecond), l.writes, l.failures())
	if slow > 0 {
		r.violate("%d requests took 5s or more during an outage (no hang allowed)", slow)
	}
	if not503 > 0 {
		r.violate("%d requests refused during an outage with something else than a 503 problem", not503)
	}
	h.finish(ctx, &r, e, l)
	return r
}

// twoInstances runs two servers on one PostgreSQL database (and one NATS
// stream with -nats): numbering, webhook deliveries (once per endpoint,
// including events committed right after an endpoint was created on the
// other instance) and an Idempotency-Key sent to both at once.
func (h *harness) twoInstances(ctx context.Context, kind string) (r result) {
	r.expected = -1
	var extra []string
	stream := ""
	if h.cfg.nats != "" {
		stream = strings.ToUpper(h.name("CHAOS"))
		extra = append(extra, "BOLADAO_NATS_URL="+h.cfg.nats, "BOLADAO_NATS_STREAM="+stream,
			"BOLADAO_NATS_SUBJECT_PREFIX="+strings.ToLower(stream))
		defer func() {
			if err := deleteStream(h.cfg.nats, stream); err != nil {
				h.logf("deleting NATS stream %s: %v", stream, err)
			}
		}()
	}
	e, cleanup, err := h.newEnv(ctx, kind, extra...)
	if err != nil {
		r.err = err
		return r
	}
	defer cleanup()
	b, err := h.newServer(e.db, e.secret, extra...)
	if err != nil {
		r.err = err
		return r
	}
	if _, err := b.start(ctx); err != nil {
		r.err = err
		return r
	}
	defer b.kill()
	a := e.srv
	rcv, err := newReceiver()
	if err != nil {
		r.err = err
		return r
	}
	defer rcv.close()
	if _, err := e.a.createEndpoint(ctx, a.base(), e.co, rcv.url("e1")); err != nil {
		r.err = err
		return r
	}
	l := newLedger()
	ld := &load{a: e.a, c: e.co, l: l, bases: []string{a.base(), b.base()}, rate: 10, tag: "two"}
	stop := ld.start(ctx)
	pause(ctx, 3*time.Second)

	// An endpoint created on B, then tickets written at once through A.
	if _, err := e.a.createEndpoint(ctx, b.base(), e.co, rcv.url("e2")); err != nil {
		stop()
		r.err = err
		return r
	}
	boundary, err := maxSeq(ctx, e.db, e.co.id)
	if err != nil {
		stop()
		r.err = err
		return r
	}
	right := 0
	for i := range 10 {
		title := fmt.Sprintf("chaos two right-after %d", i)
		resp := e.a.call(ctx, a.base(), "POST", "/api/helpdesk/tickets", e.co.agents[0].token, map[string]any{"title": title})
		if id := idOf(resp); l.record(resp) && id > 0 {
			l.mu.Lock()
			l.tickets[id] = title
			l.mu.Unlock()
			right++
		}
	}
	r.note("endpoint e2 created on instance B; %d tickets written through A right after", right)

	// One Idempotency-Key sent to both instances at once.
	key := "chaos-" + newSecret()[:16]
	title := "chaos two idempotent " + key
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[int]int{}
	ids := map[int64]bool{}
	for i := range 10 {
		base := a.base()
		if i%2 == 1 {
			base = b.base()
		}
		wg.Go(func() {
			resp := e.a.call(ctx, base, "POST", "/api/helpdesk/tickets", e.co.agents[0].token, map[string]any{"title": title},
				"Idempotency-Key", key)
			mu.Lock()
			defer mu.Unlock()
			answers[resp.status]++
			if id := idOf(resp); resp.ok() && id > 0 {
				ids[id] = true
			}
		})
	}
	wg.Wait()
	pause(ctx, 3*time.Second)
	stop()
	r.note("writes %d, acknowledged %d, failed: %s", l.writes, l.acks, l.failures())

	took, _ := awaitDeliveries(ctx, e.db, e.co.id, rcv, h.cfg.deliver, map[string]int64{"e1": 0, "e2": boundary})
	r.recovery = took
	evs, err := outboxOf(ctx, e.db, e.co.id)
	if err != nil {
		r.err = err
		return r
	}
	for ep, from := range map[string]int64{"e1": 0, "e2": boundary} {
		accepted, order := rcv.snapshot(ep)
		r.applyDeliveries(ep, checkDeliveries(expectedAfter(evs, from), accepted, order), true)
		h.deliveryPhantoms(ctx, &r, e, accepted)
	}
	h.checkWebhookIDs(&r, rcv)
	f := h.finish(ctx, &r, e, l, a, b)
	if f != nil {
		n := 0
		for _, t := range f.tickets {
			if t == title {
				n++
			}
		}
		r.note("Idempotency-Key to both instances ×10: answers %v, tickets created %d, distinct IDs answered %d", answers, n, len(ids))
		if n != 1 || len(ids) > 1 {
			r.violate("one Idempotency-Key sent to both instances created %d tickets (%d distinct IDs answered)", n, len(ids))
		}
	}
	return r
}

// soak offers a steady write rate and reports resident memory and p99 per
// minute.
func (h *harness) soak(ctx context.Context, kind string) (r result) {
	r.expected = -1
	e, cleanup, err := h.newEnv(ctx, kind)
	if err != nil {
		r.err = err
		return r
	}
	defer cleanup()
	l := newLedger()
	ld := &load{a: e.a, c: e.co, l: l, bases: []string{e.srv.base()}, rate: float64(h.cfg.soakRate) / float64(h.cfg.workers), tag: "soak"}
	start := time.Now()
	r.note("minute 0: RSS %.1f MiB (idle, after setup)", float64(e.srv.rssKiB())/1024)
	stop := ld.start(ctx)
	var rss []float64
	minutes := int(h.cfg.soak / time.Minute)
	for m := 1; m <= minutes && ctx.Err() == nil; m++ {
		pause(ctx, time.Until(start.Add(time.Duration(m)*time.Minute)))
		from, to := start.Add(time.Duration(m-1)*time.Minute), start.Add(time.Duration(m)*time.Minute)
		l.mu.Lock()
		var lat []time.Duration
		errs := 0
		for _, s := range l.samples {
			if s.start.Before(from) || !s.start.Before(to) {
				continue
			}
			lat = append(lat, s.took)
			if s.status < 200 || s.status >= 300 {
				errs++
			}
		}
		l.mu.Unlock()
		slices.Sort(lat)
		p99 := time.Duration(0)
		if len(lat) > 0 {
			p99 = lat[min(len(lat)-1, len(lat)*99/100)]
		}
		kib := e.srv.rssKiB()
		rss = append(rss, float64(kib)/1024)
		r.note("minute %d: %d writes (%.1f/s), errors %d, p99 %v, RSS %.1f MiB", m, len(lat), float64(len(lat))/60, errs, p99.Round(100*time.Microsecond), float64(kib)/1024)
		h.logf("soak minute %d: p99 %v RSS %.1f MiB", m, p99, float64(kib)/1024)
	}
	stop()
	if len(rss) >= 3 {
		mid := len(rss) / 2
		r.note("RSS first minute %.1f MiB, middle %.1f MiB, last %.1f MiB: %+.1f MiB in the first half, %+.1f MiB in the second",
			rss[0], rss[mid], rss[len(rss)-1], rss[mid]-rss[0], rss[len(rss)-1]-rss[mid])
	}
	if fails := l.writes - l.acks; fails > 0 {
		r.violate("%d writes failed under a steady load (%s)", fails, l.failures())
	}
	h.finish(ctx, &r, e, l)
	return r
}

// sigterm sends SIGTERM under load: the server must exit 0, and every
// request it accepted must finish (a write that committed but whose answer
// never came is an in-flight request cut).
func (h *harness) sigterm(ctx context.Context, kind string) (r result) {
	r.expected = -1
	e, cleanup, err := h.newEnv(ctx, kind)
	if err != nil {
		r.err = err
		return r
	}
	defer cleanup()
	l := newLedger()
	ld := &load{a: e.a, c: e.co, l: l, bases: []string{e.srv.base()}, rate: 40, tag: "sigterm"}
	stop := ld.start(ctx)
	pause(ctx, 3*time.Second)
	termAt := time.Now()
	code, err := e.srv.term()
	r.recovery = time.Since(termAt) // time to drain and exit
	stop()
	if err != nil || code != 0 {
		r.violate("exit after SIGTERM: code %d %v", code, err)
	}
	l.mu.Lock()
	inflight, answered := 0, 0
	for _, s := range l.samples {
		if s.start.Before(termAt) && s.start.Add(s.took).After(termAt) {
			inflight++
			if s.status != 0 {
				answered++
			}
		}
	}
	var unknown []unknownWrite
	for _, u := range l.unknown {
		if u.start.Before(termAt) {
			unknown = append(unknown, u)
		}
	}
	l.mu.Unlock()
	r.note("in flight at SIGTERM %d, answered %d; exited %v after the signal; writes %d, acknowledged %d, failed: %s",
		inflight, answered, r.recovery.Round(time.Millisecond), l.writes, l.acks, l.failures())
	f, err := readFacts(ctx, e.db, e.co.id)
	if err != nil {
		r.err = err
		return r
	}
	r.applyStore(check(l, f))
	titles := map[string]bool{}
	for _, t := range f.tickets {
		titles[t] = true
	}
	cut := 0
	for _, u := range unknown {
		if titles[u.title] {
			cut++
			h.logf("cut after commit: %s (%s)", u.title, u.err)
		}
	}
	r.note("ticket creations sent before SIGTERM without an answer: %d, of which committed: %d", len(unknown), cut)
	if cut > 0 {
		r.violate("%d requests committed their write but their answer was cut by the shutdown", cut)
	}
	return r
}
