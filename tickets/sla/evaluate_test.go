package sla_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/tickets/sla"
)

// expect is the expected Status of one target; empty fields are not checked.
type expect struct {
	state      sla.State
	due        string
	elapsed    time.Duration
	breachedAt string
}

type pauseSpec struct{ from, to string } // to "" = ongoing

type evalCase struct {
	name                             string
	cal                              sla.Calendar // spOffice when zero and !zeroCal
	zeroCal                          bool
	priority                         sla.Priority
	created, firstResponse, resolved string
	pauses                           []pauseSpec
	now                              string
	fr, res                          expect
	paused                           bool
}

func (tc evalCase) input(t *testing.T) sla.Input {
	t.Helper()
	cal := tc.cal
	if !tc.zeroCal && cal.WeeklyBusinessTime() == 7*24*time.Hour && cal.Location() == time.UTC {
		cal = spOffice(t)
	}
	loc := cal.Location()
	parse := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		return at(t, loc, s)
	}
	in := sla.Input{
		Calendar:        cal,
		Policy:          sla.DefaultPolicy(),
		Priority:        tc.priority,
		CreatedAt:       parse(tc.created),
		FirstResponseAt: parse(tc.firstResponse),
		ResolvedAt:      parse(tc.resolved),
		Now:             parse(tc.now),
	}
	for _, p := range tc.pauses {
		in.Pauses = append(in.Pauses, sla.Pause{From: parse(p.from), To: parse(p.to)})
	}
	return in
}

