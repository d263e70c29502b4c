package httpapi

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events/webhooks"
)

// fakeWebhooks reports fixed gauges, or fails.
type fakeWebhooks struct {
	gauges []webhooks.Gauge
	err    error
}

func (f *fakeWebhooks) Gauges(context.Context) ([]webhooks.Gauge, error) { return f.gauges, f.err }

func TestWebhookMetricsPerEndpoint(t *testing.T) {
	t.Parallel()
	until := time.Date(2026, 12, 7, 18, 0, 0, 500_000_000, time.UTC)
	fake := &fakeWebhooks{gauges: []webhooks.Gauge{
		{CompanyID: 1, EndpointID: 7, Active: true, Pending: 5, Claimed: 2, Held: 1, Failed: 1, ClaimedUntil: until},
		{CompanyID: 2, EndpointID: 9, Active: false, Pending: 3, Held: 3},
	}}
	m := newMetrics()
	m.hooks = &webhookGauges{r: fake}
	scrape := func() map[string]float64 {
		var buf bytes.Buffer
		m.write(t.Context(), &buf)
		p := expfmt.NewTextParser(model.UTF8Validation)
		families, err := p.TextToMetricFamilies(&buf)
		require.NoError(t, err)
		out := map[string]float64{}
		for name, f := range families {
			for _, mt := range f.GetMetric() {
				key := name
				for _, l := range mt.GetLabel() {
					key += "," + l.GetName() + "=" + l.GetValue()
				}
				out[key] = mt.GetGauge().GetValue()
			}
		}
		return out
	}
	want := map[string]float64{
		"boladao_webhook_endpoint_active,company_id=1,endpoint_id=7":                1,
		"boladao_webhook_endpoint_active,company_id=2,endpoint_id=9":                0,
		"boladao_webhook_deliveries,company_id=1,endpoint_id=7,state=pending":       5,
		"boladao_webhook_deliveries,company_id=1,endpoint_id=7,state=held":          1,
		"boladao_webhook_deliveries,company_id=1,endpoint_id=7,state=claimed":       2,
		"boladao_webhook_deliveries,company_id=1,endpoint_id=7,state=failed":        1,
		"boladao_webhook_deliveries,company_id=2,endpoint_id=9,state=held":          3,
		"boladao_webhook_claim_expiry_timestamp_seconds,company_id=1,endpoint_id=7": float64(until.UnixMilli()) / 1000,
		"boladao_webhook_claim_expiry_timestamp_seconds,company_id=2,endpoint_id=9": 0,
	}
	got := scrape()
	for k, v := range want {
		require.Contains(t, got, k)
		require.Equal(t, v, got[k], k)
	}
	fake.err = errors.New("database down")
	got = scrape()
	require.Equal(t, 5.0, got["boladao_webhook_deliveries,company_id=1,endpoint_id=7,state=pending"], "a failed read keeps the last values")
}
