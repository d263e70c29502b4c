package bunstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// Compile-time proof that the store serves the tickets contract.
var (
	_ tickets.Store = ticketsStore{}
	_ tickets.Tx    = (*Tx)(nil)
)

type ticketsStore struct{ *Store }

func (s ticketsStore) InTx(ctx context.Context, fn func(ctx context.Context, tx tickets.Tx) error) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Tx) error { return fn(ctx, tx) })
}

// ticketRow is a tickets row. Tags and pauses are JSON text (tags is a
// JSONB column on PostgreSQL, which reads back as text); the optional IDs
// and times are NULL when zero. The PostgreSQL table also has the generated
// search_vector column, which is never read or written here.
type ticketRow struct {
	bun.BaseModel      `bun:"table:tickets,alias:ticket_row"`
	ID                 int64   `bun:"id,pk,autoincrement"`
	CompanyID          int64   `bun:"company_id"`
	Number             int64   `bun:"number"`
	Title              string  `bun:"title"`
	Description        string  `bun:"description"`
	Priority           string  `bun:"priority"`
	Category           string  `bun:"category"`
	Channel            string  `bun:"channel"`
	Tags               string  `bun:"tags"`
	RequesterContactID int64   `bun:"requester_contact_id"`
	AssigneeUserID     int64   `bun:"assignee_user_id,nullzero"`
	AssetID            int64   `bun:"asset_id,nullzero"`
	Status             string  `bun:"status"`
	ResolutionNote     string  `bun:"resolution_note"`
	CancelReason       string  `bun:"cancel_reason"`
	ReopenCount        int     `bun:"reopen_count"`
	Pauses             string  `bun:"pauses"`
	SLAState           string  `bun:"sla_state"`
	ResponseDueAt      rowTime `bun:"response_due_at,nullzero"`
	ResolutionDueAt    rowTime `bun:"resolution_due_at,nullzero"`
	SLAFlags           int     `bun:"sla_flags"`
	NextSLACheckAt     rowTime `bun:"next_sla_check_at,nullzero"`
	FirstResponseAt    rowTime `bun:"first_response_at,nullzero"`
	ResolvedAt         rowTime `bun:"resolved_at,nullzero"`
	ClosedAt           rowTime `bun:"closed_at,nullzero"`
	Version            int64   `bun:"version"`
	CreatedAt          rowTime `bun:"created_at"`
	UpdatedAt          rowTime `bun:"updated_at"`
}

// pauseJSON is one element of the pauses column: RFC 3339 times, "to"
// omitted while the pause is open.
type pauseJSON struct {
	From time.Time  `json:"from"`
	To   *time.Time `json:"to,omitempty"`
}

// utc returns t in UTC, keeping the zero time zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func (r ticketRow) model() (tickets.Ticket, error) {
	tags := []string{}
	if r.Tags != "[]" { // most tickets: a list page decodes 50 of these
		if err := json.Unmarshal([]byte(r.Tags), &tags); err != nil {
			return tickets.Ticket{}, fmt.Errorf("decoding the tags of ticket %d: %w", r.ID, err)
		}
		if tags == nil {
			tags = []string{}
		}
	}
	var ps []pauseJSON
	if r.Pauses != "[]" {
		if err := json.Unmarshal([]byte(r.Pauses), &ps); err != nil {
			return tickets.Ticket{}, fmt.Errorf("decoding the pauses of ticket %d: %w", r.ID, err)
		}
	}
	pauses := make([]sla.Pause, len(ps))
	for i, p := range ps {
		pauses[i].From = p.From.UTC()
		if p.To != nil {
			pauses[i].To = p.To.UTC()
		}
	}
	return tickets.Ticket{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), Number: r.Number, Title: r.Title,
		Description: r.Description, Priority: sla.Priority(r.Priority), Category: r.Category,
		Channel: tickets.Channel(r.Channel), Tags: tags, RequesterContactID: tenant.ContactID(r.RequesterContactID),
		AssigneeUserID: tenant.UserID(r.AssigneeUserID), AssetID: r.AssetID, Status: tickets.Status(r.Status),
		ResolutionNote: r.ResolutionNote, CancelReason: r.CancelReason, ReopenCount: r.ReopenCount, Pauses: pauses,
		SLAState: sla.State(r.SLAState), ResponseDueAt: r.ResponseDueAt.time(), ResolutionDueAt: r.ResolutionDueAt.time(),
		SLAFlags: r.SLAFlags, NextSLACheckAt: r.NextSLACheckAt.time(), FirstResponseAt: r.FirstResponseAt.time(),
		ResolvedAt: r.ResolvedAt.time(), ClosedAt: r.ClosedAt.time(), Version: r.Version,
		CreatedAt: r.CreatedAt.time(), UpdatedAt: r.UpdatedAt.time()}, nil
}

