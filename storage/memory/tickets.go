package memory

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// Compile-time proof that the store serves the tickets contract.
var (
	_ tickets.Store = ticketsStore{}
	_ tickets.Tx    = (*tx)(nil)
)

// ticketsStore is the tickets.Store adapter of a Store: root reads through
// the shared reader, units of work through the shared tx.
type ticketsStore struct {
	reader
	s *Store
}

// Tickets returns the store as the tickets package's storage contract.
func (s *Store) Tickets() tickets.Store {
	return ticketsStore{reader: reader{s: s}, s: s}
}

// InTx runs fn as one unit of work; see tickets.Store.
func (i ticketsStore) InTx(ctx context.Context, fn func(ctx context.Context, tx tickets.Tx) error) error {
	return i.s.inTx(ctx, func(ctx context.Context, x *tx) error { return fn(ctx, x) })
}

// ticketTables holds the ticket rows of a store. Like tables, its methods
// take no lock.
type ticketTables struct {
	tickets  *table[int64, tickets.Ticket]
	comments *table[int64, tickets.Comment]
	history  *table[int64, tickets.HistoryEntry]
	views    *table[int64, tickets.SavedView]
	// viewers are the presence records (not transactional).
	viewers map[viewerKey]tickets.Viewer

	byNumber         map[ticketNumber]int64     // unique (company, number)
	commentsByTicket map[int64][]int64          // ticket ID → comment IDs, ascending
	historyByTicket  map[int64][]int64          // ticket ID → history entry IDs, ascending
	counters         map[tenant.CompanyID]int64 // next number of each company
}

// viewerKey names one presence record.
type viewerKey struct {
	company tenant.CompanyID
	ticket  int64
	session string
}

type ticketNumber struct {
	company tenant.CompanyID
	number  int64
}

func newTicketTables() *ticketTables {
	return &ticketTables{
		tickets:          newTable[int64, tickets.Ticket](),
		comments:         newTable[int64, tickets.Comment](),
		history:          newTable[int64, tickets.HistoryEntry](),
		views:            newTable[int64, tickets.SavedView](),
		viewers:          make(map[viewerKey]tickets.Viewer),
		byNumber:         make(map[ticketNumber]int64),
		commentsByTicket: make(map[int64][]int64),
		historyByTicket:  make(map[int64][]int64),
		counters:         make(map[tenant.CompanyID]int64),
	}
}

// cloneTicket copies the slices of t, so that callers never share them with
// the store; nil slices become empty ones, as the SQL backends read them.
func cloneTicket(t tickets.Ticket) tickets.Ticket {
	t.Tags = append([]string{}, t.Tags...)
	t.Pauses = append([]sla.Pause{}, t.Pauses...)
	return t
}

func cloneComment(c tickets.Comment) tickets.Comment { return c }

// ticketMatchesTerms reports whether every term is a prefix of some word of
// the ticket's title or description (the SQL backends' FTS semantics).
func ticketMatchesTerms(t tickets.Ticket, terms []string) bool {
	return termsMatch(terms, t.Title, t.Description)
}

// termsMatch reports whether every term is a prefix of some word of one of
// fields, words being runs of letters and digits, lower-cased (the SQL
// backends' FTS semantics).
func termsMatch(terms []string, fields ...string) bool {
	if len(terms) == 0 {
		return true
	}
	var words []string
	for _, f := range fields {
		words = append(words, strings.FieldsFunc(strings.ToLower(f), notWordRune)...)
	}
	for _, term := range terms {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, term) }) {
			return false
		}
	}
	return true
}

// ---- reads ----

// TicketByID reads one ticket of company.
func (r reader) TicketByID(ctx context.Context, company tenant.CompanyID, id int64) (tickets.Ticket, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return tickets.Ticket{}, err
	}
	defer release()
	t, ok := r.s.t.tickets.tickets.get(id)
	if !ok || t.CompanyID != company {
		return tickets.Ticket{}, fmt.Errorf("memory: ticket %d of company %d: %w", id, company, storage.ErrNotFound)
	}
	return cloneTicket(t), nil
}

