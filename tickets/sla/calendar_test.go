package sla_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/tickets/sla"
)

func TestCalendarAdd(t *testing.T) {
	t.Parallel()
	sp, ny := saoPaulo(t), newYork(t)
	h := time.Hour
	office2026 := sla.MustNewCalendar(sp, officeHours(), sla.BrazilHolidays(2026)...)
	withHolidays := func(loc *time.Location, w sla.WeeklyHours, hs ...sla.Holiday) sla.Calendar {
		return sla.MustNewCalendar(loc, w, hs...)
	}
	lunch := sla.Weekdays(sla.Interval{Start: sla.At(8, 0), End: sla.At(12, 0)}, sla.Interval{Start: sla.At(13, 0), End: sla.At(17, 0)})
	tuesdayHoliday := sla.Holiday{Date: sla.Date{Year: 2026, Month: time.April, Day: 7}, Name: "company day"}
	nyNight := sla.MustNewCalendar(ny, sla.EveryDay(sla.Interval{Start: sla.At(22, 0), End: sla.At(6, 0)}))
	nyEarly := sla.MustNewCalendar(ny, sla.EveryDay(sla.Interval{Start: sla.At(1, 0), End: sla.At(4, 0)}))
	nyGap := sla.MustNewCalendar(ny, sla.EveryDay(sla.Interval{Start: sla.At(2, 30), End: sla.At(5, 0)}))
	sp24 := sla.MustNewCalendar(sp, sla.EveryDay(sla.AllDay()), sla.BrazilHolidays(2018)...)

	tests := []struct {
		name  string
		cal   sla.Calendar
		start string
		d     time.Duration
		want  string
	}{
		{"within the day", office2026, "2026-04-06 09:00", 2 * h, "2026-04-06 11:00"},
		{"ends exactly at closing", office2026, "2026-04-06 16:00", 2 * h, "2026-04-06 18:00"},
		{"crosses the night", office2026, "2026-04-06 17:00", 2 * h, "2026-04-07 09:00"},
		{"zero duration returns start", office2026, "2026-04-11 10:00", 0, "2026-04-11 10:00"},
		{"negative duration returns start", office2026, "2026-04-06 10:00", -h, "2026-04-06 10:00"},
		{"sub-second precision", office2026, "2026-04-06 17:59:59", 1500 * time.Millisecond, "2026-04-07T08:00:00.5-03:00"},
		{"weekend skipped", office2026, "2026-04-10 17:00", 2 * h, "2026-04-13 09:00"},
		{"created before opening", office2026, "2026-04-06 06:00", h, "2026-04-06 09:00"},
		{"created after closing", office2026, "2026-04-06 20:00", h, "2026-04-07 09:00"},
		{"created on Saturday", office2026, "2026-04-11 10:00", h, "2026-04-13 09:00"},
		{"one full week", office2026, "2026-04-06 08:00", 50 * h, "2026-04-10 18:00"},
		{"168h across Tiradentes and 1 May", office2026, "2026-04-17 17:00", 168 * h, "2026-05-14 15:00"},
		{"fixed holiday Tiradentes (Tuesday)", office2026, "2026-04-20 17:00", 2 * h, "2026-04-22 09:00"},
		{"Easter-based Good Friday", office2026, "2026-04-02 17:00", 2 * h, "2026-04-06 09:00"},
		{"Christmas", spOffice(t), "2026-12-24 17:00", 12 * h, "2026-12-29 09:00"},
		{"New Year across years", spOffice(t), "2026-12-31 17:00", 12 * h, "2027-01-05 09:00"},
		{"Consciência Negra not a holiday in 2023", spOffice(t), "2023-11-17 17:00", 2 * h, "2023-11-20 09:00"},
		{"Consciência Negra a holiday from 2024", spOffice(t), "2024-11-19 17:00", 2 * h, "2024-11-21 09:00"},
		{"Carnival is a workday unless opted in", office2026, "2026-02-13 17:00", 2 * h, "2026-02-16 09:00"},
		{"Carnival opted in", withHolidays(sp, officeHours(), sla.BrazilHolidays(2026, sla.WithCarnival())...), "2026-02-13 17:00", 2 * h, "2026-02-18 09:00"},
		{"Carnival and Ash Wednesday morning", withHolidays(sp, officeHours(), sla.BrazilHolidays(2026, sla.WithCarnival(), sla.WithAshWednesdayMorning())...), "2026-02-13 17:00", 2 * h, "2026-02-18 15:00"},
		{"Ash Wednesday morning alone", withHolidays(sp, officeHours(), sla.BrazilHolidays(2026, sla.WithAshWednesdayMorning())...), "2026-02-17 17:00", 2 * h, "2026-02-18 15:00"},
		{"start inside Ash Wednesday closure", withHolidays(sp, officeHours(), sla.BrazilHolidays(2026, sla.WithAshWednesdayMorning())...), "2026-02-18 09:00", 4 * h, "2026-02-18 18:00"},
		{"Corpus Christi is a workday unless opted in", office2026, "2026-06-03 17:00", 2 * h, "2026-06-04 09:00"},
		{"Corpus Christi opted in", withHolidays(sp, officeHours(), sla.BrazilHolidays(2026, sla.WithCorpusChristi())...), "2026-06-03 17:00", 2 * h, "2026-06-05 09:00"},
		{"company holiday added", withHolidays(sp, officeHours(), tuesdayHoliday), "2026-04-06 17:00", 2 * h, "2026-04-08 09:00"},
		{"lunch break", withHolidays(sp, lunch), "2026-04-06 11:00", 2 * h, "2026-04-06 14:00"},
		{"lunch break ends at noon", withHolidays(sp, lunch), "2026-04-06 11:00", h, "2026-04-06 12:00"},
		{"overnight within the shift", withHolidays(sp, nightShift()), "2026-04-06 23:00", 3 * h, "2026-04-07 02:00"},
		{"overnight from morning to next evening", withHolidays(sp, nightShift()), "2026-04-07 05:00", 2 * h, "2026-04-07 23:00"},
		{"overnight Friday shift runs into Saturday", withHolidays(sp, nightShift()), "2026-04-10 23:00", 8 * h, "2026-04-13 23:00"},
		{"overnight tail on a holiday is closed", withHolidays(sp, nightShift(), tuesdayHoliday), "2026-04-06 23:00", 2 * h, "2026-04-08 01:00"},
		{"always open ignores weekends", sla.AlwaysOpen(), "2026-04-10T17:00:00Z", 4 * h, "2026-04-10T21:00:00Z"},
		{"zero calendar is always open", sla.Calendar{}, "2026-04-10T17:00:00Z", 72 * h, "2026-04-13T17:00:00Z"},
		{"24x7 with a holiday", sp24, "2018-12-24 22:00", 4 * h, "2018-12-26 02:00"},
		// DST.
		{"NY office across spring forward", sla.MustNewCalendar(ny, officeHours()), "2026-03-06 17:00", 2 * h, "2026-03-09 09:00"},
		{"NY night shift loses an hour on 2026-03-08", nyNight, "2026-03-07 22:00", 8 * h, "2026-03-08T23:00:00-04:00"},
		{"NY night shift gains an hour on 2026-11-01", nyNight, "2026-10-31 22:00", 8 * h, "2026-11-01T05:00:00-05:00"},
		{"NY 01:00-04:00 is 2h on spring forward", nyEarly, "2026-03-08 01:00", 2 * h, "2026-03-08T04:00:00-04:00"},
		{"NY 01:00-04:00 is 4h on fall back", nyEarly, "2026-11-01T01:00:00-04:00", 4 * h, "2026-11-01T04:00:00-05:00"},
		{"NY interval starting in the gap opens at the change", nyGap, "2026-03-08 00:00", 2 * h, "2026-03-08T05:00:00-04:00"},
		{"SP 2018 DST start: midnight skipped", sp24, "2018-11-03 22:00", 4 * h, "2018-11-04T03:00:00-02:00"},
		{"SP 2018 office hours across DST start", spOffice(t), "2018-11-01 17:00", 4 * h, "2018-11-05T11:00:00-02:00"},
		{"SP 2019 DST end: hour repeated", sp24, "2019-02-16T22:00:00-02:00", 4 * h, "2019-02-17T01:00:00-03:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := tt.cal.Location()
			start, want := at(t, loc, tt.start), at(t, loc, tt.want)
			got := tt.cal.Add(start, tt.d)
			requireTime(t, want, got)
			require.Equal(t, loc, got.Location(), "results are in the calendar's location")
			if tt.d > 0 {
				require.Equal(t, tt.d, tt.cal.Between(start, got), "Between(start, Add(start, d)) == d")
				require.Less(t, tt.cal.Between(start, got.Add(-time.Nanosecond)), tt.d, "Add returns the earliest instant")
			}
		})
	}
}

