package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/storage/bunstore"
	"github.com/sistemaboladao/boladao/storage/bunstore/bunstoretest"
)

// The ticket scenarios run over tickets bulk-loaded by
// bunstoretest.SeedTickets: -tickets in each of -ticket-companies
// companies, the benchmark company first, created in the year before
// bunstoretest.TicketSeedNow; 55% of them are closed.
const (
	// ticketPageLimit is the page size of the ticket list.
	ticketPageLimit = 50
	// ticketsListPath is the ticket list the scenarios measure: closed
	// tickets, newest first.
	ticketsListPath = "/api/helpdesk/tickets?status=closed&limit=50"
	// ticketCreateName is the start of the creation scenarios' names (see
	// ticketCreateVariant).
	ticketCreateName = "POST /api/helpdesk/tickets"
	// ticketCreateIndexedName is creation with an access token at
	// -clients against the indexed baseline.
	ticketCreateIndexedName = ticketCreateName + " (vs indexed rows)"
	// plainTicketsTable is the baseline's table of ticket columns without
	// indexes, constraints or search triggers.
	plainTicketsTable = "bench_plain_tickets"
	// createClientsWide is the second number of clients creation runs at.
	createClientsWide = 32
)

// ticketCreateVariant names the creation scenario with an API token or at
// clients clients.
func ticketCreateVariant(apiToken bool, clients int) string {
	cred := "access token"
	if apiToken {
		cred = "API token"
	}
	return fmt.Sprintf("%s (%s, %d clients)", ticketCreateName, cred, clients)
}

// analyticsPath is the analytics of the last 90 days of the seeded data
// set.
var analyticsPath = "/api/helpdesk/analytics?from=" +
	bunstoretest.TicketSeedNow.AddDate(0, 0, -90).Format(time.RFC3339) + "&to=" + bunstoretest.TicketSeedNow.Format(time.RFC3339)

// Targets of the ticket scenarios.
const (
	ticketListP50Target  = 1500 * time.Microsecond
	ticketListP99Target  = 5 * time.Millisecond
	analyticsP50Target   = 50 * time.Millisecond
	createTargetSQLite   = 0.6
	createTargetPostgres = 0.5
)

// ticketScenarios measures the ticket list (page 1 and the deepest full
// page up to deepPage), the analytics and ticket creation.
func ticketScenarios(ctx context.Context, e *env, cfg config) []scenarioResult {
	res := listScenarios(ctx, e, cfg, ticketsListPath, e.ticketWalk, "tickets (-tickets)", ticketListP50Target, ticketListP99Target)
	latency := cfg
	latency.clients = cfg.latencyClients
	analytics := httpScenario(ctx, e, latency, "GET "+analyticsPath, analyticsPath, e.token)
	analytics.target, analytics.maxP50 = 0, analyticsP50Target
	return append(append(res, analytics), ticketCreateScenarios(ctx, e, cfg)...)
}

