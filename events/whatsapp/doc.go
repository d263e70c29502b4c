// Package whatsapp is Boladão's WhatsApp Business integration over Meta's
// Cloud API: a client for text and template messages, per-company settings
// and notification rules, a Notifier that turns domain events into
// template messages, and the inbound webhook that turns customers'
// messages into tickets.
//
// # Sending
//
// Client posts to {base URL}/{version}/{phone number ID}/messages with the
// company's access token. A refusal comes back as *APIError with Meta's
// code (CodeReEngagement after the 24-hour window, CodeTemplateMissing,
// CodeThroughputLimit, ...); Temporary tells refusals worth retrying.
//
// # Settings and rules
//
// Service keeps one Settings per company (base URL, API version, phone
// number ID, access token, app secret, verify token). Secrets are
// write-only: View reports whether each is set, never its value; the
// verify token is stored as a SHA-256 digest. A Rule maps an event type to
// an approved template, its language and its parameters, taken from the
// event's data or, for ticket events, from the ticket ("ticket.number").
//
// # Reacting to events
//
// Notifier.Handle(ctx, event) is meant to be subscribed to the event bus:
// for each active rule of the event's type it sends the template to the
// contact the event names, when they opted in to WhatsApp, and records the
// message with its Cloud API ID. The (event, rule) pair is claimed in the
// store before sending, so a redelivered event sends nothing twice; a
// temporary failure gives the claim back and returns the error for the
// bus to retry, and a claim left pending longer than ClaimTimeout (its
// worker stopped before sending) is sent by the next delivery.
//
// # Inbound webhook
//
// Service.VerifyHandshake answers the subscription handshake (hub.mode,
// hub.verify_token, hub.challenge). Service.Inbound takes a notification's
// raw body and its X-Hub-Signature-256: the business number of each change
// (metadata.phone_number_id) names the company, whose app secret must have
// signed the body. A message from one of the company's contacts comments
// publicly on their newest active ticket, or opens a ticket on the
// whatsapp channel; a message ID seen before changes nothing. Status
// callbacks (sent, delivered, read, failed) move recorded messages
// forward. Forged, malformed and unconfigured notifications are refused
// before anything is written.
package whatsapp
