package bunstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

var _ webhooks.Store = webhookStore{}

// webhookStore is the webhooks.Store adapter of a Store.
type webhookStore struct{ s *Store }

// Webhooks returns the store as the webhooks package's storage contract.
func (s *Store) Webhooks() webhooks.Store { return webhookStore{s} }

// webhookEndpointRow is a webhook_endpoints row; events is JSON text.
type webhookEndpointRow struct {
	bun.BaseModel       `bun:"table:webhook_endpoints"`
	ID                  int64     `bun:"id,pk,autoincrement"`
	CompanyID           int64     `bun:"company_id"`
	URL                 string    `bun:"url"`
	Secret              string    `bun:"secret"`
	Events              string    `bun:"events"`
	Description         string    `bun:"description"`
	Active              bool      `bun:"active"`
	DisabledReason      string    `bun:"disabled_reason"`
	ConsecutiveFailures int       `bun:"consecutive_failures"`
	FailingSince        time.Time `bun:"failing_since,nullzero"`
	PreviousSecret      string    `bun:"previous_secret"`
	PreviousSecretUntil time.Time `bun:"previous_secret_until,nullzero"`
	CreatedAt           time.Time `bun:"created_at"`
	UpdatedAt           time.Time `bun:"updated_at"`
	Version             int64     `bun:"version"`
}

func endpointRowOf(e webhooks.Endpoint) webhookEndpointRow {
	evs := e.Events
	if evs == nil {
		evs = []string{}
	}
	raw, _ := json.Marshal(evs) // []string always encodes
	return webhookEndpointRow{ID: e.ID, CompanyID: int64(e.CompanyID), URL: e.URL, Secret: e.Secret, Events: string(raw),
		Description: e.Description, Active: e.Active, DisabledReason: e.DisabledReason, ConsecutiveFailures: e.ConsecutiveFailures,
		FailingSince: utcOrZero(e.FailingSince), PreviousSecret: e.PreviousSecret, PreviousSecretUntil: utcOrZero(e.PreviousSecretUntil),
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), Version: e.Version}
}

func (r webhookEndpointRow) model() (webhooks.Endpoint, error) {
	evs := []string{}
	if err := json.Unmarshal([]byte(r.Events), &evs); err != nil {
		return webhooks.Endpoint{}, fmt.Errorf("decoding the events of webhook endpoint %d: %w", r.ID, err)
	}
	return webhooks.Endpoint{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), URL: r.URL, Secret: r.Secret, Events: evs,
		Description: r.Description, Active: r.Active, DisabledReason: r.DisabledReason, ConsecutiveFailures: r.ConsecutiveFailures,
		FailingSince: utcOrZero(r.FailingSince), PreviousSecret: r.PreviousSecret, PreviousSecretUntil: utcOrZero(r.PreviousSecretUntil),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version}, nil
}

type webhookDeliveryRow struct {
	bun.BaseModel  `bun:"table:webhook_deliveries,alias:d"`
	ID             int64     `bun:"id,pk,autoincrement"`
	CompanyID      int64     `bun:"company_id"`
	EndpointID     int64     `bun:"endpoint_id"`
	EventID        string    `bun:"event_id"`
	EventType      string    `bun:"event_type"`
	AggregateKey   string    `bun:"aggregate_key"`
	Payload        string    `bun:"payload"`
	Status         string    `bun:"status"`
	Attempts       int       `bun:"attempts"`
	NextAttemptAt  time.Time `bun:"next_attempt_at"`
	LastStatusCode int       `bun:"last_status_code"`
	LastError      string    `bun:"last_error"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
	DeliveredAt    time.Time `bun:"delivered_at,nullzero"`
	Seq            int64     `bun:"seq"`
	ClaimedBy      string    `bun:"claimed_by"`
	BlockedBy      int64     `bun:"blocked_by,scanonly"`
}

func deliveryRowOf(d webhooks.Delivery) webhookDeliveryRow {
	return webhookDeliveryRow{ID: d.ID, CompanyID: int64(d.CompanyID), EndpointID: d.EndpointID, EventID: d.EventID,
		EventType: d.EventType, AggregateKey: d.AggregateKey, Payload: string(d.Payload), Status: string(d.Status),
		Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt.UTC(), LastStatusCode: d.LastStatusCode, LastError: d.LastError,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), DeliveredAt: utcOrZero(d.DeliveredAt), Seq: d.Sequence}
}

func (r webhookDeliveryRow) model() webhooks.Delivery {
	d := webhooks.Delivery{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), EndpointID: r.EndpointID, EventID: r.EventID,
		EventType: r.EventType, AggregateKey: r.AggregateKey, Sequence: r.Seq, Payload: []byte(r.Payload), Status: webhooks.Status(r.Status),
		Attempts: r.Attempts, LastStatusCode: r.LastStatusCode, LastError: r.LastError, BlockedBy: r.BlockedBy,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), DeliveredAt: utcOrZero(r.DeliveredAt)}
	if d.Status == webhooks.StatusPending {
		d.NextAttemptAt = r.NextAttemptAt.UTC()
		if r.ClaimedBy != "" {
			d.ClaimedUntil = d.NextAttemptAt
		}
	}
	return d
}

// blockedByExpr is the failed delivery that holds a pending one back.
const blockedByExpr = `CASE WHEN d.status = 'pending' THEN (SELECT min(p.id) FROM webhook_deliveries p
	WHERE p.company_id = d.company_id AND p.endpoint_id = d.endpoint_id AND p.aggregate_key = d.aggregate_key
	  AND p.status = 'failed' AND p.id < d.id) END AS blocked_by`

type webhookAttemptRow struct {
	bun.BaseModel `bun:"table:webhook_attempts"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	EndpointID    int64     `bun:"endpoint_id"`
	DeliveryID    int64     `bun:"delivery_id"`
	At            time.Time `bun:"at"`
	StatusCode    int       `bun:"status_code"`
	LatencyMS     int       `bun:"latency_ms"`
	Response      string    `bun:"response"`
	Error         string    `bun:"error"`
}

