package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
)

// authTargetRatio is the throughput an authenticated endpoint must reach,
// as a fraction of a bare net/http handler serving the same bytes.
const authTargetRatio = 0.5

// Paths of the HTTP scenarios.
const (
	mePath           = "/auth/me"
	contactsListPath = "/admin/api/contacts?limit=50"
)

// scenarioResult is one line of the report: a scenario and its baseline.
type scenarioResult struct {
	name string
	// skipped says why the scenario did not run; empty when it ran.
	skipped string
	// real is the scenario through Boladão; raw is its baseline.
	real, raw loadResult
	// target is the minimum ratio of real to raw throughput; 0 for none.
	target float64
	// maxP50 and maxP99 are latency targets of the scenario; 0 for none.
	maxP50, maxP99 time.Duration
	// minOpsPerSec is a throughput target; 0 for none.
	minOpsPerSec float64
	// page1 names the scenario this one (a deeper page of the same list)
	// must be no slower than; empty for none.
	page1 string
}

// ratio is the throughput of the scenario relative to its baseline.
func (s scenarioResult) ratio() float64 {
	if s.raw.opsPerSec() == 0 {
		return 0
	}
	return s.real.opsPerSec() / s.raw.opsPerSec()
}

// runScenarios runs every scenario in turn, each after its baseline.
func runScenarios(ctx context.Context, e *env, cfg config) []scenarioResult {
	var res []scenarioResult
	if cfg.runs("auth") {
		res = append(res, httpScenario(ctx, e, cfg, "GET "+mePath, mePath, e.token),
			httpScenario(ctx, e, cfg, "GET "+mePath+" (API token)", mePath, e.apiToken))
	}
	if cfg.runs("contacts") {
		// The list is measured beside its bare handler too; the throughput
		// target is the authenticated endpoint's (GET /auth/me).
		list := httpScenario(ctx, e, cfg, "GET "+contactsListPath, contactsListPath, e.token)
		list.target = 0
		res = append(res, list, unitOfWorkScenario(ctx, e, cfg))
	}
	// The lists run before the intakes, which add assets to the company.
	if cfg.runs("assets") {
		res = append(res, assetListScenarios(ctx, e, cfg)...)
	}
	if cfg.runs("tickets") {
		res = append(res, ticketScenarios(ctx, e, cfg)...)
	}
	if cfg.runs("console") {
		res = append(res, consoleScenarios(ctx, e, cfg)...)
	}
	if cfg.runs("intake") {
		res = append(res, intakeScenario(ctx, e, cfg))
	}
	if cfg.runs("serviceorders") {
		res = append(res, serviceOrderScenarios(ctx, e, cfg)...)
	}
	if cfg.runs("webhooks") {
		res = append(res, webhookScenarios(ctx, e, cfg)...)
	}
	if cfg.runs("console") {
		res = append(res, consoleAssetScenarios(ctx, e, cfg)...)
	}
	return res
}

// httpScenario measures GET path through the API and, as its baseline,
// through a bare handler on another loopback listener that answers with
// the bytes the API answered once. Both receive the same request.
func httpScenario(ctx context.Context, e *env, cfg config, name, path, token string) scenarioResult {
	res := scenarioResult{name: name, target: authTargetRatio}
	resp, err := capture(ctx, e.api.url+path, token)
	if errors.Is(err, errNotMounted) {
		res.skipped = err.Error()
		return res
	}
	if err != nil {
		res.real = loadResult{errors: 1, samples: []string{"capturing the response: " + err.Error()}}
		return res
	}
	bare, err := startServer(bareHandler(resp))
	if err != nil {
		res.raw = loadResult{errors: 1, samples: []string{err.Error()}}
		return res
	}
	res.real, res.raw = measureHTTP(ctx, e.api.url+path, bare.url+path, token, cfg)
	if err := bare.close(); err != nil {
		res.raw.errors++
		res.raw.samples = append(res.raw.samples, "closing the bare server: "+err.Error())
	}
	return res
}

// errNotMounted reports an endpoint the API does not serve (yet).
var errNotMounted = errors.New("endpoint not mounted (HTTP 404)")

// captured is a response recorded to be replayed by the bare handler.
type captured struct {
	status      int
	contentType string
	body        []byte
}