func TestCalendarBetween(t *testing.T) {
	t.Parallel()
	sp, ny := saoPaulo(t), newYork(t)
	h := time.Hour
	office := spOffice(t)
	tests := []struct {
		name string
		cal  sla.Calendar
		a, b string
		want time.Duration
	}{
		{"empty range", office, "2026-04-06 10:00", "2026-04-06 10:00", 0},
		{"reversed range", office, "2026-04-06 12:00", "2026-04-06 10:00", 0},
		{"inside a day", office, "2026-04-06 10:00", "2026-04-06 12:30", 150 * time.Minute},
		{"closed range", office, "2026-04-06 19:00", "2026-04-07 07:00", 0},
		{"weekend", office, "2026-04-10 17:00", "2026-04-13 09:00", 2 * h},
		{"whole week", office, "2026-04-06 00:00", "2026-04-13 00:00", 50 * h},
		{"week with Tiradentes", office, "2026-04-20 00:00", "2026-04-27 00:00", 40 * h},
		{"whole year 2026 (261 weekdays, 9 holidays on them)", office, "2026-01-01 00:00", "2027-01-01 00:00", 252 * 10 * h},
		{"whole year 2023 (260 weekdays, 8 holidays on them)", office, "2023-01-01 00:00", "2024-01-01 00:00", 252 * 10 * h},
		{"24x7 across spring forward is 23h", sla.MustNewCalendar(ny, sla.EveryDay(sla.AllDay()), sla.Holiday{Date: sla.Date{Year: 2026, Month: time.January, Day: 1}}), "2026-03-08 00:00", "2026-03-09 00:00", 23 * h},
		{"24x7 across fall back is 25h", sla.MustNewCalendar(ny, sla.EveryDay(sla.AllDay()), sla.Holiday{Date: sla.Date{Year: 2026, Month: time.January, Day: 1}}), "2026-11-01 00:00", "2026-11-02 00:00", 25 * h},
		{"SP 24x7 on 2018-11-04 is 23h", sla.MustNewCalendar(sp, sla.EveryDay(sla.AllDay()), sla.BrazilHolidays(2018)...), "2018-11-04T01:00:00-02:00", "2018-11-05 00:00", 23 * h},
		{"always open", sla.AlwaysOpen(), "2026-04-10T17:00:00Z", "2026-04-13T17:00:00Z", 72 * h},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := tt.cal.Location()
			require.Equal(t, tt.want, tt.cal.Between(at(t, loc, tt.a), at(t, loc, tt.b)))
		})
	}
}

