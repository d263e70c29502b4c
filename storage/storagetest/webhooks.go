package storagetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

var webhookCases = []struct {
	name string
	fn   func(t *testing.T, b Backend)
}{
	{"WebhookEndpointRoundTripAndIsolation", testWebhookEndpoints},
	{"WebhookDeliveriesClaimInOrder", testWebhookClaim},
	{"WebhookEnqueueClaimsWhatMayGoAtOnce", testWebhookEnqueueClaims},
	{"WebhookAttemptsDisableAndStats", testWebhookAttempts},
	{"WebhookFailedDeliveryHoldsItsAggregate", testWebhookHold},
	{"WebhookSequencesClaimsAndGauges", testWebhookSequencesAndClaims},
	{"WebhookClaimNeverCutsAnAggregateAhead", testWebhookClaimCut},
}

func newEndpoint(t *testing.T, b Backend, company tenant.CompanyID, url string) webhooks.Endpoint {
	t.Helper()
	return newEndpointAt(t, b, ctx(t), company, url)
}

// newEndpointCtx inserts an endpoint under ctx (which may carry pending
// changes).
func newEndpointCtx(t *testing.T, b Backend, ctx context.Context, company tenant.CompanyID) webhooks.Endpoint {
	t.Helper()
	return newEndpointAt(t, b, ctx, company, "https://example.com/hook")
}

func newEndpointAt(t *testing.T, b Backend, ctx context.Context, company tenant.CompanyID, url string) webhooks.Endpoint {
	t.Helper()
	ep := webhooks.Endpoint{CompanyID: company, URL: url, Secret: webhooks.NewSecret(), Events: []string{"ticket.*"},
		Description: "d", Active: true, CreatedAt: at, UpdatedAt: at}
	require.NoError(t, b.Webhooks().InsertEndpoint(ctx, &ep))
	require.NotZero(t, ep.ID)
	require.EqualValues(t, 1, ep.Version)
	return ep
}