// capture makes one authenticated GET and records its response.
func capture(ctx context.Context, url, token string) (captured, error) {
	client := newClient(1)
	defer client.CloseIdleConnections()
	req, err := newGet(ctx, url, token)
	if err != nil {
		return captured{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return captured{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	switch {
	case err != nil:
		return captured{}, err
	case resp.StatusCode == http.StatusNotFound:
		return captured{}, fmt.Errorf("%w: %s", errNotMounted, body)
	case resp.StatusCode/100 != 2:
		return captured{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
	}
	return captured{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}, nil
}

// bareHandler answers every request with c, doing nothing else.
func bareHandler(c captured) http.Handler {
	contentType := []string{c.contentType} // shared, never modified
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = contentType
		w.WriteHeader(c.status)
		_, _ = w.Write(c.body)
	})
}

// measureHTTP measures GET url against GET rawURL, each worker with its
// own keep-alive client.
func measureHTTP(ctx context.Context, url, rawURL, token string, cfg config) (loadResult, loadResult) {
	ops, raw := make([]op, cfg.clients), make([]op, cfg.clients)
	for i := range cfg.clients {
		for _, o := range []struct {
			dst *op
			url string
		}{{&ops[i], url}, {&raw[i], rawURL}} {
			client := newClient(cfg.clients)
			defer client.CloseIdleConnections()
			req, err := newGet(ctx, o.url, token)
			if err != nil {
				failed := loadResult{errors: 1, samples: []string{err.Error()}}
				return failed, failed
			}
			*o.dst = getOp(client, req)
		}
	}
	return measurePair(ctx, ops, raw, cfg.duration)
}

// newClient returns a keep-alive HTTP/1.1 client for loopback, ignoring
// proxy settings.
func newClient(idle int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 nil,
		MaxIdleConns:          idle,
		MaxIdleConnsPerHost:   idle,
		DisableCompression:    true,
		ResponseHeaderTimeout: stopGrace,
	}}
}

// newGet builds an authenticated GET request.
func newGet(ctx context.Context, url, token string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}

// getOp sends req again and again with client; the request is reused, as
// net/http allows once the previous response body is closed. The request
// carries the context it was built with: the op's own is not used.
func getOp(client *http.Client, req *http.Request) op {
	return func(context.Context) error {
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
			return fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
}

// unitOfWorkScenario measures creating a contact through the directory
// service (contact row + outbox event in one transaction, after its
// checks) against the same two rows written by a plain bun.RunInTx.
func unitOfWorkScenario(ctx context.Context, e *env, cfg config) scenarioResult {
	res := scenarioResult{name: "create contact (service)"}
	raw := make([]op, cfg.clients)
	svc := make([]op, cfg.clients)
	for i := range cfg.clients {
		raw[i] = rawCreateOp(e, i)
		svc[i] = serviceCreateOp(e, i)
	}
	res.real, res.raw = measurePair(ctx, svc, raw, cfg.duration)
	return res
}

// serviceCreateOp creates contacts with unique emails through
// Directory.CreateContact, acting as the company admin.
func serviceCreateOp(e *env, worker int) op {
	actor := e.admin.Actor()
	n := 0
	return func(ctx context.Context) error {
		n++
		_, err := e.desk.Directory.CreateContact(ctx, actor, directory.ContactInput{
			Name: "Bench contact", Email: fmt.Sprintf("svc-%d-%d@bench.example", worker, n)})
		return err
	}
}

// SQL of the raw unit of work: the rows CreateContact writes.
const (
	insertContactSQL = `INSERT INTO contacts (company_id, name, email, phone, whatsapp_opt_in, active, version, created_at, updated_at)
VALUES (?, ?, ?, '', FALSE, TRUE, 1, ?, ?) RETURNING id`
	insertOutboxSQL = `INSERT INTO outbox (id, type, company_id, aggregate_type, aggregate_id, occurred_at, actor_user_id, data)
VALUES (?, 'contact.created', ?, 'contact', ?, ?, ?, ?)`
)

// contactEvent is the data of the raw contact.created event.
type contactEvent struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	Phone         string `json:"phone"`
	WhatsAppOptIn bool   `json:"whatsapp_opt_in"`
	Active        bool   `json:"active"`
	Version       int64  `json:"version"`
}

// rawCreateOp writes a contact row and its outbox row with bun.RunInTx on
// the store's write handle: the baseline of serviceCreateOp.
func rawCreateOp(e *env, worker int) op {
	db := e.store.DB()
	company, user := int64(e.admin.CompanyID), int64(e.admin.ID)
	n := 0
	return func(ctx context.Context) error {
		n++
		email := fmt.Sprintf("raw-%d-%d@bench.example", worker, n)
		now := time.Now().UTC().Truncate(time.Microsecond)
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var id int64
			if err := tx.QueryRowContext(ctx, insertContactSQL, company, "Bench contact", email, now, now).Scan(&id); err != nil {
				return fmt.Errorf("inserting the contact: %w", err)
			}
			data, err := json.Marshal(contactEvent{ID: id, Name: "Bench contact", Email: email, Active: true, Version: 1})
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, insertOutboxSQL, events.NewID(now), company, strconv.FormatInt(id, 10), now, user, string(data))
			if err != nil {
				return fmt.Errorf("inserting the outbox row: %w", err)
			}
			return nil
		})
	}
}