// ListTickets lists the tickets of company that pass f in the order
// f.Sort: by ID, walking the table; in the other orders, sorting the
// company's matching tickets.
func (r reader) ListTickets(ctx context.Context, company tenant.CompanyID, f tickets.Filter, p storage.PageRequest) (storage.Page[tickets.Ticket], error) {
	p = p.Normalize()
	pos, err := f.Sort.Position(p.Cursor)
	if err != nil {
		return storage.Page[tickets.Ticket]{}, fmt.Errorf("memory: list tickets: %w", err)
	}
	release, err := r.enter(ctx)
	if err != nil {
		return storage.Page[tickets.Ticket]{}, err
	}
	defer release()
	terms := searchTerms(f.Search)
	keep := func(t tickets.Ticket) bool {
		return t.CompanyID == company &&
			(f.Status == "" || t.Status == f.Status) &&
			(f.Priority == "" || t.Priority == f.Priority) &&
			(f.AssigneeUserID == 0 || t.AssigneeUserID == f.AssigneeUserID) &&
			(!f.Unassigned || t.AssigneeUserID == 0) &&
			(f.RequesterContactID == 0 || t.RequesterContactID == f.RequesterContactID) &&
			(f.AssetID == 0 || t.AssetID == f.AssetID) &&
			(f.Category == "" || t.Category == f.Category) &&
			(f.Tag == "" || slices.Contains(t.Tags, f.Tag)) &&
			(f.Channel == "" || t.Channel == f.Channel) &&
			(f.SLAState == "" || t.SLAState == f.SLAState) &&
			(f.CreatedFrom.IsZero() || !t.CreatedAt.Before(f.CreatedFrom)) &&
			(f.CreatedTo.IsZero() || t.CreatedAt.Before(f.CreatedTo)) &&
			ticketMatchesTerms(t, terms)
	}
	var rows []tickets.Ticket
	switch f.Sort {
	case "", tickets.SortOldest:
		rows = list(r.s.t.tickets.tickets, pos.ID, p.Limit, keep, cloneTicket)
	case tickets.SortNewest:
		rows = listDesc(r.s.t.tickets.tickets, pos.ID, p.Limit, keep, cloneTicket)
	default:
		var all []tickets.Ticket
		r.s.t.tickets.tickets.scan(0, func(t tickets.Ticket) bool {
			if keep(t) && f.Sort.After(t, pos) {
				all = append(all, t)
			}
			return true
		})
		slices.SortFunc(all, f.Sort.Compare)
		for _, t := range all[:min(len(all), p.Limit+1)] {
			rows = append(rows, cloneTicket(t))
		}
	}
	return f.Sort.Page(rows, p.Limit), nil
}

// ListComments lists a ticket's comments, oldest first. A ticket missing
// from the company is storage.ErrNotFound.
func (r reader) ListComments(ctx context.Context, company tenant.CompanyID, ticketID int64, includeInternal bool, p storage.PageRequest) (storage.Page[tickets.Comment], error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[tickets.Comment]{}, fmt.Errorf("memory: list comments: %w", err)
	}
	release, err := r.enter(ctx)
	if err != nil {
		return storage.Page[tickets.Comment]{}, err
	}
	defer release()
	tt := r.s.t.tickets
	if t, ok := tt.tickets.get(ticketID); !ok || t.CompanyID != company {
		return storage.Page[tickets.Comment]{}, fmt.Errorf("memory: comments of ticket %d of company %d: %w",
			ticketID, company, storage.ErrNotFound)
	}
	ids := tt.commentsByTicket[ticketID]
	i, found := slices.BinarySearch(ids, after)
	if found {
		i++
	}
	rows := []tickets.Comment{}
	for _, id := range ids[i:] {
		c, _ := tt.comments.get(id)
		if c.CompanyID != company || (c.Internal && !includeInternal) {
			continue
		}
		rows = append(rows, cloneComment(c))
		if len(rows) > p.Limit {
			break
		}
	}
	return storage.PageOf(rows, p.Limit, func(c tickets.Comment) int64 { return c.ID }), nil
}

