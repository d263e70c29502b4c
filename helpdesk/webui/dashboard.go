package webui

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

func (c *console) dashboardRoutes() {
	c.page("GET /dashboard", c.dashboard)
}

// Bounds of the dashboard's lists and chart.
const (
	// chartDays is the days of the created-vs-resolved chart, today
	// included.
	chartDays = 14
	// mineLimit is the tickets "my queue" lists.
	mineLimit = 10
	// ordersTodayLimit is the service orders of today listed.
	ordersTodayLimit = 20
	// ownLimit is the tickets a requester's dashboard reads per status.
	ownLimit = 50
)

// dashboardPage is the view model of the dashboard.
type dashboardPage struct {
	// Analytics is set for those who read the company's figures; a
	// requester's dashboard shows their own tickets only.
	Analytics bool
	// Open counts the active tickets by status (rows) and priority
	// (columns, as Priorities).
	Open       []openRow
	Priorities []option
	OpenTotal  int64
	// AtRisk and Breached count the active tickets in those SLA states.
	AtRisk, Breached int64
	// Mine is the person's active tickets (assigned to them, or for a
	// requester requested by them), most recently updated first; MineTotal
	// counts them all when known (-1 otherwise).
	Mine      []tickets.Ticket
	MineTotal int64
	// Chart is the created-vs-resolved chart of the last chartDays days.
	Chart chart
	// Orders is set for those who read service orders.
	Orders      bool
	OrdersToday []serviceorders.Order
	OrdersMore  bool
	// Billable is set for those who read the analytics: the billable
	// minutes logged this month.
	BillableMinutes int
	Month           string
	// ShowMine is set for those who work tickets and for requesters.
	ShowMine bool
}

// openRow is one status of the open-tickets table.
type openRow struct {
	Status string
	// Counts are per priority, in the order of dashboardPage.Priorities.
	Counts []int64
	Total  int64
}

// chart is the created-vs-resolved bar chart, laid out for the SVG.
type chart struct {
	Days []chartDay
	// Max is the value of the top of the scale.
	Max int64
	// Created and Resolved are the totals of the window.
	Created, Resolved int64
}

// chartDay is one day of the chart with its bars' geometry.
type chartDay struct {
	// Label is the day as the person reads it ("07/12"); ISO its date.
	Label, ISO        string
	Created, Resolved int64
	// X is the left of the day's group; the heights and tops of the bars
	// are in the SVG's units.
	X, LabelX            int
	CreatedX, ResolvedX  int
	CreatedY, CreatedH   int
	ResolvedY, ResolvedH int
}

// Geometry of the chart's SVG (viewBox 0 0 chartWidth chartHeight).
const (
	chartWidth  = 700
	chartHeight = 220
	chartTop    = 10
	chartBase   = 190 // the bars' baseline
	chartStep   = chartWidth / chartDays
	chartBar    = 18
)

// dashboard is the start page of a signed-in person: the company's
// figures for those who read them, their own tickets for a requester.
func (c *console) dashboard(w http.ResponseWriter, r *http.Request, q *request) error {
	if q.actor.CompanyID == 0 {
		c.render(w, q, http.StatusOK, "dashboard", nil)
		return nil
	}
	p, err := c.loadDashboard(q)
	if err != nil {
		return err
	}
	c.render(w, q, http.StatusOK, "dashboard", p)
	return nil
}

