// Package sla is Boladão's pure SLA engine: policies, business calendars,
// holidays, pauses, due dates and breach states for helpdesk tickets.
//
// The package stores nothing and reads no clock. Every function takes the
// times it needs as arguments (Input.Now is "now"), so the same input always
// gives the same result and tests control time completely. Callers in the
// tickets service load the ticket's timeline and the company's calendar and
// policy, call Evaluate, and persist or publish what they need.
//
// # Business time
//
// A Calendar says when a company is open: a time zone, weekly business
// hours (zero or more Intervals per weekday, in local wall-clock time) and
// holidays (local dates). An Interval whose end is not after its start is an
// overnight interval that continues into the next day: 22:00–06:00 on Monday
// covers Monday 22:00 to Tuesday 06:00. Holidays close local dates, so a
// holiday closes the part of an overnight shift that falls on it and leaves
// the rest open. A holiday may be a partial day (Holiday.ClosedUntil): Ash
// Wednesday is closed until 14:00 and open afterwards.
//
// Wall-clock hours are converted to instants in the calendar's zone, so a
// 08:00–18:00 day is ten real hours even on a DST change day, and an
// overnight shift across a DST change is one hour shorter or longer. An
// interval boundary on a wall time skipped by the change moves to the
// instant of the change; one on a repeated wall time uses its first
// occurrence.
//
// AlwaysOpen returns a 24×7 calendar for contracts whose clocks never stop;
// the zero Calendar behaves the same way. BrazilHolidays returns Brazil's
// national holidays of a year (Good Friday from Easter, Consciência Negra
// from 2024 on) and opts in to the optional days (pontos facultativos:
// Carnival, Ash Wednesday morning, Corpus Christi) per company; state and
// city holidays are added with Calendar.WithHolidays.
//
// Calendar.Add(start, d) is the instant at which d of business time has
// elapsed after start, and Calendar.Between(a, b) the business time in
// [a, b). They are exact to the nanosecond and consistent:
// Between(start, Add(start, d)) == d. Both walk day by day and skip whole
// weeks free of holidays and DST changes in one step, so a one-week target
// across holidays takes microseconds.
//
// # Targets, pauses and states
//
// A Policy gives each Priority a first-response target and a resolution
// target in business time; DefaultPolicy holds critical 1h / 4h, high
// 4h / 24h, medium 8h / 72h and low 48h / 168h. Both clocks start at
// CreatedAt (at the next opening when the ticket arrives outside business
// hours) and stop while the ticket is paused: the caller passes the pending
// intervals (pending_customer, pending_third_party) as Pauses, with a zero
// To for a pause still in progress.
//
// Evaluate returns, for each target, the business time used (Elapsed), the
// deadline given the pauses so far (Due; while paused, computed as if the
// pause ended now, so it keeps moving), and a State:
//
//   - met: completed strictly before Due;
//   - breached: Due reached before completion (Elapsed ≥ Target); a target
//     completed at or after Due is breached and stays breached, BreachedAt
//     is Due;
//   - paused: not completed or breached, and a pause is in progress;
//   - at_risk: running with at least 80 % of the target used;
//   - on_track: running with less than 80 % used.
//
// NextTransition tells a breach-detection worker when to look again: the
// next instant at which a target becomes at_risk or breached if nothing
// changes.
//
// # Contract for callers
//
//   - Priority changes re-target from creation: Evaluate uses the current
//     priority with the original CreatedAt. Raising the priority may breach
//     a target at once.
//   - Reopening continues the resolution clock where it stopped: clear
//     ResolvedAt and add Pause{From: resolvedAt, To: reopenedAt} so the time
//     the ticket sat resolved does not count. Persist FirstResponseAt first
//     (a resolution without a response counts as the first response).
//   - Completions and pauses after Now are ignored, so evaluating with a
//     past Now replays the ticket's history.
//   - Validate policies and inputs at the boundary (Policy.Validate,
//     Input.Validate); Evaluate itself never fails.
package sla
