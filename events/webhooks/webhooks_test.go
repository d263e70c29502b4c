package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/storage/memory"
)

func TestSignKnownAnswerVector(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/standard-webhooks-vector.json")
	require.NoError(t, err)
	var v struct {
		Secret, ID, Body, Signature string
		Timestamp                   int64
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	sig, err := webhooks.Sign(v.Secret, v.ID, v.Timestamp, []byte(v.Body))
	require.NoError(t, err)
	require.Equal(t, v.Signature, sig)
	require.NoError(t, webhooks.Verify(v.Secret, v.ID, v.Timestamp, []byte(v.Body), "v1,bogus "+sig))
	require.Error(t, webhooks.Verify(v.Secret, v.ID, v.Timestamp+1, []byte(v.Body), sig))
	_, err = webhooks.Sign("whsec_!!!", v.ID, v.Timestamp, nil)
	require.Error(t, err)

	// The reference library agrees.
	wh, err := standardwebhooks.NewWebhook(v.Secret)
	require.NoError(t, err)
	ref, err := wh.Sign(v.ID, time.Unix(v.Timestamp, 0), []byte(v.Body))
	require.NoError(t, err)
	require.Equal(t, v.Signature, ref)
}

func TestParseScheduleAndCIDRs(t *testing.T) {
	t.Parallel()
	s, err := webhooks.ParseSchedule("1s, 1s,1s")
	require.NoError(t, err)
	require.Equal(t, []time.Duration{time.Second, time.Second, time.Second}, s)
	for _, bad := range []string{"", "1x", "-1s", "0s"} {
		_, err := webhooks.ParseSchedule(bad)
		require.Error(t, err, bad)
	}
	p, err := webhooks.ParseCIDRs("127.0.0.0/8, ::1/128")
	require.NoError(t, err)
	require.Len(t, p, 2)
	_, err = webhooks.ParseCIDRs("127.0.0.1")
	require.Error(t, err)
}

// clock is a settable clock that starts at the real time.
type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) advance(d time.Duration) { c.off.Add(int64(d)) }

// receiver is a local webhook receiver that verifies every request with
// the Standard Webhooks reference library.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	got    []received
	answer func(n int, w http.ResponseWriter)
	// skewed is set when the test's clock runs ahead of the real one, so
	// that the age of webhook-timestamp cannot be checked.
	skewed bool
}