func (c *console) loadDashboard(q *request) (*dashboardPage, error) {
	ctx := q.Context()
	now := c.now()
	p := &dashboardPage{Priorities: priorityOptions(q), MineTotal: -1}
	today := startOfDay(now.In(q.tz))
	from := today.AddDate(0, 0, -(chartDays - 1))
	perDay := map[string]tickets.DayCount{}

	if q.actor.Can(tenant.PermAnalyticsRead) {
		p.Analytics = true
		// The open tickets, however old, from the active tickets' index;
		// the chart and the load from the analytics of the chart's days.
		active, err := c.desk.Tickets.ActiveCounts(ctx, q.actor)
		if err != nil {
			return nil, err
		}
		cells := make([]tickets.Count, 0, len(active))
		for _, a := range active {
			cells = append(cells, tickets.Count{Status: a.Status, Priority: a.Priority, N: a.N})
			switch sla.State(a.SLAState) {
			case sla.StateAtRisk:
				p.AtRisk += int64(a.N)
			case sla.StateBreached:
				p.Breached += int64(a.N)
			}
		}
		p.Open, p.OpenTotal = openCounts(cells)
		a, err := c.desk.Tickets.Analytics(ctx, q.actor, from.UTC(), now.Add(time.Minute))
		if err != nil {
			return nil, err
		}
		for _, d := range a.PerDay {
			perDay[d.Day] = d
		}
		for _, l := range a.Load {
			if l.UserID == q.actor.UserID {
				p.MineTotal = int64(l.Active)
			}
		}
		if p.MineTotal < 0 && q.actor.Can(tenant.PermTicketsManage) {
			p.MineTotal = 0
		}
	}

	// My queue: one keyset page per active status, merged.
	p.ShowMine = q.actor.Can(tenant.PermTicketsManage) || !p.Analytics
	filter := tickets.Filter{}
	if q.actor.Can(tenant.PermTicketsRead) {
		filter.AssigneeUserID = q.actor.UserID
	}
	limit := mineLimit
	if !p.Analytics {
		limit = ownLimit
	}
	var mine []tickets.Ticket
	counts := map[tickets.Status]map[sla.Priority]int{}
	for _, s := range tickets.Statuses() {
		if !s.Active() || !p.ShowMine {
			continue
		}
		f := filter
		f.Status = s
		page, err := c.desk.Tickets.List(ctx, q.actor, f, storage.PageRequest{Limit: limit})
		if err != nil {
			return nil, err
		}
		mine = append(mine, page.Items...)
		if !p.Analytics {
			for _, t := range page.Items {
				if counts[t.Status] == nil {
					counts[t.Status] = map[sla.Priority]int{}
				}
				counts[t.Status][t.Priority]++
				switch t.SLAState {
				case sla.StateAtRisk:
					p.AtRisk++
				case sla.StateBreached:
					p.Breached++
				}
			}
		}
	}
	slices.SortFunc(mine, func(a, b tickets.Ticket) int {
		return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(b.ID, a.ID))
	})
	if !p.Analytics {
		p.MineTotal = int64(len(mine))
		var cells []tickets.Count
		for s, byPriority := range counts {
			for pr, n := range byPriority {
				cells = append(cells, tickets.Count{Status: s, Priority: string(pr), N: n})
			}
		}
		tickets.SortCounts(cells)
		p.Open, p.OpenTotal = openCounts(cells)
		if err := c.ownPerDay(q, from, now, perDay); err != nil {
			return nil, err
		}
	}
	if len(mine) > mineLimit {
		mine = mine[:mineLimit]
	}
	p.Mine = mine
	p.Chart = layoutChart(q, from, perDay)

	if q.actor.Can(tenant.PermOrdersRead) {
		p.Orders = true
		page, err := c.desk.ServiceOrders.List(ctx, q.actor, serviceorders.Filter{ScheduledFrom: today.UTC(),
			ScheduledTo: today.AddDate(0, 0, 1).UTC()}, storage.PageRequest{Limit: ordersTodayLimit})
		if err != nil {
			return nil, err
		}
		p.OrdersToday, p.OrdersMore = page.Items, page.NextCursor != ""
		slices.SortFunc(p.OrdersToday, func(a, b serviceorders.Order) int {
			return cmp.Or(a.ScheduledStart.Compare(b.ScheduledStart), cmp.Compare(a.ID, b.ID))
		})
	}
	if p.Analytics {
		p.Month = today.Format("2006-01")
		lines, err := c.desk.ServiceOrders.BillableHours(ctx, q.actor, p.Month)
		if err != nil && !errors.Is(err, tenant.ErrForbidden) {
			return nil, err
		}
		for _, l := range lines {
			p.BillableMinutes += l.BillableMinutes
		}
	}
	return p, nil
}

