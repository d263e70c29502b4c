package sla

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrInvalidInput is wrapped by every error Input.Validate returns.
var ErrInvalidInput = errors.New("sla: invalid input")

// State is the state of one SLA target.
type State string

// The states of a target. Precedence, highest first: met or breached (a
// completed target), breached, paused, at_risk, on_track.
const (
	// StateOnTrack: running, less than AtRiskPercent of the target used.
	StateOnTrack State = "on_track"
	// StateAtRisk: running, at least AtRiskPercent of the target used.
	StateAtRisk State = "at_risk"
	// StateBreached: the whole target was used before completion. A breached
	// target stays breached, whether or not it is completed later.
	StateBreached State = "breached"
	// StatePaused: not completed, not breached, and the ticket is paused now.
	StatePaused State = "paused"
	// StateMet: completed before the due time.
	StateMet State = "met"
)

// AtRiskPercent is the share of a target, in percent, from which a running
// target is at risk (inclusive: exactly 80 % is at risk).
const AtRiskPercent = 80

// The kinds NextTransition reports.
const (
	TransitionFirstResponseAtRisk   = "first_response.at_risk"
	TransitionFirstResponseBreached = "first_response.breached"
	TransitionResolutionAtRisk      = "resolution.at_risk"
	TransitionResolutionBreached    = "resolution.breached"
)

// Pause is an interval during which the ticket's clocks stop, such as time
// spent in pending_customer or pending_third_party, or the time a reopened
// ticket sat resolved. A zero To means the ticket is still paused.
type Pause struct {
	From time.Time
	To   time.Time
}

// Input is everything Evaluate needs about one ticket at one instant. The
// engine reads no clock: Now is the instant of evaluation.
type Input struct {
	// Calendar is the company's business calendar. The zero Calendar is
	// 24×7 in UTC.
	Calendar Calendar
	// Policy holds the targets; Priority selects the row. Changing a
	// ticket's priority re-targets it from CreatedAt: pass the current
	// priority and the original CreatedAt. Raising the priority can
	// therefore make a target breached at once (with BreachedAt in the past).
	Policy   Policy
	Priority Priority
	// CreatedAt starts both clocks (at the next opening when it falls
	// outside business hours).
	CreatedAt time.Time
	// FirstResponseAt stops the first-response clock; zero if no response
	// yet. When it is zero and ResolvedAt is set, the resolution counts as
	// the first response.
	FirstResponseAt time.Time
	// ResolvedAt stops the resolution clock; zero if not resolved. On
	// reopen the caller clears it and adds Pause{From: old ResolvedAt, To:
	// reopen time}, so the clock continues from where it stopped. Callers
	// should also persist FirstResponseAt (set it to the resolution time if
	// it was zero) before clearing ResolvedAt.
	ResolvedAt time.Time
	// Pauses are the intervals during which the clocks stop, in any order;
	// overlaps are merged and the parts before CreatedAt or after Now are
	// ignored.
	Pauses []Pause
	// Now is the instant of evaluation. Completions and pauses after Now
	// are ignored, so a past Now replays history.
	Now time.Time
}

// Validate reports every problem in in. Evaluate does not require a valid
// input (it never fails), but its result on an invalid one is only
// defensive: an unknown priority gets zero targets and is breached at once.
func (in Input) Validate() error {
	var errs []error
	if err := in.Policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	if !in.Priority.Valid() {
		errs = append(errs, fmt.Errorf("priority %q is unknown: use low, medium, high or critical", in.Priority))
	}
	if in.CreatedAt.IsZero() {
		errs = append(errs, errors.New("CreatedAt is zero: set it to the ticket's creation time"))
	}
	if in.Now.IsZero() {
		errs = append(errs, errors.New("the current time Now is zero: pass it from the injected clock"))
	}
	if !in.FirstResponseAt.IsZero() && in.FirstResponseAt.Before(in.CreatedAt) {
		errs = append(errs, fmt.Errorf("FirstResponseAt %v is before CreatedAt %v: fix one of the timestamps", in.FirstResponseAt, in.CreatedAt))
	}
	if !in.ResolvedAt.IsZero() && in.ResolvedAt.Before(in.CreatedAt) {
		errs = append(errs, fmt.Errorf("ResolvedAt %v is before CreatedAt %v: fix one of the timestamps", in.ResolvedAt, in.CreatedAt))
	}
	for i, p := range in.Pauses {
		if p.From.IsZero() {
			errs = append(errs, fmt.Errorf("pause %d has a zero From: set the time the ticket entered the pending state", i))
		} else if !p.To.IsZero() && p.To.Before(p.From) {
			errs = append(errs, fmt.Errorf("pause %d ends (%v) before it starts (%v): swap or fix the timestamps", i, p.To, p.From))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidInput, errors.Join(errs...))
	}
	return nil
}