func (r webhookAttemptRow) model() webhooks.Attempt {
	return webhooks.Attempt{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), EndpointID: r.EndpointID, DeliveryID: r.DeliveryID,
		At: r.At.UTC(), StatusCode: r.StatusCode, LatencyMS: r.LatencyMS, Response: r.Response, Error: r.Error}
}

func (w webhookStore) InsertEndpoint(ctx context.Context, ep *webhooks.Endpoint) error {
	ep.Version = 1
	r := endpointRowOf(*ep)
	r.ID = 0
	err := w.s.withPending(ctx, func(ctx context.Context, db bun.IDB) (int64, error) {
		if _, err := db.NewInsert().Model(&r).Returning("id").Exec(ctx); err != nil {
			if isForeignKeyViolation(err) {
				return 0, fmt.Errorf("inserting webhook endpoint: company %d: %w", ep.CompanyID, storage.ErrNotFound)
			}
			return 0, translate(err, "inserting webhook endpoint")
		}
		return r.ID, nil
	})
	if err != nil {
		return err
	}
	ep.ID = r.ID
	return nil
}

func (w webhookStore) UpdateEndpoint(ctx context.Context, ep *webhooks.Endpoint) error {
	r := endpointRowOf(*ep)
	if err := w.s.withPending(ctx, func(ctx context.Context, db bun.IDB) (int64, error) {
		return ep.ID, update(ctx, db, &r, "webhook_endpoints", ep.ID, ep.CompanyID, "company_id", ep.Version,
			fmt.Sprintf("webhook endpoint %d", ep.ID))
	}); err != nil {
		return err
	}
	ep.Version++
	return nil
}

func (w webhookStore) DeleteEndpoint(ctx context.Context, company tenant.CompanyID, id int64) error {
	return w.s.withPending(ctx, func(ctx context.Context, db bun.IDB) (int64, error) {
		res, err := db.NewDelete().Model((*webhookEndpointRow)(nil)).
			Where("company_id = ? AND id = ?", int64(company), id).Exec(ctx)
		if err != nil {
			return 0, translate(err, "deleting webhook endpoint")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, fmt.Errorf("deleting webhook endpoint %d: %w", id, storage.ErrNotFound)
		}
		return id, nil
	})
}

func (w webhookStore) EndpointByID(ctx context.Context, company tenant.CompanyID, id int64) (webhooks.Endpoint, error) {
	var r webhookEndpointRow
	if err := w.s.deliveryDB(false).NewSelect().Model(&r).Where("company_id = ? AND id = ?", int64(company), id).Scan(ctx); err != nil {
		return webhooks.Endpoint{}, translate(err, fmt.Sprintf("reading webhook endpoint %d", id))
	}
	return r.model()
}

func (w webhookStore) ListEndpoints(ctx context.Context, company tenant.CompanyID, p storage.PageRequest) (storage.Page[webhooks.Endpoint], error) {
	var rows []webhookEndpointRow
	q, limit, err := page(w.s.read.NewSelect().Model(&rows).Where("company_id = ?", int64(company)), p)
	if err != nil {
		return storage.Page[webhooks.Endpoint]{}, err
	}
	if err := q.Scan(ctx); err != nil {
		return storage.Page[webhooks.Endpoint]{}, translate(err, "listing webhook endpoints")
	}
	items := make([]webhooks.Endpoint, len(rows))
	for i, r := range rows {
		if items[i], err = r.model(); err != nil {
			return storage.Page[webhooks.Endpoint]{}, err
		}
	}
	return storage.PageOf(items, limit, func(e webhooks.Endpoint) int64 { return e.ID }), nil
}