// TicketHistory lists a ticket's history, oldest first. A ticket missing
// from the company is storage.ErrNotFound.
func (r reader) TicketHistory(ctx context.Context, company tenant.CompanyID, ticketID int64, includeInternal bool, p storage.PageRequest) (storage.Page[tickets.HistoryEntry], error) {
	p = p.Normalize()
	after, err := p.Cursor.AfterID()
	if err != nil {
		return storage.Page[tickets.HistoryEntry]{}, fmt.Errorf("memory: ticket history: %w", err)
	}
	release, err := r.enter(ctx)
	if err != nil {
		return storage.Page[tickets.HistoryEntry]{}, err
	}
	defer release()
	tt := r.s.t.tickets
	if t, ok := tt.tickets.get(ticketID); !ok || t.CompanyID != company {
		return storage.Page[tickets.HistoryEntry]{}, fmt.Errorf("memory: history of ticket %d of company %d: %w",
			ticketID, company, storage.ErrNotFound)
	}
	ids := tt.historyByTicket[ticketID]
	i, found := slices.BinarySearch(ids, after)
	if found {
		i++
	}
	rows := []tickets.HistoryEntry{}
	for _, id := range ids[i:] {
		h, _ := tt.history.get(id)
		if h.CompanyID != company || (h.Internal && !includeInternal) {
			continue
		}
		rows = append(rows, h)
		if len(rows) > p.Limit {
			break
		}
	}
	return storage.PageOf(rows, p.Limit, func(h tickets.HistoryEntry) int64 { return h.ID }), nil
}

// TicketsDueForSLACheck returns up to limit tickets of any company whose
// next SLA check is set and not after now, oldest check first.
func (r reader) TicketsDueForSLACheck(ctx context.Context, now time.Time, limit int) ([]tickets.Ticket, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	out := []tickets.Ticket{}
	if limit <= 0 {
		return out, nil
	}
	r.s.t.tickets.tickets.scan(0, func(t tickets.Ticket) bool {
		if !t.NextSLACheckAt.IsZero() && !t.NextSLACheckAt.After(now) {
			out = append(out, t)
		}
		return true
	})
	slices.SortFunc(out, func(a, b tickets.Ticket) int {
		return cmp.Or(a.NextSLACheckAt.Compare(b.NextSLACheckAt), cmp.Compare(a.ID, b.ID))
	})
	out = out[:min(limit, len(out))]
	for i := range out {
		out[i] = cloneTicket(out[i])
	}
	return out, nil
}

// ---- writes ----

// NextTicketNumber allocates the company's next ticket number; a rollback
// gives it back.
func (x *tx) NextTicketNumber(ctx context.Context, company tenant.CompanyID) (int64, error) {
	release, err := x.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	return x.nextTicketNumber(company)
}

// nextTicketNumber is NextTicketNumber, inside the unit of work.
func (x *tx) nextTicketNumber(company tenant.CompanyID) (int64, error) {
	if _, ok := x.s.t.companies.get(company); !ok {
		return 0, fmt.Errorf("memory: allocate a ticket number: company %d does not exist", company)
	}
	tt := x.s.t.tickets
	old, existed := tt.counters[company]
	next := old
	if !existed {
		next = 1
	}
	tt.counters[company] = next + 1
	x.onRollback(func() {
		if existed {
			tt.counters[company] = old
		} else {
			delete(tt.counters, company)
		}
	})
	return next, nil
}

// InsertTicket inserts t, setting its ID and Version, and its Number
// when zero.
func (x *tx) InsertTicket(ctx context.Context, t *tickets.Ticket) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := x.ticketReferences(*t); err != nil {
		return fmt.Errorf("memory: insert ticket: %w", err)
	}
	if t.Number == 0 {
		if t.Number, err = x.nextTicketNumber(t.CompanyID); err != nil {
			return err
		}
	}
	tt := x.s.t.tickets
	key := ticketNumber{t.CompanyID, t.Number}
	if _, taken := tt.byNumber[key]; taken {
		return fmt.Errorf("memory: insert ticket: number %d of company %d is taken: %w", t.Number, t.CompanyID, storage.ErrConflict)
	}
	row := cloneTicket(*t)
	row.ID, row.Version = tt.tickets.allocate(), 1
	tt.tickets.put(row.ID, row)
	tt.byNumber[key] = row.ID
	x.onRollback(func() {
		tt.tickets.remove(row.ID)
		delete(tt.byNumber, key)
	})
	t.ID, t.Version = row.ID, row.Version
	return nil
}