// Status is the state of one target (first response or resolution).
type Status struct {
	// Target is the business time allowed.
	Target time.Duration
	// Elapsed is the business time used so far (until completion if
	// completed, until Now otherwise), pauses excluded.
	Elapsed time.Duration
	// Remaining is Target − Elapsed; negative when the target was exceeded.
	Remaining time.Duration
	// Due is the deadline given the pauses known so far. While the ticket is
	// paused it is computed as if the pause ended at Now, so it moves later
	// as the pause goes on.
	Due time.Time
	// AtRiskAt is the instant at which AtRiskPercent of the target is used,
	// computed like Due.
	AtRiskAt time.Time
	// State is the target's state at Now.
	State State
	// CompletedAt is the response or resolution time, zero while running.
	CompletedAt time.Time
	// BreachedAt is the instant the target was breached (equal to Due),
	// zero unless State is StateBreached.
	BreachedAt time.Time
}

// Result is the SLA state of a ticket at Input.Now.
type Result struct {
	// FirstResponse is the first-response target.
	FirstResponse Status
	// Resolution is the resolution target.
	Resolution Status
	// Paused reports whether a pause is in progress at Now.
	Paused bool
}

// Worst is the worse of the two targets' states, in the order breached,
// at_risk, paused, on_track, met: one state that summarises a ticket.
func (r Result) Worst() State {
	rank := func(s State) int {
		switch s {
		case StateBreached:
			return 4
		case StateAtRisk:
			return 3
		case StatePaused:
			return 2
		case StateOnTrack:
			return 1
		}
		return 0
	}
	if rank(r.Resolution.State) > rank(r.FirstResponse.State) {
		return r.Resolution.State
	}
	return r.FirstResponse.State
}

// Evaluate computes both targets of a ticket at in.Now.
//
// A target is met when completed strictly before its due time, and breached
// from its due time on: a response exactly at the due time is late. For a
// running target this is the same as comparing Elapsed with Target
// (breached once Elapsed ≥ Target, at risk once Elapsed ≥ 80 % of Target).
// All times in the result are in the calendar's location.
func Evaluate(in Input) Result {
	targets, _ := in.Policy.For(in.Priority)
	created := in.CreatedAt.Round(0)
	now := in.Now.Round(0)
	paused := pausedAt(in.Pauses, now)
	firstResponse := in.FirstResponseAt
	if firstResponse.IsZero() {
		firstResponse = in.ResolvedAt
	}
	return Result{
		FirstResponse: evaluate(in.Calendar, targets.FirstResponse, created, firstResponse, now, in.Pauses, paused),
		Resolution:    evaluate(in.Calendar, targets.Resolution, created, in.ResolvedAt, now, in.Pauses, paused),
		Paused:        paused,
	}
}