func TestCalendarIsOpenAndNextOpen(t *testing.T) {
	t.Parallel()
	sp := saoPaulo(t)
	ash := sla.MustNewCalendar(sp, officeHours(), sla.BrazilHolidays(2026, sla.WithAshWednesdayMorning())...)
	tests := []struct {
		name     string
		cal      sla.Calendar
		t        string
		open     bool
		nextOpen string
	}{
		{"open at opening", ash, "2026-04-06 08:00", true, "2026-04-06 08:00"},
		{"closed at closing", ash, "2026-04-06 18:00", false, "2026-04-07 08:00"},
		{"Saturday", ash, "2026-04-11 12:00", false, "2026-04-13 08:00"},
		{"Good Friday", ash, "2026-04-03 10:00", false, "2026-04-06 08:00"},
		{"Ash Wednesday morning", ash, "2026-02-18 09:00", false, "2026-02-18 14:00"},
		{"Ash Wednesday afternoon", ash, "2026-02-18 14:00", true, "2026-02-18 14:00"},
		{"night shift tail", sla.MustNewCalendar(sp, nightShift()), "2026-04-11 05:59", true, "2026-04-11 05:59"},
		{"night shift Sunday", sla.MustNewCalendar(sp, nightShift()), "2026-04-12 05:00", false, "2026-04-13 22:00"},
		{"always open", sla.AlwaysOpen(), "2026-04-11T12:00:00Z", true, "2026-04-11T12:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := tt.cal.Location()
			ts := at(t, loc, tt.t)
			require.Equal(t, tt.open, tt.cal.IsOpen(ts))
			requireTime(t, at(t, loc, tt.nextOpen), tt.cal.NextOpen(ts))
		})
	}
}