func testWebhookEndpoints(t *testing.T, b Backend) {
	w := b.Webhooks()
	a := newCompany(t, b.Directory(), "A", "")
	other := newCompany(t, b.Directory(), "B", "")
	ep := newEndpoint(t, b, a.ID, "https://example.com/hook")
	got, err := w.EndpointByID(ctx(t), a.ID, ep.ID)
	require.NoError(t, err)
	require.Equal(t, ep, got)
	_, err = w.EndpointByID(ctx(t), other.ID, ep.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)

	missing := webhooks.Endpoint{CompanyID: 999999, URL: "https://x", Secret: "whsec_eA==", Events: []string{">"}, CreatedAt: at, UpdatedAt: at}
	require.ErrorIs(t, w.InsertEndpoint(ctx(t), &missing), storage.ErrNotFound, "a missing company")

	got.Events = []string{">", "asset.created"}
	got.Active = false
	require.NoError(t, w.UpdateEndpoint(ctx(t), &got))
	require.EqualValues(t, 2, got.Version)
	again, err := w.EndpointByID(ctx(t), a.ID, ep.ID)
	require.NoError(t, err)
	require.Equal(t, got, again)
	stale := ep
	require.ErrorIs(t, w.UpdateEndpoint(ctx(t), &stale), storage.ErrStale)
	stolen := again
	stolen.CompanyID = other.ID
	require.ErrorIs(t, w.UpdateEndpoint(ctx(t), &stolen), storage.ErrNotFound)

	second := newEndpoint(t, b, a.ID, "https://example.com/2")
	newEndpoint(t, b, other.ID, "https://example.com/b")
	page, err := w.ListEndpoints(ctx(t), a.ID, storage.PageRequest{Limit: 1})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.Equal(t, ep.ID, page.Items[0].ID)
	page, err = w.ListEndpoints(ctx(t), a.ID, storage.PageRequest{Cursor: page.NextCursor})
	require.NoError(t, err)
	require.Equal(t, []int64{second.ID}, []int64{page.Items[0].ID})
	active, err := w.ActiveEndpoints(ctx(t), a.ID)
	require.NoError(t, err)
	require.Len(t, active, 1)
	require.Equal(t, second.ID, active[0].ID)

	require.ErrorIs(t, w.DeleteEndpoint(ctx(t), other.ID, ep.ID), storage.ErrNotFound)
	require.NoError(t, w.DeleteEndpoint(ctx(t), a.ID, ep.ID))
	_, err = w.EndpointByID(ctx(t), a.ID, ep.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func delivery(ep webhooks.Endpoint, eventID, agg string, due time.Time) webhooks.Delivery {
	return webhooks.Delivery{CompanyID: ep.CompanyID, EndpointID: ep.ID, EventID: eventID, EventType: "ticket.created",
		AggregateKey: agg, Payload: []byte(`{"id":"` + eventID + `"}`), Status: webhooks.StatusPending,
		NextAttemptAt: due, CreatedAt: at, UpdatedAt: at}
}

func deliveryIDs(ds []webhooks.Delivery) []int64 {
	return pluck(ds, func(d webhooks.Delivery) int64 { return d.ID })
}

func testWebhookClaim(t *testing.T, b Backend) {
	w := b.Webhooks()
	co := newCompany(t, b.Directory(), "A", "")
	ep := newEndpoint(t, b, co.ID, "https://example.com/hook")
	off := newEndpoint(t, b, co.ID, "https://example.com/off")
	off.Active = false
	require.NoError(t, w.UpdateEndpoint(ctx(t), &off))

	ds := []webhooks.Delivery{delivery(ep, "e1", "t:1", at), delivery(ep, "e2", "t:1", at), delivery(ep, "e3", "t:2", at),
		delivery(off, "e1", "t:1", at)}
	n, err := w.EnqueueDeliveries(ctx(t), ds, 0, "o1")
	require.NoError(t, err)
	require.Equal(t, 4, n)
	require.Less(t, ds[0].ID, ds[1].ID)
	again := []webhooks.Delivery{delivery(ep, "e1", "t:1", at), delivery(ep, "e4", "t:3", at.Add(time.Hour))}
	n, err = w.EnqueueDeliveries(ctx(t), again, 0, "o1")
	require.NoError(t, err)
	require.Equal(t, 1, n, "the same event is enqueued once per endpoint")
	require.Zero(t, again[0].ID)
	require.NotZero(t, again[1].ID)

	lease := time.Minute
	claimed, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: at, Lease: lease, Limit: 10})
	require.NoError(t, err)
	require.Equal(t, deliveryIDs(ds[:3]), deliveryIDs(claimed), "due deliveries of active endpoints, oldest first")
	require.True(t, claimed[0].NextAttemptAt.Equal(at.Add(lease)))
	require.Equal(t, []byte(`{"id":"e1"}`), claimed[0].Payload)
	none, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: at, Lease: lease, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, none, "claimed deliveries are leased")

	// e1 fails and is retried in 10 minutes; e2 (same aggregate) is released
	// and must wait for e1; e3 succeeds.
	d1 := claimed[0]
	d1.Attempts, d1.LastError, d1.LastStatusCode, d1.NextAttemptAt = 1, "status 500", 500, at.Add(10*time.Minute)
	_, err = w.RecordAttempts(ctx(t), []webhooks.AttemptRecord{{Delivery: d1, Now: at,
		Attempt: webhooks.Attempt{CompanyID: co.ID, EndpointID: ep.ID, DeliveryID: d1.ID, At: at, StatusCode: 500, LatencyMS: 7, Error: "status 500"}}})
	require.NoError(t, err)
	require.NoError(t, w.ReleaseDeliveries(ctx(t), []int64{claimed[1].ID}, at))
	d3 := claimed[2]
	d3.Status, d3.Attempts, d3.LastStatusCode, d3.DeliveredAt = webhooks.StatusSucceeded, 1, 204, at
	_, err = w.RecordAttempts(ctx(t), []webhooks.AttemptRecord{{Delivery: d3, Succeeded: true, Now: at,
		Attempt: webhooks.Attempt{CompanyID: co.ID, EndpointID: ep.ID, DeliveryID: d3.ID, At: at, StatusCode: 204, LatencyMS: 3}}})
	require.NoError(t, err)
	missing := d3
	missing.ID = 999999
	_, err = w.RecordAttempts(ctx(t), []webhooks.AttemptRecord{{Delivery: d3, Succeeded: true, Now: at,
		Attempt: webhooks.Attempt{CompanyID: co.ID, EndpointID: ep.ID, DeliveryID: d3.ID, At: at, StatusCode: 204}},
		{Delivery: missing, Now: at, Attempt: webhooks.Attempt{CompanyID: co.ID, EndpointID: ep.ID, DeliveryID: missing.ID, At: at}}})
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = w.RecordAttempts(ctx(t), []webhooks.AttemptRecord{{Delivery: d3, Succeeded: true, Now: at,
		Attempt: webhooks.Attempt{CompanyID: co.ID, EndpointID: ep.ID, DeliveryID: d3.ID, At: at, StatusCode: 204}},
		{Delivery: missing, Succeeded: true, Now: at, Attempt: webhooks.Attempt{CompanyID: co.ID, EndpointID: ep.ID, DeliveryID: missing.ID, At: at, StatusCode: 204}}})
	require.ErrorIs(t, err, storage.ErrNotFound, "successes only")
	log, err := w.ListAttempts(ctx(t), co.ID, d3.ID)
	require.NoError(t, err)
	require.Len(t, log, 1, "a batch with a bad record writes nothing")

	none, err = w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: at.Add(time.Minute), Lease: lease, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, none, "e2 waits behind e1, e4 is not due")
	later, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: at.Add(2 * time.Hour), Lease: lease, Limit: 10, Exclude: []int64{off.ID}})
	require.NoError(t, err)
	require.Equal(t, []int64{ds[0].ID, ds[1].ID, again[1].ID}, deliveryIDs(later))
	excluded, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: at.Add(5 * time.Hour), Lease: lease, Limit: 10, Exclude: []int64{ep.ID}})
	require.NoError(t, err)
	require.Empty(t, excluded, "excluded endpoints are skipped")

	got, err := w.DeliveryByID(ctx(t), co.ID, ep.ID, d3.ID)
	require.NoError(t, err)
	require.Equal(t, webhooks.StatusSucceeded, got.Status)
	require.True(t, got.DeliveredAt.Equal(at))
	_, err = w.DeliveryByID(ctx(t), co.ID, off.ID, d3.ID)
	require.ErrorIs(t, err, storage.ErrNotFound, "the delivery belongs to another endpoint")
	other := newCompany(t, b.Directory(), "B", "")
	_, err = w.DeliveryByID(ctx(t), other.ID, ep.ID, d3.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = w.ResetDelivery(ctx(t), other.ID, ep.ID, d3.ID, at)
	require.ErrorIs(t, err, storage.ErrNotFound)
	reset, err := w.ResetDelivery(ctx(t), co.ID, ep.ID, d3.ID, at.Add(3*time.Hour))
	require.NoError(t, err)
	require.Equal(t, webhooks.StatusPending, reset.Status)
	require.True(t, reset.DeliveredAt.IsZero())
	require.Equal(t, 1, reset.Attempts)
}

