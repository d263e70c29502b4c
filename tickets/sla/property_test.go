package sla_test

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/tickets/sla"
)

// oracle decides whether an instant is business time directly from its
// local wall clock, independently of the engine's day/segment machinery.
type oracle struct {
	loc      *time.Location
	hours    sla.WeeklyHours
	closedTo map[sla.Date]sla.TimeOfDay // 24:00 = whole day
}

func newOracle(c sla.Calendar) oracle {
	o := oracle{loc: c.Location(), hours: c.Hours(), closedTo: map[sla.Date]sla.TimeOfDay{}}
	for _, h := range c.Holidays() {
		until := h.ClosedUntil
		if until == 0 {
			until = sla.At(24, 0)
		}
		o.closedTo[h.Date] = max(o.closedTo[h.Date], until)
	}
	return o
}

func (o oracle) open(t time.Time) bool {
	lt := t.In(o.loc)
	d := sla.DateOf(lt)
	m := sla.TimeOfDay(lt.Hour()*60 + lt.Minute())
	if m < o.closedTo[d] {
		return false
	}
	for _, iv := range o.hours[d.Weekday()] {
		if m >= iv.Start && (iv.Overnight() || m < iv.End) {
			return true
		}
	}
	for _, iv := range o.hours[d.AddDays(-1).Weekday()] {
		if iv.Overnight() && m < iv.End {
			return true
		}
	}
	return false
}

// between counts open minutes in [a, b); a and b must be whole minutes.
func (o oracle) between(a, b time.Time) time.Duration {
	var d time.Duration
	for t := a; t.Before(b); t = t.Add(time.Minute) {
		if o.open(t) {
			d += time.Minute
		}
	}
	return d
}

func sortedNames(m map[string]sla.Calendar) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TestBetweenMatchesOracle compares Between and IsOpen with minute-by-minute
// counting over random ranges and around every DST change used in tests.
func TestBetweenMatchesOracle(t *testing.T) {
	t.Parallel()
	cals := calendars(t)
	hotspots := []string{
		"2026-03-06T12:00:00Z", "2026-10-30T12:00:00Z", // NY spring forward / fall back weekends
		"2018-11-02T12:00:00Z", "2019-02-15T12:00:00Z", // SP DST start / end
		"2026-02-13T12:00:00Z", "2026-04-02T12:00:00Z", // Carnival, Easter
		"2023-11-17T12:00:00Z", "2024-11-18T12:00:00Z", // Consciência Negra
		"2026-12-23T12:00:00Z", "2026-07-01T12:00:00Z",
	}
	for _, name := range sortedNames(cals) {
		cal := cals[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := newOracle(cal)
			rng := rand.New(rand.NewPCG(42, uint64(len(name))))
			base := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
			var starts []time.Time
			for _, h := range hotspots {
				v, err := time.Parse(time.RFC3339, h)
				require.NoError(t, err)
				starts = append(starts, v)
			}
			for range 12 {
				starts = append(starts, base.Add(time.Duration(rng.Int64N(10*365*24*60))*time.Minute))
			}
			for i, a := range starts {
				maxMinutes := int64(5 * 24 * 60)
				if i < len(hotspots) {
					maxMinutes = 16 * 24 * 60 // long enough to skip a whole week
				}
				b := a.Add(time.Duration(rng.Int64N(maxMinutes)+1) * time.Minute)
				require.Equal(t, o.between(a, b), cal.Between(a, b), "Between(%s, %s)", a, b)
				for range 20 {
					p := a.Add(time.Duration(rng.Int64N(int64(b.Sub(a)/time.Minute))) * time.Minute)
					require.Equal(t, o.open(p), cal.IsOpen(p), "IsOpen(%s)", p.In(cal.Location()))
				}
			}
		})
	}
}