// ticketCreateScenarios measures POST /api/helpdesk/tickets (credential
// check, decoding, company and requester checks, a number from the
// company's counter, the ticket, its search index and its ticket.created
// event in one unit of work, the 201 with the SLA clocks) against the
// plain two-row transaction (ticket columns into a table without indexes
// or triggers, and the outbox row), with an access token and an API
// token, at -clients and at 32 clients; and once more against the
// ticket + outbox rows in the real tables (indexes and search triggers
// included), to show where the time goes.
func ticketCreateScenarios(ctx context.Context, e *env, cfg config) []scenarioResult {
	target := createTargetSQLite
	if e.store.Dialect() == bunstore.Postgres {
		target = createTargetPostgres
	}
	body, err := json.Marshal(map[string]any{
		"title": benchTicket.Title, "description": benchTicket.Description, "priority": benchTicket.Priority,
		"category": benchTicket.Category, "tags": []string{"printer"}, "channel": "api",
		"requester_contact_id": int64(e.tickets.Requester)})
	if err == nil {
		err = createPlainTicketsTable(ctx, e)
	}
	if err != nil {
		return []scenarioResult{{name: ticketCreateVariant(false, cfg.clients), target: target, real: loadResult{errors: 1, samples: []string{err.Error()}}}}
	}
	var number atomic.Int64
	number.Store(1_000_000_000) // far from the API's numbers
	measure := func(name, token string, clients int, raw func() op) scenarioResult {
		ops, base := make([]op, clients), make([]op, clients)
		for i := range clients {
			client := newClient(1)
			defer client.CloseIdleConnections()
			ops[i] = postOp(client, e.api.url+"/api/helpdesk/tickets", token, body)
			base[i] = raw()
		}
		res := scenarioResult{name: name, target: target}
		res.real, res.raw = measurePair(ctx, ops, base, cfg.duration)
		return res
	}
	plain := func() op { return rawTicketOp(e, &number, plainTicketsTable) }
	indexed := func() op { return rawTicketOp(e, &number, "tickets") }
	out := []scenarioResult{measure(ticketCreateVariant(false, cfg.clients), e.token, cfg.clients, plain)}
	out = append(out, measure(ticketCreateVariant(true, cfg.clients), e.apiToken, cfg.clients, plain))
	if cfg.clients != createClientsWide {
		out = append(out, measure(ticketCreateVariant(false, createClientsWide), e.token, createClientsWide, plain),
			measure(ticketCreateVariant(true, createClientsWide), e.apiToken, createClientsWide, plain))
	}
	withIndexes := measure(ticketCreateIndexedName, e.token, cfg.clients, indexed)
	withIndexes.target = 0 // shown for where the time goes
	return append(out, withIndexes)
}

// createPlainTicketsTable creates the plain baseline's table: the ticket
// columns, no index, constraint, default or trigger.
func createPlainTicketsTable(ctx context.Context, e *env) error {
	_, err := e.store.DB().ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+plainTicketsTable+" AS SELECT * FROM tickets WHERE 1 = 0")
	if err != nil {
		return fmt.Errorf("creating the plain tickets table: %w", err)
	}
	return nil
}

// benchTicket is the ticket the creation scenario opens.
var benchTicket = bunstoretest.TicketRow{Title: "Impressora não imprime", Description: "A impressora do financeiro parou de imprimir",
	Priority: "high", Category: "Hardware", Channel: "api", Tags: `["printer"]`}

// postOp posts body to url with client, again and again, expecting 201.
func postOp(client *http.Client, url, token string, body []byte) op {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
			return fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
}

// rawTicketOp inserts a ticket row into table and its ticket.created
// outbox row with bun.RunInTx on the store's write handle, numbers (and,
// in the plain table, which has no sequence, IDs) drawn from number: the
// baselines of ticketCreateScenarios.
func rawTicketOp(e *env, number *atomic.Int64, table string) op {
	db := e.store.DB()
	company, user := int64(e.admin.CompanyID), int64(e.admin.ID)
	return func(ctx context.Context) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		r := benchTicket
		r.CompanyID, r.Number, r.RequesterContactID = company, number.Add(1), int64(e.tickets.Requester)
		if table != "tickets" {
			r.ID = r.Number
		}
		r.Status, r.Pauses, r.SLAState, r.Version = "new", "[]", "on_track", 1
		r.ResponseDueAt, r.ResolutionDueAt, r.NextSLACheckAt = now.Add(4*time.Hour), now.Add(24*time.Hour), now.Add(3*time.Hour)
		r.CreatedAt, r.UpdatedAt = now, now
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewInsert().Model(&r).ModelTableExpr(table).Returning("id").Exec(ctx); err != nil {
				return fmt.Errorf("inserting the ticket: %w", err)
			}
			data, err := json.Marshal(map[string]any{"id": r.ID, "number": r.Number, "title": r.Title, "status": r.Status,
				"priority": r.Priority, "category": r.Category, "channel": r.Channel, "requester_contact_id": r.RequesterContactID,
				"assignee_user_id": 0, "asset_id": 0, "sla_state": r.SLAState, "version": r.Version})
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO outbox (id, type, company_id, aggregate_type, aggregate_id, occurred_at, actor_user_id, data)
VALUES (?, 'ticket.created', ?, 'ticket', ?, ?, ?, ?)`, events.NewID(now), company, strconv.FormatInt(r.ID, 10), now, user, string(data))
			if err != nil {
				return fmt.Errorf("inserting the outbox row: %w", err)
			}
			return nil
		})
	}
}