type received struct {
	id, timestamp string
	event         events.Event
	sequence      int64
	verified      error
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		var ev events.Event
		_ = json.Unmarshal(body, &ev)
		var seq struct {
			Sequence int64 `json:"sequence"`
		}
		_ = json.Unmarshal(body, &seq)
		rec := received{id: req.Header.Get("webhook-id"), timestamp: req.Header.Get("webhook-timestamp"), event: ev,
			sequence: seq.Sequence}
		if r.secret != "" {
			wh, err := standardwebhooks.NewWebhook(r.secret)
			if err == nil && r.skewed {
				err = wh.VerifyIgnoringTimestamp(body, req.Header)
			} else if err == nil {
				err = wh.Verify(body, req.Header)
			}
			rec.verified = err
		}
		r.got = append(r.got, rec)
		n := len(r.got)
		answer := r.answer
		r.mu.Unlock()
		if answer != nil {
			answer(n, w)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

type fixture struct {
	store *memory.Store
	svc   *webhooks.Service
	clock *clock
	admin tenant.Actor
	other tenant.Actor
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func newFixture(t *testing.T, cfg webhooks.Config) *fixture {
	t.Helper()
	f := &fixture{store: memory.New(), clock: &clock{}}
	if cfg.AllowCIDRs == nil {
		cfg.AllowCIDRs = loopback
	}
	if cfg.Schedule == nil {
		cfg.Schedule = []time.Duration{time.Second, time.Second, time.Second}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	cfg.Now = f.clock.now
	cfg.Logger = slog.New(slog.DiscardHandler)
	svc, err := webhooks.NewService(f.store.Webhooks(), cfg)
	require.NoError(t, err)
	f.svc = svc
	dir, err := directory.NewService(f.store.Directory(), directory.WithBcryptCost(4))
	require.NoError(t, err)
	for i, a := range []*tenant.Actor{&f.admin, &f.other} {
		co, err := dir.CreateCompany(t.Context(), tenant.System(), directory.CompanyInput{Name: []string{"Acme", "Beta"}[i]})
		require.NoError(t, err)
		*a = tenant.Actor{CompanyID: co.ID, UserID: 1, Role: tenant.RoleAdmin}
	}
	return f
}

func (f *fixture) endpoint(t *testing.T, r *receiver, patterns ...string) webhooks.Endpoint {
	t.Helper()
	if len(patterns) == 0 {
		patterns = []string{"ticket.*"}
	}
	ep, err := f.svc.CreateEndpoint(t.Context(), f.admin, webhooks.EndpointInput{URL: r.srv.URL + "/hook", Events: patterns})
	require.NoError(t, err)
	require.Contains(t, ep.Secret, webhooks.SecretPrefix)
	r.mu.Lock()
	r.secret = ep.Secret
	r.mu.Unlock()
	return ep
}

func (f *fixture) event(t *testing.T, typ, agg string, n int) events.Event {
	t.Helper()
	ev, err := events.New(typ, f.admin.CompanyID, "ticket", agg, f.admin, f.clock.now(), map[string]any{"n": n})
	require.NoError(t, err)
	require.NoError(t, f.svc.HandleEvent(t.Context(), ev))
	return ev
}

func (f *fixture) process(t *testing.T) int {
	t.Helper()
	n, err := f.svc.ProcessDue(t.Context())
	require.NoError(t, err)
	return n
}

func TestDeliveriesAreSignedFilteredAndLogged(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{})
	r := newReceiver(t)
	ep := f.endpoint(t, r, "ticket.*")
	got, err := f.svc.GetEndpoint(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.Empty(t, got.Secret, "the secret is shown once")

	created := f.event(t, "ticket.created", "1", 0)
	f.event(t, "asset.created", "1", 1) // not subscribed
	require.NoError(t, f.svc.HandleEvent(t.Context(), created), "handing the same event over twice is harmless")
	require.Equal(t, 1, f.process(t))
	recs := r.received()
	require.Len(t, recs, 1)
	require.NoError(t, recs[0].verified)
	require.Equal(t, created.ID, recs[0].id)
	require.Equal(t, created.Type, recs[0].event.Type)
	require.JSONEq(t, string(created.Data), string(recs[0].event.Data))

	page, err := f.svc.ListDeliveries(t.Context(), f.admin, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	d := page.Items[0]
	require.Equal(t, webhooks.StatusSucceeded, d.Status)
	require.Equal(t, 204, d.LastStatusCode)
	attempts, err := f.svc.Attempts(t.Context(), f.admin, ep.ID, d.ID)
	require.NoError(t, err)
	require.Len(t, attempts, 1)
	require.Equal(t, 204, attempts[0].StatusCode)
	st, err := f.svc.Stats(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.Equal(t, 1, st.Succeeded)
	require.InDelta(t, 1.0, st.SuccessRate, 1e-9)
}

func TestRetriesFollowTheScheduleWithTheSameID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{Schedule: []time.Duration{time.Minute, time.Hour}})
	r := newReceiver(t)
	r.skewed = true
	r.answer = func(n int, w http.ResponseWriter) {
		if n < 3 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "oops")
			return
		}
		w.WriteHeader(http.StatusOK)
	}
	ep := f.endpoint(t, r)
	ev := f.event(t, "ticket.created", "1", 0)
	require.Equal(t, 1, f.process(t))
	require.Equal(t, 0, f.process(t), "the retry is not due yet")
	f.clock.advance(67 * time.Second) // the wait plus at most 10% jitter
	require.Equal(t, 1, f.process(t))
	f.clock.advance(67 * time.Minute)
	require.Equal(t, 1, f.process(t))
	recs := r.received()
	require.Len(t, recs, 3)
	for _, rec := range recs {
		require.Equal(t, ev.ID, rec.id, "the same webhook-id on every attempt")
		require.NoError(t, rec.verified)
	}
	require.NotEqual(t, recs[0].timestamp, recs[1].timestamp, "re-signed with a fresh timestamp")
	page, err := f.svc.ListDeliveries(t.Context(), f.admin, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	attempts, err := f.svc.Attempts(t.Context(), f.admin, ep.ID, page.Items[0].ID)
	require.NoError(t, err)
	require.Len(t, attempts, 3)
	require.Equal(t, "oops", attempts[0].Response)
	require.Equal(t, "status 500", attempts[0].Error)
	require.Equal(t, webhooks.StatusSucceeded, page.Items[0].Status)
}

func TestExhaustedDeliveryFailsAndRedeliverSendsAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{Schedule: []time.Duration{time.Second}, Jitter: 0.0001})
	r := newReceiver(t)
	var ok atomic.Bool
	r.answer = func(_ int, w http.ResponseWriter) {
		if ok.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	ep := f.endpoint(t, r)
	ev := f.event(t, "ticket.created", "1", 0)
	f.process(t)
	f.clock.advance(2 * time.Second)
	f.process(t)
	page, err := f.svc.ListDeliveries(t.Context(), f.admin, ep.ID, webhooks.DeliveryFilter{Status: webhooks.StatusFailed}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "two attempts, then failed")
	ok.Store(true)
	_, err = f.svc.Redeliver(t.Context(), f.other, ep.ID, page.Items[0].ID)
	require.ErrorIs(t, err, storage.ErrNotFound, "another company's delivery is missing")
	d, err := f.svc.Redeliver(t.Context(), f.admin, ep.ID, page.Items[0].ID)
	require.NoError(t, err)
	require.Equal(t, webhooks.StatusPending, d.Status)
	require.Equal(t, 1, f.process(t))
	recs := r.received()
	require.Len(t, recs, 3)
	require.Equal(t, ev.ID, recs[2].id)
}

func TestGoneRedirectAndRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{Schedule: []time.Duration{time.Second}})
	gone := newReceiver(t)
	gone.answer = func(int, http.ResponseWriter) {}
	gone.answer = func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusGone) }
	goneEp := f.endpoint(t, gone)
	f.event(t, "ticket.created", "1", 0)
	f.process(t)
	ep, err := f.svc.GetEndpoint(t.Context(), f.admin, goneEp.ID)
	require.NoError(t, err)
	require.False(t, ep.Active, "410 disables the endpoint")
	require.Contains(t, ep.DisabledReason, "410")
	evs, err := f.store.OutboxEvents(t.Context(), events.OutboxQuery{Type: webhooks.DisabledEventType})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	_, err = f.svc.UpdateEndpoint(t.Context(), f.admin, goneEp.ID, 0, webhooks.EndpointPatch{Active: new(bool)})
	require.NoError(t, err)

	target := newReceiver(t)
	redirect := newReceiver(t)
	redirect.answer = func(_ int, w http.ResponseWriter) {
		w.Header().Set("Location", target.srv.URL)
		w.WriteHeader(http.StatusFound)
	}
	redirEp := f.endpoint(t, redirect)
	f.event(t, "ticket.created", "2", 0)
	f.process(t)
	require.Empty(t, target.received(), "redirects are not followed")
	page, err := f.svc.ListDeliveries(t.Context(), f.admin, redirEp.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, webhooks.StatusPending, page.Items[0].Status, "a redirect is a failure")
	require.Equal(t, 302, page.Items[0].LastStatusCode)
	_, err = f.svc.UpdateEndpoint(t.Context(), f.admin, redirEp.ID, 0, webhooks.EndpointPatch{Active: new(bool)})
	require.NoError(t, err)

	busy := newReceiver(t)
	busy.answer = func(_ int, w http.ResponseWriter) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}
	busyEp := f.endpoint(t, busy)
	before := f.clock.now()
	f.event(t, "ticket.created", "3", 0)
	f.process(t)
	page, err = f.svc.ListDeliveries(t.Context(), f.admin, busyEp.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, 429, page.Items[0].LastStatusCode)
	require.GreaterOrEqual(t, page.Items[0].NextAttemptAt.Sub(before), 119*time.Second, "Retry-After wins over a shorter schedule")
}

