package httpapi

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

func TestQuantileInterpolatesLikePromQL(t *testing.T) {
	t.Parallel()
	// 0.5 | 1.5 1.5 | 3 | 10 in buckets (0,1] (1,2] (2,4] (4,+Inf)
	h := histogram{bounds: []float64{1, 2, 4}, cumulative: []uint64{1, 3, 4}, count: 5, sum: 16.5}
	tests := []struct{ q, want float64 }{
		{0.2, 1},    // rank 1 at the top of the first bucket
		{0.5, 1.75}, // rank 2.5 in (1, 2], which holds ranks 1..3
		{0.8, 4},    // rank 4 at the top of (2, 4]
		{0.99, 4},   // beyond the last finite bucket: its upper bound
	}
	for _, tc := range tests {
		require.InDelta(t, tc.want, h.quantile(tc.q), 1e-9, "q=%v", tc.q)
	}
	require.Zero(t, histogram{}.quantile(0.5))
}

func TestMetricsExpositionParsesAsPrometheusText(t *testing.T) {
	t.Parallel()
	m := newMetrics()
	m.failures = func() map[string]uint64 { return map[string]uint64{"sla": 3, "purge": 0} }
	start := time.Now()
	m.observe("GET", "GET /health", http.StatusOK, start)
	m.observe("GET", "GET /health", http.StatusOK, start.Add(-3*time.Second))
	m.observe("POST", "POST /odd \"route\"\n", http.StatusServiceUnavailable, start)
	var buf bytes.Buffer
	m.write(t.Context(), &buf)

	// The official client's parser reads what we write.
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(&buf)
	require.NoError(t, err, "%s", buf.String())
	require.Contains(t, families, "go_goroutines")
	require.Contains(t, families, "process_resident_memory_bytes")

	requests := families["http_requests_total"]
	require.Len(t, requests.GetMetric(), 2)
	odd := requests.GetMetric()[1]
	require.Equal(t, "POST /odd \"route\"\n", odd.GetLabel()[1].GetValue(), "label values are escaped and read back")
	require.Equal(t, "503", odd.GetLabel()[2].GetValue())

	failures := families["boladao_background_failures_total"]
	require.Equal(t, "COUNTER", failures.GetType().String())
	require.Len(t, failures.GetMetric(), 2)
	for i, want := range []struct {
		loop  string
		count float64
	}{{"purge", 0}, {"sla", 3}} {
		require.Equal(t, want.loop, failures.GetMetric()[i].GetLabel()[0].GetValue())
		require.Equal(t, want.count, failures.GetMetric()[i].GetCounter().GetValue())
	}

	durations := families["http_request_duration_seconds"].GetMetric()
	require.Len(t, durations, 2)
	health := durations[0].GetHistogram()
	require.EqualValues(t, 2, health.GetSampleCount())
	require.InDelta(t, 3, health.GetSampleSum(), 0.5)
	buckets := health.GetBucket()
	require.Len(t, buckets, len(durationBuckets)+1, "and +Inf")
	require.EqualValues(t, 1, buckets[0].GetCumulativeCount(), "the fast request is in the first bucket")
	require.Equal(t, 5.0, buckets[11].GetUpperBound())
	require.EqualValues(t, 2, buckets[11].GetCumulativeCount(), "the 3 s one by the 5 s bound")
	require.EqualValues(t, 1, buckets[10].GetCumulativeCount(), "not by the 2.5 s bound")

	stats, err := m.routeStats()
	require.NoError(t, err)
	require.Len(t, stats, 2)
	require.Equal(t, "GET /health", stats[0].Route, "busiest first")
	require.EqualValues(t, 2, stats[0].Requests)
	require.EqualValues(t, 1, stats[1].ServerErrors)
}

func TestMethodLabelIsBounded(t *testing.T) {
	t.Parallel()
	require.Equal(t, "GET", methodLabel("GET"))
	require.Equal(t, "OTHER", methodLabel("get"))
	require.Equal(t, "OTHER", methodLabel("PROPFIND"))
}
