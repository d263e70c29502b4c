package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/serviceorders"
)

// The service order scenarios: creating an order through the service, and
// the analytics endpoint over -orders orders of the benchmark company
// created over the two years before the run.
const (
	orderCreateScenarioName = "create service order (service)"
	// orderAnalyticsTarget is the most the analytics may take at p50.
	orderAnalyticsTarget = 100 * time.Millisecond
	// orderSeedBatch is how many seeded orders one unit of work writes.
	orderSeedBatch = 1000
)

// orderAnalyticsPath is the analytics request of the scenario: a window of
// two years and a day ending at end.
func orderAnalyticsPath(end time.Time) string {
	from := end.Add(-2*365*24*time.Hour - 24*time.Hour)
	return "/api/helpdesk/service-orders/analytics?from=" + url.QueryEscape(from.Format(time.RFC3339)) +
		"&to=" + url.QueryEscape(end.Format(time.RFC3339))
}

// orderAnalyticsScenarioName names the analytics scenario.
const orderAnalyticsScenarioName = "GET /api/helpdesk/service-orders/analytics (2 years)"

// serviceOrderScenarios seeds the orders, then measures the analytics and
// the creation of orders, each against its baseline.
func serviceOrderScenarios(ctx context.Context, e *env, cfg config) []scenarioResult {
	end := time.Now().UTC().Truncate(time.Hour)
	analytics := scenarioResult{name: orderAnalyticsScenarioName, maxP50: orderAnalyticsTarget}
	if err := seedOrders(ctx, e, cfg.orders, end); err != nil {
		analytics.real = loadResult{errors: 1, samples: []string{"seeding the service orders: " + err.Error()}}
	} else {
		analytics = httpScenario(ctx, e, cfg, orderAnalyticsScenarioName, orderAnalyticsPath(end), e.token)
		// Its target is its latency: a computation has no throughput ratio
		// to a handler replaying its bytes.
		analytics.target, analytics.maxP50 = 0, orderAnalyticsTarget
	}
	return []scenarioResult{analytics, orderCreateScenario(ctx, e, cfg)}
}

