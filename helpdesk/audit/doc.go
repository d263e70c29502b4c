// Package audit holds the two records a security review asks for.
//
// Security events (failed logins, rate-limit hits, forged or reused
// tokens, blocked addresses) answer what happened, from where, in a time
// window. They are written by the HTTP layer and the console through a
// Store that the storage backends implement, in the database, so that
// every instance of the server reports the same audit. Events that a
// client can trigger in bulk (Kind.Bulk) go through an Aggregator: counted
// in memory per kind and source and written as runs, one row with Count,
// At and LastAt per interval, in batches off the request path.
//
// The audit trail of changes (Change) answers who changed what: users,
// companies, API tokens, webhooks, integration settings and serial
// settings. A Change names its actor (a user, an API token, a platform
// admin or the system), the client IP and request ID of the HTTP request
// that made it (Origin, carried by the context), the entity, the action
// and the fields with their old and new values; secret fields are recorded
// only as changed (Diff). Changes are written in the unit of work of the
// change itself (ChangeWriter, or WithPending for single-statement
// writes), so a change that fails records nothing. ChangeStore reads them
// in keyset pages and purges them after the retention period.
package audit