// NextTransition returns the next instant after in.Now at which a target
// becomes at_risk or breached if nothing changes (no response, resolution or
// pause), and which transition that is (one of the Transition constants).
// Evaluate at that instant reports the new state. ok is false when neither
// target can change on its own: each is paused, met or already breached.
// A breach-detection worker schedules its next check at the returned time.
func NextTransition(in Input) (at time.Time, kind string, ok bool) {
	r := Evaluate(in)
	consider := func(s Status, atRisk, breached string) {
		var t time.Time
		var k string
		switch s.State {
		case StateOnTrack:
			t, k = s.AtRiskAt, atRisk
		case StateAtRisk:
			t, k = s.Due, breached
		default:
			return
		}
		if !ok || t.Before(at) {
			at, kind, ok = t, k, true
		}
	}
	consider(r.FirstResponse, TransitionFirstResponseAtRisk, TransitionFirstResponseBreached)
	consider(r.Resolution, TransitionResolutionAtRisk, TransitionResolutionBreached)
	return at, kind, ok
}

func evaluate(cal Calendar, target time.Duration, created, done, now time.Time, pauses []Pause, pausedNow bool) Status {
	loc := cal.Location()
	target = max(target, 0)
	completed := !done.IsZero() && !done.After(now)
	end := now
	if completed {
		end = done.Round(0)
	}
	if end.Before(created) {
		end = created
	}
	ps := normalizePauses(pauses, created, end)
	s := Status{
		Target:   target,
		Elapsed:  elapsed(cal, created, end, ps),
		Due:      addPaused(cal, created, target, ps),
		AtRiskAt: addPaused(cal, created, atRiskThreshold(target), ps),
	}
	s.Remaining = target - s.Elapsed
	if completed {
		s.CompletedAt = end.In(loc)
	}
	switch {
	case completed && s.Elapsed < target:
		s.State = StateMet
	case s.Elapsed >= target:
		s.State = StateBreached
		s.BreachedAt = s.Due
	case pausedNow:
		s.State = StatePaused
	case s.Elapsed >= atRiskThreshold(target):
		s.State = StateAtRisk
	default:
		s.State = StateOnTrack
	}
	return s
}

// atRiskThreshold returns ⌈target × AtRiskPercent / 100⌉ without overflow.
func atRiskThreshold(target time.Duration) time.Duration {
	q, r := target/100, target%100
	return q*AtRiskPercent + (r*AtRiskPercent+99)/100
}

// pausedAt reports whether a pause is in progress at now.
func pausedAt(pauses []Pause, now time.Time) bool {
	for _, p := range pauses {
		if p.From.IsZero() || p.From.After(now) {
			continue
		}
		if p.To.IsZero() || p.To.After(now) {
			return true
		}
	}
	return false
}

// normalizePauses clips the pauses to [created, end] (an ongoing pause ends
// at end), drops empty or invalid ones, sorts and merges them.
func normalizePauses(pauses []Pause, created, end time.Time) []span {
	out := make([]span, 0, len(pauses))
	for _, p := range pauses {
		if p.From.IsZero() {
			continue
		}
		from, to := p.From.Round(0), p.To.Round(0)
		if to.IsZero() || to.After(end) {
			to = end
		}
		if from.Before(created) {
			from = created
		}
		if from.Before(to) {
			out = append(out, span{from, to})
		}
	}
	slices.SortFunc(out, func(a, b span) int { return cmp.Compare(a.start.UnixNano(), b.start.UnixNano()) })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && !s.start.After(merged[n-1].end) {
			if s.end.After(merged[n-1].end) {
				merged[n-1].end = s.end
			}
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// elapsed returns the business time in [start, end) outside the pauses
// (sorted, merged, within [start, end]).
func elapsed(cal Calendar, start, end time.Time, pauses []span) time.Duration {
	var total time.Duration
	cur := start
	for _, p := range pauses {
		total += cal.Between(cur, p.start)
		if p.end.After(cur) {
			cur = p.end
		}
	}
	return total + cal.Between(cur, end)
}

// addPaused returns the earliest instant at which d of business time outside
// the pauses (sorted, merged, starting at or after start) has elapsed.
func addPaused(cal Calendar, start time.Time, d time.Duration, pauses []span) time.Time {
	cur := start
	for _, p := range pauses {
		if !p.end.After(cur) {
			continue
		}
		if before := cal.Between(cur, p.start); before >= d {
			break
		} else {
			d -= before
		}
		cur = p.end
	}
	return cal.Add(cur, d)
}