// UpdateTicket writes t over the stored ticket with the same ID, company
// and Version, then increments t.Version.
func (x *tx) UpdateTicket(ctx context.Context, t *tickets.Ticket) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tt := x.s.t.tickets
	old, ok := tt.tickets.get(t.ID)
	ok = ok && old.CompanyID == t.CompanyID
	if err := matchVersion(fmt.Sprintf("ticket %d of company %d", t.ID, t.CompanyID), ok, old.Version, t.Version); err != nil {
		return err
	}
	if err := x.ticketReferences(*t); err != nil {
		return fmt.Errorf("memory: update ticket %d: %w", t.ID, err)
	}
	key := ticketNumber{t.CompanyID, t.Number}
	if id, taken := tt.byNumber[key]; taken && id != t.ID {
		return fmt.Errorf("memory: update ticket %d: number %d is taken: %w", t.ID, t.Number, storage.ErrConflict)
	}
	row := cloneTicket(*t)
	row.CreatedAt = old.CreatedAt
	row.Version++
	tt.tickets.put(row.ID, row)
	oldKey := ticketNumber{old.CompanyID, old.Number}
	delete(tt.byNumber, oldKey)
	tt.byNumber[key] = row.ID
	x.onRollback(func() {
		tt.tickets.put(old.ID, old)
		delete(tt.byNumber, key)
		tt.byNumber[oldKey] = old.ID
	})
	t.Version = row.Version
	return nil
}

// ticketReferences checks the ticket's foreign keys, as the SQL schema
// does: its company, and its requester, assignee and asset in that company.
func (x *tx) ticketReferences(t tickets.Ticket) error {
	if _, ok := x.s.t.companies.get(t.CompanyID); !ok {
		return fmt.Errorf("company %d does not exist", t.CompanyID)
	}
	if c, ok := x.s.t.contacts.get(t.RequesterContactID); !ok || c.CompanyID != t.CompanyID {
		return fmt.Errorf("contact %d does not exist in company %d", t.RequesterContactID, t.CompanyID)
	}
	if t.AssigneeUserID != 0 {
		if u, ok := x.s.t.users.get(t.AssigneeUserID); !ok || u.CompanyID != t.CompanyID {
			return fmt.Errorf("user %d does not exist in company %d", t.AssigneeUserID, t.CompanyID)
		}
	}
	if t.AssetID != 0 {
		if a, ok := x.s.t.inventory.assets.get(t.AssetID); !ok || a.CompanyID != t.CompanyID {
			return fmt.Errorf("asset %d does not exist in company %d", t.AssetID, t.CompanyID)
		}
	}
	return nil
}

// InsertComment inserts c, setting its ID.
func (x *tx) InsertComment(ctx context.Context, c *tickets.Comment) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tt := x.s.t.tickets
	if t, ok := tt.tickets.get(c.TicketID); !ok || t.CompanyID != c.CompanyID {
		return fmt.Errorf("memory: insert comment: ticket %d does not exist in company %d", c.TicketID, c.CompanyID)
	}
	row := cloneComment(*c)
	row.ID = tt.comments.allocate()
	tt.comments.put(row.ID, row)
	tt.commentsByTicket[row.TicketID] = append(tt.commentsByTicket[row.TicketID], row.ID)
	x.onRollback(func() {
		tt.comments.remove(row.ID)
		ids := tt.commentsByTicket[row.TicketID]
		if len(ids) <= 1 {
			delete(tt.commentsByTicket, row.TicketID)
		} else {
			tt.commentsByTicket[row.TicketID] = ids[:len(ids)-1]
		}
	})
	c.ID = row.ID
	return nil
}