func TestNewCalendarErrors(t *testing.T) {
	t.Parallel()
	sp := saoPaulo(t)
	tests := []struct {
		name     string
		loc      *time.Location
		hours    sla.WeeklyHours
		holidays []sla.Holiday
		hint     string
	}{
		{"nil location", nil, officeHours(), nil, "time.LoadLocation"},
		{"no hours", sp, sla.WeeklyHours{}, nil, "add at least one interval"},
		{"start out of range", sp, sla.Weekdays(sla.Interval{Start: sla.At(25, 0), End: sla.At(18, 0)}), nil, "start must be between 00:00 and 23:59"},
		{"end out of range", sp, sla.Weekdays(sla.Interval{Start: sla.At(8, 0), End: sla.At(24, 1)}), nil, "end must be between 00:00 and 24:00"},
		{"impossible holiday", sp, officeHours(), []sla.Holiday{{Date: sla.Date{Year: 2026, Month: time.February, Day: 30}, Name: "x"}}, "does not exist"},
		{"partial holiday out of range", sp, officeHours(), []sla.Holiday{{Date: sla.Date{Year: 2026, Month: time.March, Day: 3}, ClosedUntil: sla.At(24, 0)}}, "ClosedUntil must be between"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := sla.NewCalendar(tt.loc, tt.hours, tt.holidays...)
			require.Error(t, err)
			require.True(t, errors.Is(err, sla.ErrInvalidCalendar))
			require.Contains(t, err.Error(), tt.hint)
		})
	}
	_, err := sla.Calendar{}.WithHolidays(sla.BrazilHolidays(2026)...)
	require.ErrorIs(t, err, sla.ErrInvalidCalendar)
	require.Panics(t, func() { sla.MustNewCalendar(nil, officeHours()) })
}

func TestCalendarAccessorsAndImmutability(t *testing.T) {
	t.Parallel()
	sp := saoPaulo(t)
	hours := officeHours()
	cal := sla.MustNewCalendar(sp, hours)
	hours[time.Monday][0].End = sla.At(23, 0) // the caller's slice, not the calendar's
	require.Equal(t, 50*time.Hour, cal.WeeklyBusinessTime())
	got := cal.Hours()
	got[time.Tuesday] = nil
	require.Len(t, cal.Hours()[time.Tuesday], 1)

	with, err := cal.WithHolidays(sla.BrazilHolidays(2026)...)
	require.NoError(t, err)
	require.Empty(t, cal.Holidays(), "WithHolidays returns a copy")
	require.Len(t, with.Holidays(), 10)
	require.Equal(t, sp, with.Location())
	require.Equal(t, time.UTC, sla.Calendar{}.Location())
	require.Equal(t, 168*time.Hour, sla.Calendar{}.WeeklyBusinessTime())
	require.Contains(t, with.String(), "America/Sao_Paulo Mon 08:00–18:00")
	require.Contains(t, sla.AlwaysOpen().String(), "24×7")

	// Duplicate dates: the longer closure wins.
	ash := sla.Date{Year: 2026, Month: time.February, Day: 18}
	both := sla.MustNewCalendar(sp, officeHours(), sla.Holiday{Date: ash, ClosedUntil: sla.At(14, 0)}, sla.Holiday{Date: ash})
	require.False(t, both.IsOpen(at(t, sp, "2026-02-18 15:00")))

	// Overlapping intervals are merged.
	overlap := sla.MustNewCalendar(sp, sla.Weekdays(sla.Interval{Start: sla.At(8, 0), End: sla.At(12, 0)}, sla.Interval{Start: sla.At(10, 0), End: sla.At(14, 0)}))
	require.Equal(t, 30*time.Hour, overlap.WeeklyBusinessTime())
}

func TestTimeOfDayAndInterval(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want sla.TimeOfDay
		ok   bool
	}{
		{"08:00", sla.At(8, 0), true},
		{"23:59", sla.At(23, 59), true},
		{"24:00", sla.At(24, 0), true},
		{"24:01", 0, false},
		{"8:00", 0, false},
		{"08:60", 0, false},
		{"+8:00", 0, false},
		{"ab:cd", 0, false},
	} {
		got, err := sla.ParseTimeOfDay(tt.in)
		if !tt.ok {
			require.Error(t, err, tt.in)
			require.Contains(t, err.Error(), "HH:MM")
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got)
		require.Equal(t, tt.in, got.String())
	}
	require.Equal(t, 8*time.Hour, sla.Interval{Start: sla.At(22, 0), End: sla.At(6, 0)}.Duration())
	require.True(t, sla.Interval{Start: sla.At(22, 0), End: sla.At(6, 0)}.Overnight())
	require.Equal(t, 24*time.Hour, sla.Interval{}.Duration(), "00:00–00:00 is a whole day")
	require.Equal(t, 24*time.Hour, sla.AllDay().Duration())
	require.Equal(t, "08:00–18:00", sla.Interval{Start: sla.At(8, 0), End: sla.At(18, 0)}.String())
	d := sla.Date{Year: 2026, Month: time.December, Day: 31}
	require.Equal(t, sla.Date{Year: 2027, Month: time.January, Day: 1}, d.AddDays(1))
	require.Equal(t, time.Thursday, d.Weekday())
	require.Equal(t, "2026-12-31", d.String())
	require.False(t, sla.Date{Year: 2025, Month: time.February, Day: 29}.IsValid())
}