func (w webhookStore) ActiveEndpoints(ctx context.Context, company tenant.CompanyID) ([]webhooks.Endpoint, error) {
	return w.endpoints(ctx, company, true)
}

func (w webhookStore) CompanyEndpoints(ctx context.Context, company tenant.CompanyID) ([]webhooks.Endpoint, error) {
	return w.endpoints(ctx, company, false)
}

func (w webhookStore) endpoints(ctx context.Context, company tenant.CompanyID, active bool) ([]webhooks.Endpoint, error) {
	var rows []webhookEndpointRow
	q := w.s.deliveryDB(false).NewSelect().Model(&rows).Where("company_id = ?", int64(company)).OrderExpr("id")
	if active {
		q = q.Where("active")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, translate(err, "listing webhook endpoints")
	}
	out := make([]webhooks.Endpoint, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = r.model(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EnqueueDeliveries implements webhooks.Store in one statement: the
// INSERT reads its rows from a VALUES list, leaves out the events its
// endpoint has already, numbers each aggregate's rows on from the last
// sequence of the endpoint and aggregate, and sets each one's next attempt
// by whether it may go at once (claimed for lease: its endpoint is active
// and had no pending or failed delivery of the aggregate; with lease 0
// both times are the same). The subqueries see the table as it was before
// the statement, on both dialects (SQLite computes an INSERT ... SELECT
// that reads its own table before it writes), so deliveries of one
// aggregate within ds are claimed alike.
func (w webhookStore) EnqueueDeliveries(ctx context.Context, ds []webhooks.Delivery, lease time.Duration, owner string) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	if lease <= 0 {
		owner = ""
	}
	rows := make([]deliveryValues, 0, len(ds))
	seen := make(map[deliveryKey]bool, len(ds))
	for _, d := range ds {
		k := deliveryKey{d.EndpointID, d.EventID}
		if seen[k] { // numbered once
			continue
		}
		seen[k] = true
		rows = append(rows, deliveryValues{webhookDeliveryRow: deliveryRowOf(d), HeldUntil: d.NextAttemptAt.Add(max(lease, 0)).UTC(),
			Owner: owner})
	}
	// Skipped duplicates return no row, so the IDs are matched back by
	// endpoint and event.
	var ret []struct {
		ID            int64     `bun:"id"`
		EndpointID    int64     `bun:"endpoint_id"`
		EventID       string    `bun:"event_id"`
		NextAttemptAt time.Time `bun:"next_attempt_at"`
		Seq           int64     `bun:"seq"`
		ClaimedBy     string    `bun:"claimed_by"`
	}
	db := w.s.deliveryDB(true)
	err := db.NewRaw(claimingInsert, db.NewValues(&rows).Column(valuesColumns...).WithOrder()).Scan(ctx, &ret)
	if err != nil {
		if isForeignKeyViolation(err) {
			return 0, fmt.Errorf("enqueueing webhook deliveries: an endpoint: %w", storage.ErrNotFound)
		}
		return 0, translate(err, "enqueueing webhook deliveries")
	}
	type inserted struct {
		id, seq int64
		due     time.Time
		claimed bool
	}
	byKey := make(map[deliveryKey]inserted, len(ret))
	for _, r := range ret {
		byKey[deliveryKey{r.EndpointID, r.EventID}] = inserted{r.ID, r.Seq, r.NextAttemptAt, r.ClaimedBy != ""}
	}
	for i := range ds {
		k := deliveryKey{ds[i].EndpointID, ds[i].EventID}
		if in, ok := byKey[k]; ok {
			ds[i].ID, ds[i].Sequence, ds[i].NextAttemptAt = in.id, in.seq, in.due.UTC()
			ds[i].ClaimedUntil = time.Time{}
			if in.claimed {
				ds[i].ClaimedUntil = ds[i].NextAttemptAt
			}
			delete(byKey, k) // a repeat within ds is skipped
		} else {
			ds[i].ID = 0
		}
	}
	return len(ret), nil
}

// deliveryKey is an endpoint's event.
type deliveryKey struct {
	endpoint int64
	event    string
}

// deliveryValues is a row of a claiming insert's VALUES list: a delivery,
// its next attempt should it be claimed, and by whom.
type deliveryValues struct {
	webhookDeliveryRow
	HeldUntil time.Time `bun:"held_until"`
	Owner     string    `bun:"owner"`
}

// deliveryColumns are the columns of a new delivery that the VALUES list
// gives (all but id, seq and claimed_by).
var deliveryColumns = []string{"company_id", "endpoint_id", "event_id", "event_type", "aggregate_key", "payload", "status",
	"attempts", "next_attempt_at", "last_status_code", "last_error", "created_at", "updated_at", "delivered_at"}

// valuesColumns are the columns of claimingInsert's VALUES list (and
// _order).
var valuesColumns = append(slices.Clone(deliveryColumns), "held_until", "owner")

// claimingInsert is EnqueueDeliveries' statement; its argument is the
// VALUES list (valuesColumns, _order). Its lookup by event compares the
// endpoint and company as expressions (x.endpoint_id + 0), so that it can
// use one index only, webhook_deliveries_event_key, which leads with
// event_id: with the statistics of a table that has just filled up,
// PostgreSQL otherwise probed an index by company and endpoint and read
// every delivery of the endpoint for each row (100 ms for two rows among
// 5,000).
var claimingInsert = func() string {
	sel := make([]string, len(deliveryColumns))
	for i, c := range deliveryColumns {
		sel[i] = "w." + c
		if c == "next_attempt_at" {
			sel[i] = "CASE WHEN w.waits THEN w.next_attempt_at ELSE w.held_until END"
		}
	}
	cols := strings.Join(deliveryColumns, ", ")
	return `WITH v (` + cols + `, held_until, owner, _order) AS (?),
		w AS (SELECT v.*,
		    (EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.company_id = v.company_id AND p.endpoint_id = v.endpoint_id
		        AND p.aggregate_key = v.aggregate_key AND p.status IN ('pending', 'failed'))
		     OR NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = v.endpoint_id AND e.active)) AS waits,
		    coalesce((SELECT max(x.seq) FROM webhook_deliveries x WHERE x.company_id = v.company_id
		        AND x.endpoint_id = v.endpoint_id AND x.aggregate_key = v.aggregate_key), 0)
		      + row_number() OVER (PARTITION BY v.endpoint_id, v.aggregate_key ORDER BY v._order) AS seq
		  FROM v WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries x WHERE x.event_id = v.event_id
		    AND x.endpoint_id + 0 = v.endpoint_id AND x.company_id + 0 = v.company_id))
		INSERT INTO webhook_deliveries (` + cols + `, seq, claimed_by)
		SELECT ` + strings.Join(sel, ", ") + `, w.seq, CASE WHEN w.waits THEN '' ELSE w.owner END
		FROM w WHERE true ORDER BY w._order
		ON CONFLICT (company_id, endpoint_id, event_id) DO NOTHING
		RETURNING id, endpoint_id, event_id, next_attempt_at, seq, claimed_by`
}()

// ClaimDeliveries implements webhooks.Store with one UPDATE ... RETURNING.
// It takes due deliveries in the order they were made (by id), never by
// due time: an earlier delivery of an aggregate that is due does not hold
// the later ones back because it is claimed with them, and a retry falls
// due after the deliveries released behind it, so a claim ordered by due
// time and cut by its limit sent those ahead of it. For the same reason
// claims must not overlap: on PostgreSQL each takes a transaction-scoped
// advisory lock first (its UPDATE then reads what the claim before it
// wrote; with SKIP LOCKED alone, two claims could split an aggregate
// between them); SQLite has one writer. The
// check for an earlier delivery of the aggregate is a scalar subquery, not
// NOT EXISTS: PostgreSQL runs it per candidate as a probe of
// webhook_deliveries_aggregate_idx on all four columns, where an anti-join
// planned from the statistics of a table that just filled up filtered
// every pending delivery of the endpoint for every candidate (200 ms for
// 200 candidates among 4,000).
func (w webhookStore) ClaimDeliveries(ctx context.Context, c webhooks.Claim) ([]webhooks.Delivery, error) {
	now := c.Now.UTC()
	args := []any{now.Add(c.Lease), c.Owner, now, now}
	filter := ""
	if c.Endpoint != 0 {
		filter = "AND d.endpoint_id = ?"
		args = append(args, c.Endpoint)
	}
	if len(c.Exclude) > 0 {
		filter += " AND d.endpoint_id NOT IN (?)"
		args = append(args, bun.List(c.Exclude))
	}
	args = append(args, c.Limit)
	lock := ""
	if w.s.dialect == Postgres {
		lock = "FOR UPDATE OF d SKIP LOCKED"
	}
	query := `UPDATE webhook_deliveries SET next_attempt_at = ?, claimed_by = ? WHERE id IN (
		SELECT d.id FROM webhook_deliveries AS d
		WHERE d.status = 'pending' AND d.next_attempt_at <= ?
		  AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.company_id = d.company_id AND e.id = d.endpoint_id AND e.active)
		  AND (SELECT 1 FROM webhook_deliveries p WHERE p.company_id = d.company_id AND p.endpoint_id = d.endpoint_id
		      AND p.aggregate_key = d.aggregate_key AND p.status IN ('pending', 'failed') AND p.id < d.id
		      AND (p.status = 'failed' OR p.next_attempt_at > ?)
		      LIMIT 1) IS NULL
		  ` + filter + `
		ORDER BY d.id LIMIT ? ` + lock + `
	) RETURNING *`
	var rows []webhookDeliveryRow
	db := w.s.deliveryDB(true)
	var err error
	if w.s.dialect == Postgres {
		err = w.s.runTx(ctx, db, func(ctx context.Context, tx bun.Tx, _ *withCommit) error {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('boladao.webhook_claims', 0))"); err != nil {
				return err
			}
			return tx.NewRaw(query, args...).Scan(ctx, &rows)
		})
	} else {
		err = db.NewRaw(query, args...).Scan(ctx, &rows)
	}
	if err != nil {
		return nil, translate(err, "claiming webhook deliveries")
	}
	slices.SortFunc(rows, func(a, b webhookDeliveryRow) int { return int(a.ID - b.ID) })
	out := make([]webhooks.Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.model()
	}
	return out, nil
}