// testWebhookClaimCut shows that a claim cut short by its limit never
// takes an aggregate's later delivery without the earlier one: a retry
// falls due after the deliveries released behind it, and a claim that
// ordered by due time took those first and sent them ahead of it.
func testWebhookClaimCut(t *testing.T, b Backend) {
	w := b.Webhooks()
	co := newCompany(t, b.Directory(), "A", "")
	ep := newEndpoint(t, b, co.ID, "https://example.com/hook")
	ds := []webhooks.Delivery{delivery(ep, "e1", "t:1", at), delivery(ep, "e2", "t:1", at), delivery(ep, "e3", "t:2", at)}
	_, err := w.EnqueueDeliveries(ctx(t), ds, 0, "o1")
	require.NoError(t, err)
	claimed, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: at, Lease: time.Minute, Limit: 1})
	require.NoError(t, err)
	require.Equal(t, deliveryIDs(ds[:1]), deliveryIDs(claimed))
	// e1 fails and is retried at +10 min; e2, due since at, waits for it.
	d1 := claimed[0]
	d1.Attempts, d1.LastError, d1.LastStatusCode, d1.NextAttemptAt = 1, "status 503", 503, at.Add(10*time.Minute)
	_, err = w.RecordAttempts(ctx(t), []webhooks.AttemptRecord{{Delivery: d1, Now: at,
		Attempt: webhooks.Attempt{CompanyID: co.ID, EndpointID: ep.ID, DeliveryID: d1.ID, At: at, StatusCode: 503, Error: "status 503"}}})
	require.NoError(t, err)

	var got []int64
	for now := at.Add(11 * time.Minute); ; {
		c, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: now, Lease: time.Minute, Limit: 1})
		require.NoError(t, err)
		if len(c) == 0 {
			break
		}
		require.Len(t, c, 1)
		got = append(got, c[0].ID)
		if c[0].ID == ds[0].ID { // e1 goes this time
			c[0].Status, c[0].Attempts, c[0].LastStatusCode, c[0].DeliveredAt = webhooks.StatusSucceeded, 2, 204, now
			_, err = w.RecordAttempts(ctx(t), []webhooks.AttemptRecord{{Delivery: c[0], Succeeded: true, Now: now,
				Attempt: webhooks.Attempt{CompanyID: co.ID, EndpointID: ep.ID, DeliveryID: c[0].ID, At: now, StatusCode: 204}}})
			require.NoError(t, err)
		}
		require.Less(t, len(got), 10)
	}
	i1, i2 := slices.Index(got, ds[0].ID), slices.Index(got, ds[1].ID)
	require.NotEqual(t, -1, i1, "e1 is claimed again once due: %v", got)
	require.Less(t, i1, i2, "e2 is claimed only after e1: %v", got)
}

