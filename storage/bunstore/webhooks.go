package bunstore

import (
	"context"
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
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), Version: e.Version}
}

func (r webhookEndpointRow) model() (webhooks.Endpoint, error) {
	evs := []string{}
	if err := json.Unmarshal([]byte(r.Events), &evs); err != nil {
		return webhooks.Endpoint{}, fmt.Errorf("decoding the events of webhook endpoint %d: %w", r.ID, err)
	}
	return webhooks.Endpoint{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), URL: r.URL, Secret: r.Secret, Events: evs,
		Description: r.Description, Active: r.Active, DisabledReason: r.DisabledReason, ConsecutiveFailures: r.ConsecutiveFailures,
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
}

func deliveryRowOf(d webhooks.Delivery) webhookDeliveryRow {
	return webhookDeliveryRow{ID: d.ID, CompanyID: int64(d.CompanyID), EndpointID: d.EndpointID, EventID: d.EventID,
		EventType: d.EventType, AggregateKey: d.AggregateKey, Payload: string(d.Payload), Status: string(d.Status),
		Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt.UTC(), LastStatusCode: d.LastStatusCode, LastError: d.LastError,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), DeliveredAt: utcOrZero(d.DeliveredAt)}
}

func (r webhookDeliveryRow) model() webhooks.Delivery {
	return webhooks.Delivery{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), EndpointID: r.EndpointID, EventID: r.EventID,
		EventType: r.EventType, AggregateKey: r.AggregateKey, Payload: []byte(r.Payload), Status: webhooks.Status(r.Status),
		Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt.UTC(), LastStatusCode: r.LastStatusCode, LastError: r.LastError,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), DeliveredAt: utcOrZero(r.DeliveredAt)}
}

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
	if _, err := w.s.write.NewInsert().Model(&r).Returning("id").Exec(ctx); err != nil {
		if isForeignKeyViolation(err) {
			return fmt.Errorf("inserting webhook endpoint: company %d: %w", ep.CompanyID, storage.ErrNotFound)
		}
		return translate(err, "inserting webhook endpoint")
	}
	ep.ID = r.ID
	return nil
}

func (w webhookStore) UpdateEndpoint(ctx context.Context, ep *webhooks.Endpoint) error {
	r := endpointRowOf(*ep)
	if err := update(ctx, w.s.write, &r, "webhook_endpoints", ep.ID, ep.CompanyID, "company_id", ep.Version,
		fmt.Sprintf("webhook endpoint %d", ep.ID)); err != nil {
		return err
	}
	ep.Version++
	return nil
}