func checkStatus(t *testing.T, loc *time.Location, which string, want expect, got sla.Status) {
	t.Helper()
	if want.state != "" {
		require.Equal(t, want.state, got.State, which)
	}
	if want.due != "" {
		requireTime(t, at(t, loc, want.due), got.Due, which+" due")
	}
	if want.elapsed != 0 || want.state == sla.StateOnTrack {
		require.Equal(t, want.elapsed, got.Elapsed, which+" elapsed")
	}
	require.Equal(t, got.Target-got.Elapsed, got.Remaining, which+" remaining")
	if want.breachedAt != "" {
		requireTime(t, at(t, loc, want.breachedAt), got.BreachedAt, which+" breached at")
	}
	if got.State == sla.StateBreached {
		requireTime(t, got.Due, got.BreachedAt, which+" BreachedAt is Due")
	} else {
		require.True(t, got.BreachedAt.IsZero(), which+" BreachedAt only when breached")
	}
	if got.State == sla.StateMet {
		require.True(t, got.CompletedAt.Before(got.Due), which+" met means completed before due")
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	ny := newYork(t)
	sp := saoPaulo(t)
	h, m := time.Hour, time.Minute
	ny24 := sla.MustNewCalendar(ny, sla.EveryDay(sla.AllDay()), sla.Holiday{Date: sla.Date{Year: 2026, Month: time.December, Day: 25}})
	sp24 := sla.MustNewCalendar(sp, sla.EveryDay(sla.AllDay()), sla.BrazilHolidays(2018)...)
	const crit, high, med, low = sla.PriorityCritical, sla.PriorityHigh, sla.PriorityMedium, sla.PriorityLow

	tests := []evalCase{
		{name: "critical on track", priority: crit, created: "2026-04-06 09:00", now: "2026-04-06 09:30",
			fr:  expect{state: sla.StateOnTrack, due: "2026-04-06 10:00", elapsed: 30 * m},
			res: expect{state: sla.StateOnTrack, due: "2026-04-06 13:00", elapsed: 30 * m}},
		{name: "at risk at exactly 80%", priority: crit, created: "2026-04-06 09:00", now: "2026-04-06 09:48",
			fr:  expect{state: sla.StateAtRisk, elapsed: 48 * m},
			res: expect{state: sla.StateOnTrack, elapsed: 48 * m}},
		{name: "on track one nanosecond before 80%", priority: crit, created: "2026-04-06 09:00", now: "2026-04-06 09:47:59.999999999",
			fr: expect{state: sla.StateOnTrack, elapsed: 48*m - 1}},
		{name: "breached exactly at due", priority: crit, created: "2026-04-06 09:00", now: "2026-04-06 10:00",
			fr: expect{state: sla.StateBreached, elapsed: h, breachedAt: "2026-04-06 10:00"}},
		{name: "met one nanosecond before due", priority: crit, created: "2026-04-06 09:00", firstResponse: "2026-04-06 09:59:59.999999999", now: "2026-04-06 12:00",
			fr:  expect{state: sla.StateMet, due: "2026-04-06 10:00", elapsed: h - 1},
			res: expect{state: sla.StateOnTrack, elapsed: 3 * h}},
		{name: "response exactly at due is breached", priority: crit, created: "2026-04-06 09:00", firstResponse: "2026-04-06 10:00", now: "2026-04-06 12:00",
			fr: expect{state: sla.StateBreached, elapsed: h, breachedAt: "2026-04-06 10:00"}},
		{name: "late response stays breached after resolution", priority: crit, created: "2026-04-06 09:00", firstResponse: "2026-04-06 10:30", resolved: "2026-04-06 11:00", now: "2026-04-13 09:00",
			fr:  expect{state: sla.StateBreached, elapsed: 90 * m, breachedAt: "2026-04-06 10:00"},
			res: expect{state: sla.StateMet, elapsed: 2 * h, due: "2026-04-06 13:00"}},
		{name: "response after closing time is late", priority: crit, created: "2026-04-06 17:00", firstResponse: "2026-04-06 19:00", now: "2026-04-07 09:00",
			fr: expect{state: sla.StateBreached, elapsed: h, breachedAt: "2026-04-06 18:00"}},
		{name: "created on Saturday starts Monday", priority: crit, created: "2026-04-11 10:00", now: "2026-04-12 20:00",
			fr:  expect{state: sla.StateOnTrack, elapsed: 0, due: "2026-04-13 09:00"},
			res: expect{state: sla.StateOnTrack, elapsed: 0, due: "2026-04-13 12:00"}},
		{name: "created Friday 17:00, across Tiradentes", priority: med, created: "2026-04-10 17:00", now: "2026-04-13 08:00",
			fr:  expect{state: sla.StateOnTrack, elapsed: h, due: "2026-04-13 15:00"},
			res: expect{state: sla.StateOnTrack, elapsed: h, due: "2026-04-23 09:00"}},
		{name: "holiday inside the first-response window", priority: high, created: "2026-04-20 15:00", now: "2026-04-22 08:30",
			fr: expect{state: sla.StateAtRisk, elapsed: 3*h + 30*m, due: "2026-04-22 09:00"}},
		{name: "pause across days", priority: high, created: "2026-04-06 09:00", pauses: []pauseSpec{{"2026-04-06 10:00", "2026-04-08 10:00"}}, now: "2026-04-08 12:00",
			fr:  expect{state: sla.StateOnTrack, elapsed: 3 * h, due: "2026-04-08 13:00"},
			res: expect{state: sla.StateOnTrack, elapsed: 3 * h, due: "2026-04-10 13:00"}},
		{name: "pause across a weekend", priority: med, created: "2026-04-10 16:00", pauses: []pauseSpec{{"2026-04-10 17:00", "2026-04-13 10:00"}}, now: "2026-04-13 12:00",
			fr: expect{state: sla.StateOnTrack, elapsed: 3 * h, due: "2026-04-13 17:00"}},
		{name: "multiple pauses", priority: high, created: "2026-04-06 09:00", pauses: []pauseSpec{{"2026-04-06 10:00", "2026-04-06 11:00"}, {"2026-04-06 12:00", "2026-04-06 14:00"}}, now: "2026-04-06 17:00",
			fr:  expect{state: sla.StateBreached, elapsed: 5 * h, breachedAt: "2026-04-06 16:00"},
			res: expect{state: sla.StateOnTrack, elapsed: 5 * h, due: "2026-04-08 16:00"}},
		{name: "unsorted overlapping pauses are merged", priority: high, created: "2026-04-06 09:00", pauses: []pauseSpec{{"2026-04-06 12:00", "2026-04-06 13:00"}, {"2026-04-06 10:00", "2026-04-06 11:00"}, {"2026-04-06 12:30", "2026-04-06 14:00"}}, now: "2026-04-06 17:00",
			fr:  expect{state: sla.StateBreached, elapsed: 5 * h, breachedAt: "2026-04-06 16:00"},
			res: expect{state: sla.StateOnTrack, elapsed: 5 * h, due: "2026-04-08 16:00"}},
		{name: "ongoing pause: due as if it ended now", priority: high, created: "2026-04-06 09:00", pauses: []pauseSpec{{"2026-04-06 10:00", ""}}, now: "2026-04-06 15:00", paused: true,
			fr:  expect{state: sla.StatePaused, elapsed: h, due: "2026-04-06 18:00"},
			res: expect{state: sla.StatePaused, elapsed: h, due: "2026-04-08 18:00"}},
		{name: "pause with To after now is ongoing", priority: high, created: "2026-04-06 09:00", pauses: []pauseSpec{{"2026-04-06 10:00", "2026-04-07 10:00"}}, now: "2026-04-06 15:00", paused: true,
			fr: expect{state: sla.StatePaused, elapsed: h, due: "2026-04-06 18:00"}},
		{name: "paused after the breach stays breached", priority: crit, created: "2026-04-06 09:00", pauses: []pauseSpec{{"2026-04-06 11:00", ""}}, now: "2026-04-06 15:00", paused: true,
			fr:  expect{state: sla.StateBreached, elapsed: 2 * h, breachedAt: "2026-04-06 10:00"},
			res: expect{state: sla.StatePaused, elapsed: 2 * h, due: "2026-04-06 17:00"}},
		{name: "pause before creation is clipped, future pause ignored", priority: high, created: "2026-04-06 09:00", pauses: []pauseSpec{{"2026-04-05 10:00", "2026-04-06 09:30"}, {"2026-04-06 16:00", "2026-04-06 17:00"}}, now: "2026-04-06 11:00",
			fr: expect{state: sla.StateOnTrack, elapsed: 90 * m, due: "2026-04-06 13:30"}},
		{name: "priority raised re-targets from creation", priority: crit, created: "2026-04-06 09:00", now: "2026-04-06 14:00",
			fr:  expect{state: sla.StateBreached, elapsed: 5 * h, breachedAt: "2026-04-06 10:00"},
			res: expect{state: sla.StateBreached, elapsed: 5 * h, breachedAt: "2026-04-06 13:00"}},
		{name: "priority lowered re-targets from creation", priority: low, created: "2026-04-06 09:00", now: "2026-04-06 14:00",
			fr:  expect{state: sla.StateOnTrack, elapsed: 5 * h, due: "2026-04-10 17:00"},
			res: expect{state: sla.StateOnTrack, elapsed: 5 * h}},
		{name: "resolved in time", priority: high, created: "2026-04-06 09:00", firstResponse: "2026-04-06 09:30", resolved: "2026-04-06 15:00", now: "2026-04-07 10:00",
			fr:  expect{state: sla.StateMet, elapsed: 30 * m},
			res: expect{state: sla.StateMet, elapsed: 6 * h}},
		{name: "reopened: resolution clock continues", priority: high, created: "2026-04-06 09:00", firstResponse: "2026-04-06 09:30",
			pauses: []pauseSpec{{"2026-04-06 15:00", "2026-04-08 10:00"}}, now: "2026-04-08 12:00",
			fr:  expect{state: sla.StateMet, elapsed: 30 * m},
			res: expect{state: sla.StateOnTrack, elapsed: 8 * h, due: "2026-04-09 18:00"}},
		{name: "reopened then breached", priority: high, created: "2026-04-06 09:00", firstResponse: "2026-04-06 09:30",
			pauses: []pauseSpec{{"2026-04-06 15:00", "2026-04-08 10:00"}}, now: "2026-04-09 18:00",
			res: expect{state: sla.StateBreached, elapsed: 24 * h, breachedAt: "2026-04-09 18:00"}},
		{name: "resolution without response counts as first response", priority: high, created: "2026-04-06 09:00", resolved: "2026-04-06 12:00", now: "2026-04-07 12:00",
			fr:  expect{state: sla.StateMet, elapsed: 3 * h},
			res: expect{state: sla.StateMet, elapsed: 3 * h}},
		{name: "completion after now is ignored", priority: high, created: "2026-04-06 09:00", firstResponse: "2026-04-06 11:00", now: "2026-04-06 10:00",
			fr: expect{state: sla.StateOnTrack, elapsed: h}},
		{name: "unknown priority is breached at once", priority: "urgent", created: "2026-04-06 09:00", now: "2026-04-06 09:00",
			fr:  expect{state: sla.StateBreached, breachedAt: "2026-04-06 09:00"},
			res: expect{state: sla.StateBreached, breachedAt: "2026-04-06 09:00"}},
		{name: "always open", cal: sla.AlwaysOpen(), zeroCal: true, priority: crit, created: "2026-04-10T17:00:00Z", now: "2026-04-11T00:00:00Z",
			fr:  expect{state: sla.StateBreached, elapsed: 7 * h, breachedAt: "2026-04-10T18:00:00Z"},
			res: expect{state: sla.StateBreached, elapsed: 7 * h, breachedAt: "2026-04-10T21:00:00Z"}},
		{name: "zero calendar is 24x7", zeroCal: true, priority: crit, created: "2026-04-10T17:00:00Z", now: "2026-04-10T20:12:00Z",
			res: expect{state: sla.StateAtRisk, elapsed: 3*h + 12*m, due: "2026-04-10T21:00:00Z"}},
		{name: "NY 24x7 across spring forward", cal: ny24, priority: crit, created: "2026-03-07 23:00", now: "2026-03-08T03:30:00-04:00",
			fr:  expect{state: sla.StateBreached, breachedAt: "2026-03-08 00:00"},
			res: expect{state: sla.StateAtRisk, elapsed: 3*h + 30*m, due: "2026-03-08T04:00:00-04:00"}},
		{name: "NY 24x7 across fall back", cal: ny24, priority: crit, created: "2026-10-31 23:00", now: "2026-11-01T01:30:00-05:00",
			res: expect{state: sla.StateAtRisk, elapsed: 3*h + 30*m, due: "2026-11-01T02:00:00-05:00"}},
		{name: "NY office across spring forward weekend", cal: sla.MustNewCalendar(ny, officeHours()), priority: high, created: "2026-03-06 16:00", now: "2026-03-09 09:12",
			fr: expect{state: sla.StateAtRisk, elapsed: 3*h + 12*m, due: "2026-03-09 10:00"}},
		{name: "SP 2018 DST start (24x7)", cal: sp24, priority: crit, created: "2018-11-03 22:00", now: "2018-11-04T01:30:00-02:00",
			fr:  expect{state: sla.StateBreached, breachedAt: "2018-11-03 23:00"},
			res: expect{state: sla.StateOnTrack, elapsed: 2*h + 30*m, due: "2018-11-04T03:00:00-02:00"}},
		{name: "SP 2018 office hours after Finados and DST start", cal: spOffice(t), priority: crit, created: "2018-11-03 10:00", now: "2018-11-05T08:30:00-02:00",
			fr:  expect{state: sla.StateOnTrack, elapsed: 30 * m, due: "2018-11-05T09:00:00-02:00"},
			res: expect{state: sla.StateOnTrack, elapsed: 30 * m, due: "2018-11-05T12:00:00-02:00"}},
		{name: "SP pause across the 2018 DST weekend", cal: sp24, priority: low, created: "2018-11-03 20:00", pauses: []pauseSpec{{"2018-11-03 21:00", "2018-11-04T02:00:00-02:00"}}, now: "2018-11-04T03:00:00-02:00",
			fr: expect{state: sla.StateOnTrack, elapsed: 2 * h}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := tc.input(t)
			r := sla.Evaluate(in)
			loc := in.Calendar.Location()
			checkStatus(t, loc, "first response", tc.fr, r.FirstResponse)
			checkStatus(t, loc, "resolution", tc.res, r.Resolution)
			require.Equal(t, tc.paused, r.Paused)
			targets, ok := in.Policy.For(in.Priority)
			if ok {
				require.Equal(t, targets.FirstResponse, r.FirstResponse.Target)
				require.Equal(t, targets.Resolution, r.Resolution.Target)
			}
			require.Equal(t, r, sla.Evaluate(in), "Evaluate is deterministic")
		})
	}
}