func testWebhookEnqueueClaims(t *testing.T, b Backend) {
	w := b.Webhooks()
	co := newCompany(t, b.Directory(), "A", "")
	ep := newEndpoint(t, b, co.ID, "https://example.com/hook")
	ep2 := newEndpoint(t, b, co.ID, "https://example.com/two")
	first := []webhooks.Delivery{delivery(ep, "e1", "t:1", at)}
	_, err := w.EnqueueDeliveries(ctx(t), first, 0, "o1")
	require.NoError(t, err)
	require.True(t, first[0].NextAttemptAt.Equal(at), "without a lease nothing is claimed")

	lease := time.Minute
	ds := []webhooks.Delivery{delivery(ep, "e2", "t:1", at), delivery(ep, "e3", "t:2", at), delivery(ep, "e4", "t:2", at),
		delivery(ep2, "e5", "t:1", at), delivery(ep, "e1", "t:1", at)}
	n, err := w.EnqueueDeliveries(ctx(t), ds, lease, "o1")
	require.NoError(t, err)
	require.Equal(t, 4, n)
	require.Zero(t, ds[4].ID, "e1 was enqueued before")
	for i, want := range []time.Time{at, at.Add(lease), at.Add(lease), at.Add(lease), at} {
		require.True(t, ds[i].NextAttemptAt.Equal(want), "delivery %d: next attempt %v, want %v", i, ds[i].NextAttemptAt, want)
	}
	for _, d := range ds[:4] {
		stored, err := w.DeliveryByID(ctx(t), co.ID, d.EndpointID, d.ID)
		require.NoError(t, err)
		require.True(t, stored.NextAttemptAt.Equal(d.NextAttemptAt), "%s is stored as returned", d.EventID)
	}

	// e2 waits for the earlier e1 (a claim takes both, in order); e3 and
	// e4 (a new aggregate) and e5 (another endpoint) are the caller's.
	claimed, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: at, Lease: lease, Limit: 10})
	require.NoError(t, err)
	require.Equal(t, []int64{first[0].ID, ds[0].ID}, deliveryIDs(claimed))

	late := []webhooks.Delivery{delivery(ep2, "e6", "t:9", at)}
	_, err = w.EnqueueDeliveries(ctx(t), late, 0, "o1")
	require.NoError(t, err)
	none, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: at, Lease: lease, Limit: 10, Endpoint: ep.ID})
	require.NoError(t, err)
	require.Empty(t, none, "a claim for one endpoint leaves the others' deliveries")
	mine, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: at, Lease: lease, Limit: 10, Endpoint: ep2.ID})
	require.NoError(t, err)
	require.Equal(t, []int64{late[0].ID}, deliveryIDs(mine))
}