func (w webhookStore) ReleaseDeliveries(ctx context.Context, ids []int64, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := w.s.deliveryDB(true).NewUpdate().Table("webhook_deliveries").Set("next_attempt_at = ?", at.UTC()).
		Set("claimed_by = ''").Where("id IN (?)", bun.List(ids)).Where("status = 'pending'").Exec(ctx)
	return translate(err, "releasing webhook deliveries")
}

// RenewClaims implements webhooks.Store: one UPDATE per 1,000 deliveries.
func (w webhookStore) RenewClaims(ctx context.Context, owner string, ids []int64, until time.Time) error {
	for chunk := range slices.Chunk(ids, 1000) {
		_, err := w.s.deliveryDB(true).NewUpdate().Table("webhook_deliveries").Set("next_attempt_at = ?", until.UTC()).
			Where("id IN (?)", bun.List(chunk)).Where("status = 'pending' AND claimed_by = ?", owner).Exec(ctx)
		if err != nil {
			return translate(err, "renewing webhook delivery claims")
		}
	}
	return nil
}

// RecordAttempts implements webhooks.Store in one transaction: the attempt
// rows in one INSERT, and runs of successes as one UPDATE per status code
// (with one reset of the endpoint's run of failures); each failure is
// written on its own, in order, since it may disable the endpoint. On
// PostgreSQL a batch of successes only, the common case, travels whole
// with its COMMIT: one round trip.
func (w webhookStore) RecordAttempts(ctx context.Context, recs []webhooks.AttemptRecord) ([]bool, error) {
	disabled := make([]bool, len(recs))
	if len(recs) == 0 {
		return disabled, nil
	}
	successes := !slices.ContainsFunc(recs, func(r webhooks.AttemptRecord) bool { return !r.Succeeded })
	err := w.s.inTxOn(ctx, w.s.deliveryDB(true), func(ctx context.Context, tx *Tx) error {
		rows := make([]webhookAttemptRow, len(recs))
		for i, rec := range recs {
			d, a := rec.Delivery, rec.Attempt
			rows[i] = webhookAttemptRow{CompanyID: int64(d.CompanyID), EndpointID: d.EndpointID, DeliveryID: d.ID, At: a.At.UTC(),
				StatusCode: a.StatusCode, LatencyMS: a.LatencyMS, Response: a.Response, Error: a.Error}
		}
		if successes && tx.withCommit != nil {
			// A missing delivery fails the attempts' foreign key at COMMIT.
			if err := execAtCommit(ctx, tx.withCommit, tx.db.NewInsert().Model(&rows)); err != nil {
				return err
			}
			return recordSuccesses(ctx, tx, recs, tx.withCommit)
		}
		if _, err := tx.db.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
		var run []webhooks.AttemptRecord
		for i, rec := range recs {
			if rec.Succeeded {
				run = append(run, rec)
				continue
			}
			if err := recordSuccesses(ctx, tx, run, nil); err != nil {
				return err
			}
			run = nil
			var err error
			if disabled[i], err = recordFailure(ctx, tx, rec); err != nil {
				return err
			}
		}
		return recordSuccesses(ctx, tx, run, nil)
	})
	if err != nil && isForeignKeyViolation(err) {
		return nil, fmt.Errorf("recording webhook attempts: a delivery: %w", storage.ErrNotFound)
	}
	if err != nil {
		return nil, translate(err, "recording webhook attempts")
	}
	return disabled, nil
}

