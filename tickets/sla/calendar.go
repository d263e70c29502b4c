package sla

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrInvalidCalendar is wrapped by every error NewCalendar and
// Calendar.WithHolidays return.
var ErrInvalidCalendar = errors.New("sla: invalid calendar")

// minutesPerDay is the number of minutes in a nominal (non-DST) day.
const minutesPerDay = 24 * 60

// TimeOfDay is a local wall-clock time as minutes after midnight: 0 is
// 00:00 and 1439 is 23:59. The value 1440 (At(24, 0)) is accepted as the end
// of an interval and means "until midnight".
type TimeOfDay int

// At returns the TimeOfDay hour:minute, for example At(8, 0) for 08:00.
func At(hour, minute int) TimeOfDay { return TimeOfDay(hour*60 + minute) }

// ParseTimeOfDay parses "HH:MM" (24-hour clock, "24:00" allowed).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	digit := func(b byte) bool { return b >= '0' && b <= '9' }
	if len(s) != 5 || s[2] != ':' || !digit(s[0]) || !digit(s[1]) || !digit(s[3]) || !digit(s[4]) {
		return 0, fmt.Errorf("sla: time of day %q: use the 24-hour form HH:MM, e.g. 08:00", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("sla: time of day %q: use HH:MM between 00:00 and 24:00", s)
	}
	return At(h, m), nil
}

// String formats t as "HH:MM".
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

// Interval is a span of business hours within a weekday, from Start
// (inclusive) to End (exclusive), in the calendar's local wall-clock time.
//
// An Interval whose End is not after its Start is an overnight interval: it
// runs from Start on its weekday to End on the following day. For example
// {At(22, 0), At(6, 0)} on Monday covers Monday 22:00 to Tuesday 06:00, and
// {At(0, 0), At(0, 0)} covers a whole day. Use End = At(24, 0) to stop at
// midnight on the same day.
//
// Holidays close local calendar dates, not intervals: the part of an
// overnight interval that falls on a holiday is closed, the part on the
// neighbouring working day stays open.
type Interval struct {
	Start TimeOfDay
	End   TimeOfDay
}

// AllDay returns the interval 00:00–24:00.
func AllDay() Interval { return Interval{Start: 0, End: minutesPerDay} }

// Overnight reports whether i continues into the next day (End ≤ Start).
func (i Interval) Overnight() bool { return i.End <= i.Start }

// Duration returns the nominal length of i (ignoring DST changes).
func (i Interval) Duration() time.Duration {
	end := i.End
	if i.Overnight() {
		end += minutesPerDay
	}
	return time.Duration(end-i.Start) * time.Minute
}

// String formats i as "HH:MM–HH:MM".
func (i Interval) String() string { return i.Start.String() + "–" + i.End.String() }

// WeeklyHours holds the business intervals of each weekday, indexed by
// time.Weekday (hours[time.Monday] are Monday's intervals). A day with no
// intervals is closed. Overlapping intervals are merged.
type WeeklyHours [7][]Interval

// Weekdays returns WeeklyHours open Monday to Friday with the given
// intervals and closed on weekends: Weekdays(Interval{At(8, 0), At(18, 0)}).
func Weekdays(intervals ...Interval) WeeklyHours {
	var w WeeklyHours
	for d := time.Monday; d <= time.Friday; d++ {
		w[d] = slices.Clone(intervals)
	}
	return w
}

// EveryDay returns WeeklyHours with the same intervals on all seven days.
func EveryDay(intervals ...Interval) WeeklyHours {
	var w WeeklyHours
	for d := range w {
		w[d] = slices.Clone(intervals)
	}
	return w
}

// Date is a local calendar date, without a time or a location.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsValid reports whether d names an existing date (no 30 February).
func (d Date) IsValid() bool {
	n := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
	return n.Year() == d.Year && n.Month() == d.Month && n.Day() == d.Day
}

// AddDays returns the date n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// dayNumber returns the number of days between 1970-01-01 and d.
func (d Date) dayNumber() int64 {
	return floorDiv(time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Unix(), 86400)
}