func ticketRowOf(t tickets.Ticket) (ticketRow, error) {
	tags := t.Tags
	if tags == nil {
		tags = []string{} // "[]", never "null"
	}
	tagsJSON, err := json.Marshal(tags)
	if err != nil {
		return ticketRow{}, fmt.Errorf("encoding the tags of ticket %d: %w", t.ID, err)
	}
	ps := make([]pauseJSON, len(t.Pauses))
	for i, p := range t.Pauses {
		ps[i].From = p.From.UTC()
		if !p.To.IsZero() {
			to := p.To.UTC()
			ps[i].To = &to
		}
	}
	pausesJSON, err := json.Marshal(ps)
	if err != nil {
		return ticketRow{}, fmt.Errorf("encoding the pauses of ticket %d: %w", t.ID, err)
	}
	return ticketRow{ID: t.ID, CompanyID: int64(t.CompanyID), Number: t.Number, Title: t.Title,
		Description: t.Description, Priority: string(t.Priority), Category: t.Category, Channel: string(t.Channel),
		Tags: string(tagsJSON), RequesterContactID: int64(t.RequesterContactID), AssigneeUserID: int64(t.AssigneeUserID),
		AssetID: t.AssetID, Status: string(t.Status), ResolutionNote: t.ResolutionNote, CancelReason: t.CancelReason,
		ReopenCount: t.ReopenCount, Pauses: string(pausesJSON), SLAState: string(t.SLAState),
		ResponseDueAt: rowTimeOf(t.ResponseDueAt), ResolutionDueAt: rowTimeOf(t.ResolutionDueAt), SLAFlags: t.SLAFlags,
		NextSLACheckAt: rowTimeOf(t.NextSLACheckAt), FirstResponseAt: rowTimeOf(t.FirstResponseAt), ResolvedAt: rowTimeOf(t.ResolvedAt),
		ClosedAt: rowTimeOf(t.ClosedAt), Version: t.Version, CreatedAt: rowTimeOf(t.CreatedAt), UpdatedAt: rowTimeOf(t.UpdatedAt)}, nil
}

type commentRow struct {
	bun.BaseModel `bun:"table:ticket_comments"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	TicketID      int64     `bun:"ticket_id"`
	AuthorUserID  int64     `bun:"author_user_id"`
	Body          string    `bun:"body"`
	Internal      bool      `bun:"internal"`
	CreatedAt     time.Time `bun:"created_at"`
}

func (r commentRow) model() tickets.Comment {
	return tickets.Comment{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), TicketID: r.TicketID,
		AuthorUserID: tenant.UserID(r.AuthorUserID), Body: r.Body, Internal: r.Internal, CreatedAt: r.CreatedAt.UTC()}
}

type ticketHistoryRow struct {
	bun.BaseModel `bun:"table:ticket_history"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	TicketID      int64     `bun:"ticket_id"`
	At            time.Time `bun:"at"`
	ActorUserID   int64     `bun:"actor_user_id"`
	Action        string    `bun:"action"`
	Field         string    `bun:"field"`
	From          string    `bun:"from_value"`
	To            string    `bun:"to_value"`
	Note          string    `bun:"note"`
	Internal      bool      `bun:"internal"`
}

func (r ticketHistoryRow) model() tickets.HistoryEntry {
	return tickets.HistoryEntry{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), TicketID: r.TicketID, At: r.At.UTC(),
		ActorUserID: tenant.UserID(r.ActorUserID), Action: r.Action, Field: r.Field, From: r.From, To: r.To, Note: r.Note,
		Internal: r.Internal}
}

// activeTickets selects the tickets that still need work. It repeats the
// WHERE clause of tickets_company_id_active_idx word for word, so that both
// planners can use that partial index.
const activeTickets = "status NOT IN ('resolved', 'closed', 'cancelled')"

// ---- reads ----

// TicketByID implements tickets.Queries.
func (q queries) TicketByID(ctx context.Context, company tenant.CompanyID, id int64) (tickets.Ticket, error) {
	var r ticketRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ? AND id = ?", int64(company), id).Scan(ctx)
	if err != nil {
		return tickets.Ticket{}, translate(err, fmt.Sprintf("ticket %d", id))
	}
	return r.model()
}