// recordSuccesses marks successful deliveries, one UPDATE per status code,
// and resets their endpoints' runs of failures. With wc the statements go
// with its COMMIT, and a missing delivery is left to the attempts' foreign
// key; without, each UPDATE must find all its deliveries.
func recordSuccesses(ctx context.Context, tx *Tx, recs []webhooks.AttemptRecord, wc *withCommit) error {
	if len(recs) == 0 {
		return nil
	}
	type group struct {
		company int64
		code    int
	}
	ids := map[group][]int64{}
	var last time.Time
	type endpoint struct{ company, id int64 }
	endpoints := map[endpoint]bool{}
	for _, rec := range recs {
		d := rec.Delivery
		g := group{int64(d.CompanyID), d.LastStatusCode}
		ids[g] = append(ids[g], d.ID)
		if d.UpdatedAt.After(last) {
			last = d.UpdatedAt
		}
		endpoints[endpoint{int64(d.CompanyID), d.EndpointID}] = true
	}
	for g, list := range ids {
		q := tx.db.NewUpdate().Table("webhook_deliveries").
			Set("status = ?", string(webhooks.StatusSucceeded)).Set("attempts = attempts + 1").
			Set("last_status_code = ?", g.code).Set("last_error = ''").Set("updated_at = ?", last.UTC()).
			Set("delivered_at = ?", last.UTC()).Set("next_attempt_at = ?", last.UTC()).Set("claimed_by = ''").
			Where("company_id = ? AND id IN (?)", g.company, bun.List(list))
		if wc != nil {
			if err := execAtCommit(ctx, wc, q); err != nil {
				return err
			}
			continue
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); int(n) != len(list) {
			return fmt.Errorf("recording webhook attempts: %d of %d deliveries: %w", len(list)-int(n), len(list), storage.ErrNotFound)
		}
	}
	for ep := range endpoints {
		if err := execAtCommit(ctx, wc, tx.db.NewUpdate().Table("webhook_endpoints").Set("consecutive_failures = 0").
			Set("failing_since = NULL").
			Where("company_id = ? AND id = ? AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)", ep.company, ep.id)); err != nil {
			return err
		}
	}
	return nil
}