// Holiday is a local date on which the business is closed.
type Holiday struct {
	Date Date
	Name string
	// ClosedUntil, when non-zero, makes the holiday a partial day: the
	// business is closed from local midnight until ClosedUntil and keeps its
	// normal hours afterwards (Ash Wednesday: closed until 14:00). Zero
	// closes the whole date.
	ClosedUntil TimeOfDay
}

// closure is a holiday compiled for lookups: its day number and the minute
// until which the day is closed (minutesPerDay for the whole day).
type closure struct {
	day   int64
	until int
}

// minuteSpan is a business span within one local date, in minutes after
// midnight, start < end ≤ minutesPerDay.
type minuteSpan struct{ start, end int }

// span is a business span in absolute time [start, end).
type span struct{ start, end time.Time }

// Calendar says when a business is open: a location, weekly business hours
// and holidays. Build one with NewCalendar or AlwaysOpen; a Calendar is
// immutable and safe for concurrent use, and copies share nothing mutable.
//
// The zero Calendar is always open (24×7) and reports times in UTC.
type Calendar struct {
	loc      *time.Location
	hours    WeeklyHours
	holidays []Holiday
	days     [7][]minuteSpan // business spans of each weekday's local date
	closures []closure       // sorted by day, one per day
	weekly   time.Duration   // business time in a week without holidays or DST changes
}

// NewCalendar returns a Calendar for the location, weekly hours and holidays.
// Hours are interpreted in loc's wall-clock time, so a 08:00–18:00 day is
// 10 hours of business time even on a DST change day unless the change falls
// inside the interval.
func NewCalendar(loc *time.Location, hours WeeklyHours, holidays ...Holiday) (Calendar, error) {
	if loc == nil {
		return Calendar{}, fmt.Errorf("%w: location is nil: pass a location such as time.LoadLocation(\"America/Sao_Paulo\") or time.UTC", ErrInvalidCalendar)
	}
	c := Calendar{loc: loc}
	var errs []error
	for wd := range hours {
		for _, iv := range hours[wd] {
			if iv.Start < 0 || iv.Start >= minutesPerDay {
				errs = append(errs, fmt.Errorf("%s interval %d–%d: start must be between 00:00 and 23:59; build times with sla.At(hour, minute)", time.Weekday(wd), int(iv.Start), int(iv.End)))
				continue
			}
			if iv.End < 0 || iv.End > minutesPerDay {
				errs = append(errs, fmt.Errorf("%s interval %s–%d: end must be between 00:00 and 24:00; build times with sla.At(hour, minute)", time.Weekday(wd), iv.Start, int(iv.End)))
				continue
			}
			c.hours[wd] = append(c.hours[wd], iv)
			start, end := int(iv.Start), int(iv.End)
			if !iv.Overnight() {
				c.days[wd] = append(c.days[wd], minuteSpan{start, end})
				continue
			}
			c.days[wd] = append(c.days[wd], minuteSpan{start, minutesPerDay})
			if end > 0 {
				next := (wd + 1) % 7
				c.days[next] = append(c.days[next], minuteSpan{0, end})
			}
		}
	}
	for wd := range c.days {
		c.days[wd] = mergeMinuteSpans(c.days[wd])
		for _, s := range c.days[wd] {
			c.weekly += time.Duration(s.end-s.start) * time.Minute
		}
	}
	if len(errs) == 0 && c.weekly == 0 {
		errs = append(errs, errors.New("no business hours: add at least one interval, e.g. sla.Weekdays(sla.Interval{Start: sla.At(8, 0), End: sla.At(18, 0)}), or use sla.AlwaysOpen()"))
	}
	if len(errs) > 0 {
		return Calendar{}, fmt.Errorf("%w: %w", ErrInvalidCalendar, errors.Join(errs...))
	}
	return c.WithHolidays(holidays...)
}

// MustNewCalendar is like NewCalendar but panics on error. It is meant for
// tests, examples and calendars built from constants.
func MustNewCalendar(loc *time.Location, hours WeeklyHours, holidays ...Holiday) Calendar {
	c, err := NewCalendar(loc, hours, holidays...)
	if err != nil {
		panic(err)
	}
	return c
}

// AlwaysOpen returns a 24×7 calendar without holidays, for contracts whose
// clocks never stop (typically critical incidents). Its results are in UTC;
// convert them with Time.In for display.
func AlwaysOpen() Calendar {
	return MustNewCalendar(time.UTC, EveryDay(AllDay()))
}