func TestAutoDisableFollowsTimeAndKeepsTheDeliveriesOfADisabledEndpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{DisableAfter: time.Hour, Schedule: []time.Duration{time.Minute, time.Minute, time.Minute}})
	r := newReceiver(t)
	r.skewed = true
	var down atomic.Bool
	down.Store(true)
	r.answer = func(_ int, w http.ResponseWriter) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	ep := f.endpoint(t, r)
	for i := range 8 {
		f.event(t, "ticket.created", fmt.Sprint("t", i), i)
	}
	require.Equal(t, 8, f.process(t))
	got, err := f.svc.GetEndpoint(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.True(t, got.Active, "eight failures in a row within the hour do not disable")
	require.Equal(t, 8, got.ConsecutiveFailures)

	f.clock.advance(time.Hour + 2*time.Minute)
	require.Equal(t, 8, f.process(t))
	got, err = f.svc.GetEndpoint(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.False(t, got.Active, "failing for the hour disables")
	require.Contains(t, got.DisabledReason, "failing since")
	evs, err := f.store.OutboxEvents(t.Context(), events.OutboxQuery{Type: webhooks.DisabledEventType})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, f.admin.CompanyID, evs[0].CompanyID)

	// Events committed while the endpoint is disabled are kept, held.
	for i := range 8 {
		f.event(t, "ticket.updated", fmt.Sprint("t", i), 10+i)
	}
	f.clock.advance(10 * time.Minute)
	require.Zero(t, f.process(t), "nothing goes to a disabled endpoint")
	st, err := f.svc.Stats(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.Equal(t, 16, st.Pending)
	require.Equal(t, 16, st.Held)

	down.Store(false)
	before := len(r.received())
	active := true
	again, err := f.svc.UpdateEndpoint(t.Context(), f.admin, ep.ID, got.Version, webhooks.EndpointPatch{Active: &active})
	require.NoError(t, err)
	require.True(t, again.Active)
	require.Zero(t, again.ConsecutiveFailures)
	require.Empty(t, again.DisabledReason)
	require.True(t, again.FailingSince.IsZero(), "enabling starts the failure clock afresh")
	require.Equal(t, 16, f.process(t))
	// Each ticket's creation, then its update, numbered 1 and 2.
	seen := map[string][]string{}
	for _, rec := range r.received()[before:] {
		require.NoError(t, rec.verified)
		seen[rec.event.AggregateID] = append(seen[rec.event.AggregateID], fmt.Sprint(rec.event.Type, "#", rec.sequence))
	}
	require.Len(t, seen, 8)
	for agg, got := range seen {
		require.Equal(t, []string{"ticket.created#1", "ticket.updated#2"}, got, agg)
	}
	page, err := f.svc.ListDeliveries(t.Context(), f.admin, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	for _, d := range page.Items {
		require.Equal(t, webhooks.StatusSucceeded, d.Status)
		require.True(t, d.NextAttemptAt.IsZero(), "a succeeded delivery has no next attempt")
		raw, err := json.Marshal(d)
		require.NoError(t, err)
		require.NotContains(t, string(raw), "next_attempt_at")
	}
}

func TestFailedDeliveryHoldsItsAggregateUntilRedeliveredOrSkipped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{Schedule: []time.Duration{time.Second}})
	r := newReceiver(t)
	r.skewed = true
	var down atomic.Bool
	down.Store(true)
	r.answer = func(_ int, w http.ResponseWriter) {
		if down.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	ep := f.endpoint(t, r)
	aCreated := f.event(t, "ticket.created", "a", 1)
	bCreated := f.event(t, "ticket.created", "b", 2)
	f.process(t)
	f.clock.advance(2 * time.Second)
	f.process(t) // the second and last attempts fail
	failed, err := f.svc.ListDeliveries(t.Context(), f.admin, ep.ID, webhooks.DeliveryFilter{Status: webhooks.StatusFailed}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, failed.Items, 2)
	down.Store(false)

	aCommented := f.event(t, "ticket.commented", "a", 3)
	bCommented := f.event(t, "ticket.commented", "b", 4)
	f.clock.advance(time.Hour)
	require.Zero(t, f.process(t), "no comment goes before its ticket's creation")
	st, err := f.svc.Stats(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.Equal(t, 2, st.Held)
	pending, err := f.svc.ListDeliveries(t.Context(), f.admin, ep.ID, webhooks.DeliveryFilter{Status: webhooks.StatusPending}, storage.PageRequest{})
	require.NoError(t, err)
	byEvent := map[string]webhooks.Delivery{}
	for _, d := range append(pending.Items, failed.Items...) {
		byEvent[d.EventID] = d
	}
	require.Equal(t, byEvent[aCreated.ID].ID, byEvent[aCommented.ID].BlockedBy)

	_, err = f.svc.Redeliver(t.Context(), f.admin, ep.ID, byEvent[aCreated.ID].ID)
	require.NoError(t, err)
	require.Equal(t, 2, f.process(t))
	skipped, err := f.svc.Skip(t.Context(), f.admin, ep.ID, byEvent[bCreated.ID].ID)
	require.NoError(t, err)
	require.Equal(t, webhooks.StatusSkipped, skipped.Status)
	require.Equal(t, 1, f.process(t))
	var got []string
	for _, rec := range r.received()[4:] {
		got = append(got, fmt.Sprint(rec.id, "#", rec.sequence))
	}
	require.Equal(t, []string{aCreated.ID + "#1", aCommented.ID + "#2", bCommented.ID + "#2"}, got,
		"the redelivered creation before the comment; after the skipped one, the gap shows in the sequence")

	_, err = f.svc.Redeliver(t.Context(), f.admin, ep.ID, skipped.ID)
	require.ErrorIs(t, err, storage.ErrConflict)
	_, err = f.svc.Skip(t.Context(), f.admin, ep.ID, byEvent[aCreated.ID].ID)
	require.ErrorIs(t, err, storage.ErrConflict, "only failed deliveries are skipped")
	_, err = f.svc.Skip(t.Context(), f.other, ep.ID, byEvent[aCreated.ID].ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func TestAddressGuard(t *testing.T) {
	t.Parallel()
	strict := newFixture(t, webhooks.Config{AllowCIDRs: []netip.Prefix{}})
	for _, u := range []string{
		"http://127.0.0.1/x", "http://localhost:8080/x", "http://10.1.2.3/", "http://192.168.0.1/", "http://172.16.5.5/",
		"http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://[fe80::1]/", "http://100.64.0.1/",
		"http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "ftp://example.com/", "http://user:pw@example.com/", "not a url", "",
	} {
		_, err := strict.svc.CreateEndpoint(t.Context(), strict.admin, webhooks.EndpointInput{URL: u, Events: []string{">"}})
		require.ErrorIs(t, err, validation.ErrInvalid, u)
	}
	page, err := strict.svc.ListEndpoints(t.Context(), strict.admin, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, page.Items, "refused endpoints write nothing")

	// An endpoint saved while loopback was allowed is refused at delivery
	// by a dispatcher that does not allow it.
	open := newFixture(t, webhooks.Config{})
	r := newReceiver(t)
	ep := open.endpoint(t, r)
	closed, err := webhooks.NewService(open.store.Webhooks(), webhooks.Config{Now: open.clock.now})
	require.NoError(t, err)
	open.event(t, "ticket.created", "1", 0)
	_, err = closed.ProcessDue(t.Context())
	require.NoError(t, err)
	require.Empty(t, r.received())
	d, err := open.svc.ListDeliveries(t.Context(), open.admin, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, webhooks.StatusFailed, d.Items[0].Status)
	require.Contains(t, d.Items[0].LastError, "refused")
}

func TestSlowEndpointNeverBlocksOthersAndTimesOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{Timeout: 300 * time.Millisecond, PollInterval: 10 * time.Millisecond})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow := newReceiver(t)
	slow.answer = func(_ int, w http.ResponseWriter) {
		select {
		case <-release:
		case <-time.After(2 * time.Second):
		}
	}
	fast := newReceiver(t)
	slowEp := f.endpoint(t, slow)
	f.endpoint(t, fast)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.svc.Run(ctx) }()
	for i := range 20 {
		f.event(t, "ticket.created", string(rune('a'+i)), i)
	}
	require.Eventually(t, func() bool { return len(fast.received()) == 20 }, 5*time.Second, 10*time.Millisecond)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		page, err := f.svc.ListDeliveries(t.Context(), f.admin, slowEp.ID, webhooks.DeliveryFilter{}, storage.PageRequest{Limit: 200})
		assert.NoError(c, err)
		failed := 0
		for _, d := range page.Items {
			if d.Attempts > 0 {
				failed++
				assert.Contains(c, d.LastError, "timed out after 300ms")
			}
		}
		assert.Positive(c, failed)
	}, 5*time.Second, 20*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

func TestEndpointManagement(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{})
	r := newReceiver(t)
	for _, in := range []webhooks.EndpointInput{
		{URL: r.srv.URL, Events: nil},
		{URL: r.srv.URL, Events: []string{"ticket..x"}},
		{URL: r.srv.URL, Events: []string{">"}, Description: string(make([]byte, webhooks.MaxDescription+1))},
	} {
		_, err := f.svc.CreateEndpoint(t.Context(), f.admin, in)
		require.ErrorIs(t, err, validation.ErrInvalid)
	}
	_, err := f.svc.CreateEndpoint(t.Context(), tenant.Actor{CompanyID: f.admin.CompanyID, Role: tenant.RoleAgent},
		webhooks.EndpointInput{URL: r.srv.URL, Events: []string{">"}})
	require.ErrorIs(t, err, tenant.ErrForbidden)

	ep := f.endpoint(t, r, ">")
	for _, call := range []func() error{
		func() error { _, err := f.svc.GetEndpoint(t.Context(), f.other, ep.ID); return err },
		func() error { _, err := f.svc.Stats(t.Context(), f.other, ep.ID); return err },
		func() error { _, err := f.svc.RotateSecret(t.Context(), f.other, ep.ID); return err },
		func() error { _, err := f.svc.SendTest(t.Context(), f.other, ep.ID); return err },
		func() error {
			_, err := f.svc.ListDeliveries(t.Context(), f.other, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
			return err
		},
		func() error {
			_, err := f.svc.UpdateEndpoint(t.Context(), f.other, ep.ID, 0, webhooks.EndpointPatch{})
			return err
		},
		func() error { return f.svc.DeleteEndpoint(t.Context(), f.other, ep.ID) },
	} {
		require.ErrorIs(t, call(), storage.ErrNotFound)
	}

	d, err := f.svc.SendTest(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.Equal(t, webhooks.StatusSucceeded, d.Status)
	recs := r.received()
	require.Len(t, recs, 1)
	require.Equal(t, "webhook.test", recs[0].event.Type)
	require.NoError(t, recs[0].verified)

	rotated, err := f.svc.RotateSecret(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.NotEqual(t, ep.Secret, rotated.Secret)
	require.WithinDuration(t, f.clock.now().Add(24*time.Hour), rotated.PreviousSecretUntil, time.Second, "the old secret signs for a day")
	_, err = f.svc.SendTest(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.NoError(t, r.received()[1].verified, "during the grace period the old secret still verifies")
	r.mu.Lock()
	r.secret = rotated.Secret
	r.mu.Unlock()
	_, err = f.svc.SendTest(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.NoError(t, r.received()[2].verified, "and so does the new one")
	f.clock.advance(24 * time.Hour)
	r.mu.Lock()
	r.secret, r.skewed = ep.Secret, true
	r.mu.Unlock()
	_, err = f.svc.SendTest(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.Error(t, r.received()[3].verified, "after the grace period the old secret no longer verifies")
	r.mu.Lock()
	r.secret = rotated.Secret
	r.mu.Unlock()
	_, err = f.svc.SendTest(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.NoError(t, r.received()[4].verified)

	_, err = f.svc.UpdateEndpoint(t.Context(), f.admin, ep.ID, 1, webhooks.EndpointPatch{})
	require.ErrorIs(t, err, storage.ErrStale)
	desc := "orders"
	upd, err := f.svc.UpdateEndpoint(t.Context(), f.admin, ep.ID, rotated.Version, webhooks.EndpointPatch{Description: &desc})
	require.NoError(t, err)
	require.Equal(t, "orders", upd.Description)
	bad := "http://10.0.0.1/"
	_, err = f.svc.UpdateEndpoint(t.Context(), f.admin, ep.ID, 0, webhooks.EndpointPatch{URL: &bad})
	require.ErrorIs(t, err, validation.ErrInvalid)

	require.NoError(t, f.svc.DeleteEndpoint(t.Context(), f.admin, ep.ID))
	_, err = f.svc.GetEndpoint(t.Context(), f.admin, ep.ID)
	require.True(t, errors.Is(err, storage.ErrNotFound))
}

// countingStore counts the claims of the store it wraps.
type countingStore struct {
	webhooks.Store
	claims atomic.Int64
}

func (s *countingStore) ClaimDeliveries(ctx context.Context, c webhooks.Claim) ([]webhooks.Delivery, error) {
	s.claims.Add(1)
	return s.Store.ClaimDeliveries(ctx, c)
}

// gatedReceiver is a receiver whose request number gated (from 1) waits
// for gate to close before it is answered.
func gatedReceiver(t *testing.T, gated int) (*receiver, chan struct{}) {
	rcv, gate := newReceiver(t), make(chan struct{})
	rcv.answer = func(n int, w http.ResponseWriter) {
		if n == gated {
			<-gate
		}
		w.WriteHeader(http.StatusNoContent)
	}
	return rcv, gate
}

// running runs svc's dispatcher; stop ends it and checks that Run
// returned nil.
func running(t *testing.T, svc *webhooks.Service) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	return func() {
		cancel()
		require.NoError(t, <-done)
	}
}

func TestRunningDispatcherSendsAtOnceAndKeepsOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{})
	store := &countingStore{Store: f.store.Webhooks()}
	// Polls an hour apart: what arrives here is sent at once, or claimed
	// by the busy endpoint's worker.
	svc, err := webhooks.NewService(store, webhooks.Config{AllowCIDRs: loopback, Schedule: []time.Duration{time.Second},
		PollInterval: time.Hour, Now: f.clock.now, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	rcv, gate := gatedReceiver(t, 6)
	ep, err := svc.CreateEndpoint(t.Context(), f.admin, webhooks.EndpointInput{URL: rcv.srv.URL, Events: []string{"ticket.*"}})
	require.NoError(t, err)
	rcv.secret = ep.Secret
	stop := running(t, svc)
	require.Eventually(t, func() bool { return store.claims.Load() == 1 }, time.Second, time.Millisecond, "Run claims once as it starts")
	require.ErrorContains(t, svc.Run(t.Context()), "running already")

	publish := func(agg string, n int) events.Event {
		ev, err := events.New("ticket.updated", f.admin.CompanyID, "ticket", agg, f.admin, f.clock.now(), map[string]any{"n": n})
		require.NoError(t, err)
		require.NoError(t, svc.HandleEvent(t.Context(), ev))
		return ev
	}
	for i := range 5 {
		publish(fmt.Sprint("t", i), i)
	}
	require.Eventually(t, func() bool { return len(rcv.received()) == 5 }, 2*time.Second, time.Millisecond)
	require.EqualValues(t, 1, store.claims.Load(), "events of idle aggregates are sent without a claim")

	// The sixth request hangs: a later event of its aggregate must wait for it
	// (a claim takes it), while another aggregate's event is queued.
	first := publish("a", 6)
	require.Eventually(t, func() bool { return len(rcv.received()) == 6 }, 2*time.Second, time.Millisecond)
	second := publish("a", 7)
	other := publish("b", 8)
	time.Sleep(50 * time.Millisecond)
	require.Len(t, rcv.received(), 6, "nothing passes the request in flight")
	close(gate)
	require.Eventually(t, func() bool { return len(rcv.received()) == 8 }, 2*time.Second, time.Millisecond,
		"the waiting delivery is claimed by the endpoint's worker, not left for the next poll")
	var order []string
	for _, r := range rcv.received()[5:] {
		require.NoError(t, r.verified)
		order = append(order, r.id)
	}
	require.Equal(t, first.ID, order[0])
	require.ElementsMatch(t, []string{second.ID, other.ID}, order[1:])
	stop()
}

func TestEndpointGetsEveryEventHandledAfterItsCreationWhicheverServiceHandlesIt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{})
	// Another instance, sharing the store, with its own view of the
	// endpoints.
	other, err := webhooks.NewService(f.store.Webhooks(), webhooks.Config{AllowCIDRs: loopback, Now: f.clock.now,
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	n := 0
	handle := func(svc *webhooks.Service) {
		t.Helper()
		n++
		ev, err := events.New("ticket.created", f.admin.CompanyID, "ticket", fmt.Sprint(n), f.admin, f.clock.now(), map[string]any{"n": n})
		require.NoError(t, err)
		require.NoError(t, svc.HandleEvent(t.Context(), ev))
	}
	deliveries := func(ep webhooks.Endpoint) int {
		t.Helper()
		page, err := f.svc.ListDeliveries(t.Context(), f.admin, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{Limit: 100})
		require.NoError(t, err)
		return len(page.Items)
	}
	handle(other) // other has read the company's endpoints: none
	ep, err := f.svc.CreateEndpoint(t.Context(), f.admin, webhooks.EndpointInput{URL: "http://127.0.0.1:1/hook", Events: []string{"ticket.*"}})
	require.NoError(t, err)
	handle(other)
	require.Equal(t, 1, deliveries(ep), "the event handled by the other instance right after the creation reaches the endpoint")
	handle(f.svc)
	require.Equal(t, 2, deliveries(ep))

	off := false
	_, err = f.svc.UpdateEndpoint(t.Context(), f.admin, ep.ID, 0, webhooks.EndpointPatch{Active: &off})
	require.NoError(t, err)
	handle(other)
	require.Equal(t, 3, deliveries(ep), "a deactivated endpoint keeps its deliveries, held")
	require.NoError(t, f.svc.DeleteEndpoint(t.Context(), f.admin, ep.ID))
	handle(other) // no endpoint left: nothing to write, no error
}

func TestDeadDispatchersClaimsLapseWithinALeaseAndLiveOnesAreRenewed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{Lease: 3 * time.Second, PollInterval: time.Hour})
	rcv, gate := gatedReceiver(t, 1)
	ep := f.endpoint(t, rcv)
	w := f.store.Webhooks()

	// A dispatcher claims a delivery and dies (kill -9): nothing records
	// or releases it.
	ev := f.event(t, "ticket.created", "dead", 1)
	claimed, err := w.ClaimDeliveries(t.Context(), webhooks.Claim{Now: f.clock.now(), Lease: 3 * time.Second, Owner: "dead", Limit: 10})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	st, err := f.svc.Stats(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	require.Equal(t, 1, st.Claimed)
	require.True(t, st.ClaimedUntil.Equal(claimed[0].ClaimedUntil), "stats show until when the claim holds")
	require.Zero(t, f.process(t), "claimed by the dead dispatcher")
	f.clock.advance(3 * time.Second)
	close(gate)
	require.Equal(t, 1, f.process(t), "another dispatcher sends it once the lease is over")
	require.Equal(t, ev.ID, rcv.received()[0].id)

	// A live dispatcher's claim outlasts its lease while the request is
	// in flight: no other dispatcher sends it meanwhile.
	rcv2, gate2 := gatedReceiver(t, 1)
	ep2, err := f.svc.CreateEndpoint(t.Context(), f.other, webhooks.EndpointInput{URL: rcv2.srv.URL, Events: []string{"ticket.*"}})
	require.NoError(t, err)
	stop := running(t, f.svc)
	ev2, err := events.New("ticket.created", f.other.CompanyID, "ticket", "live", f.other, f.clock.now(), map[string]any{})
	require.NoError(t, err)
	require.NoError(t, f.svc.HandleEvent(t.Context(), ev2))
	require.Eventually(t, func() bool { return len(rcv2.received()) == 1 }, 2*time.Second, time.Millisecond)
	page, err := f.svc.ListDeliveries(t.Context(), f.other, ep2.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	first := page.Items[0].ClaimedUntil
	require.False(t, first.IsZero())
	// Two renewals, at a third of the lease each.
	require.Eventually(t, func() bool {
		d, err := w.DeliveryByID(t.Context(), f.other.CompanyID, ep2.ID, page.Items[0].ID)
		require.NoError(t, err)
		return d.ClaimedUntil.After(first.Add(time.Second))
	}, 5*time.Second, 10*time.Millisecond, "the running dispatcher renews its claim")
	other, err := webhooks.NewService(w, webhooks.Config{AllowCIDRs: loopback, Now: f.clock.now, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	n, err := other.ProcessDue(t.Context())
	require.NoError(t, err)
	require.Zero(t, n, "past its first lease, the claim still holds")
	close(gate2)
	require.Eventually(t, func() bool {
		d, err := w.DeliveryByID(t.Context(), f.other.CompanyID, ep2.ID, page.Items[0].ID)
		require.NoError(t, err)
		return d.Status == webhooks.StatusSucceeded && d.ClaimedUntil.IsZero()
	}, 2*time.Second, time.Millisecond)
	stop()
	require.Len(t, rcv2.received(), 1)
}

// flakyStore fails RecordAttempts while down is set, as a database blip
// would.
type flakyStore struct {
	webhooks.Store
	down atomic.Bool
}

func (s *flakyStore) RecordAttempts(ctx context.Context, recs []webhooks.AttemptRecord) ([]bool, error) {
	if s.down.Load() {
		return nil, errors.New("connection refused")
	}
	return s.Store.RecordAttempts(ctx, recs)
}

func TestFailingToRecordAnAttemptConsumesNoAttemptAndTheClaimLapses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{})
	store := &flakyStore{Store: f.store.Webhooks()}
	lease := 2 * time.Second
	svc, err := webhooks.NewService(store, webhooks.Config{AllowCIDRs: loopback, Now: f.clock.now, Lease: lease,
		Schedule: []time.Duration{time.Second}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	rcv := newReceiver(t)
	rcv.skewed = true
	var fail atomic.Bool
	rcv.answer = func(_ int, w http.ResponseWriter) {
		if fail.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	ep, err := svc.CreateEndpoint(t.Context(), f.admin, webhooks.EndpointInput{URL: rcv.srv.URL, Events: []string{"ticket.*"}})
	require.NoError(t, err)
	for i := range 2 {
		ev, err := events.New("ticket.created", f.admin.CompanyID, "ticket", "1", f.admin, f.clock.now(), map[string]any{"n": i})
		require.NoError(t, err)
		require.NoError(t, svc.HandleEvent(t.Context(), ev))
	}
	store.down.Store(true)
	fail.Store(true)
	n, err := svc.ProcessDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Len(t, rcv.received(), 1, "the pass stops at the failure it could not record")
	store.down.Store(false)
	page, err := svc.ListDeliveries(t.Context(), f.admin, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	for _, d := range page.Items {
		require.Equal(t, webhooks.StatusPending, d.Status)
		require.Zero(t, d.Attempts, "an attempt that was not recorded counts nothing")
	}
	// The last, unrecorded failure would have failed the delivery for
	// good (one retry in the schedule, two attempts): it did not.
	fail.Store(false)
	f.clock.advance(lease)
	n, err = svc.ProcessDue(t.Context())
	require.NoError(t, err)
	require.Equal(t, 2, n)
	got := rcv.received()
	require.Len(t, got, 3)
	require.Equal(t, got[0].id, got[1].id, "sent again, in order")
	page, err = svc.ListDeliveries(t.Context(), f.admin, ep.ID, webhooks.DeliveryFilter{Status: webhooks.StatusSucceeded}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	for _, d := range page.Items {
		require.Equal(t, 1, d.Attempts)
	}
}

func TestDeliveryWaitingBehindAQueuedOneIsClaimedAfterIt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{PollInterval: time.Hour})
	rcv, gate := gatedReceiver(t, 1)
	f.endpoint(t, rcv)
	stop := running(t, f.svc)
	time.Sleep(50 * time.Millisecond) // Run's first claim finds nothing

	f.event(t, "ticket.created", "x", 0) // sent at once; its answer waits
	require.Eventually(t, func() bool { return len(rcv.received()) == 1 }, 2*time.Second, time.Millisecond)
	a1 := f.event(t, "ticket.created", "a", 1) // queued behind it
	a2 := f.event(t, "ticket.updated", "a", 2) // waits for a1: only a claim takes it
	close(gate)
	require.Eventually(t, func() bool { return len(rcv.received()) == 3 }, 2*time.Second, time.Millisecond,
		"the delivery behind a queued one is claimed once that one is sent, not at the next poll")
	got := rcv.received()
	require.Equal(t, []string{a1.ID, a2.ID}, []string{got[1].id, got[2].id})
	stop()
}

func TestBusyWorkerSignsWithARotatedSecretAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{PollInterval: time.Hour})
	rcv, gate := gatedReceiver(t, 1)
	ep := f.endpoint(t, rcv)
	stop := running(t, f.svc)
	time.Sleep(50 * time.Millisecond) // Run's first claim finds nothing

	f.event(t, "ticket.created", "a", 1) // its worker waits for the answer
	require.Eventually(t, func() bool { return len(rcv.received()) == 1 }, 2*time.Second, time.Millisecond)
	rotated, err := f.svc.RotateSecret(t.Context(), f.admin, ep.ID)
	require.NoError(t, err)
	rcv.mu.Lock()
	rcv.secret = rotated.Secret
	rcv.mu.Unlock()
	f.event(t, "ticket.created", "b", 2) // queued to the same worker
	close(gate)
	require.Eventually(t, func() bool { return len(rcv.received()) == 2 }, 2*time.Second, time.Millisecond)
	require.NoError(t, rcv.received()[1].verified, "signed with the new secret")
	stop()
}

func TestBacklogDrainsWithoutWaitingForPolls(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{PollInterval: time.Hour, BatchSize: 2})
	rcv := newReceiver(t)
	f.endpoint(t, rcv)
	// A backlog written by another process, whose wakes this one's
	// dispatcher does not get.
	other, err := webhooks.NewService(f.store.Webhooks(), webhooks.Config{AllowCIDRs: loopback, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	for i := range 7 {
		ev, err := events.New("ticket.created", f.admin.CompanyID, "ticket", fmt.Sprint("t", i), f.admin, f.clock.now(), map[string]any{"n": i})
		require.NoError(t, err)
		require.NoError(t, other.HandleEvent(t.Context(), ev))
	}
	stop := running(t, f.svc)
	require.Eventually(t, func() bool { return len(rcv.received()) == 7 }, 2*time.Second, time.Millisecond,
		"full claims are followed by more, not by the next poll")
	stop()
}

func TestStoppingTheDispatcherMidRequestConsumesNoAttempt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, webhooks.Config{PollInterval: time.Hour, Schedule: []time.Duration{time.Second}})
	rcv, gate := gatedReceiver(t, 1)
	t.Cleanup(func() { close(gate) })
	ep := f.endpoint(t, rcv)
	stop := running(t, f.svc)
	f.event(t, "ticket.created", "a", 1)
	require.Eventually(t, func() bool { return len(rcv.received()) == 1 }, 2*time.Second, time.Millisecond)
	stop() // cuts the request in flight short
	page, err := f.svc.ListDeliveries(t.Context(), f.admin, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	d := page.Items[0]
	require.Equal(t, webhooks.StatusPending, d.Status)
	require.Zero(t, d.Attempts, "a request the dispatcher abandoned is not the receiver's failure")
	require.True(t, d.ClaimedUntil.IsZero(), "and it is handed back")
	require.False(t, d.NextAttemptAt.After(f.clock.now()))
}
