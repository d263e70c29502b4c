package httpapi

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

func TestQuantileInterpolatesLikePromQL(t *testing.T) {
	t.Parallel()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h", Buckets: []float64{1, 2, 4}})
	for _, v := range []float64{0.5, 1.5, 1.5, 3, 10} {
		h.Observe(v)
	}
	var m dto.Metric
	require.NoError(t, h.Write(&m))
	tests := []struct{ q, want float64 }{
		{0.2, 1},    // rank 1 at the top of the first bucket
		{0.5, 1.75}, // rank 2.5 in (1, 2], which holds ranks 1..3
		{0.8, 4},    // rank 4 at the top of (2, 4]
		{0.99, 4},   // beyond the last finite bucket: its upper bound
	}
	for _, tc := range tests {
		require.InDelta(t, tc.want, quantile(tc.q, m.GetHistogram()), 1e-9, "q=%v", tc.q)
	}
	require.Zero(t, quantile(0.5, &dto.Histogram{}))
}

func TestMethodLabelIsBounded(t *testing.T) {
	t.Parallel()
	require.Equal(t, "GET", methodLabel("GET"))
	require.Equal(t, "OTHER", methodLabel("get"))
	require.Equal(t, "OTHER", methodLabel("PROPFIND"))
}