func (w webhookStore) DeleteEndpoint(ctx context.Context, company tenant.CompanyID, id int64) error {
	res, err := w.s.write.NewDelete().Model((*webhookEndpointRow)(nil)).
		Where("company_id = ? AND id = ?", int64(company), id).Exec(ctx)
	if err != nil {
		return translate(err, "deleting webhook endpoint")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("deleting webhook endpoint %d: %w", id, storage.ErrNotFound)
	}
	return nil
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
	var rows []webhookEndpointRow
	if err := w.s.deliveryDB(false).NewSelect().Model(&rows).Where("company_id = ? AND active", int64(company)).OrderExpr("id").
		Scan(ctx); err != nil {
		return nil, translate(err, "listing active webhook endpoints")
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
// INSERT reads its rows from a VALUES list and sets each one's next attempt
// by whether its endpoint and aggregate had a pending delivery (claimed
// for lease when not; with lease 0 both times are the same). The subquery
// sees the table as it was before the statement, on both dialects (SQLite
// computes an INSERT ... SELECT that reads its own table before it
// writes), so deliveries of one aggregate within ds are claimed alike.
func (w webhookStore) EnqueueDeliveries(ctx context.Context, ds []webhooks.Delivery, lease time.Duration) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	rows := make([]deliveryValues, len(ds))
	for i, d := range ds {
		rows[i] = deliveryValues{webhookDeliveryRow: deliveryRowOf(d), HeldUntil: d.NextAttemptAt.Add(lease).UTC()}
	}
	// Skipped duplicates return no row, so the IDs are matched back by
	// endpoint and event.
	var ret []struct {
		ID            int64     `bun:"id"`
		EndpointID    int64     `bun:"endpoint_id"`
		EventID       string    `bun:"event_id"`
		NextAttemptAt time.Time `bun:"next_attempt_at"`
	}
	db := w.s.deliveryDB(true)
	err := db.NewRaw(claimingInsert, db.NewValues(&rows).Column(valuesColumns...).WithOrder()).Scan(ctx, &ret)
	if err != nil {
		if isForeignKeyViolation(err) {
			return 0, fmt.Errorf("enqueueing webhook deliveries: an endpoint: %w", storage.ErrNotFound)
		}
		return 0, translate(err, "enqueueing webhook deliveries")
	}
	type key struct {
		endpoint int64
		event    string
	}
	type inserted struct {
		id  int64
		due time.Time
	}
	byKey := make(map[key]inserted, len(ret))
	for _, r := range ret {
		byKey[key{r.EndpointID, r.EventID}] = inserted{r.ID, r.NextAttemptAt}
	}
	for i := range ds {
		if in, ok := byKey[key{ds[i].EndpointID, ds[i].EventID}]; ok {
			ds[i].ID, ds[i].NextAttemptAt = in.id, in.due.UTC()
		} else {
			ds[i].ID = 0
		}
	}
	return len(ret), nil
}

// deliveryValues is a row of a claiming insert's VALUES list: a delivery
// and its next attempt should it be claimed.
type deliveryValues struct {
	webhookDeliveryRow
	HeldUntil time.Time `bun:"held_until"`
}

// deliveryColumns are the columns a new delivery writes (all but id).
var deliveryColumns = []string{"company_id", "endpoint_id", "event_id", "event_type", "aggregate_key", "payload", "status",
	"attempts", "next_attempt_at", "last_status_code", "last_error", "created_at", "updated_at", "delivered_at"}

// valuesColumns are the columns of claimingInsert's VALUES list (and
// _order).
var valuesColumns = append(slices.Clone(deliveryColumns), "held_until")

// claimingInsert is EnqueueDeliveries' statement; its argument is the
// VALUES list (valuesColumns, _order).
var claimingInsert = func() string {
	sel := make([]string, len(deliveryColumns))
	for i, c := range deliveryColumns {
		sel[i] = "v." + c
		if c == "next_attempt_at" {
			sel[i] = `CASE WHEN EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.company_id = v.company_id
			    AND p.endpoint_id = v.endpoint_id AND p.aggregate_key = v.aggregate_key AND p.status = 'pending')
			  THEN v.next_attempt_at ELSE v.held_until END`
		}
	}
	cols := strings.Join(deliveryColumns, ", ")
	return `WITH v (` + cols + `, held_until, _order) AS (?)
		INSERT INTO webhook_deliveries (` + cols + `)
		SELECT ` + strings.Join(sel, ", ") + ` FROM v ORDER BY v._order
		ON CONFLICT (company_id, endpoint_id, event_id) DO NOTHING
		RETURNING id, endpoint_id, event_id, next_attempt_at`
}()

// ClaimDeliveries implements webhooks.Store with one UPDATE ... RETURNING
// over a subquery that, on PostgreSQL, locks FOR UPDATE SKIP LOCKED. The
// check for an earlier delivery of the aggregate is a scalar subquery, not
// NOT EXISTS: PostgreSQL runs it per candidate as a probe of
// webhook_deliveries_aggregate_idx on all four columns, where an anti-join
// planned from the statistics of a table that just filled up filtered
// every pending delivery of the endpoint for every candidate (200 ms for
// 200 candidates among 4,000).
func (w webhookStore) ClaimDeliveries(ctx context.Context, c webhooks.Claim) ([]webhooks.Delivery, error) {
	now := c.Now.UTC()
	args := []any{now.Add(c.Lease), now, now}
	filter := ""
	if c.Endpoint != 0 {
		filter = "AND d.endpoint_id = ?"
		args = append(args, c.Endpoint)
	}
	if len(c.Exclude) > 0 {
		filter += " AND d.endpoint_id NOT IN (?)"
		args = append(args, bun.In(c.Exclude))
	}
	args = append(args, c.Limit)
	lock := ""
	if w.s.dialect == Postgres {
		lock = "FOR UPDATE OF d SKIP LOCKED"
	}
	query := `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN (
		SELECT d.id FROM webhook_deliveries AS d
		WHERE d.status = 'pending' AND d.next_attempt_at <= ?
		  AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.company_id = d.company_id AND e.id = d.endpoint_id AND e.active)
		  AND (SELECT 1 FROM webhook_deliveries p WHERE p.company_id = d.company_id AND p.endpoint_id = d.endpoint_id
		      AND p.aggregate_key = d.aggregate_key AND p.status = 'pending' AND p.id < d.id AND p.next_attempt_at > ?
		      LIMIT 1) IS NULL
		  ` + filter + `
		ORDER BY d.next_attempt_at, d.id LIMIT ? ` + lock + `
	) RETURNING *`
	var rows []webhookDeliveryRow
	if err := w.s.deliveryDB(true).NewRaw(query, args...).Scan(ctx, &rows); err != nil {
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
		Where("id IN (?)", bun.In(ids)).Where("status = 'pending'").Exec(ctx)
	return translate(err, "releasing webhook deliveries")
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
			Set("delivered_at = ?", last.UTC()).
			Where("company_id = ? AND id IN (?)", g.company, bun.In(list))
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
			Where("company_id = ? AND id = ? AND consecutive_failures <> 0", ep.company, ep.id)); err != nil {
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
		Set("delivered_at = ?", nullTime(d.DeliveredAt)).
		Where("company_id = ? AND id = ?", int64(d.CompanyID), d.ID).Exec(ctx)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, fmt.Errorf("recording an attempt of delivery %d: %w", d.ID, storage.ErrNotFound)
	}
	var failures int
	if err := tx.db.NewUpdate().Table("webhook_endpoints").Set("consecutive_failures = consecutive_failures + 1").
		Where("company_id = ? AND id = ?", int64(d.CompanyID), d.EndpointID).Returning("consecutive_failures").
		Scan(ctx, &failures); err != nil {
		return false, err
	}
	if rec.Disable == "" && (rec.DisableAfter == 0 || failures < rec.DisableAfter) {
		return false, nil
	}
	reason := rec.Disable
	if reason == "" {
		reason = fmt.Sprintf("%d failed attempts in a row", failures)
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
	if err := w.s.read.NewSelect().Model(&r).Where("company_id = ? AND endpoint_id = ? AND id = ?", int64(company), endpoint, id).
		Scan(ctx); err != nil {
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
	q := w.s.read.NewSelect().Model(&rows).Where("company_id = ? AND endpoint_id = ?", int64(company), endpoint).
		OrderExpr("id DESC").Limit(int64(p.Limit + 1))
	if before != 0 {
		q = q.Where("id < ?", before)
	}
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
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
	var r webhookDeliveryRow
	_, err := w.s.write.NewUpdate().Model(&r).ModelTableExpr("webhook_deliveries").
		Set("status = ?", string(webhooks.StatusPending)).Set("next_attempt_at = ?", now.UTC()).
		Set("updated_at = ?", now.UTC()).Set("delivered_at = NULL").
		Where("company_id = ? AND endpoint_id = ? AND id = ?", int64(company), endpoint, id).Returning("*").Exec(ctx, &r)
	if err != nil {
		return webhooks.Delivery{}, translate(err, "resetting webhook delivery")
	}
	if r.ID == 0 {
		return webhooks.Delivery{}, fmt.Errorf("resetting webhook delivery %d: %w", id, storage.ErrNotFound)
	}
	return r.model(), nil
}

func (w webhookStore) EndpointStats(ctx context.Context, company tenant.CompanyID, endpoint int64) (webhooks.Stats, error) {
	var st webhooks.Stats
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
	res, err := w.s.write.NewDelete().Table("webhook_deliveries").
		Where("status <> ?", string(webhooks.StatusPending)).Where("updated_at < ?", before.UTC()).Exec(ctx)
	if err != nil {
		return 0, translate(err, "pruning webhook deliveries")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
