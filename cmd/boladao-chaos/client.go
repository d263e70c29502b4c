package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// api calls the server over loopback HTTP.
type api struct{ hc *http.Client }

func newAPI() *api {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	// A request whose server is killed must fail, not hang: 10 s is far
	// above any answer of a healthy server here.
	return &api{hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// response is one call's outcome: an HTTP answer (status > 0) or a
// transport error (err).
type response struct {
	status int
	header http.Header
	body   []byte
	err    error
	start  time.Time
	took   time.Duration
}

// ok reports a 2xx answer.
func (r response) ok() bool { return r.err == nil && r.status >= 200 && r.status < 300 }

func (r response) String() string {
	if r.err != nil {
		return r.err.Error()
	}
	b := r.body
	if len(b) > 300 {
		b = b[:300]
	}
	return fmt.Sprintf("%d %s", r.status, b)
}

// call sends one request; headers are name, value pairs.
func (a *api) call(ctx context.Context, base, method, path, token string, body any, headers ...string) response {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{err: err}
		}
		rd = bytes.NewReader(b)
	}
	r := response{start: time.Now()}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		r.err = err
		return r
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		r.err, r.took = err, time.Since(r.start)
		return r
	}
	r.body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	r.status, r.header, r.took = resp.StatusCode, resp.Header, time.Since(r.start)
	if err != nil {
		r.err = fmt.Errorf("reading the answer: %w", err)
	}
	return r
}

// must is call for setup steps: it wants status want and decodes the
// body into out.
func (a *api) must(ctx context.Context, base, method, path, token string, body, out any, want int, headers ...string) error {
	r := a.call(ctx, base, method, path, token, body, headers...)
	if r.err != nil || r.status != want {
		return fmt.Errorf("%s %s: want %d, got %s", method, path, want, r)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			return fmt.Errorf("%s %s: decoding: %w", method, path, err)
		}
	}
	return nil
}

func (a *api) login(ctx context.Context, base, email, password string) (string, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	err := a.must(ctx, base, "POST", "/auth/login", "", map[string]string{"email": email, "password": password}, &out, 200)
	return out.AccessToken, err
}

// company is a tenant a scenario works in: the platform admin's token (with
// X-Company-ID) and one agent per writer.
type company struct {
	id     int64
	root   string
	agents []agent
}

type agent struct {
	userID int64
	token  string
}

// companyHeader is the header a platform admin picks the company with.
func (c *company) header() []string { return []string{"X-Company-ID", strconv.FormatInt(c.id, 10)} }

// setupCompany creates a company with n agents on the server at base and
// logs them in.
func (a *api) setupCompany(ctx context.Context, base, name string, n int) (*company, error) {
	root, err := a.login(ctx, base, rootEmail, rootPassword)
	if err != nil {
		return nil, err
	}
	var co struct {
		ID int64 `json:"id"`
	}
	if err := a.must(ctx, base, "POST", "/admin/api/companies", root, map[string]string{"name": name}, &co, 201); err != nil {
		return nil, err
	}
	c := &company{id: co.ID, root: root}
	for i := range n {
		email := fmt.Sprintf("agent%d@c%d.chaos.test", i, co.ID)
		var ct, u struct {
			ID int64 `json:"id"`
		}
		if err := a.must(ctx, base, "POST", "/admin/api/contacts", root, map[string]string{"name": "Agent " + strconv.Itoa(i), "email": email}, &ct, 201, c.header()...); err != nil {
			return nil, err
		}
		if err := a.must(ctx, base, "POST", "/admin/api/users", root, map[string]any{"email": email, "password": rootPassword, "role": "agent", "contact_id": ct.ID}, &u, 201, c.header()...); err != nil {
			return nil, err
		}
		tok, err := a.login(ctx, base, email, rootPassword)
		if err != nil {
			return nil, err
		}
		c.agents = append(c.agents, agent{userID: u.ID, token: tok})
	}
	return c, nil
}

// loadEvents are the event patterns of the harness's webhook endpoints:
// what the load writes.
func loadEvents() []string {
	return []string{"ticket.*", "service_order.*", "inventory.*", "asset.*"}
}