// ownPerDay counts a requester's tickets created and resolved per day
// since from, reading their tickets newest first (a requester has few).
func (c *console) ownPerDay(q *request, from, now time.Time, perDay map[string]tickets.DayCount) error {
	var cursor storage.Cursor
	for range 20 { // at most 20 pages of the person's own tickets
		page, err := c.desk.Tickets.List(q.Context(), q.actor, tickets.Filter{CreatedFrom: from.AddDate(0, 0, -90).UTC(),
			CreatedTo: now.Add(time.Minute).UTC()}, storage.PageRequest{Limit: storage.MaxLimit, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, t := range page.Items {
			if !t.CreatedAt.Before(from) {
				d := t.CreatedAt.In(q.tz).Format(time.DateOnly)
				dc := perDay[d]
				dc.Created++
				perDay[d] = dc
			}
			if !t.ResolvedAt.IsZero() && !t.ResolvedAt.Before(from) {
				d := t.ResolvedAt.In(q.tz).Format(time.DateOnly)
				dc := perDay[d]
				dc.Resolved++
				perDay[d] = dc
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
	return nil
}

// startOfDay is midnight of t's day in t's location.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// openCounts folds the counts of the active statuses into the table's
// rows (statuses in workflow order, priorities low to critical).
func openCounts(cells []tickets.Count) ([]openRow, int64) {
	priorities := sla.Priorities()
	var rows []openRow
	var total int64
	for _, s := range tickets.Statuses() {
		if !s.Active() {
			continue
		}
		row := openRow{Status: string(s), Counts: make([]int64, len(priorities))}
		for _, cell := range cells {
			if cell.Status != s {
				continue
			}
			if i := slices.Index(priorities, sla.Priority(cell.Priority)); i >= 0 {
				row.Counts[i] += int64(cell.N)
			}
			row.Total += int64(cell.N)
		}
		total += row.Total
		rows = append(rows, row)
	}
	return rows, total
}

// layoutChart places the bars of the chartDays days from from.
func layoutChart(q *request, from time.Time, perDay map[string]tickets.DayCount) chart {
	ch := chart{Max: 1}
	for i := range chartDays {
		day := from.AddDate(0, 0, i)
		iso := day.Format(time.DateOnly)
		dc := perDay[iso]
		label := day.Format("02/01")
		if q.lang == langEN {
			label = day.Format("1/2")
		}
		created, resolved := int64(dc.Created), int64(dc.Resolved)
		ch.Days = append(ch.Days, chartDay{Label: label, ISO: iso, Created: created, Resolved: resolved})
		ch.Created += created
		ch.Resolved += resolved
		ch.Max = max(ch.Max, created, resolved)
	}
	// A round top of the scale: 1, 2, 5, 10, 20, 50...
	for step := int64(1); ; step *= 10 {
		if top := niceTop(ch.Max, step); top > 0 {
			ch.Max = top
			break
		}
	}
	height := int64(chartBase - chartTop)
	for i := range ch.Days {
		d := &ch.Days[i]
		d.X = i * chartStep
		d.LabelX = d.X + chartStep/2
		d.CreatedX = d.X + chartStep/2 - chartBar - 1
		d.ResolvedX = d.X + chartStep/2 + 1
		d.CreatedH = int(d.Created * height / ch.Max)
		d.ResolvedH = int(d.Resolved * height / ch.Max)
		d.CreatedY = chartBase - d.CreatedH
		d.ResolvedY = chartBase - d.ResolvedH
	}
	return ch
}

// niceTop returns the smallest of 1, 2 and 5 times step that is at least
// n, or 0 when 10 times step is needed.
func niceTop(n, step int64) int64 {
	for _, m := range []int64{1, 2, 5} {
		if m*step >= n {
			return m * step
		}
	}
	return 0
}

// BillableHours and BillableRest split the billable minutes into hours
// and minutes.
func (p *dashboardPage) BillableHours() int64 { return int64(p.BillableMinutes / 60) }

// BillableRest is the minutes past the whole hours, two digits.
func (p *dashboardPage) BillableRest() string { return fmt.Sprintf("%02d", p.BillableMinutes%60) }

// TimeOfDay formats the hour and minute of t in the company's timezone
// ("14:05" in pt-BR, "2:05 PM" in English).
func (q *request) TimeOfDay(t time.Time) string {
	if q.lang == langEN {
		return t.In(q.tz).Format("3:04 PM")
	}
	return t.In(q.tz).Format("15:04")
}
