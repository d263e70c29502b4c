package sla

import (
	"cmp"
	"slices"
	"time"
)

// Easter returns the date of Easter Sunday in the Gregorian calendar, by the
// anonymous Gregorian algorithm (Meeus/Jones/Butcher).
func Easter(year int) Date {
	a := year % 19
	b := year / 100
	c := year % 100
	d := b / 4
	e := b % 4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i := c / 4
	k := c % 4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date{Year: year, Month: time.Month(month), Day: day}
}

// BrazilOption opts in to an optional day (ponto facultativo) in
// BrazilHolidays. Optional days are a per-company choice.
type BrazilOption func(*brazilOptions)

type brazilOptions struct {
	carnival, ashWednesday, corpusChristi bool
}

// WithCarnival adds Carnival Monday and Tuesday (Easter − 48 and − 47 days)
// as full days off.
func WithCarnival() BrazilOption { return func(o *brazilOptions) { o.carnival = true } }

// WithAshWednesdayMorning adds Ash Wednesday (Easter − 46 days) as a partial
// day: closed until 14:00, normal hours afterwards.
func WithAshWednesdayMorning() BrazilOption {
	return func(o *brazilOptions) { o.ashWednesday = true }
}

// WithCorpusChristi adds Corpus Christi (Easter + 60 days) as a full day off.
func WithCorpusChristi() BrazilOption { return func(o *brazilOptions) { o.corpusChristi = true } }

// WithAllOptionalDays opts in to every optional day: Carnival, Ash Wednesday
// morning and Corpus Christi.
func WithAllOptionalDays() BrazilOption {
	return func(o *brazilOptions) { o.carnival, o.ashWednesday, o.corpusChristi = true, true, true }
}

// BrazilHolidays returns Brazil's national holidays of year, sorted by date:
// 1 Jan, Good Friday (Easter − 2 days), 21 Apr (Tiradentes), 1 May, 7 Sep,
// 12 Oct, 2 Nov, 15 Nov, 20 Nov (Consciência Negra, from 2024 on, Law
// 14.759/2023) and 25 Dec. Optional days are added only when opted in with
// options. State and city holidays are the company's to add.
func BrazilHolidays(year int, opts ...BrazilOption) []Holiday {
	var o brazilOptions
	for _, opt := range opts {
		opt(&o)
	}
	easter := Easter(year)
	fixed := func(m time.Month, d int, name string) Holiday {
		return Holiday{Date: Date{year, m, d}, Name: name}
	}
	hs := []Holiday{fixed(time.January, 1, "Confraternização Universal")}
	if o.carnival {
		hs = append(hs,
			Holiday{Date: easter.AddDays(-48), Name: "Carnaval (segunda-feira)"},
			Holiday{Date: easter.AddDays(-47), Name: "Carnaval (terça-feira)"})
	}
	if o.ashWednesday {
		hs = append(hs, Holiday{Date: easter.AddDays(-46), Name: "Quarta-feira de Cinzas (até 14h)", ClosedUntil: At(14, 0)})
	}
	hs = append(hs,
		Holiday{Date: easter.AddDays(-2), Name: "Paixão de Cristo (Sexta-feira Santa)"},
		fixed(time.April, 21, "Tiradentes"),
		fixed(time.May, 1, "Dia do Trabalho"))
	if o.corpusChristi {
		hs = append(hs, Holiday{Date: easter.AddDays(60), Name: "Corpus Christi"})
	}
	hs = append(hs,
		fixed(time.September, 7, "Independência do Brasil"),
		fixed(time.October, 12, "Nossa Senhora Aparecida"),
		fixed(time.November, 2, "Finados"),
		fixed(time.November, 15, "Proclamação da República"))
	if year >= 2024 {
		hs = append(hs, fixed(time.November, 20, "Dia Nacional de Zumbi e da Consciência Negra"))
	}
	hs = append(hs, fixed(time.December, 25, "Natal"))
	// Good Friday can fall on or after Tiradentes (2000, 2011, 2095).
	slices.SortStableFunc(hs, func(a, b Holiday) int { return cmp.Compare(a.Date.dayNumber(), b.Date.dayNumber()) })
	return hs
}

// BrazilHolidaysBetween returns BrazilHolidays for every year from first to
// last inclusive, for calendars that must cover tickets spanning New Year.
func BrazilHolidaysBetween(first, last int, opts ...BrazilOption) []Holiday {
	var hs []Holiday
	for y := first; y <= last; y++ {
		hs = append(hs, BrazilHolidays(y, opts...)...)
	}
	return hs
}
