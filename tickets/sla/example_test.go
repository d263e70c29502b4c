package sla_test

import (
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/tickets/sla"
)

// A ticket opened on Friday 17 April 2026 at 17:00 in São Paulo, with
// business hours Monday to Friday 08:00–18:00 and Brazil's national
// holidays: one business hour is left on Friday, the weekend does not
// count, and Tuesday 21 April (Tiradentes) is a holiday.
func Example() {
	saoPaulo, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		panic(err)
	}
	cal, err := sla.NewCalendar(saoPaulo,
		sla.Weekdays(sla.Interval{Start: sla.At(8, 0), End: sla.At(18, 0)}),
		sla.BrazilHolidays(2026)...)
	if err != nil {
		panic(err)
	}
	created := time.Date(2026, time.April, 17, 17, 0, 0, 0, saoPaulo) // a Friday
	const layout = "Mon 02 Jan 15:04"

	policy := sla.DefaultPolicy()
	for _, p := range []sla.Priority{sla.PriorityCritical, sla.PriorityHigh, sla.PriorityMedium, sla.PriorityLow} {
		targets, _ := policy.For(p)
		fmt.Printf("%-8s first response due %s, resolution due %s\n", p,
			cal.Add(created, targets.FirstResponse).Format(layout),
			cal.Add(created, targets.Resolution).Format(layout))
	}

	in := sla.Input{
		Calendar:  cal,
		Policy:    policy,
		Priority:  sla.PriorityHigh,
		CreatedAt: created,
		Now:       time.Date(2026, time.April, 20, 10, 0, 0, 0, saoPaulo), // Monday 10:00
	}
	r := sla.Evaluate(in)
	fmt.Printf("Monday 10:00: first response %s, %v used of %v, due %s\n",
		r.FirstResponse.State, r.FirstResponse.Elapsed, r.FirstResponse.Target, r.FirstResponse.Due.Format(layout))
	if at, kind, ok := sla.NextTransition(in); ok {
		fmt.Printf("next check: %s at %s\n", kind, at.Format(layout))
	}
	// Output:
	// critical first response due Fri 17 Apr 18:00, resolution due Mon 20 Apr 11:00
	// high     first response due Mon 20 Apr 11:00, resolution due Thu 23 Apr 11:00
	// medium   first response due Mon 20 Apr 15:00, resolution due Thu 30 Apr 09:00
	// low      first response due Mon 27 Apr 15:00, resolution due Thu 14 May 15:00
	// Monday 10:00: first response on_track, 3h0m0s used of 4h0m0s, due Mon 20 Apr 11:00
	// next check: first_response.at_risk at Mon 20 Apr 10:12
}

// Pauses stop the clocks: the ticket waited for the customer from Monday
// 10:00 to Tuesday 10:00, and is waiting again since Wednesday 09:00.
func ExampleEvaluate() {
	saoPaulo, _ := time.LoadLocation("America/Sao_Paulo")
	cal := sla.MustNewCalendar(saoPaulo, sla.Weekdays(sla.Interval{Start: sla.At(8, 0), End: sla.At(18, 0)}))
	at := func(day, hour int) time.Time { return time.Date(2026, time.April, day, hour, 0, 0, 0, saoPaulo) }
	in := sla.Input{
		Calendar:        cal,
		Policy:          sla.DefaultPolicy(),
		Priority:        sla.PriorityHigh,
		CreatedAt:       at(6, 9),  // Monday 09:00
		FirstResponseAt: at(6, 10), // Monday 10:00
		Pauses: []sla.Pause{
			{From: at(6, 10), To: at(7, 10)}, // pending_customer
			{From: at(8, 9)},                 // pending_third_party, still open
		},
		Now: at(8, 15), // Wednesday 15:00
	}
	r := sla.Evaluate(in)
	fmt.Println("first response:", r.FirstResponse.State)
	fmt.Println("resolution:", r.Resolution.State, r.Resolution.Elapsed, "used, due", r.Resolution.Due.Format("Mon 15:04"))
	_, _, ok := sla.NextTransition(in)
	fmt.Println("worker has something to schedule:", ok)
	// Output:
	// first response: met
	// resolution: paused 10h0m0s used, due Fri 09:00
	// worker has something to schedule: false
}

// Companies opt in to the optional days and add their own holidays.
func ExampleBrazilHolidays() {
	saoPaulo, _ := time.LoadLocation("America/Sao_Paulo")
	holidays := sla.BrazilHolidays(2026, sla.WithCarnival(), sla.WithAshWednesdayMorning())
	holidays = append(holidays, sla.Holiday{Date: sla.Date{Year: 2026, Month: time.January, Day: 25}, Name: "Aniversário de São Paulo"})
	cal := sla.MustNewCalendar(saoPaulo, sla.Weekdays(sla.Interval{Start: sla.At(8, 0), End: sla.At(18, 0)}), holidays...)
	for _, h := range cal.Holidays()[:5] {
		note := ""
		if h.ClosedUntil != 0 {
			note = " (closed until " + h.ClosedUntil.String() + ")"
		}
		fmt.Printf("%s %s %s%s\n", h.Date, h.Date.Weekday(), h.Name, note)
	}
	// Output:
	// 2026-01-01 Thursday Confraternização Universal
	// 2026-01-25 Sunday Aniversário de São Paulo
	// 2026-02-16 Monday Carnaval (segunda-feira)
	// 2026-02-17 Tuesday Carnaval (terça-feira)
	// 2026-02-18 Wednesday Quarta-feira de Cinzas (até 14h) (closed until 14:00)
}

// A 24×7 calendar for critical contracts: nights and weekends count.
func ExampleAlwaysOpen() {
	cal := sla.AlwaysOpen()
	friday := time.Date(2026, time.April, 17, 22, 0, 0, 0, time.UTC)
	fmt.Println(cal.Add(friday, 4*time.Hour).Format(time.RFC3339))
	// Output:
	// 2026-04-18T02:00:00Z
}