// AppendTicketHistory appends entries, assigning their IDs.
func (x *tx) AppendTicketHistory(ctx context.Context, entries ...tickets.HistoryEntry) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tt := x.s.t.tickets
	for _, h := range entries {
		if t, ok := tt.tickets.get(h.TicketID); !ok || t.CompanyID != h.CompanyID {
			return fmt.Errorf("memory: append ticket history: ticket %d does not exist in company %d", h.TicketID, h.CompanyID)
		}
	}
	for _, h := range entries {
		h.ID = tt.history.allocate()
		tt.history.put(h.ID, h)
		tt.historyByTicket[h.TicketID] = append(tt.historyByTicket[h.TicketID], h.ID)
		x.onRollback(func() {
			tt.history.remove(h.ID)
			ids := tt.historyByTicket[h.TicketID]
			if len(ids) <= 1 {
				delete(tt.historyByTicket, h.TicketID)
			} else {
				tt.historyByTicket[h.TicketID] = ids[:len(ids)-1]
			}
		})
	}
	return nil
}

// ---- analytics ----

// Analytics computes the report of one company in Go, with the exact
// semantics of the SQL backends (storage/bunstore/tickets.go): days in
// q.Location, durations to the millisecond, P90 the nearest-rank
// percentile, escalations grouped by kind in ticket ID order.
func (r reader) ActiveCounts(ctx context.Context, company tenant.CompanyID) ([]tickets.ActiveCount, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	cells := map[tickets.ActiveCount]int{}
	r.s.t.tickets.tickets.scan(0, func(t tickets.Ticket) bool {
		if t.CompanyID == company && t.Status.Active() {
			cells[tickets.ActiveCount{Status: t.Status, Priority: string(t.Priority), SLAState: string(t.SLAState)}]++
		}
		return true
	})
	out := make([]tickets.ActiveCount, 0, len(cells))
	for c, n := range cells {
		c.N = n
		out = append(out, c)
	}
	tickets.SortActiveCounts(out)
	return out, nil
}

func (r reader) Analytics(ctx context.Context, company tenant.CompanyID, q tickets.AnalyticsQuery) (tickets.Analytics, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return tickets.Analytics{}, err
	}
	defer release()
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	out := tickets.Analytics{From: q.From, To: q.To}
	inWindow := func(t time.Time) bool { return !t.Before(q.From) && t.Before(q.To) }

	var (
		cells                    = map[tickets.Count]int{}
		days                     = map[string]*tickets.DayCount{}
		firstResponse, resolving []time.Duration
		resolved, met            int
		backlog                  [4]int
		load                     = map[tenant.UserID]int{}
		active                   []tickets.Ticket // ascending ID
	)
	day := func(t time.Time) *tickets.DayCount {
		d := t.In(loc).Format(time.DateOnly)
		if days[d] == nil {
			days[d] = &tickets.DayCount{Day: d}
		}
		return days[d]
	}
	r.s.t.tickets.tickets.scan(0, func(t tickets.Ticket) bool {
		if t.CompanyID != company {
			return true
		}
		if inWindow(t.CreatedAt) {
			cells[tickets.Count{Status: t.Status, Priority: string(t.Priority)}]++
			day(t.CreatedAt).Created++
			if !t.FirstResponseAt.IsZero() {
				firstResponse = append(firstResponse, t.FirstResponseAt.Sub(t.CreatedAt))
			}
			if !t.ResolvedAt.IsZero() {
				resolving = append(resolving, t.ResolvedAt.Sub(t.CreatedAt))
			}
		}
		if !t.ResolvedAt.IsZero() && inWindow(t.ResolvedAt) {
			day(t.ResolvedAt).Resolved++
			resolved++
			if !t.ResolutionDueAt.IsZero() && t.ResolvedAt.Before(t.ResolutionDueAt) {
				met++
			}
		}
		if t.Status.Active() {
			active = append(active, t)
			switch age := q.Now.Sub(t.CreatedAt); {
			case age < 24*time.Hour:
				backlog[0]++
			case age < 72*time.Hour:
				backlog[1]++
			case age < 168*time.Hour:
				backlog[2]++
			default:
				backlog[3]++
			}
			if t.AssigneeUserID != 0 {
				load[t.AssigneeUserID]++
			}
		}
		return true
	})

	out.ByStatusPriority = make([]tickets.Count, 0, len(cells))
	for c, n := range cells {
		c.N = n
		out.ByStatusPriority = append(out.ByStatusPriority, c)
	}
	tickets.SortCounts(out.ByStatusPriority)
	out.PerDay = make([]tickets.DayCount, 0, len(days))
	for _, d := range days {
		out.PerDay = append(out.PerDay, *d)
	}
	slices.SortFunc(out.PerDay, func(a, b tickets.DayCount) int { return cmp.Compare(a.Day, b.Day) })
	out.FirstResponse = durationStats(firstResponse)
	out.Resolution = durationStats(resolving)
	out.SLACompliance = -1
	if resolved > 0 {
		out.SLACompliance = 100 * float64(met) / float64(resolved)
	}
	out.Backlog = []tickets.AgeBucket{{Bucket: "<1d", N: backlog[0]}, {Bucket: "1-3d", N: backlog[1]},
		{Bucket: "3-7d", N: backlog[2]}, {Bucket: ">7d", N: backlog[3]}}
	out.Load = make([]tickets.AgentLoad, 0, len(load))
	for u, n := range load {
		out.Load = append(out.Load, tickets.AgentLoad{UserID: u, Active: n})
	}
	slices.SortFunc(out.Load, func(a, b tickets.AgentLoad) int {
		return cmp.Or(cmp.Compare(b.Active, a.Active), cmp.Compare(a.UserID, b.UserID))
	})
	out.Escalations = escalations(active, out.Load, q)
	return out, nil
}