// TestAddBetweenProperties checks, for random starts and durations, that
// Between(start, Add(start, d)) == d, that Add is the earliest such instant,
// that Between is additive, and that NextOpen agrees with IsOpen.
func TestAddBetweenProperties(t *testing.T) {
	t.Parallel()
	cals := calendars(t)
	for _, name := range sortedNames(cals) {
		cal := cals[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(7, uint64(len(name))))
			base := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
			for range 300 {
				start := base.Add(time.Duration(rng.Int64N(int64(10 * 365 * 24 * time.Hour))))
				var d time.Duration
				switch rng.IntN(3) {
				case 0: // up to a working day, nanosecond precision
					d = time.Duration(rng.Int64N(int64(10 * time.Hour)))
				case 1: // whole minutes up to two months of business time
					d = time.Duration(rng.Int64N(400*60)) * time.Minute
				default: // up to ten years of business time
					d = time.Duration(rng.Int64N(int64(cal.WeeklyBusinessTime() * 52 * 10)))
				}
				end := cal.Add(start, d)
				require.Equal(t, d, cal.Between(start, end), "start %s d %s end %s", start, d, end)
				require.False(t, end.Before(start))
				if d > 0 {
					require.Less(t, cal.Between(start, end.Add(-time.Nanosecond)), d, "earliest")
					require.True(t, cal.IsOpen(end.Add(-time.Nanosecond)), "the deadline closes an open stretch")
				}
				mid := start.Add(time.Duration(rng.Int64N(int64(end.Sub(start)/time.Second)+1)) * time.Second)
				require.Equal(t, cal.Between(start, end), cal.Between(start, mid)+cal.Between(mid, end), "additive: start %s mid %s end %s", start, mid, end)
				next := cal.NextOpen(start)
				require.True(t, cal.IsOpen(next))
				require.Zero(t, cal.Between(start, next))
			}
		})
	}
}

// FuzzAddBetween checks Add/Between consistency for arbitrary starts,
// durations and calendars.
func FuzzAddBetween(f *testing.F) {
	f.Add(int64(0), int64(time.Hour), uint8(0), int64(0))
	f.Add(int64(1772917200), int64(8*time.Hour), uint8(6), int64(3600))   // NY spring forward
	f.Add(int64(1541289600), int64(4*time.Hour), uint8(4), int64(-1))     // SP 2018 DST start
	f.Add(int64(1771009200), int64(168*time.Hour), uint8(1), int64(7200)) // before Carnival 2026
	f.Add(int64(-1), int64(1), uint8(8), int64(1))
	cals := calendars(f)
	names := sortedNames(cals)
	const span = int64(20 * 365 * 24 * 3600) // 2017–2037
	base := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, sec, nanos int64, which uint8, probe int64) {
		cal := cals[names[int(which)%len(names)]]
		start := base.Add(time.Duration(((sec%span)+span)%span) * time.Second).Add(time.Duration(((nanos % 1e9) + 1e9) % 1e9))
		d := time.Duration(nanos % int64(5*365*24*time.Hour))
		if d < 0 {
			d = -d
		}
		end := cal.Add(start, d)
		require.Equal(t, d, cal.Between(start, end))
		if d > 0 {
			require.Less(t, cal.Between(start, end.Add(-time.Nanosecond)), d)
		}
		// Add(a, Between(a, b)) never passes b and leaves no business time before b.
		b := start.Add(time.Duration(probe % int64(60*24*time.Hour)))
		if b.After(start) {
			x := cal.Add(start, cal.Between(start, b))
			require.False(t, x.After(b))
			require.Zero(t, cal.Between(x, b))
		}
	})
}

// TestLongRangesSplit checks that week skipping agrees with day-by-day
// walking: Between over years equals the sum of Between over random chunks,
// and Add over a long duration equals chained Adds of its parts. Ranges
// cover Brazil's 2017–2019 DST changes (one at midnight) and New York's.
func TestLongRangesSplit(t *testing.T) {
	t.Parallel()
	cals := calendars(t)
	for _, name := range sortedNames(cals) {
		cal := cals[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(99, uint64(len(name))))
			base := time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)
			for range 20 {
				a := base.Add(time.Duration(rng.Int64N(int64(11 * 365 * 24 * time.Hour))))
				b := a.Add(time.Duration(rng.Int64N(int64(3 * 365 * 24 * time.Hour))))
				var sum time.Duration
				for x := a; x.Before(b); {
					y := x.Add(time.Duration(rng.Int64N(int64(10*24*time.Hour))) + time.Hour)
					if y.After(b) {
						y = b
					}
					sum += cal.Between(x, y)
					x = y
				}
				require.Equal(t, sum, cal.Between(a, b), "Between(%s, %s)", a, b)

				total := time.Duration(rng.Int64N(int64(cal.WeeklyBusinessTime() * 52 * 2)))
				chained, left := a, total
				for left > 0 {
					step := min(left, time.Duration(rng.Int64N(int64(cal.WeeklyBusinessTime())))+1)
					chained = cal.Add(chained, step)
					left -= step
				}
				requireTime(t, cal.Add(a, total), chained, "Add(%s, %s)", a, total)
			}
		})
	}
}
