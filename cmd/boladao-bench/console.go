package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/webui"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// The console scenarios serve the web console (helpdesk/webui) on a
// loopback server of its own over the same desk and data set, signed in
// as the benchmark company's admin through the sign-in form, and measure
// the server time of its pages — the ticket queue (closed tickets, the
// list the API scenarios measure) in each of its orders, a ticket's page
// and the dashboard —
// each beside a bare handler serving the same bytes. Like the API's lists
// they run with -latency-clients clients: their targets are per request.
const (
	consoleQueuePath     = "/tickets?status=closed"
	consoleDashboardPath = "/dashboard"
)

// consoleSortedQueuePaths are the queue in its other orders (the same
// closed tickets), with the queue's targets.
var consoleSortedQueuePaths = []string{
	"/tickets?status=closed&sort=newest",
	"/tickets?status=closed&sort=priority",
	"/tickets?status=closed&sort=updated",
	"/tickets?status=closed&sort=due",
}

// Targets of the console scenarios.
const (
	consoleQueueP50Target     = 5 * time.Millisecond
	consoleQueueP99Target     = 15 * time.Millisecond
	consoleTicketP50Target    = 5 * time.Millisecond
	consoleDashboardP50Target = 60 * time.Millisecond
	// consoleWeightTarget bounds the JavaScript and CSS the console ships,
	// gzip-compressed.
	consoleWeightTarget = 80 << 10
)

// consoleScenarioName names a console scenario.
func consoleScenarioName(path string) string { return "console GET " + path }

// consoleTicketName names the ticket page scenario (its path holds an ID).
const consoleTicketName = "console GET /tickets/{id}"

// consoleScenarios measures the console's pages.
func consoleScenarios(ctx context.Context, e *env, cfg config) []scenarioResult {
	latency := cfg
	latency.clients = cfg.latencyClients
	fail := func(name string, err error) []scenarioResult {
		return []scenarioResult{{name: name, real: loadResult{errors: 1, samples: []string{err.Error()}}}}
	}
	h, err := webui.New(e.desk, webui.Config{})
	if err != nil {
		return fail(consoleScenarioName(consoleQueuePath), err)
	}
	srv, err := startServer(h)
	if err != nil {
		return fail(consoleScenarioName(consoleQueuePath), err)
	}
	defer srv.close()
	cookie, err := consoleSignIn(ctx, srv.url)
	if err != nil {
		return fail(consoleScenarioName(consoleQueuePath), err)
	}
	// A ticket of the benchmark company that is being worked: assigned,
	// with SLA clocks running.
	page, err := e.desk.Tickets.List(ctx, e.admin.Actor(), tickets.Filter{Status: tickets.StatusInProgress}, storage.PageRequest{Limit: 1})
	if err == nil && len(page.Items) == 0 {
		err = fmt.Errorf("no ticket in progress in the benchmark company")
	}
	if err != nil {
		return fail(consoleTicketName, err)
	}
	ticketPath := "/tickets/" + strconv.FormatInt(page.Items[0].ID, 10)

	queue := consoleScenario(ctx, srv.url, cookie, latency, consoleScenarioName(consoleQueuePath), consoleQueuePath)
	queue.maxP50, queue.maxP99 = consoleQueueP50Target, consoleQueueP99Target
	ticket := consoleScenario(ctx, srv.url, cookie, latency, consoleTicketName, ticketPath)
	ticket.maxP50 = consoleTicketP50Target
	dashboard := consoleScenario(ctx, srv.url, cookie, latency, consoleScenarioName(consoleDashboardPath), consoleDashboardPath)
	dashboard.maxP50 = consoleDashboardP50Target
	out := []scenarioResult{queue}
	for _, path := range consoleSortedQueuePaths {
		sorted := consoleScenario(ctx, srv.url, cookie, latency, consoleScenarioName(path), path)
		sorted.maxP50, sorted.maxP99 = consoleQueueP50Target, consoleQueueP99Target
		out = append(out, sorted)
	}
	return append(out, ticket, dashboard)
}

// consoleSignIn signs the benchmark admin in through the console's form and
// returns the session cookie as a Cookie header value.
func consoleSignIn(ctx context.Context, baseURL string) (string, error) {
	form := url.Values{"email": {adminEmail}, "password": {adminPassword}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/signin", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("signing in to the console: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("signing in to the console: HTTP %d", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "boladao_session" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("signing in to the console: no session cookie")
}

// consoleScenario measures GET path on the console against a bare handler
// answering with the bytes the console answered once.
func consoleScenario(ctx context.Context, baseURL, cookie string, cfg config, name, path string) scenarioResult {
	res := scenarioResult{name: name}
	resp, err := captureWith(ctx, baseURL+path, func(r *http.Request) { r.Header.Set("Cookie", cookie) })
	if err != nil {
		res.real = loadResult{errors: 1, samples: []string{"capturing the page: " + err.Error()}}
		return res
	}
	bare, err := startServer(bareHandler(resp))
	if err != nil {
		res.raw = loadResult{errors: 1, samples: []string{err.Error()}}
		return res
	}
	defer func() {
		if err := bare.close(); err != nil {
			res.raw.errors++
			res.raw.samples = append(res.raw.samples, "closing the bare server: "+err.Error())
		}
	}()
	ops, raw := make([]op, cfg.clients), make([]op, cfg.clients)
	for i := range cfg.clients {
		for _, o := range []struct {
			dst *op
			url string
		}{{&ops[i], baseURL + path}, {&raw[i], bare.url + path}} {
			client := newClient(cfg.clients)
			defer client.CloseIdleConnections()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.url, nil)
			if err != nil {
				res.real = loadResult{errors: 1, samples: []string{err.Error()}}
				return res
			}
			req.Header.Set("Cookie", cookie)
			*o.dst = getOp(client, req)
		}
	}
	res.real, res.raw = measurePair(ctx, ops, raw, cfg.duration)
	return res
}

// captureWith makes one GET, prepared by prepare, and records its response.
func captureWith(ctx context.Context, url string, prepare func(*http.Request)) (captured, error) {
	client := newClient(1)
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return captured{}, err
	}
	prepare(req)
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
		return captured{}, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, body)
	}
	return captured{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}, nil
}

// consoleWeight is the console's JavaScript and CSS, gzip-compressed.
type consoleWeight struct {
	bytes int
	err   error
}

// measureConsoleWeight sums the gzip sizes of the console's embedded
// scripts and stylesheets.
func measureConsoleWeight() consoleWeight {
	n, err := webui.ShippedBytes()
	return consoleWeight{bytes: n, err: err}
}

// print writes the weight line of the report.
func (w consoleWeight) print(out io.Writer) {
	if w.err != nil {
		fmt.Fprintf(out, "console: JavaScript + CSS shipped: %v\n", w.err)
		return
	}
	mark := "PASS"
	if w.bytes > consoleWeightTarget {
		mark = "FAIL"
	}
	fmt.Fprintf(out, "console: JavaScript + CSS shipped, gzip-compressed: %.1f KB — %s (<= %d KB)\n",
		float64(w.bytes)/1024, mark, consoleWeightTarget>>10)
}
