// Package webhooks delivers a company's events to the HTTP endpoints it
// registers, signed per the Standard Webhooks specification
// (https://www.standardwebhooks.com): every request carries webhook-id (the
// event ID, the same on every attempt), webhook-timestamp (fresh on every
// attempt) and webhook-signature ("v1,<base64 HMAC-SHA256>" of
// "id.timestamp.body" under the endpoint's whsec_ secret).
//
// The Service subscribes to the bus (HandleEvent): for each event it writes
// one delivery per active endpoint whose filter matches, so that a delivery
// survives restarts. What it reads of the endpoints (which are active, an
// endpoint's URL and secret) it keeps for a second: its own changes apply
// at once, another process's within that second. While Run runs, a delivery whose endpoint has nothing
// pending for the same aggregate is written already claimed and handed
// straight to the endpoint's worker, so it is sent without waiting for a
// claim; the others (behind an earlier delivery of their aggregate, or
// due for a retry) are claimed from the store when they may go, by Run or
// by the worker of an endpoint that is busy. Without Run, ProcessDue sends
// what is due. Only 2xx counts as
// success, redirects are not followed, 410 Gone disables the endpoint, 429
// and 503 honour Retry-After, and failures are retried on a schedule (by
// default the specification's: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
// 20 h, 24 h) with jitter. Every attempt is logged (status, latency,
// truncated response, error); an endpoint that fails too many times in a
// row is disabled and a webhook.endpoint_disabled event is emitted.
// Deliveries of one endpoint and aggregate are sent in order; endpoints are
// served independently, so a slow one never delays the others.
//
// URLs are checked against loopback, private, link-local, CGNAT and cloud
// metadata addresses when an endpoint is saved and again, after DNS
// resolution, when each request connects; Config.AllowCIDRs opens chosen
// ranges (tests allow 127.0.0.0/8).
package webhooks
