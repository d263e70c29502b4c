package httpapi

import (
	"bufio"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// metrics holds the request metrics of one API: every New gets its own, so
// two APIs in one process (or in one test binary) never share counters.
//
// Exposed at GET /metrics in the Prometheus text exposition format,
// without authentication, like /health: put it behind the reverse proxy's
// access rules when the numbers should not be public.
//
//	http_requests_total{method,route,status}           counter
//	http_request_duration_seconds{method,route}        histogram
//	go_*, process_*                                    Go runtime and process
//	go_sql_*{db_name}                                  connection pools (when Ops reports them)
//	boladao_outbox_pending_events                      outbox rows not yet delivered (when Ops reports it)
//	boladao_outbox_oldest_pending_age_seconds          age of the oldest of them
//	boladao_outbox_dead_letters                        outbox events in the dead-letter state (when Ops reports it)
//	boladao_webhook_*                                  webhook endpoints and deliveries (see WebhookReporter)
//	boladao_background_failures_total{loop}            failed passes of the desk's background loops (helpdesk.Desk.Run)
//
// route is the ServeMux pattern that serves the request ("GET
// /api/security/blocks/{ip}"), or "unmatched": the label set stays bounded
// whatever paths clients send. method is one of the standard methods or
// "OTHER".
//
// The request series are counted here; the Go runtime and process metrics
// come from github.com/VictoriaMetrics/metrics, which reads them without
// the protocol-buffer machinery of the official client (about 2 MiB less
// resident memory for an idle server).
type metrics struct {
	mu     sync.RWMutex
	series map[seriesKey]*series

	// Read from Ops on every scrape; nil without them.
	dbStats func() map[string]sql.DBStats
	outbox  OutboxReporter
	hooks   *webhookGauges // nil without a webhooks service
	// failures counts the failed passes of the desk's background loops
	// (helpdesk.Desk.BackgroundFailures); nil in tests without a desk.
	failures func() map[string]uint64
	lagMu    sync.Mutex
	lag      OutboxLag // the last lag read: a failed read keeps it
}

// Label values of the metrics.
const (
	routeUnmatched = "unmatched"
	methodOther    = "OTHER"
)

// durationBuckets are the upper bounds, in seconds, of the request
// duration histogram.
var durationBuckets = [...]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

type seriesKey struct{ method, route string }

// series counts the requests of one method and route.
type series struct {
	mu       sync.Mutex
	statuses map[int]uint64
	buckets  [len(durationBuckets)]uint64 // per bucket, not cumulative
	count    uint64
	sum      float64 // seconds
}

// histogram is a snapshot of a series' durations.
type histogram struct {
	bounds     []float64
	cumulative []uint64 // per bound: observations <= bound
	count      uint64
	sum        float64
}

func newMetrics() *metrics {
	return &metrics{series: map[seriesKey]*series{}}
}

// watch reads what ops can report at every scrape: connection pool stats
// when it implements DBStatsReporter, outbox lag when it implements
// OutboxReporter.
func (m *metrics) watch(ops Ops) {
	if r, ok := ops.(DBStatsReporter); ok {
		m.dbStats = r.DBStats
	}
	if r, ok := ops.(OutboxReporter); ok {
		m.outbox = r
	}
}

// middleware counts and times every request that passes through it.
func (m *metrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := newStatusRecorder(w)
		method := methodLabel(r.Method)
		info, r := requestInfo(r)
		defer func() {
			// capturePattern filled info.pattern once the mux routed r; the
			// catch-all "/" answers 404 and counts as unmatched.
			route := info.pattern
			if route == "" || route == "/" {
				route = routeUnmatched
			}
			status := rec.status
			if !rec.wroteHeader {
				status = http.StatusOK
				if v := recover(); v != nil {
					// The panic escaped every layer inside: count it as
					// the 500 it becomes, and keep unwinding.
					m.observe(method, route, http.StatusInternalServerError, start)
					panic(v)
				}
			}
			m.observe(method, route, status, start)
		}()
		next.ServeHTTP(rec, r)
	})
}

func (m *metrics) observe(method, route string, status int, start time.Time) {
	d := time.Since(start).Seconds()
	k := seriesKey{method, route}
	m.mu.RLock()
	s := m.series[k]
	m.mu.RUnlock()
	if s == nil {
		m.mu.Lock()
		if s = m.series[k]; s == nil {
			s = &series{statuses: map[int]uint64{}}
			m.series[k] = s
		}
		m.mu.Unlock()
	}
	i, _ := slices.BinarySearch(durationBuckets[:], d) // len(durationBuckets) is +Inf
	s.mu.Lock()
	s.statuses[status]++
	if i < len(s.buckets) {
		s.buckets[i]++
	}
	s.count++
	s.sum += d
	s.mu.Unlock()
}