func testWebhookAttempts(t *testing.T, b Backend) {
	w := b.Webhooks()
	co := newCompany(t, b.Directory(), "A", "")
	ep := newEndpoint(t, b, co.ID, "https://example.com/hook")
	var ds []webhooks.Delivery
	for _, id := range []string{"e1", "e2", "e3"} {
		ds = append(ds, delivery(ep, id, "t:"+id, at))
	}
	_, err := w.EnqueueDeliveries(ctx(t), ds, 0, "o1")
	require.NoError(t, err)
	disabledEv, err := events.New(webhooks.DisabledEventType, co.ID, "webhook_endpoint", ep.ID, tenant.System(), at, map[string]any{})
	require.NoError(t, err)
	record := func(d webhooks.Delivery, code int, ok bool, now time.Time) bool {
		t.Helper()
		d.Attempts++
		d.LastStatusCode = code
		if ok {
			d.Status, d.DeliveredAt = webhooks.StatusSucceeded, at
		} else {
			d.Status, d.LastError = webhooks.StatusFailed, "status"
		}
		disabled, err := w.RecordAttempts(ctx(t), []webhooks.AttemptRecord{{Delivery: d, Succeeded: ok, DisableAfter: time.Hour,
			Disabled: disabledEv, Now: now,
			Attempt: webhooks.Attempt{CompanyID: co.ID, EndpointID: ep.ID, DeliveryID: d.ID, At: at, StatusCode: code, LatencyMS: 10}}})
		require.NoError(t, err)
		return disabled[0]
	}
	require.False(t, record(ds[0], 500, false, at))
	require.False(t, record(ds[0], 200, true, at.Add(2*time.Hour)), "a success resets the run")
	cur, err := w.EndpointByID(ctx(t), co.ID, ep.ID)
	require.NoError(t, err)
	require.Zero(t, cur.ConsecutiveFailures)
	require.True(t, cur.FailingSince.IsZero())
	start := at.Add(3 * time.Hour)
	require.False(t, record(ds[1], 500, false, start))
	cur, err = w.EndpointByID(ctx(t), co.ID, ep.ID)
	require.NoError(t, err)
	require.Equal(t, 1, cur.ConsecutiveFailures)
	require.True(t, cur.FailingSince.Equal(start), "failing since the first failure after the success")
	for range 5 {
		require.False(t, record(ds[2], 502, false, start.Add(59*time.Minute)), "many failures within the limit do not disable")
	}
	require.True(t, record(ds[2], 502, false, start.Add(time.Hour)), "failing for DisableAfter disables")
	cur, err = w.EndpointByID(ctx(t), co.ID, ep.ID)
	require.NoError(t, err)
	require.False(t, cur.Active)
	require.Contains(t, cur.DisabledReason, "failing since "+start.UTC().Format(time.RFC3339))
	require.Contains(t, cur.DisabledReason, "7 failed attempts")
	require.EqualValues(t, 2, cur.Version)
	evs, err := b.OutboxEvents(ctx(t), events.OutboxQuery{CompanyID: co.ID, Type: webhooks.DisabledEventType})
	require.NoError(t, err)
	require.Len(t, evs, 1, "disabling emits one event")
	require.False(t, record(ds[2], 502, false, start.Add(2*time.Hour)), "already disabled")

	attempts, err := w.ListAttempts(ctx(t), co.ID, ds[0].ID)
	require.NoError(t, err)
	require.Len(t, attempts, 2)
	require.Equal(t, 500, attempts[0].StatusCode)
	require.Equal(t, 200, attempts[1].StatusCode)
	require.True(t, attempts[0].At.Equal(at))
	other := newCompany(t, b.Directory(), "B", "")
	none, err := w.ListAttempts(ctx(t), other.ID, ds[0].ID)
	require.NoError(t, err)
	require.Empty(t, none)

	st, err := w.EndpointStats(ctx(t), co.ID, ep.ID, at)
	require.NoError(t, err)
	require.Equal(t, 3, st.Deliveries)
	require.Equal(t, 1, st.Succeeded)
	require.Equal(t, 2, st.Failed)
	require.Equal(t, 10, st.Attempts)
	require.Equal(t, 9, st.FailedAttempts)
	require.InDelta(t, 0.1, st.SuccessRate, 1e-9)
	require.InDelta(t, 10, st.AvgLatencyMS, 1e-9)
	require.True(t, st.LastSuccessAt.Equal(at))

	page, err := w.ListDeliveries(ctx(t), co.ID, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []int64{ds[2].ID, ds[1].ID}, deliveryIDs(page.Items), "newest first")
	page, err = w.ListDeliveries(ctx(t), co.ID, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{Cursor: page.NextCursor})
	require.NoError(t, err)
	require.Equal(t, []int64{ds[0].ID}, deliveryIDs(page.Items))
	page, err = w.ListDeliveries(ctx(t), co.ID, ep.ID, webhooks.DeliveryFilter{Status: webhooks.StatusSucceeded}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []int64{ds[0].ID}, deliveryIDs(page.Items))
	page, err = w.ListDeliveries(ctx(t), other.ID, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Empty(t, page.Items)

	// Pending deliveries of an inactive endpoint are held, never pruned;
	// the last delivery of an aggregate stays with its sequence number.
	pending := []webhooks.Delivery{delivery(ep, "e4", "t:e1", at), delivery(ep, "e5", "t:e2", at)}
	_, err = w.EnqueueDeliveries(ctx(t), pending, 0, "o1")
	require.NoError(t, err)
	require.EqualValues(t, 2, pending[0].Sequence)
	n, err := w.PruneDeliveries(ctx(t), at)
	require.NoError(t, err)
	require.Zero(t, n, "nothing finished before at")
	n, err = w.PruneDeliveries(ctx(t), at.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, n, "finished deliveries go, pending ones and the last of an aggregate stay")
	page, err = w.ListDeliveries(ctx(t), co.ID, ep.ID, webhooks.DeliveryFilter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []string{"e5", "e4", "e3"}, pluck(page.Items, func(d webhooks.Delivery) string { return d.EventID }))
	next := []webhooks.Delivery{delivery(ep, "e6", "t:e3", at)}
	_, err = w.EnqueueDeliveries(ctx(t), next, 0, "o1")
	require.NoError(t, err)
	require.EqualValues(t, 2, next[0].Sequence, "the sequence goes on after pruning")
	attempts, err = w.ListAttempts(ctx(t), co.ID, ds[0].ID)
	require.NoError(t, err)
	require.Empty(t, attempts, "their attempts go with them")
}

// recordAttempt writes one attempt of d: a success, or a failure that leaves d
// in status (pending for a retry at next, or failed).
func recordAttempt(t *testing.T, b Backend, d webhooks.Delivery, ok bool, status webhooks.Status, next time.Time) {
	t.Helper()
	d.Attempts++
	if ok {
		d.Status, d.LastStatusCode, d.DeliveredAt, d.NextAttemptAt = webhooks.StatusSucceeded, 204, at, time.Time{}
	} else {
		d.Status, d.LastStatusCode, d.LastError, d.NextAttemptAt = status, 500, "status 500", next
	}
	_, err := b.Webhooks().RecordAttempts(ctx(t), []webhooks.AttemptRecord{{Delivery: d, Succeeded: ok, Now: at,
		Attempt: webhooks.Attempt{CompanyID: d.CompanyID, EndpointID: d.EndpointID, DeliveryID: d.ID, At: at, StatusCode: d.LastStatusCode}}})
	require.NoError(t, err)
}

func testWebhookHold(t *testing.T, b Backend) {
	w := b.Webhooks()
	co := newCompany(t, b.Directory(), "A", "")
	ep := newEndpoint(t, b, co.ID, "https://example.com/hook")
	ds := []webhooks.Delivery{delivery(ep, "e1", "t:1", at), delivery(ep, "e2", "t:1", at), delivery(ep, "e3", "t:2", at),
		delivery(ep, "e4", "t:2", at)}
	_, err := w.EnqueueDeliveries(ctx(t), ds, 0, "")
	require.NoError(t, err)
	claim := func(now time.Time) []int64 {
		t.Helper()
		got, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: now, Lease: time.Minute, Owner: "o1", Limit: 10})
		require.NoError(t, err)
		return deliveryIDs(got)
	}
	require.Equal(t, deliveryIDs(ds), claim(at))
	// e1 and e3 run out of attempts; e2 and e4 are handed back.
	recordAttempt(t, b, ds[0], false, webhooks.StatusFailed, at)
	recordAttempt(t, b, ds[2], false, webhooks.StatusFailed, at)
	require.NoError(t, w.ReleaseDeliveries(ctx(t), []int64{ds[1].ID, ds[3].ID}, at))
	require.Empty(t, claim(at.Add(time.Hour)), "a failed delivery holds the later ones of its aggregate back")
	late := []webhooks.Delivery{delivery(ep, "e5", "t:1", at)}
	_, err = w.EnqueueDeliveries(ctx(t), late, time.Minute, "o1")
	require.NoError(t, err)
	require.True(t, late[0].ClaimedUntil.IsZero(), "a delivery behind a failed one is not claimed as it is written")
	require.True(t, late[0].NextAttemptAt.Equal(at))

	held, err := w.DeliveryByID(ctx(t), co.ID, ep.ID, ds[1].ID)
	require.NoError(t, err)
	require.Equal(t, ds[0].ID, held.BlockedBy, "the listing shows what a delivery waits for")
	page, err := w.ListDeliveries(ctx(t), co.ID, ep.ID, webhooks.DeliveryFilter{Status: webhooks.StatusPending}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []int64{ds[0].ID, ds[2].ID, ds[0].ID}, pluck(page.Items, func(d webhooks.Delivery) int64 { return d.BlockedBy }))
	st, err := w.EndpointStats(ctx(t), co.ID, ep.ID, at)
	require.NoError(t, err)
	require.Equal(t, 3, st.Pending)
	require.Equal(t, 3, st.Held)
	require.Equal(t, 2, st.Failed)

	_, err = w.SkipDelivery(ctx(t), co.ID, ep.ID, ds[1].ID, at)
	require.ErrorIs(t, err, storage.ErrConflict, "only failed deliveries are skipped")
	other := newCompany(t, b.Directory(), "B", "")
	_, err = w.SkipDelivery(ctx(t), other.ID, ep.ID, ds[0].ID, at)
	require.ErrorIs(t, err, storage.ErrNotFound)

	// Skipping e1 lets e2 and e5 go; redelivering e3 sends it before e4.
	skipped, err := w.SkipDelivery(ctx(t), co.ID, ep.ID, ds[0].ID, at)
	require.NoError(t, err)
	require.Equal(t, webhooks.StatusSkipped, skipped.Status)
	require.True(t, skipped.NextAttemptAt.IsZero())
	_, err = w.ResetDelivery(ctx(t), co.ID, ep.ID, ds[0].ID, at)
	require.ErrorIs(t, err, storage.ErrConflict, "a skipped delivery is not sent after its successors")
	again, err := w.ResetDelivery(ctx(t), co.ID, ep.ID, ds[2].ID, at.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, webhooks.StatusPending, again.Status)
	require.Equal(t, []int64{ds[1].ID, ds[2].ID, ds[3].ID, late[0].ID}, claim(at.Add(time.Hour)))
	st, err = w.EndpointStats(ctx(t), co.ID, ep.ID, at.Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, st.Held)
	require.Equal(t, 1, st.Skipped)

	// Deliveries of an inactive endpoint are written and held.
	ep.Active = false
	require.NoError(t, w.UpdateEndpoint(ctx(t), &ep))
	off := []webhooks.Delivery{delivery(ep, "e6", "t:3", at)}
	_, err = w.EnqueueDeliveries(ctx(t), off, time.Minute, "o1")
	require.NoError(t, err)
	require.NotZero(t, off[0].ID)
	require.True(t, off[0].ClaimedUntil.IsZero(), "an inactive endpoint's delivery is not claimed")
	st, err = w.EndpointStats(ctx(t), co.ID, ep.ID, at.Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 5, st.Pending)
	require.Equal(t, 5, st.Held, "everything pending waits while the endpoint is inactive")
}

