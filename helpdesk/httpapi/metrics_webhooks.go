package httpapi

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/events/webhooks"
)

// WebhookReporter reports every webhook endpoint's state and unfinished
// deliveries; *webhooks.Service implements it. /metrics reads it at every
// scrape (when the facade has a webhooks service):
//
//	boladao_webhook_endpoint_active{company_id,endpoint_id}                    1 active, 0 disabled or paused
//	boladao_webhook_deliveries{company_id,endpoint_id,state}                   pending, held, claimed, failed
//	boladao_webhook_claim_expiry_timestamp_seconds{company_id,endpoint_id}     end of the latest claim (0: none)
type WebhookReporter interface {
	Gauges(ctx context.Context) ([]webhooks.Gauge, error)
}

// webhookGauges keeps the last gauges read: a failed read keeps them, so
// a scrape never fails because the database is slow.
type webhookGauges struct {
	r    WebhookReporter
	mu   sync.Mutex
	last []webhooks.Gauge
}

func (g *webhookGauges) read(ctx context.Context) []webhooks.Gauge {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	gs, err := g.r.Gauges(ctx)
	g.mu.Lock()
	defer g.mu.Unlock()
	if err == nil {
		g.last = gs
	}
	return g.last
}

// write exports the gauges in the text exposition format.
func (g *webhookGauges) write(ctx context.Context, w io.Writer) {
	gs := g.read(ctx)
	labels := func(x webhooks.Gauge) string {
		return fmt.Sprintf(`company_id="%d",endpoint_id="%d"`, x.CompanyID, x.EndpointID)
	}
	header(w, "boladao_webhook_endpoint_active", "gauge", "1 when the webhook endpoint is active, 0 when disabled or paused (its deliveries are held).")
	for _, x := range gs {
		active := 0
		if x.Active {
			active = 1
		}
		fmt.Fprintf(w, "boladao_webhook_endpoint_active{%s} %d\n", labels(x), active)
	}
	header(w, "boladao_webhook_deliveries", "gauge",
		"Unfinished webhook deliveries by state: pending (not sent yet), held (pending, held back by a disabled endpoint or a failed delivery of their aggregate), claimed (pending, with a dispatcher), failed (holding their aggregate back).")
	for _, x := range gs {
		for _, s := range []struct {
			state string
			n     int
		}{{"pending", x.Pending}, {"held", x.Held}, {"claimed", x.Claimed}, {"failed", x.Failed}} {
			fmt.Fprintf(w, "boladao_webhook_deliveries{%s,state=%q} %d\n", labels(x), s.state, s.n)
		}
	}
	header(w, "boladao_webhook_claim_expiry_timestamp_seconds", "gauge",
		"When the latest claim on an endpoint's deliveries ends, in Unix seconds (0 when none): a dead dispatcher's deliveries are sent by another one by then.")
	for _, x := range gs {
		ts := 0.0
		if !x.ClaimedUntil.IsZero() {
			ts = float64(x.ClaimedUntil.UnixMilli()) / 1000
		}
		fmt.Fprintf(w, "boladao_webhook_claim_expiry_timestamp_seconds{%s} %s\n", labels(x), strconv.FormatFloat(ts, 'f', -1, 64))
	}
}
