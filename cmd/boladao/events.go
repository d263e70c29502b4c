package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/natsbus"
	"github.com/sistemaboladao/boladao/events/webhooks"
	"github.com/sistemaboladao/boladao/helpdesk"
)

// eventsConfig is the event delivery part of the configuration.
type eventsConfig struct {
	RetrySchedule   []time.Duration
	AllowCIDRs      []netip.Prefix
	WebhookTimeout  time.Duration
	NATSURL         string
	NATSStream      string
	NATSPrefix      string
	OutboxRetention time.Duration
	LogRetention    time.Duration
	DisableAfter    time.Duration
	WebhookLease    time.Duration
	SecretGrace     time.Duration
}

// eventSettings are the configuration entries of event delivery.
func eventSettings() []setting {
	return []setting{
		{"webhook-retry-schedule", "BOLADAO_WEBHOOK_RETRY_SCHEDULE", "5s,5m,30m,2h,5h,10h,14h,20h,24h",
			"waits between webhook attempts (the Standard Webhooks schedule by default)", func(c *config, v string) error {
				s, err := webhooks.ParseSchedule(v)
				c.Events.RetrySchedule = s
				return err
			}},
		{"webhook-allow-cidrs", "BOLADAO_WEBHOOK_ALLOW_CIDRS", "",
			"comma-separated address ranges webhooks may reach although private or loopback (e.g. 127.0.0.0/8)", func(c *config, v string) error {
				p, err := webhooks.ParseCIDRs(v)
				c.Events.AllowCIDRs = p
				return err
			}},
		{"webhook-timeout", "BOLADAO_WEBHOOK_TIMEOUT", "15s", "time limit of one webhook request",
			duration("webhook timeout", func(c *config) *time.Duration { return &c.Events.WebhookTimeout })},
		{"outbox-retention", "BOLADAO_OUTBOX_RETENTION", "168h", "how long delivered events stay in the outbox",
			duration("outbox retention", func(c *config) *time.Duration { return &c.Events.OutboxRetention })},
		{"webhook-log-retention", "BOLADAO_WEBHOOK_LOG_RETENTION", "720h", "how long finished webhook deliveries and their attempts are kept",
			duration("webhook log retention", func(c *config) *time.Duration { return &c.Events.LogRetention })},
		{"webhook-disable-after", "BOLADAO_WEBHOOK_DISABLE_AFTER", "120h",
			"disable a webhook endpoint whose attempts have all failed for this long (its deliveries are kept and held)",
			duration("webhook disable-after", func(c *config) *time.Duration { return &c.Events.DisableAfter })},
		{"webhook-lease", "BOLADAO_WEBHOOK_LEASE", "10s",
			"how long a dispatcher's claim on a webhook delivery lasts unless renewed (a dead instance's deliveries go after it)",
			duration("webhook lease", func(c *config) *time.Duration { return &c.Events.WebhookLease })},
		{"webhook-secret-grace", "BOLADAO_WEBHOOK_SECRET_GRACE", "24h",
			"how long after rotate-secret requests are also signed with the old secret",
			duration("webhook secret grace", func(c *config) *time.Duration { return &c.Events.SecretGrace })},
		{"nats-url", "BOLADAO_NATS_URL", "",
			"NATS server with JetStream: events go through it, so that several instances share the work (empty: in-process bus)",
			func(c *config, v string) error { c.Events.NATSURL = v; return nil }},
		{"nats-stream", "BOLADAO_NATS_STREAM", "BOLADAO",
			"JetStream stream of the events; deployments sharing a NATS server need one each", func(c *config, v string) error {
				if err := (natsbus.Config{Stream: v}).Validate(); err != nil || v == "" {
					return fmt.Errorf("NATS stream %q: use letters, digits, '-' or '_' (no dots, spaces or wildcards)", v)
				}
				c.Events.NATSStream = v
				return nil
			}},
		{"nats-subject-prefix", "BOLADAO_NATS_SUBJECT_PREFIX", "boladao",
			"first tokens of the event subjects (<prefix>.<company_id>.<type>); deployments sharing a NATS server need one each", func(c *config, v string) error {
				if err := (natsbus.Config{Prefix: v}).Validate(); err != nil || v == "" || strings.HasPrefix(v, ".") || strings.HasSuffix(v, ".") || strings.Contains(v, "..") {
					return fmt.Errorf("NATS subject prefix %q: use dot-separated tokens of letters, digits, '-' or '_' (no spaces or wildcards)", v)
				}
				c.Events.NATSPrefix = v
				return nil
			}},
	}
}

// options turns the configuration into desk options; close releases the
// NATS connection, if any.
func (e eventsConfig) options(ctx context.Context, log *slog.Logger) ([]helpdesk.Option, func(), error) {
	opts := []helpdesk.Option{
		helpdesk.WithWebhookConfig(webhooks.Config{Schedule: e.RetrySchedule, AllowCIDRs: e.AllowCIDRs,
			Timeout: e.WebhookTimeout, Retention: e.LogRetention, DisableAfter: e.DisableAfter, Lease: e.WebhookLease,
			SecretGrace: e.SecretGrace, Logger: log}),
		helpdesk.WithRelayConfig(events.RelayConfig{Retention: e.OutboxRetention, Logger: log}),
	}
	if e.NATSURL == "" {
		return opts, func() {}, nil
	}
	nc, err := nats.Connect(e.NATSURL, nats.Name("boladao"), nats.MaxReconnects(-1))
	if err != nil {
		shown := e.NATSURL
		if u, perr := url.Parse(e.NATSURL); perr == nil {
			shown = u.Redacted()
		}
		return nil, nil, fmt.Errorf("connecting to NATS at %s: %w", shown, err)
	}
	bus, err := natsbus.New(ctx, nc, natsbus.Config{Stream: e.NATSStream, Prefix: e.NATSPrefix, Logger: log})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return append(opts, helpdesk.WithBus(bus)), func() { _ = bus.Close(); nc.Close() }, nil
}