// recordFailure writes a failed attempt's delivery state and the
// endpoint's run of failures, and reports whether it disabled the
// endpoint.
func recordFailure(ctx context.Context, tx *Tx, rec webhooks.AttemptRecord) (bool, error) {
	d := rec.Delivery
	res, err := tx.db.NewUpdate().Table("webhook_deliveries").
		Set("status = ?", string(d.Status)).Set("attempts = ?", d.Attempts).Set("next_attempt_at = ?", d.NextAttemptAt.UTC()).
		Set("last_status_code = ?", d.LastStatusCode).Set("last_error = ?", d.LastError).Set("updated_at = ?", d.UpdatedAt.UTC()).
		Set("delivered_at = ?", nullTime(d.DeliveredAt)).Set("claimed_by = ''").
		Where("company_id = ? AND id = ?", int64(d.CompanyID), d.ID).Exec(ctx)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, fmt.Errorf("recording an attempt of delivery %d: %w", d.ID, storage.ErrNotFound)
	}
	var ep struct {
		Failures int       `bun:"consecutive_failures"`
		Since    time.Time `bun:"failing_since"`
	}
	if err := tx.db.NewUpdate().Table("webhook_endpoints").Set("consecutive_failures = consecutive_failures + 1").
		Set("failing_since = coalesce(failing_since, ?)", rec.Now.UTC()).
		Where("company_id = ? AND id = ?", int64(d.CompanyID), d.EndpointID).Returning("consecutive_failures, failing_since").
		Scan(ctx, &ep); err != nil {
		return false, err
	}
	reason := rec.Disable
	if reason == "" {
		reason = webhooks.FailingReason(rec, ep.Failures, ep.Since)
	}
	if reason == "" {
		return false, nil
	}
	res, err = tx.db.NewUpdate().Table("webhook_endpoints").Set("active = ?", false).Set("disabled_reason = ?", reason).
		Set("version = version + 1").Set("updated_at = ?", rec.Now.UTC()).
		Where("company_id = ? AND id = ? AND active", int64(d.CompanyID), d.EndpointID).Exec(ctx)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil
	}
	if rec.Disabled.ID != "" {
		if err := tx.AppendEvents(ctx, rec.Disabled); err != nil {
			return false, err
		}
	}
	return true, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func (w webhookStore) DeliveryByID(ctx context.Context, company tenant.CompanyID, endpoint, id int64) (webhooks.Delivery, error) {
	var r webhookDeliveryRow
	if err := w.s.read.NewSelect().Model(&r).ColumnExpr("d.*").ColumnExpr(blockedByExpr).
		Where("d.company_id = ? AND d.endpoint_id = ? AND d.id = ?", int64(company), endpoint, id).Scan(ctx); err != nil {
		return webhooks.Delivery{}, translate(err, fmt.Sprintf("reading webhook delivery %d", id))
	}
	return r.model(), nil
}