func TestNextTransition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tc   evalCase
		at   string
		kind string
		ok   bool
	}{
		{evalCase{name: "on track -> first response at risk", priority: sla.PriorityCritical, created: "2026-04-06 09:00", now: "2026-04-06 09:00"}, "2026-04-06 09:48", sla.TransitionFirstResponseAtRisk, true},
		{evalCase{name: "at risk -> first response breached", priority: sla.PriorityCritical, created: "2026-04-06 09:00", now: "2026-04-06 09:50"}, "2026-04-06 10:00", sla.TransitionFirstResponseBreached, true},
		{evalCase{name: "first response breached -> resolution at risk", priority: sla.PriorityCritical, created: "2026-04-06 09:00", now: "2026-04-06 10:00"}, "2026-04-06 12:12", sla.TransitionResolutionAtRisk, true},
		{evalCase{name: "first response met -> resolution at risk", priority: sla.PriorityCritical, created: "2026-04-06 09:00", firstResponse: "2026-04-06 09:10", now: "2026-04-06 09:10"}, "2026-04-06 12:12", sla.TransitionResolutionAtRisk, true},
		{evalCase{name: "resolution at risk -> breached", priority: sla.PriorityCritical, created: "2026-04-06 09:00", firstResponse: "2026-04-06 09:10", now: "2026-04-06 12:30"}, "2026-04-06 13:00", sla.TransitionResolutionBreached, true},
		{evalCase{name: "created Friday 17:30 -> at risk Monday", priority: sla.PriorityCritical, created: "2026-04-10 17:30", now: "2026-04-10 17:30"}, "2026-04-13 08:18", sla.TransitionFirstResponseAtRisk, true},
		{evalCase{name: "at risk across a holiday", priority: sla.PriorityHigh, created: "2026-04-20 15:00", now: "2026-04-20 15:00"}, "2026-04-22 08:12", sla.TransitionFirstResponseAtRisk, true},
		{evalCase{name: "after a pause", priority: sla.PriorityHigh, created: "2026-04-06 09:00", pauses: []pauseSpec{{"2026-04-06 10:00", "2026-04-07 10:00"}}, now: "2026-04-07 10:00"}, "2026-04-07 12:12", sla.TransitionFirstResponseAtRisk, true},
		{evalCase{name: "paused", priority: sla.PriorityHigh, created: "2026-04-06 09:00", pauses: []pauseSpec{{"2026-04-06 10:00", ""}}, now: "2026-04-06 12:00"}, "", "", false},
		{evalCase{name: "both met", priority: sla.PriorityHigh, created: "2026-04-06 09:00", firstResponse: "2026-04-06 09:10", resolved: "2026-04-06 10:00", now: "2026-04-06 12:00"}, "", "", false},
		{evalCase{name: "both breached", priority: sla.PriorityCritical, created: "2026-04-06 09:00", now: "2026-04-07 09:00"}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.tc.name, func(t *testing.T) {
			t.Parallel()
			in := tt.tc.input(t)
			got, kind, ok := sla.NextTransition(in)
			require.Equal(t, tt.ok, ok)
			if !ok {
				require.True(t, got.IsZero())
				require.Empty(t, kind)
				return
			}
			require.Equal(t, tt.kind, kind)
			requireTime(t, at(t, in.Calendar.Location(), tt.at), got)
			require.True(t, got.After(in.Now))

			// The state changes exactly at the reported instant.
			state := func(now time.Time) sla.State {
				in := in
				in.Now = now
				r := sla.Evaluate(in)
				if kind == sla.TransitionFirstResponseAtRisk || kind == sla.TransitionFirstResponseBreached {
					return r.FirstResponse.State
				}
				return r.Resolution.State
			}
			wantAfter := sla.StateAtRisk
			if kind == sla.TransitionFirstResponseBreached || kind == sla.TransitionResolutionBreached {
				wantAfter = sla.StateBreached
			}
			require.Equal(t, wantAfter, state(got))
			require.NotEqual(t, wantAfter, state(got.Add(-time.Nanosecond)))
		})
	}
}

