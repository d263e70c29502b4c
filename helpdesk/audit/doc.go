// Package audit records security events (failed logins, rate-limit hits,
// forged or reused tokens, blocked addresses) and answers the questions of a
// security audit: what happened, from where, in a time window.
//
// Events are written by the HTTP layer through a Store that the storage
// backends implement; they are kept in the database so that every instance
// of the server reports the same audit.
package audit
