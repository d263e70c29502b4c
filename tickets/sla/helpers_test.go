package sla_test

import (
	"testing"
	"time"
	_ "time/tzdata" // hermetic zone data for America/Sao_Paulo and America/New_York

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/tickets/sla"
)

func loadLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func saoPaulo(t testing.TB) *time.Location { return loadLoc(t, "America/Sao_Paulo") }
func newYork(t testing.TB) *time.Location  { return loadLoc(t, "America/New_York") }

// at parses "2006-01-02 15:04[:05]" in loc, or an RFC 3339 time with an
// explicit offset (for wall times a DST change makes ambiguous).
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if v, err := time.ParseInLocation(layout, s, loc); err == nil {
			return v
		}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err, "bad test time %q", s)
	return v
}

func requireTime(t testing.TB, want, got time.Time, msgAndArgs ...any) {
	t.Helper()
	require.Truef(t, want.Equal(got), "want %s, got %s %v", want.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano), msgAndArgs)
}

// officeHours is Mon–Fri 08:00–18:00.
func officeHours() sla.WeeklyHours {
	return sla.Weekdays(sla.Interval{Start: sla.At(8, 0), End: sla.At(18, 0)})
}

// spOffice is São Paulo office hours with the national holidays of
// 2017–2027 (no optional days).
func spOffice(t testing.TB) sla.Calendar {
	return sla.MustNewCalendar(saoPaulo(t), officeHours(), sla.BrazilHolidaysBetween(2017, 2027)...)
}

// nightShift is Mon–Fri 22:00–06:00 (the Friday shift ends Saturday 06:00).
func nightShift() sla.WeeklyHours {
	return sla.Weekdays(sla.Interval{Start: sla.At(22, 0), End: sla.At(6, 0)})
}

// calendars returns a variety of calendars for property tests.
func calendars(t testing.TB) map[string]sla.Calendar {
	sp, ny := saoPaulo(t), newYork(t)
	lunch := sla.Weekdays(
		sla.Interval{Start: sla.At(8, 0), End: sla.At(12, 0)},
		sla.Interval{Start: sla.At(13, 30), End: sla.At(17, 45)},
	)
	lunch[time.Saturday] = []sla.Interval{{Start: sla.At(9, 0), End: sla.At(13, 0)}}
	ragged := sla.WeeklyHours{}
	ragged[time.Wednesday] = []sla.Interval{{Start: sla.At(23, 59), End: sla.At(0, 1)}}
	return map[string]sla.Calendar{
		"sp office":       spOffice(t),
		"sp office + opt": sla.MustNewCalendar(sp, officeHours(), sla.BrazilHolidaysBetween(2017, 2027, sla.WithAllOptionalDays())...),
		"sp lunch break":  sla.MustNewCalendar(sp, lunch, sla.BrazilHolidaysBetween(2017, 2027)...),
		"sp night shift":  sla.MustNewCalendar(sp, nightShift(), sla.BrazilHolidaysBetween(2017, 2027)...),
		"sp 24x7 + hol":   sla.MustNewCalendar(sp, sla.EveryDay(sla.AllDay()), sla.BrazilHolidaysBetween(2017, 2027)...),
		"ny office":       sla.MustNewCalendar(ny, officeHours(), sla.Holiday{Date: sla.Date{Year: 2026, Month: time.July, Day: 3}, Name: "Independence Day (observed)"}),
		"ny night shift":  sla.MustNewCalendar(ny, sla.EveryDay(sla.Interval{Start: sla.At(22, 0), End: sla.At(6, 0)})),
		"ny 24x7 + hol":   sla.MustNewCalendar(ny, sla.EveryDay(sla.AllDay()), sla.Holiday{Date: sla.Date{Year: 2026, Month: time.December, Day: 25}}),
		"ny two minutes":  sla.MustNewCalendar(ny, ragged),
		"always open":     sla.AlwaysOpen(),
		"zero":            {},
	}
}
