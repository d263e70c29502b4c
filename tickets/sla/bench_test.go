package sla_test

import (
	"testing"
	"time"

	"github.com/sistemaboladao/boladao/tickets/sla"
)

// benchCalendar is São Paulo office hours with every national and optional
// holiday of 2025–2027.
func benchCalendar(b *testing.B) sla.Calendar {
	return sla.MustNewCalendar(saoPaulo(b), officeHours(), sla.BrazilHolidaysBetween(2025, 2027, sla.WithAllOptionalDays())...)
}

// A low-priority resolution target (168h of business time) starting the
// Friday before Carnival: crosses Carnival, Ash Wednesday morning and
// about five calendar weeks.
func BenchmarkAdd168hAcrossHolidays(b *testing.B) {
	cal := benchCalendar(b)
	start := time.Date(2026, time.February, 13, 17, 0, 0, 0, cal.Location())
	var sink time.Time
	b.ReportAllocs()
	for b.Loop() {
		sink = cal.Add(start, 168*time.Hour)
	}
	_ = sink
}

func BenchmarkBetween168hAcrossHolidays(b *testing.B) {
	cal := benchCalendar(b)
	start := time.Date(2026, time.February, 13, 17, 0, 0, 0, cal.Location())
	end := cal.Add(start, 168*time.Hour)
	var sink time.Duration
	b.ReportAllocs()
	for b.Loop() {
		sink = cal.Between(start, end)
	}
	_ = sink
}

// Ten years of business time: whole weeks are skipped between holidays.
func BenchmarkAddTenYears(b *testing.B) {
	cal := sla.MustNewCalendar(saoPaulo(b), officeHours(), sla.BrazilHolidaysBetween(2026, 2040)...)
	start := time.Date(2026, time.January, 2, 9, 0, 0, 0, cal.Location())
	var sink time.Time
	b.ReportAllocs()
	for b.Loop() {
		sink = cal.Add(start, 10*52*50*time.Hour)
	}
	_ = sink
}

// A full evaluation of a low-priority ticket with two pauses.
func BenchmarkEvaluate(b *testing.B) {
	cal := benchCalendar(b)
	loc := cal.Location()
	d := func(day, hour int) time.Time { return time.Date(2026, time.February, day, hour, 0, 0, 0, loc) }
	in := sla.Input{
		Calendar:  cal,
		Policy:    sla.DefaultPolicy(),
		Priority:  sla.PriorityLow,
		CreatedAt: d(13, 17),
		Pauses:    []sla.Pause{{From: d(19, 10), To: d(20, 15)}, {From: d(24, 9), To: d(25, 9)}},
		Now:       d(26, 12),
	}
	var sink sla.Result
	b.ReportAllocs()
	for b.Loop() {
		sink = sla.Evaluate(in)
	}
	_ = sink
}

func BenchmarkNextTransition(b *testing.B) {
	cal := benchCalendar(b)
	loc := cal.Location()
	in := sla.Input{
		Calendar:  cal,
		Policy:    sla.DefaultPolicy(),
		Priority:  sla.PriorityMedium,
		CreatedAt: time.Date(2026, time.February, 13, 17, 0, 0, 0, loc),
		Now:       time.Date(2026, time.February, 19, 12, 0, 0, 0, loc),
	}
	b.ReportAllocs()
	for b.Loop() {
		sla.NextTransition(in)
	}
}