// seedOrders writes n orders of the benchmark company through the store's
// units of work (numbers from the company's counters, daily totals kept by
// the store), created over the two years before end: a fifth still draft,
// the others scheduled, 60% of them completed, half of those late.
func seedOrders(ctx context.Context, e *env, n int, end time.Time) error {
	company := e.admin.CompanyID
	tech := e.admin.ID
	for start := 0; start < n; start += orderSeedBatch {
		err := e.store.ServiceOrders().InTx(ctx, func(ctx context.Context, tx serviceorders.Tx) error {
			for i := start; i < min(start+orderSeedBatch, n); i++ {
				h := uint64(i+1) * 0x9E3779B97F4A7C15
				created := end.Add(-time.Duration((h>>8)%(2*365*24*60)) * time.Minute).Truncate(time.Microsecond)
				o := serviceorders.Order{CompanyID: company, Year: created.Year(), Type: serviceorders.Types()[(h>>40)%5],
					Status: serviceorders.StatusDraft, Description: "Manutenção preventiva", CreatedBy: tech,
					CreatedAt: created, UpdatedAt: created}
				if r := (h >> 45) % 10; r >= 2 {
					o.Status, o.TechnicianUserID, o.APRNumber = serviceorders.StatusScheduled, tech, "APR-"+strconv.Itoa(i)
					o.ScheduledStart = created.Add(time.Duration((h>>20)%72) * time.Hour)
					o.ScheduledEnd = o.ScheduledStart.Add(4 * time.Hour)
					if r >= 4 {
						o.Status = serviceorders.StatusCompleted
						o.CompletedAt = o.ScheduledStart.Add(time.Duration((h>>24)%480) * time.Minute)
					}
				}
				seq, err := tx.NextServiceOrderSeq(ctx, company, o.Year)
				if err != nil {
					return err
				}
				o.Seq, o.Number = seq, serviceorders.FormatNumber(company, o.Year, seq)
				if err := tx.InsertServiceOrder(ctx, &o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// benchOrder is what the measured creations receive.
var benchOrder = serviceorders.CreateInput{Type: serviceorders.TypeCorrective, Description: "Troca de disco do servidor",
	Address: "Av. Paulista, 1000"}

// orderCreateScenario measures ServiceOrders.Create (company check, the
// year's number from the company's counter row, the order, its daily
// totals and its event in one unit of work) against the same rows written
// by a plain bun.RunInTx. Both serialise on the company's counter row.
func orderCreateScenario(ctx context.Context, e *env, cfg config) scenarioResult {
	res := scenarioResult{name: orderCreateScenarioName}
	raw := make([]op, cfg.clients)
	svc := make([]op, cfg.clients)
	actor := e.admin.Actor()
	for i := range cfg.clients {
		raw[i] = rawOrderOp(e)
		svc[i] = func(ctx context.Context) error {
			_, err := e.desk.ServiceOrders.Create(ctx, actor, benchOrder)
			return err
		}
	}
	res.real, res.raw = measurePair(ctx, svc, raw, cfg.duration)
	return res
}

// SQL of the raw order creation: the rows Create writes.
const (
	rawOrderCounterSQL = `INSERT INTO service_order_counters (company_id, year, next_seq) VALUES (?, ?, 2)
ON CONFLICT (company_id, year) DO UPDATE SET next_seq = service_order_counters.next_seq + 1 RETURNING next_seq`
	rawOrderSQL = `INSERT INTO service_orders (company_id, year, seq, number, type, status, address, description,
created_by, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?, 1, ?, ?) RETURNING id`
	rawOrderStatsSQL = `INSERT INTO service_order_daily_stats (company_id, day, status, orders) VALUES (?, ?, 'draft', 1)
ON CONFLICT (company_id, day, status) DO UPDATE SET orders = service_order_daily_stats.orders + 1`
)

// orderEvent is the data of the raw service_order.created event.
type orderEvent struct {
	ID      int64  `json:"id"`
	Number  string `json:"number"`
	Type    string `json:"type"`
	Status  string `json:"status"`
	Version int64  `json:"version"`
}

// rawOrderOp writes what a creation writes — the counter, the order, its
// daily totals and its outbox row — with bun.RunInTx on the store's write
// handle: the baseline of orderCreateScenario.
func rawOrderOp(e *env) op {
	db := e.store.DB()
	company, user := int64(e.admin.CompanyID), int64(e.admin.ID)
	in := benchOrder
	return func(ctx context.Context) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		year := now.Year()
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var next int64
			if err := tx.QueryRowContext(ctx, rawOrderCounterSQL, company, year).Scan(&next); err != nil {
				return fmt.Errorf("allocating the number: %w", err)
			}
			number := serviceorders.FormatNumber(tenant.CompanyID(company), year, next-1)
			var id int64
			if err := tx.QueryRowContext(ctx, rawOrderSQL, company, year, next-1, number, string(in.Type), in.Address,
				in.Description, user, now, now).Scan(&id); err != nil {
				return fmt.Errorf("inserting the order: %w", err)
			}
			if _, err := tx.ExecContext(ctx, rawOrderStatsSQL, company, now.Format("2006-01-02")); err != nil {
				return fmt.Errorf("updating the daily totals: %w", err)
			}
			data, err := json.Marshal(orderEvent{ID: id, Number: number, Type: string(in.Type), Status: "draft", Version: 1})
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, rawOrderOutboxSQL, events.NewID(now), "service_order.created", company, "service_order",
				strconv.FormatInt(id, 10), now, user, string(data))
			if err != nil {
				return fmt.Errorf("inserting the outbox row: %w", err)
			}
			return nil
		})
	}
}

// rawOrderOutboxSQL inserts the outbox row of a raw order.
var rawOrderOutboxSQL = multiInsertSQL("outbox", outboxColumns, 1, "")