// snapshot returns the series' status counts and duration histogram.
func (s *series) snapshot() (map[int]uint64, histogram) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := histogram{bounds: durationBuckets[:], cumulative: make([]uint64, len(s.buckets)), count: s.count, sum: s.sum}
	var cum uint64
	for i, n := range s.buckets {
		cum += n
		h.cumulative[i] = cum
	}
	return maps.Clone(s.statuses), h
}

// sorted returns the series by route, then method.
func (m *metrics) sorted() ([]seriesKey, []*series) {
	m.mu.RLock()
	keys := slices.SortedFunc(maps.Keys(m.series), func(a, b seriesKey) int {
		return cmp.Or(cmp.Compare(a.route, b.route), cmp.Compare(a.method, b.method))
	})
	out := make([]*series, len(keys))
	for i, k := range keys {
		out[i] = m.series[k]
	}
	m.mu.RUnlock()
	return keys, out
}

// methodLabel bounds the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return methodOther
}

// handler serves the metrics in the text exposition format.
func (m *metrics) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		bw := bufio.NewWriter(w)
		m.write(r.Context(), bw)
		_ = bw.Flush() // the client went away: nothing to tell it
	})
}

// write writes every metric in the text exposition format.
func (m *metrics) write(ctx context.Context, w io.Writer) {
	keys, all := m.sorted()
	statuses := make([]map[int]uint64, len(all))
	hists := make([]histogram, len(all))
	for i, s := range all {
		statuses[i], hists[i] = s.snapshot()
	}

	header(w, "http_requests_total", "counter", "HTTP requests served, by method, route pattern and status code.")
	for i, k := range keys {
		for _, code := range slices.Sorted(maps.Keys(statuses[i])) {
			fmt.Fprintf(w, "http_requests_total{method=%s,route=%s,status=\"%d\"} %d\n",
				labelValue(k.method), labelValue(k.route), code, statuses[i][code])
		}
	}
	header(w, "http_request_duration_seconds", "histogram", "Time to serve HTTP requests, by method and route pattern.")
	for i, k := range keys {
		labels := "method=" + labelValue(k.method) + ",route=" + labelValue(k.route)
		h := hists[i]
		for j, le := range h.bounds {
			fmt.Fprintf(w, "http_request_duration_seconds_bucket{%s,le=\"%s\"} %d\n", labels, strconv.FormatFloat(le, 'g', -1, 64), h.cumulative[j])
		}
		fmt.Fprintf(w, "http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, h.count)
		fmt.Fprintf(w, "http_request_duration_seconds_sum{%s} %s\n", labels, strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(w, "http_request_duration_seconds_count{%s} %d\n", labels, h.count)
	}

	if m.dbStats != nil {
		m.writeDBStats(w)
	}
	if m.outbox != nil {
		lag := m.readLag(ctx)
		header(w, "boladao_outbox_pending_events", "gauge", "Outbox events not yet delivered to the bus, read at scrape time.")
		fmt.Fprintf(w, "boladao_outbox_pending_events %d\n", lag.Pending)
		header(w, "boladao_outbox_oldest_pending_age_seconds", "gauge", "Age of the oldest undelivered outbox event (0 when none), read at scrape time.")
		fmt.Fprintf(w, "boladao_outbox_oldest_pending_age_seconds %s\n", strconv.FormatFloat(lag.OldestAge.Seconds(), 'g', -1, 64))
		header(w, "boladao_outbox_dead_letters", "gauge", "Outbox events in the dead-letter state (a subscriber gave up on them), read at scrape time.")
		fmt.Fprintf(w, "boladao_outbox_dead_letters %d\n", lag.DeadLetters)
	}
	if m.hooks != nil {
		m.hooks.write(ctx, w)
	}
	if m.failures != nil {
		f := m.failures()
		header(w, "boladao_background_failures_total", "counter", "Failed passes of the background loops of this process's desk (SLA check, purge, search index merge, relay, webhooks), by loop; each is logged.")
		for _, loop := range slices.Sorted(maps.Keys(f)) {
			fmt.Fprintf(w, "boladao_background_failures_total{loop=%s} %d\n", labelValue(loop), f[loop])
		}
	}
	vm.WriteProcessMetrics(w)
}

// readLag reads the outbox lag for the scrape under way. A failure keeps
// the previous values: a scrape never fails because the database is slow.
func (m *metrics) readLag(ctx context.Context) OutboxLag {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	lag, err := m.outbox.OutboxLag(ctx)
	m.lagMu.Lock()
	defer m.lagMu.Unlock()
	if err == nil {
		m.lag = lag
	}
	return m.lag
}

// writeDBStats exports database/sql pool statistics with the names of the
// official client's collectors.NewDBStatsCollector, for every pool Ops
// reports (db_name is the pool's name, "read" or "write" on SQLite).
func (m *metrics) writeDBStats(w io.Writer) {
	stats := m.dbStats()
	names := slices.Sorted(maps.Keys(stats))
	for _, g := range []struct {
		name, typ, help string
		value           func(sql.DBStats) float64
	}{
		{"go_sql_max_open_connections", "gauge", "Maximum number of open connections to the database.", func(s sql.DBStats) float64 { return float64(s.MaxOpenConnections) }},
		{"go_sql_open_connections", "gauge", "The number of established connections both in use and idle.", func(s sql.DBStats) float64 { return float64(s.OpenConnections) }},
		{"go_sql_in_use_connections", "gauge", "The number of connections currently in use.", func(s sql.DBStats) float64 { return float64(s.InUse) }},
		{"go_sql_idle_connections", "gauge", "The number of idle connections.", func(s sql.DBStats) float64 { return float64(s.Idle) }},
		{"go_sql_wait_count_total", "counter", "The total number of connections waited for.", func(s sql.DBStats) float64 { return float64(s.WaitCount) }},
		{"go_sql_wait_duration_seconds_total", "counter", "The total time blocked waiting for a new connection.", func(s sql.DBStats) float64 { return s.WaitDuration.Seconds() }},
	} {
		header(w, g.name, g.typ, g.help)
		for _, n := range names {
			fmt.Fprintf(w, "%s{db_name=%s} %s\n", g.name, labelValue(n), strconv.FormatFloat(g.value(stats[n]), 'g', -1, 64))
		}
	}
}

// header writes the HELP and TYPE lines of a metric family.
func header(w io.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// labelValue quotes a label value as the exposition format escapes it.
func labelValue(v string) string {
	if !strings.ContainsAny(v, "\\\"\n") {
		return `"` + v + `"`
	}
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, `"`, `\"`)
	v = strings.ReplaceAll(v, "\n", `\n`)
	return `"` + v + `"`
}

// RouteStats summarises the requests of one route, as the performance
// endpoint reports them. Percentiles are estimated from the histogram
// buckets by linear interpolation, as PromQL's histogram_quantile does.
type RouteStats struct {
	Method string `json:"method"`
	Route  string `json:"route"`
	// Requests counts the requests served; ServerErrors those answered 5xx.
	Requests     uint64  `json:"requests"`
	ServerErrors uint64  `json:"server_errors"`
	MeanMS       float64 `json:"mean_ms"`
	P50MS        float64 `json:"p50_ms"`
	P95MS        float64 `json:"p95_ms"`
	P99MS        float64 `json:"p99_ms"`
}

// routeStats summarises the request metrics by method and route, busiest
// first.
func (m *metrics) routeStats() ([]RouteStats, error) {
	keys, all := m.sorted()
	out := make([]RouteStats, len(keys))
	for i, k := range keys {
		statuses, h := all[i].snapshot()
		s := RouteStats{Method: k.method, Route: k.route, Requests: h.count}
		for code, n := range statuses {
			if code >= 500 && code <= 599 {
				s.ServerErrors += n
			}
		}
		if h.count > 0 {
			s.MeanMS = round2(h.sum / float64(h.count) * 1000)
		}
		s.P50MS = round2(h.quantile(0.50) * 1000)
		s.P95MS = round2(h.quantile(0.95) * 1000)
		s.P99MS = round2(h.quantile(0.99) * 1000)
		out[i] = s
	}
	// Busiest first; sorted already by route and method among equals.
	slices.SortStableFunc(out, func(a, b RouteStats) int { return cmp.Compare(b.Requests, a.Requests) })
	return out, nil
}

// quantile estimates the q-quantile of h like histogram_quantile: linear
// interpolation inside the bucket that holds the rank, the upper bound of
// the highest finite bucket when the rank falls beyond it.
func (h histogram) quantile(q float64) float64 {
	total := float64(h.count)
	if total == 0 {
		return 0
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for i, upper := range h.bounds {
		cum := float64(h.cumulative[i])
		if cum >= rank {
			if cum == below {
				return upper
			}
			return lower + (upper-lower)*(rank-below)/(cum-below)
		}
		lower, below = upper, cum
	}
	return lower // rank beyond the last finite bucket
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