func (w webhookStore) ListDeliveries(ctx context.Context, company tenant.CompanyID, endpoint int64, f webhooks.DeliveryFilter,
	p storage.PageRequest) (storage.Page[webhooks.Delivery], error) {
	p = p.Normalize()
	before, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[webhooks.Delivery]{}, err
	}
	var rows []webhookDeliveryRow
	q := w.s.read.NewSelect().Model(&rows).ColumnExpr("d.*").ColumnExpr(blockedByExpr).
		Where("d.company_id = ? AND d.endpoint_id = ?", int64(company), endpoint).
		OrderExpr("d.id DESC").Limit(int64(p.Limit + 1))
	if before != 0 {
		q = q.Where("d.id < ?", before)
	}
	if f.Status != "" {
		q = q.Where("d.status = ?", string(f.Status))
	}
	if err := q.Scan(ctx); err != nil {
		return storage.Page[webhooks.Delivery]{}, translate(err, "listing webhook deliveries")
	}
	items := make([]webhooks.Delivery, len(rows))
	for i, r := range rows {
		items[i] = r.model()
	}
	return storage.PageOf(items, p.Limit, func(d webhooks.Delivery) int64 { return d.ID }), nil
}

func (w webhookStore) ListAttempts(ctx context.Context, company tenant.CompanyID, delivery int64) ([]webhooks.Attempt, error) {
	var rows []webhookAttemptRow
	if err := w.s.read.NewSelect().Model(&rows).Where("company_id = ? AND delivery_id = ?", int64(company), delivery).
		OrderExpr("id").Scan(ctx); err != nil {
		return nil, translate(err, "listing webhook attempts")
	}
	out := make([]webhooks.Attempt, len(rows))
	for i, r := range rows {
		out[i] = r.model()
	}
	return out, nil
}

func (w webhookStore) ResetDelivery(ctx context.Context, company tenant.CompanyID, endpoint, id int64, now time.Time) (webhooks.Delivery, error) {
	return w.setStatus(ctx, company, endpoint, id, now, webhooks.StatusPending, "status <> 'skipped'",
		"it was skipped and the later deliveries of its aggregate went on without it")
}

func (w webhookStore) SkipDelivery(ctx context.Context, company tenant.CompanyID, endpoint, id int64, now time.Time) (webhooks.Delivery, error) {
	return w.setStatus(ctx, company, endpoint, id, now, webhooks.StatusSkipped, "status = 'failed'",
		"only failed deliveries can be skipped")
}

// setStatus moves a delivery that meets cond to status (due at now if
// pending); one that does not is a storage.ErrConflict, with why.
func (w webhookStore) setStatus(ctx context.Context, company tenant.CompanyID, endpoint, id int64, now time.Time,
	status webhooks.Status, cond, why string) (webhooks.Delivery, error) {
	var r webhookDeliveryRow
	_, err := w.s.write.NewUpdate().Model(&r).ModelTableExpr("webhook_deliveries").
		Set("status = ?", string(status)).Set("next_attempt_at = ?", now.UTC()).Set("claimed_by = ''").
		Set("updated_at = ?", now.UTC()).Set("delivered_at = NULL").
		Where("company_id = ? AND endpoint_id = ? AND id = ?", int64(company), endpoint, id).Where(cond).Returning("*").Exec(ctx, &r)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return webhooks.Delivery{}, translate(err, "changing webhook delivery")
	}
	if r.ID == 0 {
		cur, err := w.DeliveryByID(ctx, company, endpoint, id)
		if err != nil {
			return webhooks.Delivery{}, err
		}
		return webhooks.Delivery{}, fmt.Errorf("webhook delivery %d is %s: %s: %w", id, cur.Status, why, storage.ErrConflict)
	}
	return r.model(), nil
}

func (w webhookStore) EndpointStats(ctx context.Context, company tenant.CompanyID, endpoint int64, now time.Time) (webhooks.Stats, error) {
	var st webhooks.Stats
	gauges, err := w.gauges(ctx, w.s.read, now, "e.company_id = ? AND e.id = ?", int64(company), endpoint)
	if err != nil {
		return st, err
	}
	if len(gauges) == 1 {
		g := gauges[0]
		st.Held, st.Claimed, st.ClaimedUntil = g.Held, g.Claimed, g.ClaimedUntil
	}
	var byStatus []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	if err := w.s.read.NewSelect().Table("webhook_deliveries").ColumnExpr("status, count(*) AS n").
		Where("company_id = ? AND endpoint_id = ?", int64(company), endpoint).Group("status").Scan(ctx, &byStatus); err != nil {
		return st, translate(err, "counting webhook deliveries")
	}
	for _, s := range byStatus {
		st.Deliveries += s.N
		switch webhooks.Status(s.Status) {
		case webhooks.StatusPending:
			st.Pending = s.N
		case webhooks.StatusSucceeded:
			st.Succeeded = s.N
		case webhooks.StatusFailed:
			st.Failed = s.N
		case webhooks.StatusSkipped:
			st.Skipped = s.N
		}
	}
	var agg struct {
		N           int       `bun:"n"`
		Failed      int       `bun:"failed"`
		Latency     int64     `bun:"latency"`
		LastAt      time.Time `bun:"last_at,nullzero"`
		LastSuccess time.Time `bun:"last_success,nullzero"`
	}
	const ok = "(status_code BETWEEN 200 AND 299 AND error = '')"
	if err := w.s.read.NewSelect().Table("webhook_attempts").
		ColumnExpr("count(*) AS n").
		ColumnExpr("coalesce(sum(CASE WHEN "+ok+" THEN 0 ELSE 1 END), 0) AS failed").
		ColumnExpr("coalesce(sum(latency_ms), 0) AS latency").
		ColumnExpr("max(at) AS last_at").
		ColumnExpr("max(CASE WHEN "+ok+" THEN at END) AS last_success").
		Where("company_id = ? AND endpoint_id = ?", int64(company), endpoint).Scan(ctx, &agg); err != nil {
		return st, translate(err, "summing webhook attempts")
	}
	st.Attempts, st.FailedAttempts = agg.N, agg.Failed
	st.LastAttemptAt, st.LastSuccessAt = utcOrZero(agg.LastAt), utcOrZero(agg.LastSuccess)
	webhooks.FinishStats(&st, agg.Latency)
	return st, nil
}

