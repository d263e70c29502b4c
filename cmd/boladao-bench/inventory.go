package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// The seeded inventory: bunstoretest.SeedAssets bulk-loads -assets-total
// assets in -asset-companies companies, -assets of them in the benchmark
// company, its rows interleaved with the others' in ID order.
const (
	// assetPageLimit is the page size of the asset list.
	assetPageLimit = 50
	// deepPage is the page of the second scenario of each list.
	deepPage = 100
)

// assetsListPath is the asset list the scenarios measure:
// bunstoretest.AssetSearch, the assets in use matching "note dell" (7.5%
// of a company's), in creation order.
const assetsListPath = "/api/helpdesk/assets?status=in_use&q=note+dell&limit=50"

// seedInventory bulk-loads the assets of cfg and returns how long it took.
func (e *env) seedInventory(ctx context.Context, cfg config) (time.Duration, error) {
	start := time.Now()
	_, err := bunstoretest.SeedAssets(ctx, e.store, bunstoretest.AssetSeed{
		Total: cfg.assetsTotal, Companies: cfg.assetCompanies, Main: cfg.assets, Company: e.admin.CompanyID})
	return time.Since(start), err
}

// listWalk is the outcome of following a list's next_cursor.
type listWalk struct {
	// page is the deepest full page reached, up to deepPage; cursor
	// fetches it.
	page   int
	cursor string
}

// walkList follows next_cursor of the list at path (pages of limit items)
// through the API up to page deepPage, and returns the deepest page that
// is full.
func walkList(ctx context.Context, baseURL, token, path string, limit int) (listWalk, error) {
	client := newClient(1)
	defer client.CloseIdleConnections()
	var (
		walk   listWalk
		cursor string
	)
	for page := 1; page <= deepPage; page++ {
		p := path
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		req, err := newGet(ctx, baseURL+p, token)
		if err != nil {
			return walk, err
		}
		var body struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := getJSON(client, req, &body); err != nil {
			return walk, fmt.Errorf("walking %s, page %d: %w", path, page, err)
		}
		if len(body.Items) < limit {
			break
		}
		walk.page, walk.cursor = page, cursor
		if body.NextCursor == "" {
			break
		}
		cursor = body.NextCursor
	}
	return walk, nil
}

// getJSON sends req and decodes a 2xx JSON answer into v.
func getJSON(client *http.Client, req *http.Request, v any) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
	}
	return json.Unmarshal(raw, v)
}

// assetListScenarios measures the first page of the asset list and the
// deepest full page up to deepPage, each against a bare handler.
func assetListScenarios(ctx context.Context, e *env, cfg config) []scenarioResult {
	return listScenarios(ctx, e, cfg, assetsListPath, e.assetWalk, "assets", listP50Target, listP99Target)
}

// listScenarios measures the first page of the list at path and its page
// walk.page (the deepest full page up to deepPage), each against a bare
// handler, with cfg.latencyClients clients: the targets are per request,
// and more clients than cores would measure queueing. what names the
// seeded rows for the message of a list too short to go deep.
func listScenarios(ctx context.Context, e *env, cfg config, path string, walk listWalk, what string, p50, p99 time.Duration) []scenarioResult {
	cfg.clients = cfg.latencyClients
	first := httpScenario(ctx, e, cfg, "GET "+path, path, e.token)
	// The targets are the latencies; the ratio to a bare handler is shown.
	first.target, first.maxP50, first.maxP99 = 0, p50, p99
	deepName := fmt.Sprintf("GET %s&cursor=… (page %d)", path, deepPage)
	var deep scenarioResult
	if walk.page < 2 {
		deep = scenarioResult{name: deepName, skipped: fmt.Sprintf("the list has %d full pages: seed more %s", walk.page, what)}
	} else {
		deepName = fmt.Sprintf("GET %s&cursor=… (page %d)", path, walk.page)
		deep = httpScenario(ctx, e, cfg, deepName, path+"&cursor="+url.QueryEscape(walk.cursor), e.token)
	}
	deep.target, deep.maxP50, deep.maxP99 = 0, p50, p99
	deep.page1 = first.name
	return []scenarioResult{first, deep}
}

