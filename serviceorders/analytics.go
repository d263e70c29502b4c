package serviceorders

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// MaxAnalyticsWindow bounds the analytics window.
const MaxAnalyticsWindow = 3 * 366 * 24 * time.Hour

// Analytics reports on the orders created in [from, to) and the time
// logged in the months of that window (in the company's timezone). A zero
// from and to mean the last 30 days. It needs tenant.PermAnalyticsRead.
func (s *Service) Analytics(ctx context.Context, actor tenant.Actor, from, to time.Time) (Analytics, error) {
	if err := actor.RequireIn(tenant.PermAnalyticsRead); err != nil {
		return Analytics{}, err
	}
	if to.IsZero() {
		to = s.clock()
	}
	if from.IsZero() {
		from = to.Add(-30 * 24 * time.Hour)
	}
	if !to.After(from) {
		return Analytics{}, validation.Field("to", "must be after from")
	}
	if to.Sub(from) > MaxAnalyticsWindow {
		return Analytics{}, validation.Field("from", "the window may span at most three years")
	}
	c, err := s.store.CompanyByID(ctx, actor.CompanyID)
	if err != nil {
		return Analytics{}, err
	}
	loc := s.location(c)
	q := AnalyticsQuery{From: from.UTC(), To: to.UTC(), FromMonth: from.In(loc).Format("2006-01"),
		ToMonth: to.Add(-time.Nanosecond).In(loc).Format("2006-01")}
	return s.store.ServiceOrderAnalytics(ctx, actor.CompanyID, q)
}

// ParseMonth checks a YYYY-MM month.
func ParseMonth(month string) (string, error) {
	if month == "" {
		return "", validation.Field("month", "is required: the month to export, as YYYY-MM")
	}
	t, err := time.Parse("2006-01", month)
	if err != nil || t.Year() < 2000 || t.Year() > 2999 {
		return "", validation.Field("month", "must be a month as YYYY-MM")
	}
	return t.Format("2006-01"), nil
}

// BillableHours lists the billable minutes of the company's month (YYYY-MM
// in its timezone) per order and technician. It needs
// tenant.PermAnalyticsRead.
func (s *Service) BillableHours(ctx context.Context, actor tenant.Actor, month string) ([]BillableLine, error) {
	if err := actor.RequireIn(tenant.PermAnalyticsRead); err != nil {
		return nil, err
	}
	m, err := ParseMonth(month)
	if err != nil {
		return nil, err
	}
	lines, err := s.store.BillableHours(ctx, actor.CompanyID, m)
	if err != nil {
		return nil, fmt.Errorf("billable hours of %s: %w", m, err)
	}
	return lines, nil
}

// BillableHoursCSV renders BillableHours as CSV for invoicing: a header,
// one line per order and technician, and a total line.
func (s *Service) BillableHoursCSV(ctx context.Context, actor tenant.Actor, month string) ([]byte, error) {
	lines, err := s.BillableHours(ctx, actor, month)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"company_id", "month", "service_order", "ticket_id", "technician_user_id", "billable_minutes", "billable_hours"})
	co := strconv.FormatInt(int64(actor.CompanyID), 10)
	total := 0
	for _, l := range lines {
		total += l.BillableMinutes
		ticket := ""
		if l.TicketID != 0 {
			ticket = strconv.FormatInt(l.TicketID, 10)
		}
		_ = w.Write([]string{co, month, l.Number, ticket, strconv.FormatInt(int64(l.TechnicianUserID), 10),
			strconv.Itoa(l.BillableMinutes), hours(l.BillableMinutes)})
	}
	_ = w.Write([]string{co, month, "total", "", "", strconv.Itoa(total), hours(total)})
	w.Flush()
	return buf.Bytes(), w.Error()
}

// hours renders minutes as decimal hours with two places.
func hours(minutes int) string { return strconv.FormatFloat(float64(minutes)/60, 'f', 2, 64) }

// The helpers below keep the backends' reports identical.

// StatusCounts lists the non-zero counts of m in workflow order.
func StatusCounts(m map[Status]int) []StatusCount {
	out := []StatusCount{}
	for _, s := range Statuses() {
		if m[s] > 0 {
			out = append(out, StatusCount{Status: s, N: m[s]})
		}
	}
	return out
}

// Rate is 100·n/of, or -1 when of is zero.
func Rate(n, of int) float64 {
	if of == 0 {
		return -1
	}
	return 100 * float64(n) / float64(of)
}

// SortTechnicianHours orders technicians by total minutes, busiest first,
// then by user ID.
func SortTechnicianHours(hs []TechnicianHours) {
	slices.SortFunc(hs, func(a, b TechnicianHours) int {
		return cmp.Or(cmp.Compare(b.BillableMinutes+b.NonBillableMinutes, a.BillableMinutes+a.NonBillableMinutes),
			cmp.Compare(a.UserID, b.UserID))
	})
}

// SortBillableLines orders lines by order number, then technician.
func SortBillableLines(ls []BillableLine) {
	slices.SortFunc(ls, func(a, b BillableLine) int {
		return cmp.Or(cmp.Compare(a.Number, b.Number), cmp.Compare(a.TechnicianUserID, b.TechnicianUserID))
	})
}

// Completion tells whether o was completed with a schedule, and then its
// time from scheduled start to completion in whole milliseconds (rounded)
// and whether it was completed by its scheduled end: the per-order facts
// the analytics sum.
func Completion(o Order) (ms int64, onTime, ok bool) {
	if o.CompletedAt.IsZero() || o.ScheduledStart.IsZero() {
		return 0, false, false
	}
	return o.CompletedAt.Sub(o.ScheduledStart).Round(time.Millisecond).Milliseconds(), !o.CompletedAt.After(o.ScheduledEnd), true
}

// MeanMillis is the mean of n durations summing to ms milliseconds,
// rounded to the millisecond.
func MeanMillis(ms int64, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return time.Duration(math.Round(float64(ms)/float64(n))) * time.Millisecond
}