// DeliveryGauges implements webhooks.Store.
func (w webhookStore) DeliveryGauges(ctx context.Context, now time.Time) ([]webhooks.Gauge, error) {
	return w.gauges(ctx, w.s.read, now, "true")
}

// gauges counts the unfinished deliveries of the endpoints that match
// where (over webhook_endpoints e), in one statement that reads only
// pending and failed deliveries.
func (w webhookStore) gauges(ctx context.Context, db bun.IDB, now time.Time, where string, args ...any) ([]webhooks.Gauge, error) {
	var rows []struct {
		CompanyID    int64   `bun:"company_id"`
		EndpointID   int64   `bun:"endpoint_id"`
		Active       bool    `bun:"active"`
		Pending      int     `bun:"pending"`
		Held         int     `bun:"held"`
		Claimed      int     `bun:"claimed"`
		Failed       int     `bun:"failed"`
		ClaimedUntil rowTime `bun:"claimed_until"`
	}
	q := `SELECT e.company_id, e.id AS endpoint_id, e.active,
		  coalesce(sum(CASE WHEN d.status = 'pending' THEN 1 ELSE 0 END), 0) AS pending,
		  coalesce(sum(CASE WHEN d.status = 'pending' AND (NOT e.active OR EXISTS (SELECT 1 FROM webhook_deliveries p
		      WHERE p.company_id = d.company_id AND p.endpoint_id = d.endpoint_id AND p.aggregate_key = d.aggregate_key
		        AND p.status = 'failed' AND p.id < d.id)) THEN 1 ELSE 0 END), 0) AS held,
		  coalesce(sum(CASE WHEN d.status = 'pending' AND d.claimed_by <> '' AND d.next_attempt_at > ? THEN 1 ELSE 0 END), 0) AS claimed,
		  coalesce(sum(CASE WHEN d.status = 'failed' THEN 1 ELSE 0 END), 0) AS failed,
		  max(CASE WHEN d.status = 'pending' AND d.claimed_by <> '' AND d.next_attempt_at > ? THEN d.next_attempt_at END) AS claimed_until
		FROM webhook_endpoints e
		LEFT JOIN webhook_deliveries d ON d.company_id = e.company_id AND d.endpoint_id = e.id AND d.status IN ('pending', 'failed')
		WHERE ` + where + `
		GROUP BY e.company_id, e.id, e.active ORDER BY e.company_id, e.id`
	if err := db.NewRaw(q, append([]any{now.UTC(), now.UTC()}, args...)...).Scan(ctx, &rows); err != nil {
		return nil, translate(err, "counting unfinished webhook deliveries")
	}
	out := make([]webhooks.Gauge, len(rows))
	for i, r := range rows {
		out[i] = webhooks.Gauge{CompanyID: tenant.CompanyID(r.CompanyID), EndpointID: r.EndpointID, Active: r.Active,
			Pending: r.Pending, Held: r.Held, Claimed: r.Claimed, Failed: r.Failed, ClaimedUntil: r.ClaimedUntil.time()}
	}
	return out, nil
}

// isForeignKeyViolation reports a reference to a missing row.
func isForeignKeyViolation(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C') == "23503"
	}
	return strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// PruneDeliveries implements webhooks.Store; attempts go with their
// deliveries (ON DELETE CASCADE).
func (w webhookStore) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	res, err := w.s.write.NewDelete().TableExpr("webhook_deliveries AS d").
		Where(`d.status <> 'pending' AND d.updated_at < ? AND EXISTS (SELECT 1 FROM webhook_deliveries n
		    WHERE n.company_id = d.company_id AND n.endpoint_id = d.endpoint_id AND n.aggregate_key = d.aggregate_key AND n.seq > d.seq)`,
			before.UTC()).Exec(ctx)
	if err != nil {
		return 0, translate(err, "pruning webhook deliveries")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