// WithHolidays returns a copy of c with more holidays (national, state, city
// or company days off). c itself is not changed. When two holidays fall on
// the same date the longer closure wins.
func (c Calendar) WithHolidays(holidays ...Holiday) (Calendar, error) {
	if c.weekly == 0 {
		return Calendar{}, fmt.Errorf("%w: holidays need a calendar built by sla.NewCalendar", ErrInvalidCalendar)
	}
	var errs []error
	all := slices.Clone(c.holidays)
	for _, h := range holidays {
		if !h.Date.IsValid() {
			errs = append(errs, fmt.Errorf("holiday %q: date %d-%02d-%02d does not exist; use a real calendar date", h.Name, h.Date.Year, int(h.Date.Month), h.Date.Day))
			continue
		}
		if h.ClosedUntil < 0 || h.ClosedUntil >= minutesPerDay {
			errs = append(errs, fmt.Errorf("holiday %q on %s: ClosedUntil must be between 00:00 and 23:59 (zero closes the whole day)", h.Name, h.Date))
			continue
		}
		all = append(all, h)
	}
	if len(errs) > 0 {
		return Calendar{}, fmt.Errorf("%w: %w", ErrInvalidCalendar, errors.Join(errs...))
	}
	slices.SortStableFunc(all, func(a, b Holiday) int { return cmp.Compare(a.Date.dayNumber(), b.Date.dayNumber()) })
	closures := make([]closure, 0, len(all))
	for _, h := range all {
		until := int(h.ClosedUntil)
		if until == 0 {
			until = minutesPerDay
		}
		day := h.Date.dayNumber()
		if n := len(closures); n > 0 && closures[n-1].day == day {
			closures[n-1].until = max(closures[n-1].until, until)
			continue
		}
		closures = append(closures, closure{day: day, until: until})
	}
	c.holidays = all
	c.closures = closures
	return c, nil
}

