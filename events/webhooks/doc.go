// Package webhooks delivers a company's events to the HTTP endpoints it
// registers, signed per the Standard Webhooks specification
// (https://www.standardwebhooks.com): every request carries webhook-id (the
// event ID, the same on every attempt), webhook-timestamp (fresh on every
// attempt) and webhook-signature ("v1,<base64 HMAC-SHA256>" of
// "id.timestamp.body" under the endpoint's whsec_ secret).
//
// The Service subscribes to the bus (HandleEvent): for each event it writes
// one delivery per endpoint of the event's company whose filter matches,
// active or not, so that a delivery survives restarts and an endpoint that
// is disabled or paused keeps its events, held, until it is enabled again.
// The endpoints are read after the event arrived (once per group of events
// handled together), so an endpoint receives every event committed after it
// was created, whichever instance relays the event.
//
// Order. The deliveries of one endpoint and aggregate (a ticket, an asset)
// are numbered 1, 2, 3... (the body's "sequence" field, first in the JSON
// object) and sent in that order: a delivery waits while an earlier one of
// its aggregate is pending, and a failed delivery (attempts exhausted, 410
// Gone, refused address) holds the later ones back, visible as held
// (Stats.Held, Delivery.BlockedBy), until an admin redelivers it (it goes
// first, then the ones it held) or skips it (the others go on; the receiver
// sees the gap in the sequence numbers). A receiver therefore never gets an
// aggregate's events out of order, nor a hole it cannot detect.
//
// Claims. While Run runs, a delivery that may go at once is written already
// claimed and handed straight to the endpoint's worker; the others are
// claimed from the store when they may go, by Run or by the worker of an
// endpoint that is busy. Without Run, ProcessDue sends what is due. A claim
// lasts Config.Lease (10 s) and the dispatcher renews its claims every third
// of it while it lives, so the deliveries of a dispatcher that died are sent
// by another one within a lease. Should writing an attempt's outcome fail
// (the database is down), the dispatcher gives the claim up: the attempt
// counts nothing and the delivery goes again, in order, when the claim
// lapses.
//
// Retries and auto-disable. Only 2xx counts as success, redirects are not
// followed, 410 Gone disables the endpoint, 429 and 503 honour Retry-After,
// and failures are retried on a schedule (by default the specification's:
// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h) with jitter. Every
// attempt is logged (status, latency, truncated response, error). An
// endpoint whose attempts have all failed for Config.DisableAfter (5 days
// by default, as Stripe and Svix do) is disabled and a
// webhook.endpoint_disabled event is emitted; its deliveries are kept and
// go, in order, when it is enabled again. Endpoints are served
// independently, so a slow one never delays the others.
//
// Rotation. RotateSecret makes a new secret; for Config.SecretGrace (24 h)
// requests carry two signatures, under the new and the old secret, so that
// receivers switch without rejecting a request.
//
// URLs are checked against loopback, private, link-local, CGNAT and cloud
// metadata addresses when an endpoint is saved and again, after DNS
// resolution, when each request connects; Config.AllowCIDRs opens chosen
// ranges (tests allow 127.0.0.0/8).
package webhooks