func testWebhookSequencesAndClaims(t *testing.T, b Backend) {
	w := b.Webhooks()
	co := newCompany(t, b.Directory(), "A", "")
	ep := newEndpoint(t, b, co.ID, "https://example.com/hook")
	ep2 := newEndpoint(t, b, co.ID, "https://example.com/two")
	ds := []webhooks.Delivery{delivery(ep, "e1", "t:1", at), delivery(ep2, "e1", "t:1", at), delivery(ep, "e2", "t:1", at),
		delivery(ep, "e3", "t:2", at), delivery(ep, "e2", "t:1", at)}
	n, err := w.EnqueueDeliveries(ctx(t), ds, 0, "")
	require.NoError(t, err)
	require.Equal(t, 4, n, "the repeated event is written once")
	require.Equal(t, []int64{1, 1, 2, 1, 0}, pluck(ds, func(d webhooks.Delivery) int64 { return d.Sequence }),
		"numbered per endpoint and aggregate")
	more := []webhooks.Delivery{delivery(ep, "e2", "t:1", at), delivery(ep, "e4", "t:1", at)}
	_, err = w.EnqueueDeliveries(ctx(t), more, 0, "")
	require.NoError(t, err)
	require.Zero(t, more[0].ID)
	require.EqualValues(t, 3, more[1].Sequence, "a repeated event takes no number")
	got, err := w.DeliveryByID(ctx(t), co.ID, ep.ID, more[1].ID)
	require.NoError(t, err)
	require.EqualValues(t, 3, got.Sequence)
	require.True(t, got.ClaimedUntil.IsZero())

	lease := 10 * time.Second
	claimed, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: at, Lease: lease, Owner: "alive", Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []int64{ds[0].ID, ds[1].ID}, deliveryIDs(claimed))
	require.True(t, claimed[0].ClaimedUntil.Equal(at.Add(lease)))
	dead, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: at, Lease: lease, Owner: "dead", Limit: 1, Endpoint: ep.ID})
	require.NoError(t, err)
	require.Equal(t, []int64{ds[3].ID}, deliveryIDs(dead))
	st, err := w.EndpointStats(ctx(t), co.ID, ep.ID, at)
	require.NoError(t, err)
	require.Equal(t, 2, st.Claimed)
	require.True(t, st.ClaimedUntil.Equal(at.Add(lease)), "held until %v", st.ClaimedUntil)

	// The live owner renews; the dead one's claim lapses within a lease
	// and another dispatcher takes its delivery.
	renewed := at.Add(lease - time.Second).Add(lease)
	require.NoError(t, w.RenewClaims(ctx(t), "alive", []int64{ds[0].ID, ds[1].ID, ds[3].ID}, renewed))
	later := at.Add(lease)
	taken, err := w.ClaimDeliveries(ctx(t), webhooks.Claim{Now: later, Lease: lease, Owner: "other", Limit: 10, Endpoint: ep.ID})
	require.NoError(t, err)
	require.Equal(t, []int64{ds[3].ID}, deliveryIDs(taken), "the lapsed claim is taken; the renewed ones and those behind them are not")
	got, err = w.DeliveryByID(ctx(t), co.ID, ep.ID, ds[0].ID)
	require.NoError(t, err)
	require.True(t, got.ClaimedUntil.Equal(renewed))

	gauges, err := w.DeliveryGauges(ctx(t), later)
	require.NoError(t, err)
	var mine []webhooks.Gauge
	for _, g := range gauges {
		if g.CompanyID == co.ID {
			mine = append(mine, g)
		}
	}
	require.Len(t, mine, 2)
	require.Equal(t, webhooks.Gauge{CompanyID: co.ID, EndpointID: ep.ID, Active: true, Pending: 4, Claimed: 2,
		ClaimedUntil: later.Add(lease).UTC()}, normalizeGauge(mine[0]), "held until the latest claim's end")
	require.Equal(t, webhooks.Gauge{CompanyID: co.ID, EndpointID: ep2.ID, Active: true, Pending: 1, Claimed: 1,
		ClaimedUntil: renewed.UTC()}, normalizeGauge(mine[1]))

	// A success has no next attempt.
	recordAttempt(t, b, claimed[0], true, "", time.Time{})
	got, err = w.DeliveryByID(ctx(t), co.ID, ep.ID, ds[0].ID)
	require.NoError(t, err)
	require.Equal(t, webhooks.StatusSucceeded, got.Status)
	require.True(t, got.NextAttemptAt.IsZero(), "next attempt %v", got.NextAttemptAt)
	require.True(t, got.ClaimedUntil.IsZero())
	require.NoError(t, w.ReleaseDeliveries(ctx(t), []int64{ds[1].ID}, later))
	got, err = w.DeliveryByID(ctx(t), co.ID, ep2.ID, ds[1].ID)
	require.NoError(t, err)
	require.True(t, got.ClaimedUntil.IsZero(), "a released delivery is nobody's")
	require.NoError(t, w.RenewClaims(ctx(t), "alive", []int64{ds[1].ID}, later.Add(time.Hour)))
	got, err = w.DeliveryByID(ctx(t), co.ID, ep2.ID, ds[1].ID)
	require.NoError(t, err)
	require.True(t, got.NextAttemptAt.Equal(later), "a released delivery is not renewed")
}

// normalizeGauge makes a gauge's time comparable.
func normalizeGauge(g webhooks.Gauge) webhooks.Gauge {
	g.ClaimedUntil = g.ClaimedUntil.UTC()
	return g
}