// Location returns the calendar's time zone (UTC for the zero Calendar).
func (c Calendar) Location() *time.Location {
	if c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// Hours returns a copy of the weekly business hours.
func (c Calendar) Hours() WeeklyHours {
	var w WeeklyHours
	if c.weekly == 0 {
		return EveryDay(AllDay())
	}
	for d := range w {
		w[d] = slices.Clone(c.hours[d])
	}
	return w
}

// Holidays returns a copy of the holidays, sorted by date.
func (c Calendar) Holidays() []Holiday { return slices.Clone(c.holidays) }

// WeeklyBusinessTime returns the business time of a week without holidays
// or DST changes.
func (c Calendar) WeeklyBusinessTime() time.Duration {
	if c.weekly == 0 {
		return 7 * 24 * time.Hour
	}
	return c.weekly
}

// String describes the calendar, e.g. "America/Sao_Paulo Mon 08:00–18:00 …".
func (c Calendar) String() string {
	var b strings.Builder
	b.WriteString(c.Location().String())
	if c.alwaysOpen() {
		b.WriteString(" 24×7")
	} else {
		for wd := range c.hours {
			if len(c.hours[wd]) == 0 {
				continue
			}
			b.WriteString(" " + time.Weekday(wd).String()[:3])
			for i, iv := range c.hours[wd] {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString(" " + iv.String())
			}
		}
	}
	if len(c.holidays) > 0 {
		fmt.Fprintf(&b, " (%d holidays)", len(c.holidays))
	}
	return b.String()
}

// alwaysOpen reports whether every instant is business time, which lets the
// engine use plain arithmetic.
func (c Calendar) alwaysOpen() bool {
	return c.weekly == 0 || (c.weekly == 7*24*time.Hour && len(c.closures) == 0)
}

// IsOpen reports whether t is business time.
func (c Calendar) IsOpen(t time.Time) bool {
	if c.alwaysOpen() {
		return true
	}
	t = t.Round(0)
	n, ds, de := c.locate(t)
	var buf [8]span
	for _, s := range c.segments(n, ds, de, buf[:0]) {
		if !t.Before(s.start) && t.Before(s.end) {
			return true
		}
	}
	return false
}

// NextOpen returns the earliest instant at or after t that is business time,
// in the calendar's location. A ticket created outside business hours starts
// its clocks there.
func (c Calendar) NextOpen(t time.Time) time.Time {
	loc := c.Location()
	t = t.Round(0)
	if c.alwaysOpen() {
		return t.In(loc)
	}
	n, ds, de := c.locate(t)
	var buf [8]span
	// A run of closed days is shorter than a week per holiday it contains.
	for range 7 * (len(c.closures) + 2) {
		for _, s := range c.segments(n, ds, de, buf[:0]) {
			if t.Before(s.end) {
				if t.Before(s.start) {
					return s.start.In(loc)
				}
				return t.In(loc)
			}
		}
		n++
		ds, de = de, c.midnight(n+1)
	}
	panic("sla: unreachable: calendar without business time") // NewCalendar refuses such calendars
}

// Add returns the instant at which d of business time has elapsed after
// start: the earliest t with Between(start, t) == d. When start is outside
// business hours the count begins at the next opening; when the last bit of
// d ends exactly at a closing time, Add returns that closing time (not the
// next opening). d ≤ 0 returns start. The result is in the calendar's
// location.
//
// Add steps through days, never minutes, and skips whole weeks free of
// holidays and DST changes in one step, so its cost grows with the number
// of holidays and DST changes crossed, not with d.
func (c Calendar) Add(start time.Time, d time.Duration) time.Time {
	loc := c.Location()
	start = start.Round(0)
	if d <= 0 {
		return start.In(loc)
	}
	if c.alwaysOpen() {
		return start.Add(d).In(loc)
	}
	n, ds, de := c.locate(start)
	rem := d
	var buf [8]span
	for first := true; ; first = false {
		if !first && rem > c.weekly {
			// Keep rem > 0 so the deadline lands inside a scanned day.
			if k := c.freeWeeks(n, ds, int64((rem-1)/c.weekly)); k > 0 {
				rem -= time.Duration(k) * c.weekly
				n += 7 * k
				ds, de = c.midnight(n), c.midnight(n+1)
			}
		}
		for _, s := range c.segments(n, ds, de, buf[:0]) {
			if !s.end.After(start) {
				continue
			}
			from := s.start
			if from.Before(start) {
				from = start
			}
			if l := s.end.Sub(from); l >= rem {
				return from.Add(rem).In(loc)
			} else {
				rem -= l
			}
		}
		n++
		ds, de = de, c.midnight(n+1)
	}
}

// Between returns the business time in [a, b); zero when b is not after a.
// It is exact to the nanosecond and consistent with Add:
// Between(start, Add(start, d)) == d for every d ≥ 0.
func (c Calendar) Between(a, b time.Time) time.Duration {
	a, b = a.Round(0), b.Round(0)
	if !a.Before(b) {
		return 0
	}
	if c.alwaysOpen() {
		return b.Sub(a)
	}
	n, ds, de := c.locate(a)
	last := c.dayOf(b)
	var total time.Duration
	var buf [8]span
	for first := true; n <= last; first = false {
		if !first && last-n >= 7 {
			if k := c.freeWeeks(n, ds, (last-n)/7); k > 0 {
				total = addSat(total, mulSat(c.weekly, k))
				n += 7 * k
				ds, de = c.midnight(n), c.midnight(n+1)
			}
		}
		for _, s := range c.segments(n, ds, de, buf[:0]) {
			from, to := s.start, s.end
			if from.Before(a) {
				from = a
			}
			if to.After(b) {
				to = b
			}
			if from.Before(to) {
				total = addSat(total, to.Sub(from))
			}
		}
		n++
		ds, de = de, c.midnight(n+1)
	}
	return total
}

// midnight returns the instant at which local day n (days since 1970-01-01)
// begins.
func (c Calendar) midnight(n int64) time.Time { return c.wall(n, 0) }

// wall returns the instant of minute m (0..1440) of local day n. A wall time
// skipped by a DST change maps to the instant of the change; a repeated one
// maps to its first occurrence.
func (c Calendar) wall(n int64, m int) time.Time {
	t := time.Date(1970, time.January, 1+int(n), 0, m, 0, 0, c.loc)
	_, off := t.Zone()
	want := n*86400 + int64(m)*60
	if got := t.Unix() + int64(off); got != want {
		// time.Date resolved a skipped wall time with the offset of one side
		// of the gap; the change instant bounds that side's zone period.
		start, end := t.ZoneBounds()
		if got < want && !end.IsZero() {
			return end
		}
		if got > want && !start.IsZero() {
			return start
		}
	}
	return t
}

// dayOf returns the local day n with midnight(n) ≤ t < midnight(n+1).
func (c Calendar) dayOf(t time.Time) int64 {
	n, _, _ := c.locate(t)
	return n
}

// locate returns the local day containing t and its bounds.
func (c Calendar) locate(t time.Time) (n int64, start, end time.Time) {
	_, off := t.In(c.loc).Zone()
	n = floorDiv(t.Unix()+int64(off), 86400)
	start, end = c.midnight(n), c.midnight(n+1)
	// Guard against zones whose midnight is skipped or repeated.
	for t.Before(start) {
		n--
		start, end = c.midnight(n), start
	}
	for !t.Before(end) {
		n++
		start, end = end, c.midnight(n+1)
	}
	return n, start, end
}

// segments appends to buf the business spans of local day n, whose bounds
// are ds and de, in increasing order. Spans never overlap and always lie in
// [ds, de), so days partition the timeline even across DST changes.
func (c Calendar) segments(n int64, ds, de time.Time, buf []span) []span {
	from := 0
	if i, ok := slices.BinarySearchFunc(c.closures, n, func(h closure, n int64) int { return cmp.Compare(h.day, n) }); ok {
		from = c.closures[i].until
		if from >= minutesPerDay {
			return buf
		}
	}
	prev := ds
	for _, m := range c.days[weekdayOf(n)] {
		lo, hi := max(m.start, from), m.end
		if lo >= hi {
			continue
		}
		start, end := prev, de
		if lo > 0 {
			start = c.wall(n, lo)
		}
		if hi < minutesPerDay {
			end = c.wall(n, hi)
		}
		if start.Before(prev) { // a wall time skipped by a DST change
			start = prev
		}
		if end.After(de) {
			end = de
		}
		if !start.Before(end) {
			continue
		}
		buf = append(buf, span{start, end})
		prev = end
	}
	return buf
}

// freeWeeks returns how many whole weeks, at most maxWeeks, starting at the
// midnight ds of day n contain no holiday and no UTC offset change, so that
// each of them holds exactly c.weekly of business time.
func (c Calendar) freeWeeks(n int64, ds time.Time, maxWeeks int64) int64 {
	k := maxWeeks
	if i, _ := slices.BinarySearchFunc(c.closures, n, func(h closure, n int64) int { return cmp.Compare(h.day, n) }); i < len(c.closures) {
		k = min(k, (c.closures[i].day-n)/7)
	}
	if k <= 0 {
		return 0
	}
	if _, off := ds.Zone(); ds.Unix()+int64(off) != n*86400 {
		return 0 // the day's midnight was skipped by a DST change: a short day
	}
	if _, end := ds.ZoneBounds(); !end.IsZero() {
		// Days before the one holding the change keep the offset of ds.
		k = min(k, (c.dayOf(end)-n)/7)
	}
	return max(k, 0)
}

func weekdayOf(n int64) time.Weekday {
	return time.Weekday(((n+4)%7 + 7) % 7) // 1970-01-01 was a Thursday
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// mergeMinuteSpans sorts and merges overlapping or touching spans.
func mergeMinuteSpans(in []minuteSpan) []minuteSpan {
	if len(in) == 0 {
		return nil
	}
	slices.SortFunc(in, func(a, b minuteSpan) int { return cmp.Compare(a.start, b.start) })
	out := []minuteSpan{in[0]}
	for _, s := range in[1:] {
		last := &out[len(out)-1]
		if s.start <= last.end {
			last.end = max(last.end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

const maxDuration = time.Duration(1<<63 - 1)

func addSat(a, b time.Duration) time.Duration {
	if a > maxDuration-b {
		return maxDuration
	}
	return a + b
}

func mulSat(d time.Duration, k int64) time.Duration {
	if k > 0 && d > maxDuration/time.Duration(k) {
		return maxDuration
	}
	return d * time.Duration(k)
}
