package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/webui"
	"github.com/sistemaboladao/boladao/serviceorders"
)

// The console's asset and service order pages, measured like the API's
// lists: one client (the targets are per request), against a bare handler
// serving the same bytes. The latency is the client's on loopback, an
// upper bound of the server's time.
const (
	// consoleAssetsPath is the asset list page searched for a term, over
	// the seeded inventory (-assets in the company, -assets-total in all).
	consoleAssetsPath = "/assets?q=note+dell"
	// consoleOrderActivities is how many activities the measured service
	// order page lists.
	consoleOrderActivities = 200
)

// Names of the console's scenarios.
var (
	consoleAssetsScenarioName = "GET " + consoleAssetsPath + " (console)"
	consoleOrderScenarioName  = fmt.Sprintf("GET /service-orders/{id} (console, %d activities)", consoleOrderActivities)
)

// Latency targets of the console's asset pages.
const (
	consoleAssetsP50Target = 6 * time.Millisecond
	consoleOrderP50Target  = 8 * time.Millisecond
)

// consoleAssetScenarios measures the asset list page with a search term
// and the page of a service order with 200 activities.
func consoleAssetScenarios(ctx context.Context, e *env, cfg config) []scenarioResult {
	cfg.clients = cfg.latencyClients
	names := []string{consoleAssetsScenarioName, consoleOrderScenarioName}
	failed := func(err error) []scenarioResult {
		out := make([]scenarioResult, len(names))
		for i, n := range names {
			out[i] = scenarioResult{name: n, real: loadResult{errors: 1, samples: []string{err.Error()}}}
		}
		return out
	}
	h, err := webui.New(e.desk, webui.Config{})
	if err != nil {
		return failed(err)
	}
	console, err := startServer(h)
	if err != nil {
		return failed(err)
	}
	defer func() { _ = console.close() }()
	cookie, err := consoleSignIn(ctx, console.url)
	if err != nil {
		return failed(fmt.Errorf("signing in to the console: %w", err))
	}
	orderID, err := seedOrderActivities(ctx, e)
	if err != nil {
		return failed(fmt.Errorf("seeding the service order: %w", err))
	}
	paths := []string{consoleAssetsPath, "/service-orders/" + strconv.FormatInt(orderID, 10)}
	targets := []time.Duration{consoleAssetsP50Target, consoleOrderP50Target}
	out := make([]scenarioResult, len(paths))
	for i, p := range paths {
		out[i] = consolePageScenario(ctx, console.url, cookie, names[i], p, cfg)
		out[i].maxP50 = targets[i]
	}
	return out
}

// seedOrderActivities opens a service order with consoleOrderActivities
// timed activities (one a day, none overlapping) and returns its ID.
func seedOrderActivities(ctx context.Context, e *env) (int64, error) {
	actor := e.admin.Actor()
	o, err := e.desk.ServiceOrders.Create(ctx, actor, serviceorders.CreateInput{Type: serviceorders.TypeRemote,
		TechnicianUserID: e.admin.ID, Description: "Benchmark: an order with a long time log"})
	if err != nil {
		return 0, err
	}
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i := range consoleOrderActivities {
		from := start.AddDate(0, 0, -i)
		if _, err := e.desk.ServiceOrders.AddActivity(ctx, actor, o.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour,
			Description: fmt.Sprintf("Atendimento remoto %d", i+1), StartedAt: from, EndedAt: from.Add(90 * time.Minute),
			Billable: i%3 != 0}); err != nil {
			return 0, fmt.Errorf("activity %d: %w", i+1, err)
		}
	}
	return o.ID, nil
}

// consolePageScenario measures GET path on the console (with the session
// cookie) against a bare handler serving the same page.
func consolePageScenario(ctx context.Context, base, cookie, name, path string, cfg config) scenarioResult {
	res := scenarioResult{name: name}
	get := func(u string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err == nil {
			req.Header.Set("Cookie", cookie)
		}
		return req, err
	}
	req, err := get(base + path)
	if err != nil {
		res.real = loadResult{errors: 1, samples: []string{err.Error()}}
		return res
	}
	page, err := captureRequest(req)
	if err != nil {
		res.real = loadResult{errors: 1, samples: []string{"capturing the page: " + err.Error()}}
		return res
	}
	bare, err := startServer(bareHandler(page))
	if err != nil {
		res.raw = loadResult{errors: 1, samples: []string{err.Error()}}
		return res
	}
	defer func() { _ = bare.close() }()
	ops, raw := make([]op, cfg.clients), make([]op, cfg.clients)
	for i := range cfg.clients {
		client, rawClient := newClient(cfg.clients), newClient(cfg.clients)
		defer client.CloseIdleConnections()
		defer rawClient.CloseIdleConnections()
		r1, err1 := get(base + path)
		r2, err2 := get(bare.url + path)
		if err1 != nil || err2 != nil {
			res.real = loadResult{errors: 1, samples: []string{fmt.Sprint(err1, err2)}}
			return res
		}
		ops[i], raw[i] = getOp(client, r1), getOp(rawClient, r2)
	}
	res.real, res.raw = measurePair(ctx, ops, raw, cfg.duration)
	return res
}

// captureRequest sends req once and records its response.
func captureRequest(req *http.Request) (captured, error) {
	client := newClient(1)
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return captured{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return captured{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return captured{}, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return captured{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}, nil
}
