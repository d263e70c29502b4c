// Package tickets holds the helpdesk's tickets (Chamado): a per-company
// numbered request with a priority, a requester, an optional asset, comments
// and internal notes, an 8-state workflow and SLA clocks.
//
// The lifecycle is declared on helpdesk/workflow: new, open, in_progress,
// pending_customer, pending_third_party, resolved, closed, cancelled.
// Resolving needs a resolution note, cancelling a reason; a resolved ticket
// may be reopened within the reopen window (default 7 days); closed and
// cancelled are final. Time spent in pending_* states, and the time a
// reopened ticket sat resolved, pauses the SLA clocks (tickets/sla).
//
// The Service is tenant-scoped: requesters open tickets and see only their
// own, never internal notes; viewers read; agents and admins work every
// ticket of their company. Every change emits an event (ticket.created,
// ticket.updated, ticket.status_changed, ticket.assigned, ticket.commented)
// in the same unit of work, and CheckSLA emits ticket.sla_at_risk and
// ticket.sla_breached exactly once per ticket and target. Every change is
// also recorded in the ticket's history (HistoryEntry: who, when, what from
// what to), in the same unit of work; History lists it, leaving out the
// entries of internal notes for requesters.
//
// Beside tickets the package keeps two small per-person records: saved
// views of the queue (SavedView: a name and a query string per user, at
// most MaxSavedViews) and presence (Viewer: who has a ticket open, records
// with an expiry that the console refreshes, so that every server on one
// database sees everyone's).
package tickets
