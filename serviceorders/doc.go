// Package serviceorders holds the helpdesk's service orders (Ordens de
// Serviço): field or remote work on a company's ticket and asset, by a
// technician, in a scheduled window, with its activities and time logs,
// the parts it took from stock and the customer's sign-off.
//
// Numbers are OS-{company_id}-{year}-{seq:06d}, gapless per company and
// calendar year of the company's timezone: the sequence is a counter row
// updated inside the order's own unit of work, so a creation that fails
// gives its number back and concurrent creations wait for each other.
//
// The lifecycle is declared on helpdesk/workflow: draft, scheduled,
// in_progress, on_hold, completed, approved, invoiced, cancelled.
// Scheduling needs a technician and a window, starting an on-site order
// (every type but remote) its APR number (Análise Preliminar de Risco),
// completing at least one activity, approving the customer's sign-off,
// cancelling a reason; only admins invoice. Completing can resolve the
// order's ticket in the same unit of work.
//
// Orders come from tickets (CreateFromTicket, or Create with a ticket ID);
// an order opened for an asset alone gets its ticket in the same unit of
// work (EnsureTicket does it later for an order opened without one).
// Timed entries of one technician may not overlap, across orders; entries
// are edited and deleted with events carrying the entry before, and
// deleted ones are kept but count nowhere. Parts are consumed through
// inventory.Service.ConsumeTx in the order's unit of work: the stock's
// available count can never go below zero.
//
// Every change emits an event in the same unit of work:
// service_order.created, .updated, .status_changed, .scheduled,
// .completed, .activity_logged, .activity_updated, .activity_deleted and
// .part_added (with ticket.created, ticket.status_changed and
// inventory.stock_consumed when tickets and stock are touched). Analytics
// and the billable-hours export are aggregate queries of the backend.
package serviceorders
