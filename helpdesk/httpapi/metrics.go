package httpapi

import (
	"context"
	"database/sql"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// metrics holds the Prometheus registry of one API: every New gets its own,
// so two APIs in one process (or in one test binary) never share counters,
// and nothing is registered with the global default registry.
//
// Exposed at GET /metrics in the text exposition format, without
// authentication, like /health: put it behind the reverse proxy's access
// rules when the numbers should not be public.
//
//	http_requests_total{method,route,status}           counter
//	http_request_duration_seconds{method,route}        histogram
//	go_*, process_*                                    Go runtime and process
//	go_sql_*{db_name}                                  connection pools (when Ops reports them)
//	boladao_outbox_pending_events                      outbox rows not yet delivered (when Ops reports it)
//	boladao_outbox_oldest_pending_age_seconds          age of the oldest of them
//
// route is the ServeMux pattern that serves the request ("GET
// /api/security/blocks/{ip}"), or "unmatched": the label set stays bounded
// whatever paths clients send. method is one of the standard methods or
// "OTHER".
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// Filled from Ops on every scrape (see refresh); nil without them.
	outboxPending *prometheus.GaugeVec
	outboxAge     *prometheus.GaugeVec
	outbox        OutboxReporter
}

// Label values of the metrics.
const (
	routeUnmatched = "unmatched"
	methodOther    = "OTHER"
)

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests served, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by method and route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	m.reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// watch registers the collectors that ops can feed: connection pool stats
// when it implements DBStatsReporter, outbox lag when it implements
// OutboxReporter.
func (m *metrics) watch(ops Ops) {
	if r, ok := ops.(DBStatsReporter); ok {
		m.reg.MustRegister(&dbStatsCollector{stats: r.DBStats})
	}
	if r, ok := ops.(OutboxReporter); ok {
		m.outbox = r
		m.outboxPending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "boladao_outbox_pending_events",
			Help: "Outbox events not yet delivered to the bus, read at scrape time.",
		}, nil)
		m.outboxAge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "boladao_outbox_oldest_pending_age_seconds",
			Help: "Age of the oldest undelivered outbox event (0 when none), read at scrape time.",
		}, nil)
		m.reg.MustRegister(m.outboxPending, m.outboxAge)
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
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
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

// handler serves the registry in the text exposition format, refreshing
// the gauges read from Ops first.
func (m *metrics) handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.refresh(r.Context())
		h.ServeHTTP(w, r)
	})
}

// refresh reads the outbox lag for the scrape under way. A failure leaves
// the previous values: a scrape never fails because the database is slow.
func (m *metrics) refresh(ctx context.Context) {
	if m.outbox == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	lag, err := m.outbox.OutboxLag(ctx)
	if err != nil {
		return
	}
	m.outboxPending.WithLabelValues().Set(float64(lag.Pending))
	m.outboxAge.WithLabelValues().Set(lag.OldestAge.Seconds())
}

// dbStatsCollector exports database/sql pool statistics with the names of
// client_golang's collectors.NewDBStatsCollector, for every pool Ops
// reports (db_name is the pool's name, "read" or "write" on SQLite).
type dbStatsCollector struct {
	stats func() map[string]sql.DBStats
}

var (
	dbDescMaxOpen   = prometheus.NewDesc("go_sql_max_open_connections", "Maximum number of open connections to the database.", []string{"db_name"}, nil)
	dbDescOpen      = prometheus.NewDesc("go_sql_open_connections", "The number of established connections both in use and idle.", []string{"db_name"}, nil)
	dbDescInUse     = prometheus.NewDesc("go_sql_in_use_connections", "The number of connections currently in use.", []string{"db_name"}, nil)
	dbDescIdle      = prometheus.NewDesc("go_sql_idle_connections", "The number of idle connections.", []string{"db_name"}, nil)
	dbDescWaitCount = prometheus.NewDesc("go_sql_wait_count_total", "The total number of connections waited for.", []string{"db_name"}, nil)
	dbDescWaitDur   = prometheus.NewDesc("go_sql_wait_duration_seconds_total", "The total time blocked waiting for a new connection.", []string{"db_name"}, nil)
)

func (c *dbStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dbDescMaxOpen, dbDescOpen, dbDescInUse, dbDescIdle, dbDescWaitCount, dbDescWaitDur} {
		ch <- d
	}
}

func (c *dbStatsCollector) Collect(ch chan<- prometheus.Metric) {
	for name, s := range c.stats() {
		ch <- prometheus.MustNewConstMetric(dbDescMaxOpen, prometheus.GaugeValue, float64(s.MaxOpenConnections), name)
		ch <- prometheus.MustNewConstMetric(dbDescOpen, prometheus.GaugeValue, float64(s.OpenConnections), name)
		ch <- prometheus.MustNewConstMetric(dbDescInUse, prometheus.GaugeValue, float64(s.InUse), name)
		ch <- prometheus.MustNewConstMetric(dbDescIdle, prometheus.GaugeValue, float64(s.Idle), name)
		ch <- prometheus.MustNewConstMetric(dbDescWaitCount, prometheus.CounterValue, float64(s.WaitCount), name)
		ch <- prometheus.MustNewConstMetric(dbDescWaitDur, prometheus.CounterValue, s.WaitDuration.Seconds(), name)
	}
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
	families, err := m.reg.Gather()
	if err != nil {
		return nil, err
	}
	type key struct{ method, route string }
	byKey := map[key]*RouteStats{}
	get := func(k key) *RouteStats {
		s := byKey[k]
		if s == nil {
			s = &RouteStats{Method: k.method, Route: k.route}
			byKey[k] = s
		}
		return s
	}
	for _, f := range families {
		switch f.GetName() {
		case "http_request_duration_seconds":
			for _, mt := range f.GetMetric() {
				l := labels(mt)
				s := get(key{l["method"], l["route"]})
				h := mt.GetHistogram()
				s.Requests = h.GetSampleCount()
				if s.Requests > 0 {
					s.MeanMS = round2(h.GetSampleSum() / float64(s.Requests) * 1000)
				}
				s.P50MS = round2(quantile(0.50, h) * 1000)
				s.P95MS = round2(quantile(0.95, h) * 1000)
				s.P99MS = round2(quantile(0.99, h) * 1000)
			}
		case "http_requests_total":
			for _, mt := range f.GetMetric() {
				l := labels(mt)
				if len(l["status"]) == 3 && l["status"][0] == '5' {
					get(key{l["method"], l["route"]}).ServerErrors += uint64(mt.GetCounter().GetValue())
				}
			}
		}
	}
	out := make([]RouteStats, 0, len(byKey))
	for _, s := range byKey {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b RouteStats) int {
		if a.Requests != b.Requests {
			if a.Requests > b.Requests {
				return -1
			}
			return 1
		}
		if a.Route != b.Route {
			if a.Route < b.Route {
				return -1
			}
			return 1
		}
		if a.Method < b.Method {
			return -1
		}
		if a.Method > b.Method {
			return 1
		}
		return 0
	})
	return out, nil
}

func labels(m *dto.Metric) map[string]string {
	out := make(map[string]string, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// quantile estimates the q-quantile of h like histogram_quantile: linear
// interpolation inside the bucket that holds the rank, the upper bound of
// the highest finite bucket when the rank falls beyond it.
func quantile(q float64, h *dto.Histogram) float64 {
	total := float64(h.GetSampleCount())
	if total == 0 {
		return 0
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, b := range h.GetBucket() {
		upper, cum := b.GetUpperBound(), float64(b.GetCumulativeCount())
		if cum >= rank {
			if math.IsInf(upper, 1) {
				return lower
			}
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