// createEndpoint registers a webhook endpoint of c at url.
func (a *api) createEndpoint(ctx context.Context, base string, c *company, url string) (int64, error) {
	var ep struct {
		ID int64 `json:"id"`
	}
	err := a.must(ctx, base, "POST", "/api/integrations/webhooks", c.root,
		map[string]any{"url": url, "events": loadEvents(), "description": "chaos"}, &ep, 201, c.header()...)
	return ep.ID, err
}

// setEndpointActive enables or disables an endpoint.
func (a *api) setEndpointActive(ctx context.Context, base string, c *company, id int64, active bool) error {
	return a.must(ctx, base, "PUT", "/api/integrations/webhooks/"+strconv.FormatInt(id, 10), c.root,
		map[string]any{"active": active}, nil, 200, c.header()...)
}

// endpointState reads an endpoint's active flag and disabled reason.
func (a *api) endpointState(ctx context.Context, base string, c *company, id int64) (active bool, reason string, err error) {
	var ep struct {
		Active         bool   `json:"active"`
		DisabledReason string `json:"disabled_reason"`
	}
	err = a.must(ctx, base, "GET", "/api/integrations/webhooks/"+strconv.FormatInt(id, 10), c.root, nil, &ep, 200, c.header()...)
	return ep.Active, ep.DisabledReason, err
}

// ledger records what the server acknowledged (answered 2xx to), and the
// outcome of every write.
type ledger struct {
	mu         sync.Mutex
	tickets    map[int64]string // id → title
	comments   map[int64]string // id → body
	stock      map[int64]string // id → name
	orders     map[int64]string // id → number
	activities map[int64]string // id → description
	// unknown are the titles of ticket creations answered neither 2xx nor
	// 4xx: they may or may not have been written.
	unknown []unknownWrite
	writes  int
	acks    int
	// statuses counts the answers that were not 2xx; transport counts
	// requests that got no answer.
	statuses  map[int]int
	transport int
	// examples hold the first answer of each status that was not 2xx.
	examples map[int]string
	// samples are the writes' latencies, for the soak.
	samples []sample
}

// unknownWrite is a ticket creation without an answer.
type unknownWrite struct {
	title string
	start time.Time
	err   string
}

// sample is one write's outcome: when it started, how long it took, its
// status (0 without an answer) and whether a failure was a problem+json.
type sample struct {
	start   time.Time
	took    time.Duration
	status  int
	problem bool
}

func newLedger() *ledger {
	return &ledger{tickets: map[int64]string{}, comments: map[int64]string{}, stock: map[int64]string{},
		orders: map[int64]string{}, activities: map[int64]string{}, statuses: map[int]int{}, examples: map[int]string{}}
}

// record counts a write's outcome; it reports whether it was acknowledged.
func (l *ledger) record(r response) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	l.samples = append(l.samples, sample{start: r.start, took: r.took, status: r.status,
		problem: r.err == nil && strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json")})
	switch {
	case r.err != nil:
		l.transport++
	case r.ok():
		l.acks++
	default:
		l.statuses[r.status]++
		if _, ok := l.examples[r.status]; !ok {
			l.examples[r.status] = r.header.Get("Content-Type") + " " + r.String()
		}
	}
	return r.ok()
}

// failures describes the answers that were not 2xx.
func (l *ledger) failures() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	codes := make([]int, 0, len(l.statuses))
	for c := range l.statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	s := fmt.Sprintf("no answer %d", l.transport)
	for _, c := range codes {
		s += fmt.Sprintf(", %d×%d", l.statuses[c], c)
	}
	return s
}

// load is a mixed write load: each writer, with its own agent's token,
// cycles through creating a ticket, commenting on it, receiving a batch
// of equipment, opening a service order for the ticket and logging an
// activity on it, at rate writes per second.
type load struct {
	a     *api
	c     *company
	l     *ledger
	bases []string // writer i uses bases[i%len(bases)]
	rate  float64  // per writer
	tag   string
	// onAck, when set, is called after every acknowledged write.
	onAck func()
	// round counts the runs, so that every run writes new titles.
	round int
}

// run runs the writers until ctx is done.
func (ld *load) run(ctx context.Context) {
	var wg sync.WaitGroup
	for i, ag := range ld.c.agents {
		wg.Go(func() { ld.writer(ctx, i, ag) })
	}
	wg.Wait()
}