func TestInputValidate(t *testing.T) {
	t.Parallel()
	sp := saoPaulo(t)
	created := at(t, sp, "2026-04-06 09:00")
	valid := sla.Input{Calendar: spOffice(t), Policy: sla.DefaultPolicy(), Priority: sla.PriorityHigh, CreatedAt: created, Now: created.Add(time.Hour)}
	require.NoError(t, valid.Validate())

	bad := valid
	bad.Priority = "urgent"
	bad.Policy.High.Resolution = 0
	bad.Now = time.Time{}
	bad.FirstResponseAt = created.Add(-time.Hour)
	bad.ResolvedAt = created.Add(-time.Hour)
	bad.Pauses = []sla.Pause{{}, {From: created.Add(time.Hour), To: created}}
	err := bad.Validate()
	require.True(t, errors.Is(err, sla.ErrInvalidInput))
	require.True(t, errors.Is(err, sla.ErrInvalidPolicy))
	for _, hint := range []string{"use low, medium, high or critical", "Now is zero", "FirstResponseAt", "ResolvedAt", "pause 0 has a zero From", "pause 1 ends", "high resolution target is 0s"} {
		require.ErrorContains(t, err, hint)
	}

	noCreated := valid
	noCreated.CreatedAt = time.Time{}
	require.ErrorContains(t, noCreated.Validate(), "CreatedAt is zero: set it to the ticket's creation time")

	// Validate catches FirstResponseAt before CreatedAt; Evaluate clamps it.
	odd := valid
	odd.FirstResponseAt = created.Add(-time.Hour)
	r := sla.Evaluate(odd)
	require.Equal(t, sla.StateMet, r.FirstResponse.State)
	require.Zero(t, r.FirstResponse.Elapsed)
}

func TestEvaluateMonotonicClockAndLocations(t *testing.T) {
	t.Parallel()
	sp := saoPaulo(t)
	created := at(t, sp, "2026-04-06 09:00")
	in := sla.Input{Calendar: spOffice(t), Policy: sla.DefaultPolicy(), Priority: sla.PriorityHigh, CreatedAt: created.UTC(), Now: created.Add(2 * time.Hour).In(newYork(t))}
	r := sla.Evaluate(in)
	require.Equal(t, 2*time.Hour, r.FirstResponse.Elapsed)
	require.Equal(t, sp, r.FirstResponse.Due.Location(), "results are in the calendar's location")
	requireTime(t, at(t, sp, "2026-04-06 13:00"), r.FirstResponse.Due)

	// Times carrying a monotonic reading give the same result.
	now := time.Now()
	in = sla.Input{Calendar: sla.AlwaysOpen(), Policy: sla.DefaultPolicy(), Priority: sla.PriorityCritical, CreatedAt: now, Now: now.Add(30 * time.Minute)}
	r = sla.Evaluate(in)
	require.Equal(t, 30*time.Minute, r.FirstResponse.Elapsed)
	requireTime(t, now.Add(time.Hour), r.FirstResponse.Due)
}