// Latency targets of the asset list, page 1 and deep pages alike.
const (
	listP50Target = 2 * time.Millisecond
	listP99Target = 6 * time.Millisecond
)

// intakeScenarioName names the intake scenario.
const intakeScenarioName = "intake 10 (service)"

// intakeQuantity is the size of the measured intakes.
const intakeQuantity = 10

// benchIntake is what the measured intakes receive.
var benchIntake = inventory.IntakeInput{Name: "Mouse Logitech M90", Category: "Periférico", Manufacturer: "Logitech",
	Model: "M90", Quantity: intakeQuantity, Location: "Sede", Supplier: "Logitech Brasil", InvoiceNumber: "NF-BENCH",
	UnitCostCents: 4_990, WarrantyMonths: 12}

// intakeScenario measures Inventory.Intake of 10 units (stock item, 10
// assets with serials, history, 11 events in one unit of work) against the
// same rows written by a plain bun.RunInTx with multi-row inserts.
func intakeScenario(ctx context.Context, e *env, cfg config) scenarioResult {
	res := scenarioResult{name: intakeScenarioName}
	raw := make([]op, cfg.clients)
	svc := make([]op, cfg.clients)
	actor := e.admin.Actor()
	for i := range cfg.clients {
		raw[i] = rawIntakeOp(e, i)
		svc[i] = func(ctx context.Context) error {
			_, _, err := e.desk.Inventory.Intake(ctx, actor, benchIntake)
			return err
		}
	}
	res.real, res.raw = measurePair(ctx, svc, raw, cfg.duration)
	return res
}

// Column lists of the raw intake's multi-row inserts.
const (
	stockItemColumns = "company_id, name, category, manufacturer, model, quantity, available, location, supplier, " +
		"invoice_number, unit_cost_cents, received_at, warranty_months, created_by, version, created_at, updated_at"
	assetColumns = "company_id, stock_item_id, serial, manufacturer_serial, name, category, manufacturer, model, " +
		"status, location, warranty_until, retired_reason, version, created_at, updated_at"
	historyColumns = `company_id, asset_id, "at", actor_user_id, action, field, from_value, to_value, note`
	outboxColumns  = "id, type, company_id, aggregate_type, aggregate_id, occurred_at, actor_user_id, data"
)

// multiInsertSQL returns INSERT INTO table (columns) VALUES with rows
// tuples of placeholders, followed by suffix.
func multiInsertSQL(table, columns string, rows int, suffix string) string {
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", strings.Count(columns, ",")+1), ", ") + ")"
	tuples := make([]string, rows)
	for i := range tuples {
		tuples[i] = tuple
	}
	return "INSERT INTO " + table + " (" + columns + ") VALUES " + strings.Join(tuples, ", ") + suffix
}

// SQL of the raw intake.
var (
	rawStockSQL   = multiInsertSQL("stock_items", stockItemColumns, 1, " RETURNING id")
	rawAssetsSQL  = multiInsertSQL("assets", assetColumns, intakeQuantity, " RETURNING id")
	rawHistorySQL = multiInsertSQL("asset_history", historyColumns, intakeQuantity, "")
	rawOutboxSQL  = multiInsertSQL("outbox", outboxColumns, intakeQuantity+1, "")
)

