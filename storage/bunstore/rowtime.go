package bunstore

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// rowTime is a timestamp column of the rows that lists read by the page
// (tickets, assets). SQLite returns timestamps as text, which bun parses
// with time.Parse, a tenth of a ticket page's read: rowTime decodes the
// layout bun writes ("2006-01-02 15:04:05.999999+00:00") by hand and
// anything else with the layouts bun reads. PostgreSQL's driver returns
// time.Time, taken as is. Writes go through time.Time, so both backends
// store what they stored before. The zero time is NULL under nullzero.
type rowTime time.Time

// rowTimeOf is t in UTC as a column value; the zero time stays zero.
func rowTimeOf(t time.Time) rowTime {
	if t.IsZero() {
		return rowTime{}
	}
	return rowTime(t.UTC())
}

// time returns the value in UTC; the zero time stays zero.
func (t rowTime) time() time.Time {
	if time.Time(t).IsZero() {
		return time.Time{}
	}
	return time.Time(t).UTC()
}

// IsZero reports the zero time, which nullzero writes as NULL.
func (t rowTime) IsZero() bool { return time.Time(t).IsZero() }

// Value implements driver.Valuer: the time, which the dialect formats.
func (t rowTime) Value() (driver.Value, error) { return time.Time(t), nil }

// Scan implements sql.Scanner.
func (t *rowTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = rowTime{}
	case time.Time:
		*t = rowTime(v)
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("bunstore: a timestamp column holds %T", src)
	}
	return nil
}

func (t *rowTime) parse(s string) error {
	if v, ok := parseUTCTimestamp(s); ok {
		*t = rowTime(v)
		return nil
	}
	for _, layout := range timestampLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			*t = rowTime(v)
			return nil
		}
	}
	return fmt.Errorf("bunstore: %q is not a timestamp", s)
}

// timestampLayouts are the other layouts bun reads, tried in order; the
// ones without a zone are UTC.
var timestampLayouts = [...]string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999-07",
	"2006-01-02 15:04:05.999999999-07:00:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseUTCTimestamp decodes "YYYY-MM-DD hh:mm:ss[.fraction]+00:00", the
// layout bun writes times in UTC with; ok is false for anything else.
func parseUTCTimestamp(s string) (t time.Time, ok bool) {
	const zone = "+00:00"
	n := len(s) - len(zone)
	if n < len("2006-01-02 15:04:05") || s[n:] != zone ||
		s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(from, to int) int {
		v := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	nsec := 0
	if frac := s[19:n]; frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		if nsec = num(20, n); nsec < 0 {
			return time.Time{}, false
		}
		for range 10 - len(frac) { // nine digits of nanoseconds
			nsec *= 10
		}
	}
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
		minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	t = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // February 30th and the like
		return time.Time{}, false
	}
	return t, true
}
