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
	// ticketCreateName names the creation scenario.
	ticketCreateName = "POST /api/helpdesk/tickets"
)

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
	return append(res, analytics, ticketCreateScenario(ctx, e, cfg))
}

// ticketCreateScenario measures POST /api/helpdesk/tickets (token check,
// decoding, company and requester checks, a number from the company's
// counter, the ticket and its ticket.created event in one unit of work, the
// 201 with the SLA clocks) against the raw baseline: a plain two-row
// transaction writing a ticket row and its outbox row.
func ticketCreateScenario(ctx context.Context, e *env, cfg config) scenarioResult {
	res := scenarioResult{name: ticketCreateName, target: createTargetSQLite}
	if e.store.Dialect() == bunstore.Postgres {
		res.target = createTargetPostgres
	}
	body, err := json.Marshal(map[string]any{
		"title": benchTicket.Title, "description": benchTicket.Description, "priority": benchTicket.Priority,
		"category": benchTicket.Category, "tags": []string{"printer"}, "channel": "api",
		"requester_contact_id": int64(e.tickets.Requester)})
	if err != nil {
		res.real = loadResult{errors: 1, samples: []string{err.Error()}}
		return res
	}
	ops, raw := make([]op, cfg.clients), make([]op, cfg.clients)
	var number atomic.Int64
	number.Store(1_000_000_000) // far from the API's numbers
	for i := range cfg.clients {
		client := newClient(1)
		defer client.CloseIdleConnections()
		ops[i] = postOp(client, e.api.url+"/api/helpdesk/tickets", e.token, body)
		raw[i] = rawTicketOp(e, &number)
	}
	res.real, res.raw = measurePair(ctx, ops, raw, cfg.duration)
	return res
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

// rawTicketOp inserts a ticket row and its ticket.created outbox row with
// bun.RunInTx on the store's write handle, numbers drawn from number: the
// baseline of ticketCreateScenario.
func rawTicketOp(e *env, number *atomic.Int64) op {
	db := e.store.DB()
	company, user := int64(e.admin.CompanyID), int64(e.admin.ID)
	return func(ctx context.Context) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		r := benchTicket
		r.CompanyID, r.Number, r.RequesterContactID = company, number.Add(1), int64(e.tickets.Requester)
		r.Status, r.Pauses, r.SLAState, r.Version = "new", "[]", "on_track", 1
		r.ResponseDueAt, r.ResolutionDueAt, r.NextSLACheckAt = now.Add(4*time.Hour), now.Add(24*time.Hour), now.Add(3*time.Hour)
		r.CreatedAt, r.UpdatedAt = now, now
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewInsert().Model(&r).Returning("id").Exec(ctx); err != nil {
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