func ticketModels(rows []ticketRow) ([]tickets.Ticket, error) {
	out := make([]tickets.Ticket, len(rows))
	for i, r := range rows {
		t, err := r.model()
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// ListTickets implements tickets.Queries: the filters of f, keyset pages
// in the order f.Sort. A text search is an FTS5 match on SQLite and a
// tsvector match on PostgreSQL, with the word-prefix semantics of the
// asset search.
//
// Each order walks an index whose columns lead with company_id: by ID the
// primary key (or the index of an equality filter), by last update
// tickets_company_id_updated_at_idx. The priority order reads the
// priorities one after the other, most urgent first, each in ID order
// (tickets_company_id_priority_idx), and the due-time order reads the
// tickets with a due time, then those without one
// (tickets_company_id_resolution_due_at_idx): both planners keep to an
// index that way, where one ORDER BY over a CASE or NULLS LAST would sort.
func (q queries) ListTickets(ctx context.Context, company tenant.CompanyID, f tickets.Filter, p storage.PageRequest) (storage.Page[tickets.Ticket], error) {
	p = p.Normalize()
	pos, err := f.Sort.Position(p.Cursor)
	if err != nil {
		return storage.Page[tickets.Ticket]{}, fmt.Errorf("listing tickets: %w", err)
	}
	var rows []ticketRow
	// segment reads up to the rows still missing from the page, from the
	// filtered tickets narrowed by where (with args) in the order of order.
	segment := func(order string, where string, args ...any) error {
		need := p.Limit + 1 - len(rows)
		if need <= 0 {
			return nil
		}
		seg := make([]ticketRow, 0, need) // scanned without growing
		sq, err := q.filteredTickets(q.db.NewSelect().Model(&seg), company, f)
		if err != nil {
			return err
		}
		if where != "" {
			sq = sq.Where(where, args...)
		}
		if err := sq.OrderExpr(order).Limit(int64(need)).Scan(ctx); err != nil {
			return translate(err, "listing tickets")
		}
		if rows == nil {
			rows = seg
		} else {
			rows = append(rows, seg...)
		}
		return nil
	}
	switch f.Sort {
	case "", tickets.SortOldest:
		err = segment("id ASC", "id > ?", pos.ID)
	case tickets.SortNewest:
		if pos.Start {
			err = segment("id DESC", "")
		} else {
			err = segment("id DESC", "id < ?", pos.ID)
		}
	case tickets.SortUpdated:
		if pos.Start {
			err = segment("updated_at DESC, id DESC", "")
		} else {
			err = segment("updated_at DESC, id DESC", "(updated_at, id) < (?, ?)", pos.At.UTC(), pos.ID)
		}
	case tickets.SortPriority:
		first := 0
		if !pos.Start {
			first = pos.Rank
		}
		for rank := first; rank < 4 && err == nil; rank++ {
			pr := tickets.PriorityOfRank(rank)
			switch {
			case f.Priority != "" && f.Priority != pr:
			case !pos.Start && rank == pos.Rank:
				err = segment("id ASC", "priority = ? AND id > ?", string(pr), pos.ID)
			default:
				err = segment("id ASC", "priority = ?", string(pr))
			}
		}
	case tickets.SortDue:
		switch {
		case pos.Start:
			err = segment("resolution_due_at ASC, id ASC", "resolution_due_at IS NOT NULL")
		case !pos.At.IsZero():
			err = segment("resolution_due_at ASC, id ASC", "(resolution_due_at, id) > (?, ?)", pos.At.UTC(), pos.ID)
		}
		if err == nil {
			if pos.Start || !pos.At.IsZero() {
				err = segment("id ASC", "resolution_due_at IS NULL")
			} else {
				err = segment("id ASC", "resolution_due_at IS NULL AND id > ?", pos.ID)
			}
		}
	default:
		err = fmt.Errorf("listing tickets: unknown order %q", f.Sort)
	}
	if err != nil {
		return storage.Page[tickets.Ticket]{}, err
	}
	items, err := ticketModels(rows)
	if err != nil {
		return storage.Page[tickets.Ticket]{}, err
	}
	return f.Sort.Page(items, p.Limit), nil
}

// filteredTickets narrows sq to the tickets of company that pass f's
// filters.
func (q queries) filteredTickets(sq *bun.SelectQuery, company tenant.CompanyID, f tickets.Filter) (*bun.SelectQuery, error) {
	sq = sq.Where("company_id = ?", int64(company))
	if f.Status != "" {
		sq = sq.Where("status = ?", string(f.Status))
	}
	if f.Priority != "" {
		sq = sq.Where("priority = ?", string(f.Priority))
	}
	if f.AssigneeUserID != 0 {
		sq = sq.Where("assignee_user_id = ?", int64(f.AssigneeUserID))
	}
	if f.Unassigned {
		sq = sq.Where("assignee_user_id IS NULL")
	}
	if f.RequesterContactID != 0 {
		sq = sq.Where("requester_contact_id = ?", int64(f.RequesterContactID))
	}
	if f.AssetID != 0 {
		sq = sq.Where("asset_id = ?", f.AssetID)
	}
	if f.Category != "" {
		sq = sq.Where("category = ?", f.Category)
	}
	if f.Channel != "" {
		sq = sq.Where("channel = ?", string(f.Channel))
	}
	if f.SLAState != "" {
		sq = sq.Where("sla_state = ?", string(f.SLAState))
	}
	if !f.CreatedFrom.IsZero() {
		sq = sq.Where("created_at >= ?", f.CreatedFrom.UTC())
	}
	if !f.CreatedTo.IsZero() {
		sq = sq.Where("created_at < ?", f.CreatedTo.UTC())
	}
	if f.Tag != "" {
		if q.dialect == Postgres {
			tag, err := json.Marshal([]string{f.Tag})
			if err != nil {
				return nil, fmt.Errorf("listing tickets: %w", err)
			}
			sq = sq.Where("tags @> ?::jsonb", string(tag))
		} else {
			sq = sq.Where("EXISTS (SELECT 1 FROM json_each(ticket_row.tags) WHERE json_each.value = ?)", f.Tag)
		}
	}
	if terms := searchTerms(f.Search); len(terms) > 0 {
		if q.dialect == Postgres {
			sq = sq.Where("search_vector @@ to_tsquery('simple', ?)", tsQuery(terms))
		} else {
			sq = sq.Where("id IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?)", ftsQuery(terms))
		}
	}
	return sq, nil
}

// ListComments implements tickets.Queries. A ticket missing from the
// company is storage.ErrNotFound.
func (q queries) ListComments(ctx context.Context, company tenant.CompanyID, ticketID int64, includeInternal bool, p storage.PageRequest) (storage.Page[tickets.Comment], error) {
	exists, err := q.db.NewSelect().Table("tickets").Where("company_id = ? AND id = ?", int64(company), ticketID).Exists(ctx)
	if err != nil {
		return storage.Page[tickets.Comment]{}, translate(err, fmt.Sprintf("listing the comments of ticket %d", ticketID))
	}
	if !exists {
		return storage.Page[tickets.Comment]{}, fmt.Errorf("listing the comments of ticket %d: %w", ticketID, storage.ErrNotFound)
	}
	var rows []commentRow
	sq := q.db.NewSelect().Model(&rows).Where("company_id = ? AND ticket_id = ?", int64(company), ticketID)
	if !includeInternal {
		sq = sq.Where("internal = ?", false)
	}
	return list(ctx, sq, p, &rows, commentRow.model, func(c tickets.Comment) int64 { return c.ID },
		fmt.Sprintf("listing the comments of ticket %d", ticketID))
}

// TicketHistory implements tickets.Queries. A ticket missing from the
// company is storage.ErrNotFound.
func (q queries) TicketHistory(ctx context.Context, company tenant.CompanyID, ticketID int64, includeInternal bool, p storage.PageRequest) (storage.Page[tickets.HistoryEntry], error) {
	what := fmt.Sprintf("listing the history of ticket %d", ticketID)
	exists, err := q.db.NewSelect().Table("tickets").Where("company_id = ? AND id = ?", int64(company), ticketID).Exists(ctx)
	if err != nil {
		return storage.Page[tickets.HistoryEntry]{}, translate(err, what)
	}
	if !exists {
		return storage.Page[tickets.HistoryEntry]{}, fmt.Errorf("%s: %w", what, storage.ErrNotFound)
	}
	var rows []ticketHistoryRow
	sq := q.db.NewSelect().Model(&rows).Where("company_id = ? AND ticket_id = ?", int64(company), ticketID)
	if !includeInternal {
		sq = sq.Where("internal = ?", false)
	}
	return list(ctx, sq, p, &rows, ticketHistoryRow.model, func(h tickets.HistoryEntry) int64 { return h.ID }, what)
}

// TicketsDueForSLACheck implements tickets.Queries through the partial
// index on next_sla_check_at, across companies.
func (q queries) TicketsDueForSLACheck(ctx context.Context, now time.Time, limit int) ([]tickets.Ticket, error) {
	if limit <= 0 {
		return []tickets.Ticket{}, nil
	}
	var rows []ticketRow
	err := q.db.NewSelect().Model(&rows).
		Where("next_sla_check_at IS NOT NULL AND next_sla_check_at <= ?", now.UTC()).
		OrderExpr("next_sla_check_at ASC, id ASC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, translate(err, "finding tickets due for an SLA check")
	}
	return ticketModels(rows)
}

// ---- writes ----

// NextTicketNumber implements tickets.Tx. On SQLite it upserts the
// company's counter row: the single writer serialises the units of work,
// and a rollback gives the number back. On PostgreSQL it draws from the
// company's sequence (see ticketSequence), so a unit of work that fails
// after drawing leaves a gap.
func (t *Tx) NextTicketNumber(ctx context.Context, company tenant.CompanyID) (int64, error) {
	var n int64
	var err error
	if t.dialect == Postgres {
		err = t.db.NewRaw("SELECT nextval(?)", ticketSequence(company)).Scan(ctx, &n)
	} else {
		err = t.db.NewRaw(nextTicketNumberSQL, int64(company)).Scan(ctx, &n)
		n--
	}
	if err != nil {
		return 0, translate(err, fmt.Sprintf("allocating a ticket number of company %d", company))
	}
	return n, nil
}

// nextTicketNumberSQL upserts a company's counter row (SQLite) and returns
// the number after the one allocated.
const nextTicketNumberSQL = `INSERT INTO ticket_counters (company_id, next_number) VALUES (?, 2)
ON CONFLICT (company_id) DO UPDATE SET next_number = ticket_counters.next_number + 1
RETURNING next_number`

// ticketSequence names the PostgreSQL sequence of a company's ticket
// numbers, created with the company (Tx.InsertCompany; migration
// 20260701000011 for the companies before it).
//
// A sequence rather than a counter row: a row's lock, taken by the INSERT,
// is held until the commit, WAL flush included, so a company's creations
// would commit one at a time (pgbench on a 2-core machine, 8 clients: 7,187
// two-insert transactions a second, 1,603 with the counter's upsert in
// them). nextval takes no lock that lasts; the price is a gap when a
// creation fails after its INSERT, and numbers that follow the IDs only
// roughly when creations race. The tickets service checks a ticket and its
// references before the INSERT, so refusals burn no number.
func ticketSequence(company tenant.CompanyID) string {
	return "ticket_numbers_" + strconv.FormatInt(int64(company), 10)
}

// createTicketSequence creates the ticket number sequence of a new company
// (PostgreSQL), in the company's unit of work.
func createTicketSequence(ctx context.Context, db bun.IDB, company tenant.CompanyID) error {
	_, err := db.ExecContext(ctx, "CREATE SEQUENCE ?", bun.Ident(ticketSequence(company)))
	return translate(err, fmt.Sprintf("creating the ticket numbers of company %d", company))
}

// InsertTicket implements tickets.Tx. A ticket without a number takes the
// company's next one: from the counter first on SQLite, from the company's
// sequence in the INSERT itself on PostgreSQL.
func (t *Tx) InsertTicket(ctx context.Context, tk *tickets.Ticket) error {
	if tk.Number == 0 && t.dialect != Postgres {
		n, err := t.NextTicketNumber(ctx, tk.CompanyID)
		if err != nil {
			return err
		}
		tk.Number = n
	}
	r, err := ticketRowOf(*tk)
	if err != nil {
		return err
	}
	r.ID, r.Version = 0, 1
	q := t.db.NewInsert().Model(&r).Returning("id, number")
	if r.Number == 0 {
		q = q.Value("number", "nextval(?)", ticketSequence(tk.CompanyID))
	}
	if _, err := q.Exec(ctx); err != nil {
		return translate(err, fmt.Sprintf("inserting a ticket of company %d", tk.CompanyID))
	}
	tk.ID, tk.Number, tk.Version = r.ID, r.Number, 1
	return nil
}

// UpdateTicket implements tickets.Tx.
func (t *Tx) UpdateTicket(ctx context.Context, tk *tickets.Ticket) error {
	r, err := ticketRowOf(*tk)
	if err != nil {
		return err
	}
	if err := update(ctx, t.db, &r, "tickets", r.ID, tk.CompanyID, "company_id", tk.Version, fmt.Sprintf("ticket %d", tk.ID)); err != nil {
		return err
	}
	tk.Version++
	return nil
}

// InsertComment implements tickets.Tx.
func (t *Tx) InsertComment(ctx context.Context, c *tickets.Comment) error {
	r := commentRow{CompanyID: int64(c.CompanyID), TicketID: c.TicketID, AuthorUserID: int64(c.AuthorUserID),
		Body: c.Body, Internal: c.Internal, CreatedAt: c.CreatedAt.UTC()}
	if err := insert(ctx, t.db, &r, fmt.Sprintf("a comment on ticket %d", c.TicketID)); err != nil {
		return err
	}
	c.ID = r.ID
	return nil
}

// AppendTicketHistory implements tickets.Tx with one multi-row insert.
func (t *Tx) AppendTicketHistory(ctx context.Context, entries ...tickets.HistoryEntry) error {
	if len(entries) == 0 {
		return nil
	}
	rows := make([]ticketHistoryRow, len(entries))
	for i, h := range entries {
		rows[i] = ticketHistoryRow{CompanyID: int64(h.CompanyID), TicketID: h.TicketID, At: h.At.UTC(),
			ActorUserID: int64(h.ActorUserID), Action: h.Action, Field: h.Field, From: h.From, To: h.To, Note: h.Note,
			Internal: h.Internal}
	}
	_, err := t.db.NewInsert().Model(&rows).Exec(ctx)
	return translate(err, "appending ticket history")
}

// ---- analytics ----

// Analytics implements tickets.Queries with aggregate queries only: no
// query returns more rows than there are groups, and the per-company
// counts are served by covering indexes (see the tickets migration).
//
// Days are cut in q.Location. PostgreSQL groups by the local date
// ((created_at AT TIME ZONE tz)::date). SQLite has no time zone database,
// so it counts per 15-minute bucket of UTC time (unixepoch / 900: at most
// 96 rows a day, still an aggregate) and the buckets are folded into local
// days here: every zone's offset is a multiple of 15 minutes, so a bucket
// never straddles a local midnight, daylight saving time included.
//
// Durations are reported to the millisecond (SQLite's date functions
// resolve milliseconds); P90 is the nearest-rank percentile (the value at
// rank ceil(0.9 n)), percentile_disc on PostgreSQL, an ORDER BY ... OFFSET
// on SQLite, so that both agree with the memory backend.
func (q queries) Analytics(ctx context.Context, company tenant.CompanyID, aq tickets.AnalyticsQuery) (tickets.Analytics, error) {
	loc := aq.Location
	if loc == nil {
		loc = time.UTC
	}
	from, to, now := aq.From.UTC(), aq.To.UTC(), aq.Now.UTC()
	co := int64(company)
	out := tickets.Analytics{From: aq.From, To: aq.To}
	wrap := func(err error, what string) error { return translate(err, "ticket analytics: "+what) }

	// Counts by status and priority.
	var cells []struct {
		Status   string `bun:"status"`
		Priority string `bun:"priority"`
		N        int    `bun:"n"`
	}
	if err := q.db.NewRaw(`SELECT status, priority, count(*) AS n FROM tickets
WHERE company_id = ? AND created_at >= ? AND created_at < ? GROUP BY status, priority`, co, from, to).Scan(ctx, &cells); err != nil {
		return out, wrap(err, "counting by status and priority")
	}
	out.ByStatusPriority = make([]tickets.Count, 0, len(cells))
	for _, c := range cells {
		out.ByStatusPriority = append(out.ByStatusPriority, tickets.Count{Status: tickets.Status(c.Status), Priority: c.Priority, N: c.N})
	}
	tickets.SortCounts(out.ByStatusPriority)

	// Per day.
	days := map[string]*tickets.DayCount{}
	day := func(d string) *tickets.DayCount {
		if days[d] == nil {
			days[d] = &tickets.DayCount{Day: d}
		}
		return days[d]
	}
	for _, kind := range []string{"created_at", "resolved_at"} {
		counts, err := q.perDay(ctx, co, kind, from, to, loc)
		if err != nil {
			return out, wrap(err, "counting per day")
		}
		for d, n := range counts {
			if kind == "created_at" {
				day(d).Created += n
			} else {
				day(d).Resolved += n
			}
		}
	}
	out.PerDay = make([]tickets.DayCount, 0, len(days))
	for _, d := range days {
		out.PerDay = append(out.PerDay, *d)
	}
	slices.SortFunc(out.PerDay, func(a, b tickets.DayCount) int { return cmp.Compare(a.Day, b.Day) })

	// Durations.
	var err error
	if out.FirstResponse, err = q.durationStats(ctx, co, "first_response_at", from, to); err != nil {
		return out, wrap(err, "first response times")
	}
	if out.Resolution, err = q.durationStats(ctx, co, "resolved_at", from, to); err != nil {
		return out, wrap(err, "resolution times")
	}

	// SLA compliance over the resolutions in the window.
	var resolved, met int
	if err := q.db.NewRaw(`SELECT count(*), coalesce(sum(CASE WHEN resolved_at < resolution_due_at THEN 1 ELSE 0 END), 0)
FROM tickets WHERE company_id = ? AND resolved_at IS NOT NULL AND resolved_at >= ? AND resolved_at < ?`,
		co, from, to).Scan(ctx, &resolved, &met); err != nil {
		return out, wrap(err, "SLA compliance")
	}
	out.SLACompliance = -1
	if resolved > 0 {
		out.SLACompliance = 100 * float64(met) / float64(resolved)
	}

	// Backlog by age at now.
	var b [4]int
	if err := q.db.NewRaw(`SELECT
  coalesce(sum(CASE WHEN created_at > ? THEN 1 ELSE 0 END), 0),
  coalesce(sum(CASE WHEN created_at <= ? AND created_at > ? THEN 1 ELSE 0 END), 0),
  coalesce(sum(CASE WHEN created_at <= ? AND created_at > ? THEN 1 ELSE 0 END), 0),
  coalesce(sum(CASE WHEN created_at <= ? THEN 1 ELSE 0 END), 0)
FROM tickets WHERE company_id = ? AND `+activeTickets,
		now.Add(-24*time.Hour), now.Add(-24*time.Hour), now.Add(-72*time.Hour), now.Add(-72*time.Hour),
		now.Add(-168*time.Hour), now.Add(-168*time.Hour), co).Scan(ctx, &b[0], &b[1], &b[2], &b[3]); err != nil {
		return out, wrap(err, "backlog")
	}
	out.Backlog = []tickets.AgeBucket{{Bucket: "<1d", N: b[0]}, {Bucket: "1-3d", N: b[1]}, {Bucket: "3-7d", N: b[2]}, {Bucket: ">7d", N: b[3]}}

	// Load per agent.
	// The unassigned group is dropped here rather than in SQL: a condition
	// on assignee_user_id leads SQLite to the assignee index and a table
	// lookup per ticket, instead of the covering active index, which
	// SQLite is told to use (it otherwise picks the assignee index for the
	// GROUP BY order: ~10x slower).
	var load []struct {
		UserID sql.NullInt64 `bun:"assignee_user_id"`
		N      int           `bun:"n"`
	}
	activeIndex := bun.Safe("")
	if q.dialect == SQLite {
		activeIndex = "INDEXED BY tickets_company_id_active_idx"
	}
	if err := q.db.NewRaw(`SELECT assignee_user_id, count(*) AS n FROM tickets ?
WHERE company_id = ? AND `+activeTickets+`
GROUP BY assignee_user_id ORDER BY n DESC, assignee_user_id ASC`, activeIndex, co).Scan(ctx, &load); err != nil {
		return out, wrap(err, "load per agent")
	}
	out.Load = make([]tickets.AgentLoad, 0, len(load))
	for _, l := range load {
		if l.UserID.Valid {
			out.Load = append(out.Load, tickets.AgentLoad{UserID: tenant.UserID(l.UserID.Int64), Active: l.N})
		}
	}

	// Escalations.
	out.Escalations = []tickets.Escalation{}
	type candidate struct {
		ID          int64 `bun:"id"`
		Number      int64 `bun:"number"`
		ReopenCount int   `bun:"reopen_count"`
	}
	for _, e := range escalationRules(aq) {
		var cs []candidate
		if err := q.db.NewRaw(`SELECT id, number, reopen_count FROM tickets
WHERE company_id = ? AND `+activeTickets+` AND (?) ORDER BY id ASC LIMIT ?`,
			co, bun.SafeQuery(e.where, e.args...), tickets.MaxEscalations).Scan(ctx, &cs); err != nil {
			return out, wrap(err, "escalations")
		}
		for _, c := range cs {
			out.Escalations = append(out.Escalations, tickets.Escalation{TicketID: c.ID, Number: c.Number, Reason: e.reason(c.ReopenCount)})
		}
	}
	out.Escalations = append(out.Escalations, tickets.OverCapacity(out.Load, aq.AgentCapacity)...)
	return out, nil
}

// ActiveCounts implements tickets.Queries from the covering index of the
// active tickets (tickets_company_id_active_idx), which holds status,
// priority and SLA state: it reads no table row and no closed ticket.
func (q queries) ActiveCounts(ctx context.Context, company tenant.CompanyID) ([]tickets.ActiveCount, error) {
	activeIndex := bun.Safe("")
	if q.dialect == SQLite {
		activeIndex = "INDEXED BY tickets_company_id_active_idx"
	}
	var cells []struct {
		Status   string `bun:"status"`
		Priority string `bun:"priority"`
		SLAState string `bun:"sla_state"`
		N        int    `bun:"n"`
	}
	if err := q.db.NewRaw(`SELECT status, priority, sla_state, count(*) AS n FROM tickets ?
WHERE company_id = ? AND `+activeTickets+`
GROUP BY status, priority, sla_state`, activeIndex, int64(company)).Scan(ctx, &cells); err != nil {
		return nil, translate(err, "counting active tickets")
	}
	out := make([]tickets.ActiveCount, 0, len(cells))
	for _, c := range cells {
		out = append(out, tickets.ActiveCount{Status: tickets.Status(c.Status), Priority: c.Priority, SLAState: c.SLAState, N: c.N})
	}
	tickets.SortActiveCounts(out)
	return out, nil
}

// escalationRule is one kind of ticket escalation: the condition and the
// reason of a matching ticket.
type escalationRule struct {
	where  string
	args   []any
	reason func(reopenCount int) string
}

func escalationRules(q tickets.AnalyticsQuery) []escalationRule {
	fixed := func(s string) func(int) string { return func(int) string { return s } }
	rules := []escalationRule{
		{where: "sla_state = ?", args: []any{string(sla.StateBreached)}, reason: fixed(tickets.ReasonBreached)},
		{where: "sla_state = ?", args: []any{string(sla.StateAtRisk)}, reason: fixed(tickets.ReasonAtRisk)},
		{where: "priority = ? AND assignee_user_id IS NULL", args: []any{string(sla.PriorityCritical)}, reason: fixed(tickets.ReasonCriticalUnassigned)},
	}
	if !q.StaleBefore.IsZero() {
		rules = append(rules, escalationRule{where: "updated_at < ?", args: []any{q.StaleBefore.UTC()},
			reason: fixed(tickets.ReasonStale(q.StaleBefore))})
	}
	rules = append(rules, escalationRule{where: "reopen_count > 1",
		reason: tickets.ReasonReopened})
	return rules
}

// perDay counts the tickets of company whose column (created_at or
// resolved_at) falls in [from, to), per local day of loc.
func (q queries) perDay(ctx context.Context, company int64, column string, from, to time.Time, loc *time.Location) (map[string]int, error) {
	col := bun.Ident(column)
	out := map[string]int{}
	if q.dialect == Postgres {
		var rows []struct {
			Day string `bun:"day"`
			N   int    `bun:"n"`
		}
		err := q.db.NewRaw(`SELECT to_char(day, 'YYYY-MM-DD') AS day, n FROM (
  SELECT (? AT TIME ZONE ?)::date AS day, count(*) AS n FROM tickets
  WHERE company_id = ? AND ? >= ? AND ? < ? GROUP BY 1) AS days`, col, loc.String(), company, col, from, col, to).Scan(ctx, &rows)
		for _, r := range rows {
			out[r.Day] += r.N
		}
		return out, err
	}
	var rows []struct {
		Bucket int64 `bun:"bucket"`
		N      int   `bun:"n"`
	}
	err := q.db.NewRaw(`SELECT unixepoch(?) / 900 AS bucket, count(*) AS n FROM tickets
WHERE company_id = ? AND ? >= ? AND ? < ? GROUP BY bucket`, col, company, col, from, col, to).Scan(ctx, &rows)
	for _, r := range rows {
		out[time.Unix(r.Bucket*900, 0).In(loc).Format(time.DateOnly)] += r.N
	}
	return out, err
}

// durationStats summarises column - created_at over the tickets of company
// created in [from, to) that have column set.
func (q queries) durationStats(ctx context.Context, company int64, column string, from, to time.Time) (tickets.DurationStats, error) {
	col := bun.Ident(column)
	var (
		n         int
		mean, p90 sql.NullFloat64
	)
	if q.dialect == Postgres {
		err := q.db.NewRaw(`SELECT count(*), avg(d), percentile_disc(0.9) WITHIN GROUP (ORDER BY d)
FROM (SELECT extract(epoch FROM ? - created_at) AS d FROM tickets
      WHERE company_id = ? AND created_at >= ? AND created_at < ? AND ? IS NOT NULL) AS durations`,
			col, company, from, to, col).Scan(ctx, &n, &mean, &p90)
		if err != nil {
			return tickets.DurationStats{}, err
		}
	} else {
		const d = "(unixepoch(?, 'subsec') - unixepoch(created_at, 'subsec'))"
		where := "FROM tickets WHERE company_id = ? AND created_at >= ? AND created_at < ? AND ? IS NOT NULL"
		if err := q.db.NewRaw("SELECT count(*), avg("+d+") "+where, col, company, from, to, col).Scan(ctx, &n, &mean); err != nil {
			return tickets.DurationStats{}, err
		}
		if n > 0 {
			rank := (9*n + 9) / 10 // ceil(0.9 n)
			if err := q.db.NewRaw("SELECT "+d+" AS d "+where+" ORDER BY d LIMIT 1 OFFSET ?",
				col, company, from, to, col, rank-1).Scan(ctx, &p90); err != nil {
				return tickets.DurationStats{}, err
			}
		}
	}
	if n == 0 {
		return tickets.DurationStats{}, nil
	}
	return tickets.DurationStats{N: n, Mean: millis(mean.Float64), P90: millis(p90.Float64)}, nil
}

// millis converts seconds to a duration rounded to the millisecond.
func millis(seconds float64) time.Duration {
	return time.Duration(math.Round(seconds*1000)) * time.Millisecond
}