// start runs the writers in the background; stop stops them and waits.
func (ld *load) start(ctx context.Context) (stop func()) {
	ld.round++
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { ld.run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func (ld *load) writer(ctx context.Context, i int, ag agent) {
	base := ld.bases[i%len(ld.bases)]
	tag := fmt.Sprintf("%s r%d", ld.tag, ld.round)
	interval := time.Duration(float64(time.Second) / ld.rate)
	next := time.Now()
	var ticket, order int64
	for k := 0; ; k++ {
		// Pacing: the writer offers its rate whatever the answers.
		next = next.Add(interval)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		// A request in flight when the writer stops is let finish: its
		// answer says whether it was acknowledged.
		rctx := context.WithoutCancel(ctx)
		switch step := k % 5; {
		case step == 0 || ticket == 0:
			title := fmt.Sprintf("chaos %s w%d n%d", tag, i, k)
			r := ld.a.call(rctx, base, "POST", "/api/helpdesk/tickets", ag.token,
				map[string]any{"title": title, "priority": "medium", "category": "chaos", "channel": "api", "tags": []string{"chaos"}})
			var out struct {
				ID int64 `json:"id"`
			}
			if ld.l.record(r) && json.Unmarshal(r.body, &out) == nil && out.ID > 0 {
				ld.ack(func() { ld.l.tickets[out.ID] = title })
				ticket, order = out.ID, 0
			} else if r.err != nil || r.status >= 500 {
				ld.l.mu.Lock()
				ld.l.unknown = append(ld.l.unknown, unknownWrite{title: title, start: r.start, err: r.String()})
				ld.l.mu.Unlock()
			}
		case step == 1:
			body := fmt.Sprintf("comment %s w%d n%d", tag, i, k)
			r := ld.a.call(rctx, base, "POST", "/api/helpdesk/tickets/"+strconv.FormatInt(ticket, 10)+"/comments", ag.token,
				map[string]any{"body": body, "internal": k%2 == 0})
			var out struct {
				ID int64 `json:"id"`
			}
			if ld.l.record(r) && json.Unmarshal(r.body, &out) == nil && out.ID > 0 {
				ld.ack(func() { ld.l.comments[out.ID] = body })
			}
		case step == 2:
			name := fmt.Sprintf("stock %s w%d n%d", tag, i, k)
			r := ld.a.call(rctx, base, "POST", "/api/helpdesk/inventory/intake", ag.token,
				map[string]any{"name": name, "category": "Chaos", "quantity": 2, "unit_cost_cents": 1000})
			var out struct {
				StockItem struct {
					ID int64 `json:"id"`
				} `json:"stock_item"`
			}
			if ld.l.record(r) && json.Unmarshal(r.body, &out) == nil && out.StockItem.ID > 0 {
				ld.ack(func() { ld.l.stock[out.StockItem.ID] = name })
			}
		case step == 3:
			r := ld.a.call(rctx, base, "POST", "/api/helpdesk/service-orders", ag.token,
				map[string]any{"type": "remote", "ticket_id": ticket, "description": fmt.Sprintf("order %s w%d n%d", tag, i, k)})
			var out struct {
				ID     int64  `json:"id"`
				Number string `json:"number"`
			}
			if ld.l.record(r) && json.Unmarshal(r.body, &out) == nil && out.ID > 0 {
				ld.ack(func() { ld.l.orders[out.ID] = out.Number })
				order = out.ID
			}
		default:
			if order == 0 {
				continue
			}
			desc := fmt.Sprintf("activity %s w%d n%d", tag, i, k)
			r := ld.a.call(rctx, base, "POST", "/api/helpdesk/service-orders/"+strconv.FormatInt(order, 10)+"/activities", ag.token,
				map[string]any{"kind": "labour", "minutes": 15, "billable": true, "description": desc})
			var out struct {
				ID int64 `json:"id"`
			}
			if ld.l.record(r) && json.Unmarshal(r.body, &out) == nil && out.ID > 0 {
				ld.ack(func() { ld.l.activities[out.ID] = desc })
			}
		}
	}
}

func (ld *load) ack(f func()) {
	ld.l.mu.Lock()
	f()
	ld.l.mu.Unlock()
	if ld.onAck != nil {
		ld.onAck()
	}
}