// escalations lists, kind by kind and in ticket ID order, at most
// tickets.MaxEscalations active tickets of each kind, then the agents over
// capacity.
func escalations(active []tickets.Ticket, load []tickets.AgentLoad, q tickets.AnalyticsQuery) []tickets.Escalation {
	type rule struct {
		match  func(tickets.Ticket) bool
		reason func(tickets.Ticket) string
	}
	fixed := func(s string) func(tickets.Ticket) string { return func(tickets.Ticket) string { return s } }
	rules := []rule{
		{func(t tickets.Ticket) bool { return t.SLAState == sla.StateBreached }, fixed(tickets.ReasonBreached)},
		{func(t tickets.Ticket) bool { return t.SLAState == sla.StateAtRisk }, fixed(tickets.ReasonAtRisk)},
		{func(t tickets.Ticket) bool { return t.Priority == sla.PriorityCritical && t.AssigneeUserID == 0 },
			fixed(tickets.ReasonCriticalUnassigned)},
	}
	if !q.StaleBefore.IsZero() {
		rules = append(rules, rule{func(t tickets.Ticket) bool { return t.UpdatedAt.Before(q.StaleBefore) },
			fixed(tickets.ReasonStale(q.StaleBefore))})
	}
	rules = append(rules, rule{func(t tickets.Ticket) bool { return t.ReopenCount > 1 },
		func(t tickets.Ticket) string { return tickets.ReasonReopened(t.ReopenCount) }})
	out := []tickets.Escalation{}
	for _, r := range rules {
		n := 0
		for _, t := range active {
			if n < tickets.MaxEscalations && r.match(t) {
				out = append(out, tickets.Escalation{TicketID: t.ID, Number: t.Number, Reason: r.reason(t)})
				n++
			}
		}
	}
	return append(out, tickets.OverCapacity(load, q.AgentCapacity)...)
}

// durationStats summarises ds: the mean and the nearest-rank 90th
// percentile (rank ceil(0.9 n)), both rounded to the millisecond.
func durationStats(ds []time.Duration) tickets.DurationStats {
	if len(ds) == 0 {
		return tickets.DurationStats{}
	}
	slices.Sort(ds)
	var sum float64
	for _, d := range ds {
		sum += d.Seconds()
	}
	n := len(ds)
	return tickets.DurationStats{N: n, Mean: millis(sum / float64(n)), P90: millis(ds[(9*n+9)/10-1].Seconds())}
}

// millis converts seconds to a duration rounded to the millisecond.
func millis(seconds float64) time.Duration {
	return time.Duration(math.Round(seconds*1000)) * time.Millisecond
}