// Event data of the raw intake, as the service writes them.
type (
	stockEvent struct {
		ID            int64  `json:"id"`
		Name          string `json:"name"`
		Category      string `json:"category"`
		Quantity      int    `json:"quantity"`
		Available     int    `json:"available"`
		InvoiceNumber string `json:"invoice_number"`
		UnitCostCents int64  `json:"unit_cost_cents"`
	}
	assetEvent struct {
		ID                int64  `json:"id"`
		Serial            string `json:"serial"`
		StockItemID       int64  `json:"stock_item_id"`
		Name              string `json:"name"`
		Status            string `json:"status"`
		AssigneeContactID int64  `json:"assignee_contact_id"`
		Location          string `json:"location"`
		Version           int64  `json:"version"`
	}
)

// rawIntakeOp writes what an intake of 10 writes — the stock item, 10
// assets, their 10 history entries and 11 outbox rows, the last three with
// one multi-row INSERT each — with bun.RunInTx on the store's write
// handle: the baseline of intakeScenario. Serials are unique per worker and
// call, without a sequence.
func rawIntakeOp(e *env, worker int) op {
	db := e.store.DB()
	company, user := int64(e.admin.CompanyID), int64(e.admin.ID)
	in := benchIntake
	n := 0
	return func(ctx context.Context) error {
		n++
		now := time.Now().UTC().Truncate(time.Microsecond)
		warranty := now.AddDate(0, in.WarrantyMonths, 0)
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var stockID int64
			err := tx.QueryRowContext(ctx, rawStockSQL, company, in.Name, in.Category, in.Manufacturer, in.Model,
				in.Quantity, in.Quantity, in.Location, in.Supplier, in.InvoiceNumber, in.UnitCostCents, now,
				in.WarrantyMonths, user, 1, now, now).Scan(&stockID)
			if err != nil {
				return fmt.Errorf("inserting the stock item: %w", err)
			}
			serials := make([]string, in.Quantity)
			args := make([]any, 0, 15*in.Quantity)
			for i := range serials {
				serials[i] = fmt.Sprintf("RAW-%d-%d-%02d", worker, n, i)
				args = append(args, company, stockID, serials[i], "", in.Name, in.Category, in.Manufacturer, in.Model,
					string(inventory.StatusInStock), in.Location, warranty, "", 1, now, now)
			}
			ids, err := queryIDs(ctx, tx, rawAssetsSQL, args...)
			if err != nil {
				return fmt.Errorf("inserting the assets: %w", err)
			}
			if len(ids) != len(serials) {
				return fmt.Errorf("inserting the assets: %d IDs returned for %d rows", len(ids), len(serials))
			}
			note := "intake of stock item " + strconv.FormatInt(stockID, 10)
			args = args[:0]
			for _, id := range ids {
				args = append(args, company, id, now, user, "created", "status", "", string(inventory.StatusInStock), note)
			}
			if _, err := tx.ExecContext(ctx, rawHistorySQL, args...); err != nil {
				return fmt.Errorf("inserting the history: %w", err)
			}
			args = args[:0]
			data, err := json.Marshal(stockEvent{ID: stockID, Name: in.Name, Category: in.Category, Quantity: in.Quantity,
				Available: in.Quantity, InvoiceNumber: in.InvoiceNumber, UnitCostCents: in.UnitCostCents})
			if err != nil {
				return err
			}
			args = append(args, events.NewID(now), "inventory.intake_received", company, "stock_item",
				strconv.FormatInt(stockID, 10), now, user, string(data))
			for i, id := range ids {
				data, err := json.Marshal(assetEvent{ID: id, Serial: serials[i], StockItemID: stockID, Name: in.Name,
					Status: string(inventory.StatusInStock), Location: in.Location, Version: 1})
				if err != nil {
					return err
				}
				args = append(args, events.NewID(now), "asset.created", company, "asset",
					strconv.FormatInt(id, 10), now, user, string(data))
			}
			if _, err := tx.ExecContext(ctx, rawOutboxSQL, args...); err != nil {
				return fmt.Errorf("inserting the outbox rows: %w", err)
			}
			return nil
		})
	}
}

// queryIDs runs query and returns the IDs it returns, in order.
func queryIDs(ctx context.Context, tx bun.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