// ---- saved views ----

// ListViews lists a user's saved views by position, then ID.
func (r reader) ListViews(ctx context.Context, company tenant.CompanyID, user tenant.UserID) ([]tickets.SavedView, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return r.s.t.tickets.userViews(company, user), nil
}

// userViews lists a user's views by position, then ID; the caller holds
// the lock.
func (tt *ticketTables) userViews(company tenant.CompanyID, user tenant.UserID) []tickets.SavedView {
	out := []tickets.SavedView{}
	for _, v := range tt.views.rows {
		if v.CompanyID == company && v.UserID == user {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b tickets.SavedView) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// viewNameTaken reports whether another view of the user has the name; the
// caller holds the lock.
func (tt *ticketTables) viewNameTaken(v tickets.SavedView) bool {
	return slices.ContainsFunc(tt.userViews(v.CompanyID, v.UserID), func(o tickets.SavedView) bool {
		return o.ID != v.ID && o.Name == v.Name
	})
}

// InsertView inserts v, setting its ID.
func (x *tx) InsertView(ctx context.Context, v *tickets.SavedView) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tt := x.s.t.tickets
	if tt.viewNameTaken(*v) {
		return fmt.Errorf("memory: insert view %q: %w", v.Name, storage.ErrConflict)
	}
	row := *v
	row.ID = tt.views.allocate()
	tt.views.put(row.ID, row)
	x.onRollback(func() { tt.views.remove(row.ID) })
	v.ID = row.ID
	return nil
}

// UpdateView writes the name, query and position of a user's view.
func (x *tx) UpdateView(ctx context.Context, v tickets.SavedView) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tt := x.s.t.tickets
	old, ok := tt.views.get(v.ID)
	if !ok || old.CompanyID != v.CompanyID || old.UserID != v.UserID {
		return fmt.Errorf("memory: view %d: %w", v.ID, storage.ErrNotFound)
	}
	if tt.viewNameTaken(v) {
		return fmt.Errorf("memory: update view %q: %w", v.Name, storage.ErrConflict)
	}
	row := old
	row.Name, row.Query, row.Position = v.Name, v.Query, v.Position
	tt.views.put(row.ID, row)
	x.onRollback(func() { tt.views.put(old.ID, old) })
	return nil
}

// DeleteView deletes a user's view.
func (x *tx) DeleteView(ctx context.Context, company tenant.CompanyID, user tenant.UserID, id int64) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tt := x.s.t.tickets
	old, ok := tt.views.get(id)
	if !ok || old.CompanyID != company || old.UserID != user {
		return fmt.Errorf("memory: view %d: %w", id, storage.ErrNotFound)
	}
	tt.views.remove(id)
	x.onRollback(func() { tt.views.put(old.ID, old) })
	return nil
}

// ---- presence ----

// TouchViewer records v and forgets the ticket's expired records.
func (i ticketsStore) TouchViewer(ctx context.Context, v tickets.Viewer, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	vs := i.s.t.tickets.viewers
	for k, o := range vs {
		if k.company == v.CompanyID && k.ticket == v.TicketID && !o.ExpiresAt.After(now) {
			delete(vs, k)
		}
	}
	vs[viewerKey{v.CompanyID, v.TicketID, v.Session}] = v
	return nil
}

// RemoveViewer forgets a session's record.
func (i ticketsStore) RemoveViewer(ctx context.Context, company tenant.CompanyID, ticketID int64, session string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	delete(i.s.t.tickets.viewers, viewerKey{company, ticketID, session})
	return nil
}

// TicketViewers lists a ticket's records not expired at now, by name, then
// session.
func (i ticketsStore) TicketViewers(ctx context.Context, company tenant.CompanyID, ticketID int64, now time.Time) ([]tickets.Viewer, error) {
	release, err := i.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	out := []tickets.Viewer{}
	for k, v := range i.s.t.tickets.viewers {
		if k.company == company && k.ticket == ticketID && v.ExpiresAt.After(now) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b tickets.Viewer) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Session, b.Session))
	})
	return out, nil
}
