package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// ticketCases are the ticket conformance cases; Run runs them with the
// others.
var ticketCases = []struct {
	name string
	fn   func(t *testing.T, b Backend)
}{
	{"TicketsStoreRoundTrip", testTicketsStoreRoundTrip},
	{"TicketsCompanyAndContact", testTicketsCompanyAndContact},
	{"TicketsCreateNumbersPerCompany", testTicketsCreateNumbers},
	{"TicketsConcurrentCreationsAreGapless", testTicketsConcurrentNumbers},
	{"TicketsFailedCreationBurnsNoNumber", testTicketsFailedCreation},
	{"TicketsTenantIsolation", testTicketsTenantIsolation},
	{"TicketsCrossCompanyReferences", testTicketsCrossCompanyReferences},
	{"TicketsRequesterScope", testTicketsRequesterScope},
	{"TicketsWorkflow", testTicketsWorkflow},
	{"TicketsPendingPausesSLA", testTicketsPendingPausesSLA},
	{"TicketsFirstResponse", testTicketsFirstResponse},
	{"TicketsStaleVersion", testTicketsStale},
	{"TicketsEvents", testTicketsEvents},
	{"TicketsCheckSLA", testTicketsCheckSLA},
	{"TicketsFiltersAndPaging", testTicketsFilters},
	{"TicketsSortOrders", testTicketsSort},
	{"TicketsAnalytics", testTicketsAnalytics},
	{"TicketsActiveCounts", testTicketsActiveCounts},
	{"TicketsHistory", testTicketsHistory},
	{"TicketsSavedViews", testTicketsSavedViews},
	{"TicketsPresence", testTicketsPresence},
}

// testTicketsActiveCounts counts the active tickets of one company by
// status, priority and SLA state, however old, leaving out the others.
func testTicketsActiveCounts(t *testing.T, b Backend) {
	a := newTkFixture(t, b, "A")
	other := a.sibling(t, "B")
	high1 := a.create(t, tickets.CreateInput{Title: "one", Priority: sla.PriorityHigh})
	a.create(t, tickets.CreateInput{Title: "two", Priority: sla.PriorityHigh})
	started := a.create(t, tickets.CreateInput{Title: "three", Priority: sla.PriorityHigh})
	done := a.create(t, tickets.CreateInput{Title: "four", Priority: sla.PriorityLow})
	other.create(t, tickets.CreateInput{Title: "B's", Priority: sla.PriorityCritical})
	_, err := a.svc.Update(ctx(t), a.agent, started.ID, tickets.Patch{Status: ptr(tickets.StatusInProgress)})
	require.NoError(t, err)
	_, err = a.svc.Update(ctx(t), a.agent, done.ID, tickets.Patch{Status: ptr(tickets.StatusCancelled), Reason: "duplicate"})
	require.NoError(t, err)
	state := string(a.stored(t, high1.ID).SLAState)
	want := []tickets.ActiveCount{
		{Status: tickets.StatusNew, Priority: "high", SLAState: state, N: 2},
		{Status: tickets.StatusInProgress, Priority: "high", SLAState: string(a.stored(t, started.ID).SLAState), N: 1},
	}
	got, err := b.Tickets().ActiveCounts(ctx(t), a.co.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)
	viaService, err := a.svc.ActiveCounts(ctx(t), a.admin)
	require.NoError(t, err)
	require.Equal(t, want, viaService)
	_, err = a.svc.ActiveCounts(ctx(t), a.req)
	require.ErrorIs(t, err, tenant.ErrForbidden, "requesters read no company figures")
}

// tkClock is the suite's adjustable clock.
type tkClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *tkClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *tkClock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

func (c *tkClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// tkFixture is one company with the services to drive it: a 24×7 UTC SLA
// calendar with the default policy, so due times are plain arithmetic.
type tkFixture struct {
	b      Backend
	clock  *tkClock
	svc    *tickets.Service
	dir    *directory.Service
	inv    *inventory.Service
	co     directory.Company
	admin  tenant.Actor
	agent  tenant.Actor // a real agent user
	agent2 tenant.Actor
	req    tenant.Actor // a requester with a contact and a login
	req2   tenant.Actor
}

func newTkFixture(t *testing.T, b Backend, name string) tkFixture {
	t.Helper()
	clock := &tkClock{now: at}
	svc, err := tickets.NewService(b.Tickets(), tickets.WithClock(clock.Now),
		tickets.WithSLAConfig(func(directory.Company) (sla.Calendar, sla.Policy) { return sla.AlwaysOpen(), sla.DefaultPolicy() }))
	require.NoError(t, err)
	dir := newService(t, b.Directory())
	f := tkFixture{b: b, clock: clock, svc: svc, dir: dir, inv: newInvService(t, b)}
	return f.withCompany(t, name)
}

// sibling is another company of the same backend, with the same services.
func (f tkFixture) sibling(t *testing.T, name string) tkFixture {
	t.Helper()
	return f.withCompany(t, name)
}

func (f tkFixture) withCompany(t *testing.T, name string) tkFixture {
	t.Helper()
	co, err := f.dir.CreateCompany(ctx(t), tenant.System(), directory.CompanyInput{Name: name})
	require.NoError(t, err)
	f.co = co
	f.admin = tenant.Actor{CompanyID: co.ID, UserID: 9001, Role: tenant.RoleAdmin}
	f.agent = f.person(t, "agent1", tenant.RoleAgent)
	f.agent2 = f.person(t, "agent2", tenant.RoleAgent)
	f.req = f.person(t, "req1", tenant.RoleRequester)
	f.req2 = f.person(t, "req2", tenant.RoleRequester)
	return f
}

// person creates a contact with a login of role and returns its actor.
func (f tkFixture) person(t *testing.T, name string, role tenant.Role) tenant.Actor {
	t.Helper()
	email := fmt.Sprintf("%s@c%d.example.com", name, f.co.ID)
	c, err := f.dir.CreateContact(ctx(t), f.admin, directory.ContactInput{Name: name, Email: email})
	require.NoError(t, err)
	u, err := f.dir.CreateUser(ctx(t), f.admin, directory.UserInput{Email: email, Password: "correct horse battery", Role: role, ContactID: c.ID})
	require.NoError(t, err)
	return tenant.Actor{CompanyID: f.co.ID, UserID: u.ID, ContactID: c.ID, Role: role}
}

func (f tkFixture) create(t *testing.T, in tickets.CreateInput) tickets.Ticket {
	t.Helper()
	if in.RequesterContactID == 0 {
		in.RequesterContactID = f.req.ContactID
	}
	d, err := f.svc.Create(ctx(t), f.agent, in)
	require.NoError(t, err)
	got, err := f.svc.Get(ctx(t), f.agent, d.Ticket.ID)
	require.NoError(t, err)
	require.Equal(t, got, d, "Create answers what Get does")
	return d.Ticket
}

func (f tkFixture) stored(t *testing.T, id int64) tickets.Ticket {
	t.Helper()
	tk, err := f.b.Tickets().TicketByID(ctx(t), f.co.ID, id)
	require.NoError(t, err)
	return tk
}

func (f tkFixture) update(t *testing.T, actor tenant.Actor, id int64, p tickets.Patch) tickets.Ticket {
	t.Helper()
	d, err := f.svc.Update(ctx(t), actor, id, p)
	require.NoError(t, err)
	return d.Ticket
}

func (f tkFixture) asset(t *testing.T) inventory.Asset {
	t.Helper()
	_, assets, err := f.inv.Intake(ctx(t), f.admin, notebooks(1))
	require.NoError(t, err)
	return assets[0]
}

func ptr[T any](v T) *T { return &v }

func numbers(ts []tickets.Ticket) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.Number
	}
	return out
}

func ticketIDs(ts []tickets.Ticket) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// walkTickets pages through a list to its end, checking that no ticket
// comes twice, that IDs ascend and that pages are full except the last.
func walkTickets(t *testing.T, q tickets.Queries, company tenant.CompanyID, f tickets.Filter, limit int) []tickets.Ticket {
	t.Helper()
	return walk(t, limit, func(p storage.PageRequest) (storage.Page[tickets.Ticket], error) {
		return q.ListTickets(ctx(t), company, f, p)
	}, func(tk tickets.Ticket) (int64, tenant.CompanyID) { return tk.ID, tk.CompanyID }, company)
}

// walk pages through a list to its end, checking that every row belongs
// to company, that no row comes twice, that IDs ascend and that pages are
// full except the last.
func walk[T any](t *testing.T, limit int, list func(storage.PageRequest) (storage.Page[T], error),
	key func(T) (int64, tenant.CompanyID), company tenant.CompanyID) []T {
	t.Helper()
	var (
		out  []T
		last int64
		req  = storage.PageRequest{Limit: limit}
	)
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10_000, "paging must terminate")
		p, err := list(req)
		require.NoError(t, err)
		for _, row := range p.Items {
			id, co := key(row)
			require.Equal(t, company, co)
			if len(out) > 0 {
				require.Greater(t, id, last, "rows come by ascending ID, once")
			}
			out, last = append(out, row), id
		}
		if p.NextCursor == "" {
			return out
		}
		require.Len(t, p.Items, limit, "a page with a next cursor is full")
		req.Cursor = p.NextCursor
	}
}

func allEvents(t *testing.T, b Backend, company tenant.CompanyID) []events.Event {
	t.Helper()
	evs, err := b.OutboxEvents(ctx(t), events.OutboxQuery{CompanyID: company})
	require.NoError(t, err)
	return evs
}

// ---- cases ----

// testTicketsStoreRoundTrip writes every field through the store and reads
// it back unchanged, with microsecond times, an open pause, the optional
// references and the version checks of UpdateTicket.
func testTicketsStoreRoundTrip(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	a := f.asset(t)
	s := b.Tickets()
	tk := tickets.Ticket{CompanyID: f.co.ID, Title: "Impressora não imprime", Description: "Linha 1\nLinha 2 — ação",
		Priority: sla.PriorityHigh, Category: "Hardware", Channel: tickets.ChannelWhatsApp, Tags: []string{"printer", "urgent"},
		RequesterContactID: f.req.ContactID, AssigneeUserID: f.agent.UserID, AssetID: a.ID, Status: tickets.StatusPendingCustomer,
		ReopenCount: 2, Pauses: []sla.Pause{{From: at, To: at.Add(time.Hour)}, {From: at.Add(2 * time.Hour)}},
		SLAState: sla.StatePaused, ResponseDueAt: at.Add(4 * time.Hour), ResolutionDueAt: at.Add(24 * time.Hour),
		SLAFlags: tickets.FlagResponseAtRisk, NextSLACheckAt: at.Add(3 * time.Hour), FirstResponseAt: at.Add(time.Minute),
		CreatedAt: at, UpdatedAt: at.Add(2 * time.Hour)}
	require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error {
		n, err := tx.NextTicketNumber(ctx, f.co.ID)
		if err != nil {
			return err
		}
		tk.Number = n
		return tx.InsertTicket(ctx, &tk)
	}))
	require.NotZero(t, tk.ID)
	require.EqualValues(t, 1, tk.Number)
	require.EqualValues(t, 1, tk.Version)
	require.Equal(t, tk, f.stored(t, tk.ID))

	// Zero optional fields read back zero; nil slices read back empty.
	bare := tickets.Ticket{CompanyID: f.co.ID, Number: 2, Title: "x", Priority: sla.PriorityLow, Channel: tickets.ChannelWeb,
		RequesterContactID: f.req.ContactID, Status: tickets.StatusNew, SLAState: sla.StateOnTrack, CreatedAt: at, UpdatedAt: at}
	require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error { return tx.InsertTicket(ctx, &bare) }))
	bare.Tags, bare.Pauses = []string{}, []sla.Pause{}
	require.Equal(t, bare, f.stored(t, bare.ID))

	// Update every field, clearing the optional ones.
	up := tk
	up.Title, up.Tags, up.Pauses = "Renomeado", []string{"x"}, []sla.Pause{{From: at, To: at.Add(time.Minute)}}
	up.AssigneeUserID, up.AssetID, up.NextSLACheckAt, up.FirstResponseAt = 0, 0, time.Time{}, time.Time{}
	up.Status, up.ResolvedAt, up.ClosedAt, up.ResolutionNote = tickets.StatusClosed, at.Add(5*time.Hour), at.Add(6*time.Hour), "ok"
	require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error { return tx.UpdateTicket(ctx, &up) }))
	require.EqualValues(t, 2, up.Version)
	require.Equal(t, up, f.stored(t, tk.ID))

	stale := tk // version 1
	err := s.InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error { return tx.UpdateTicket(ctx, &stale) })
	require.ErrorIs(t, err, storage.ErrStale)
	foreign := up
	foreign.CompanyID = other.co.ID
	foreign.RequesterContactID = other.req.ContactID
	err = s.InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error { return tx.UpdateTicket(ctx, &foreign) })
	require.ErrorIs(t, err, storage.ErrNotFound)
	missing := up
	missing.ID += 1000
	err = s.InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error { return tx.UpdateTicket(ctx, &missing) })
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.Equal(t, up, f.stored(t, tk.ID), "failed updates change nothing")

	// Comments round trip, oldest first, internal notes only on request.
	c1 := tickets.Comment{CompanyID: f.co.ID, TicketID: tk.ID, AuthorUserID: f.agent.UserID, Body: "olá", CreatedAt: at}
	c2 := tickets.Comment{CompanyID: f.co.ID, TicketID: tk.ID, AuthorUserID: f.agent.UserID, Body: "nota", Internal: true, CreatedAt: at.Add(time.Second)}
	require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error {
		if err := tx.InsertComment(ctx, &c1); err != nil {
			return err
		}
		return tx.InsertComment(ctx, &c2)
	}))
	require.NotZero(t, c1.ID)
	all, err := s.ListComments(ctx(t), f.co.ID, tk.ID, true, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []tickets.Comment{c1, c2}, all.Items)
	public, err := s.ListComments(ctx(t), f.co.ID, tk.ID, false, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []tickets.Comment{c1}, public.Items)
	_, err = s.ListComments(ctx(t), other.co.ID, tk.ID, true, storage.PageRequest{})
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.TicketByID(ctx(t), other.co.ID, tk.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testTicketsCreateNumbers(t *testing.T, b Backend) {
	a := newTkFixture(t, b, "A")
	bf := a.sibling(t, "B")
	var got []tickets.Ticket
	for i := range 3 {
		got = append(got, a.create(t, tickets.CreateInput{Title: fmt.Sprintf("A%d", i), Tags: []string{" Printer ", "printer", "URGENT"}}))
		if i == 0 {
			got = append(got, bf.create(t, tickets.CreateInput{Title: "B0"}))
		}
	}
	got = append(got, bf.create(t, tickets.CreateInput{Title: "B1"}))
	require.Equal(t, []int64{1, 1, 2, 3, 2}, numbers(got))

	tk := got[0]
	require.Equal(t, tickets.StatusNew, tk.Status)
	require.Equal(t, sla.PriorityMedium, tk.Priority)
	require.Equal(t, tickets.ChannelWeb, tk.Channel)
	require.Equal(t, []string{"printer", "urgent"}, tk.Tags)
	require.Equal(t, a.req.ContactID, tk.RequesterContactID)
	require.Equal(t, at.Add(8*time.Hour), tk.ResponseDueAt)
	require.Equal(t, at.Add(72*time.Hour), tk.ResolutionDueAt)
	require.Equal(t, at.Add(8*time.Hour*80/100), tk.NextSLACheckAt)
	require.Equal(t, sla.StateOnTrack, tk.SLAState)
	require.EqualValues(t, 1, tk.Version)
	require.Equal(t, tk, a.stored(t, tk.ID))
	d, err := a.svc.Get(ctx(t), a.agent, tk.ID)
	require.NoError(t, err)
	require.Equal(t, tk, d.Ticket)

	list := walkTickets(t, b.Tickets(), bf.co.ID, tickets.Filter{}, 50)
	require.Equal(t, []int64{1, 2}, numbers(list))
}

func testTicketsConcurrentNumbers(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	const n = 30
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		nums []int64
		errs []error
	)
	for i := range n {
		wg.Go(func() {
			tk, err := f.svc.Create(ctx(t), f.agent, tickets.CreateInput{Title: fmt.Sprintf("Chamado %d", i), RequesterContactID: f.req.ContactID})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			nums = append(nums, tk.Ticket.Number)
		})
	}
	wg.Wait()
	require.Empty(t, errs)
	slices.Sort(nums)
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	require.Equal(t, want, nums, "numbers 1..30 without gaps or duplicates")
	// Paging returns every ticket once. (Numbers follow IDs on SQLite and
	// memory; on PostgreSQL two racing creations may draw their ID and
	// number in opposite orders, see tickets.Tx.NextTicketNumber.)
	walked := numbers(walkTickets(t, b.Tickets(), f.co.ID, tickets.Filter{}, 7))
	slices.Sort(walked)
	require.Equal(t, want, walked)
	created := 0
	for _, typ := range eventTypes(t, b, f.co.ID) {
		if typ == "ticket.created" {
			created++
		}
	}
	require.Equal(t, n, created, "one ticket.created per ticket")
}

// testTicketsCompanyAndContact reads a company with one of its contacts,
// in and out of units of work; another company's contact reads as none.
func testTicketsCompanyAndContact(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	s := b.Tickets()
	wantContact, err := b.Directory().ContactByID(ctx(t), f.co.ID, f.req.ContactID)
	require.NoError(t, err)

	co, ct, err := s.CompanyAndContact(ctx(t), f.co.ID, f.req.ContactID)
	require.NoError(t, err)
	require.Equal(t, f.co, co)
	require.Equal(t, wantContact, ct)
	for _, id := range []tenant.ContactID{other.req.ContactID, 0, 1 << 40} {
		co, ct, err = s.CompanyAndContact(ctx(t), f.co.ID, id)
		require.NoError(t, err)
		require.Equal(t, f.co, co)
		require.Zero(t, ct, "contact %d", id)
	}
	_, _, err = s.CompanyAndContact(ctx(t), 1<<40, f.req.ContactID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error {
		co, ct, err := tx.CompanyAndContact(ctx, other.co.ID, other.req.ContactID)
		require.Equal(t, other.co, co)
		require.Equal(t, other.req.ContactID, ct.ID)
		return err
	}))

	// A deactivated requester is refused, and burns no number.
	_, err = f.dir.DeactivateContact(ctx(t), f.admin, f.req2.ContactID)
	require.NoError(t, err)
	_, err = f.svc.Create(ctx(t), f.agent, tickets.CreateInput{Title: "x", RequesterContactID: f.req2.ContactID})
	requireField(t, err, "requester_contact_id")
	require.EqualValues(t, 1, f.create(t, tickets.CreateInput{Title: "1"}).Number)
}

func testTicketsFailedCreation(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	foreign := other.asset(t)
	f.create(t, tickets.CreateInput{Title: "1"})
	before := eventTypes(t, b, f.co.ID)

	// Refusals burn no number, on every backend: the service checks before
	// it draws.
	_, err := f.svc.Create(ctx(t), f.agent, tickets.CreateInput{Title: "bad", AssetID: foreign.ID, RequesterContactID: f.req.ContactID})
	requireField(t, err, "asset_id")
	_, err = f.svc.Create(ctx(t), f.agent, tickets.CreateInput{Title: "bad", AssetID: 1 << 40, RequesterContactID: f.req.ContactID})
	requireField(t, err, "asset_id")
	_, err = f.svc.Create(ctx(t), f.agent, tickets.CreateInput{Title: "bad", RequesterContactID: other.req.ContactID})
	requireField(t, err, "requester_contact_id")
	require.Equal(t, before, eventTypes(t, b, f.co.ID), "refusals emit nothing")
	second := f.create(t, tickets.CreateInput{Title: "2"})
	require.EqualValues(t, 2, second.Number, "refusals burn no number")
	before = eventTypes(t, b, f.co.ID)

	// Units of work that draw a number and then fail write nothing.
	boom := errors.New("boom")
	err = b.Tickets().InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error {
		n, err := tx.NextTicketNumber(ctx, f.co.ID)
		require.NoError(t, err)
		require.EqualValues(t, 3, n)
		return boom
	})
	require.ErrorIs(t, err, boom)
	err = b.Tickets().InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error {
		tk := tickets.Ticket{CompanyID: f.co.ID, Title: "numbered", Priority: sla.PriorityLow, Channel: tickets.ChannelWeb,
			RequesterContactID: f.req.ContactID, Status: tickets.StatusNew, SLAState: sla.StateOnTrack,
			CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
		require.NoError(t, tx.InsertTicket(ctx, &tk))
		require.Greater(t, tk.Number, second.Number, "InsertTicket numbers a ticket without a number")
		require.NotZero(t, tk.ID)
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, before, eventTypes(t, b, f.co.ID), "failed creations emit nothing")

	// The next number follows: 3 where the failed units of work gave
	// theirs back (memory, SQLite), 5 where they were drawn outside them
	// (PostgreSQL; see tickets.Tx.NextTicketNumber and the backends' own
	// tests, which pin each).
	third := f.create(t, tickets.CreateInput{Title: "3"})
	require.Contains(t, []int64{3, 5}, third.Number)
	require.Equal(t, []int64{1, 2, third.Number}, numbers(walkTickets(t, b.Tickets(), f.co.ID, tickets.Filter{}, 50)))
}

func testTicketsTenantIsolation(t *testing.T, b Backend) {
	a := newTkFixture(t, b, "A")
	bf := a.sibling(t, "B")
	tk := a.create(t, tickets.CreateInput{Title: "Segredo de A"})
	_, err := a.svc.AddComment(ctx(t), a.agent, tk.ID, "resposta", false)
	require.NoError(t, err)
	tk = a.stored(t, tk.ID)
	mine := bf.create(t, tickets.CreateInput{Title: "Chamado de B"})
	before := eventTypes(t, b, a.co.ID)

	for _, actor := range []tenant.Actor{bf.admin, bf.agent, bf.req} {
		_, err := bf.svc.Get(ctx(t), actor, tk.ID)
		require.ErrorIs(t, err, storage.ErrNotFound)
		_, err = bf.svc.Update(ctx(t), actor, tk.ID, tickets.Patch{Status: ptr(tickets.StatusCancelled), Reason: "x"})
		require.ErrorIs(t, err, storage.ErrNotFound)
		_, err = bf.svc.AddComment(ctx(t), actor, tk.ID, "intrusão", false)
		require.ErrorIs(t, err, storage.ErrNotFound)
		_, err = bf.svc.Comments(ctx(t), actor, tk.ID, storage.PageRequest{})
		require.ErrorIs(t, err, storage.ErrNotFound)
		page, err := bf.svc.List(ctx(t), actor, tickets.Filter{}, storage.PageRequest{})
		require.NoError(t, err)
		require.NotContains(t, ticketIDs(page.Items), tk.ID)
	}
	for _, p := range []tickets.Patch{{Title: ptr("x")}, {Priority: ptr(sla.PriorityLow)}, {Tags: &[]string{"x"}}} {
		_, err = bf.svc.Update(ctx(t), bf.admin, tk.ID, p)
		require.ErrorIs(t, err, storage.ErrNotFound)
	}
	_, err = bf.svc.Assign(ctx(t), bf.admin, tk.ID, bf.agent.UserID, 0)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = bf.svc.Assign(ctx(t), bf.admin, tk.ID, a.agent.UserID, 0)
	require.ErrorIs(t, err, storage.ErrNotFound)
	// The store itself scopes every read by company.
	s := b.Tickets()
	_, err = s.TicketByID(ctx(t), bf.co.ID, tk.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.ListComments(ctx(t), bf.co.ID, tk.ID, true, storage.PageRequest{})
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.Equal(t, []int64{mine.ID}, ticketIDs(walkTickets(t, s, bf.co.ID, tickets.Filter{}, 50)))
	an, err := s.Analytics(ctx(t), bf.co.ID, tickets.AnalyticsQuery{From: at.Add(-time.Hour), To: at.Add(time.Hour), Now: at, Location: time.UTC})
	require.NoError(t, err)
	require.Equal(t, []tickets.Count{{Status: tickets.StatusNew, Priority: "medium", N: 1}}, an.ByStatusPriority)

	require.Equal(t, tk, a.stored(t, tk.ID), "nothing changed")
	require.Equal(t, before, eventTypes(t, b, a.co.ID), "no event for A")
	comments, err := a.svc.Comments(ctx(t), a.agent, tk.ID, storage.PageRequest{})
	require.NoError(t, err)
	require.Len(t, comments.Items, 1)
}

func testTicketsCrossCompanyReferences(t *testing.T, b Backend) {
	a := newTkFixture(t, b, "A")
	bf := a.sibling(t, "B")
	foreignAsset := bf.asset(t)
	tk := a.create(t, tickets.CreateInput{Title: "Chamado"})
	before := eventTypes(t, b, a.co.ID)

	_, err := a.svc.Create(ctx(t), a.agent, tickets.CreateInput{Title: "x", AssetID: foreignAsset.ID, RequesterContactID: a.req.ContactID})
	requireField(t, err, "asset_id")
	_, err = a.svc.Create(ctx(t), a.agent, tickets.CreateInput{Title: "x", RequesterContactID: bf.req.ContactID})
	requireField(t, err, "requester_contact_id")
	_, err = a.svc.Assign(ctx(t), a.admin, tk.ID, bf.agent.UserID, 0)
	requireField(t, err, "assignee_user_id")
	_, err = a.svc.Assign(ctx(t), a.admin, tk.ID, a.req.UserID, 0)
	requireField(t, err, "assignee_user_id") // a requester is no agent
	_, err = a.svc.Update(ctx(t), a.admin, tk.ID, tickets.Patch{AssetID: ptr(foreignAsset.ID)})
	requireField(t, err, "asset_id")

	require.Equal(t, tk, a.stored(t, tk.ID))
	require.Equal(t, before, eventTypes(t, b, a.co.ID))
	require.Equal(t, []int64{1}, numbers(walkTickets(t, b.Tickets(), a.co.ID, tickets.Filter{}, 50)))

	// The same references within the company work.
	own := a.asset(t)
	d, err := a.svc.Update(ctx(t), a.admin, tk.ID, tickets.Patch{AssetID: ptr(own.ID)})
	require.NoError(t, err)
	require.Equal(t, own.ID, d.Ticket.AssetID)
	d, err = a.svc.Assign(ctx(t), a.admin, tk.ID, a.agent.UserID, 0)
	require.NoError(t, err)
	require.Equal(t, a.agent.UserID, d.Ticket.AssigneeUserID)
	require.Equal(t, d.Ticket, a.stored(t, tk.ID))
}

func testTicketsRequesterScope(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	created, err := f.svc.Create(ctx(t), f.req, tickets.CreateInput{Title: "Meu chamado"})
	require.NoError(t, err)
	mine := created.Ticket
	got, err := f.svc.Get(ctx(t), f.req, mine.ID)
	require.NoError(t, err)
	require.Equal(t, got, created, "Create answers what Get does")
	require.Equal(t, []string{"cancel"}, actionNames(created.NextActions))
	require.Equal(t, f.req.ContactID, mine.RequesterContactID)
	_, err = f.svc.Create(ctx(t), f.req, tickets.CreateInput{Title: "Por outro", RequesterContactID: f.req2.ContactID})
	requireField(t, err, "requester_contact_id")
	theirs := f.create(t, tickets.CreateInput{Title: "Do outro", RequesterContactID: f.req2.ContactID})

	_, err = f.svc.AddComment(ctx(t), f.agent, mine.ID, "nota interna", true)
	require.NoError(t, err)
	_, err = f.svc.AddComment(ctx(t), f.agent, mine.ID, "resposta pública", false)
	require.NoError(t, err)
	_, err = f.svc.AddComment(ctx(t), f.req, mine.ID, "obrigado", false)
	require.NoError(t, err)
	_, err = f.svc.AddComment(ctx(t), f.req, mine.ID, "escondido", true)
	requireField(t, err, "internal")

	page, err := f.svc.List(ctx(t), f.req, tickets.Filter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []int64{mine.ID}, ticketIDs(page.Items))
	page, err = f.svc.List(ctx(t), f.req, tickets.Filter{RequesterContactID: f.req2.ContactID}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []int64{mine.ID}, ticketIDs(page.Items), "a requester's own filter wins")
	page, err = f.svc.List(ctx(t), f.agent, tickets.Filter{}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []int64{mine.ID, theirs.ID}, ticketIDs(page.Items))

	_, err = f.svc.Get(ctx(t), f.req, theirs.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = f.svc.Comments(ctx(t), f.req, theirs.ID, storage.PageRequest{})
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = f.svc.AddComment(ctx(t), f.req, theirs.ID, "oi", false)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = f.svc.Update(ctx(t), f.req, theirs.ID, tickets.Patch{Status: ptr(tickets.StatusCancelled), Reason: "x"})
	require.ErrorIs(t, err, storage.ErrNotFound)

	bodies := func(actor tenant.Actor) []string {
		p, err := f.svc.Comments(ctx(t), actor, mine.ID, storage.PageRequest{})
		require.NoError(t, err)
		var out []string
		for _, c := range p.Items {
			out = append(out, c.Body)
		}
		return out
	}
	require.Equal(t, []string{"resposta pública", "obrigado"}, bodies(f.req), "requesters never see internal notes")
	require.Equal(t, []string{"nota interna", "resposta pública", "obrigado"}, bodies(f.agent))

	// Paging comments with limit 2.
	p1, err := f.svc.Comments(ctx(t), f.agent, mine.ID, storage.PageRequest{Limit: 2})
	require.NoError(t, err)
	require.Len(t, p1.Items, 2)
	require.NotEmpty(t, p1.NextCursor)
	p2, err := f.svc.Comments(ctx(t), f.agent, mine.ID, storage.PageRequest{Limit: 2, Cursor: p1.NextCursor})
	require.NoError(t, err)
	require.Len(t, p2.Items, 1)
	require.Empty(t, p2.NextCursor)

	// The requester may cancel their own new ticket.
	d, err := f.svc.Update(ctx(t), f.req, mine.ID, tickets.Patch{Status: ptr(tickets.StatusCancelled), Reason: "resolvido sozinho"})
	require.NoError(t, err)
	require.Equal(t, tickets.StatusCancelled, d.Ticket.Status)
	require.Equal(t, "resolvido sozinho", d.Ticket.CancelReason)
}

func testTicketsWorkflow(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	tk := f.create(t, tickets.CreateInput{Title: "Fluxo"})
	status := func(s tickets.Status) *tickets.Status { return &s }

	_, err := f.svc.Update(ctx(t), f.agent, tk.ID, tickets.Patch{Status: status(tickets.StatusResolved)})
	requireField(t, err, "resolution_note")
	_, err = f.svc.Update(ctx(t), f.agent, tk.ID, tickets.Patch{Status: status(tickets.StatusCancelled)})
	requireField(t, err, "reason")
	_, err = f.svc.Update(ctx(t), f.agent, tk.ID, tickets.Patch{Status: status(tickets.StatusClosed)})
	require.ErrorIs(t, err, workflow.ErrIllegalTransition)
	require.Equal(t, tk, f.stored(t, tk.ID), "refused moves change nothing")

	f.clock.Advance(time.Hour)
	got := f.update(t, f.agent, tk.ID, tickets.Patch{Status: status(tickets.StatusResolved), ResolutionNote: "trocado o toner"})
	require.Equal(t, tickets.StatusResolved, got.Status)
	require.Equal(t, "trocado o toner", got.ResolutionNote)
	require.Equal(t, at.Add(time.Hour), got.ResolvedAt)

	// Reopen within the window.
	f.clock.Advance(24 * time.Hour)
	got = f.update(t, f.req, tk.ID, tickets.Patch{Status: status(tickets.StatusOpen)})
	require.Equal(t, tickets.StatusOpen, got.Status)
	require.Equal(t, 1, got.ReopenCount)
	require.True(t, got.ResolvedAt.IsZero())
	require.Equal(t, []sla.Pause{{From: at.Add(time.Hour), To: at.Add(25 * time.Hour)}}, got.Pauses)
	require.Equal(t, got, f.stored(t, tk.ID))

	// Reopen outside the window is refused.
	got = f.update(t, f.agent, tk.ID, tickets.Patch{Status: status(tickets.StatusResolved), ResolutionNote: "de novo"})
	f.clock.Advance(tickets.DefaultReopenWindow + time.Minute)
	_, err = f.svc.Update(ctx(t), f.req, tk.ID, tickets.Patch{Status: status(tickets.StatusOpen)})
	require.ErrorIs(t, err, workflow.ErrIllegalTransition)
	require.ErrorIs(t, err, tickets.ErrReopenWindowPassed)
	require.Equal(t, got, f.stored(t, tk.ID))
	d, err := f.svc.Get(ctx(t), f.agent, tk.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"close"}, actionNames(d.NextActions))

	// Closed is final.
	got = f.update(t, f.agent, tk.ID, tickets.Patch{Status: status(tickets.StatusClosed)})
	require.Equal(t, f.clock.Now(), got.ClosedAt)
	require.True(t, got.NextSLACheckAt.IsZero(), "closed tickets need no SLA check")
	d, err = f.svc.Get(ctx(t), f.agent, tk.ID)
	require.NoError(t, err)
	require.Empty(t, d.NextActions)
	for _, s := range []tickets.Status{tickets.StatusOpen, tickets.StatusResolved, tickets.StatusCancelled} {
		_, err = f.svc.Update(ctx(t), f.admin, tk.ID, tickets.Patch{Status: status(s), ResolutionNote: "x", Reason: "x"})
		require.ErrorIs(t, err, workflow.ErrIllegalTransition)
	}
	_, err = f.svc.AddComment(ctx(t), f.agent, tk.ID, "depois de fechado", false)
	require.ErrorIs(t, err, storage.ErrConflict)

	// Cancel with a reason.
	other := f.create(t, tickets.CreateInput{Title: "Cancelar"})
	got = f.update(t, f.agent, other.ID, tickets.Patch{Status: status(tickets.StatusCancelled), Reason: "duplicado"})
	require.Equal(t, "duplicado", got.CancelReason)
	_, err = f.svc.Assign(ctx(t), f.admin, other.ID, f.agent.UserID, 0)
	require.ErrorIs(t, err, storage.ErrConflict)
}

func actionNames(as []tickets.NextAction) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

func testTicketsPendingPausesSLA(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	tk := f.create(t, tickets.CreateInput{Title: "Pausa", Priority: sla.PriorityHigh}) // 4h / 24h
	require.Equal(t, at.Add(4*time.Hour), tk.ResponseDueAt)
	require.Equal(t, at.Add(24*time.Hour), tk.ResolutionDueAt)

	f.clock.Advance(time.Hour)
	f.update(t, f.agent, tk.ID, tickets.Patch{Status: ptr(tickets.StatusInProgress)})
	got := f.update(t, f.agent, tk.ID, tickets.Patch{Status: ptr(tickets.StatusPendingCustomer)})
	require.Equal(t, sla.StatePaused, got.SLAState)
	require.True(t, got.NextSLACheckAt.IsZero(), "a paused ticket cannot change on its own")
	page, err := f.svc.List(ctx(t), f.agent, tickets.Filter{SLAState: sla.StatePaused}, storage.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, []int64{tk.ID}, ticketIDs(page.Items))

	f.clock.Advance(3 * time.Hour) // paused: the clocks stand still
	got = f.update(t, f.agent, tk.ID, tickets.Patch{Status: ptr(tickets.StatusPendingThirdParty)})
	f.clock.Advance(2 * time.Hour)
	got = f.update(t, f.agent, tk.ID, tickets.Patch{Status: ptr(tickets.StatusInProgress)})
	require.Equal(t, []sla.Pause{{From: at.Add(time.Hour), To: at.Add(4 * time.Hour)}, {From: at.Add(4 * time.Hour), To: at.Add(6 * time.Hour)}}, got.Pauses)
	require.Equal(t, at.Add(9*time.Hour), got.ResponseDueAt, "due times move later by the paused 5h")
	require.Equal(t, at.Add(29*time.Hour), got.ResolutionDueAt)
	require.Equal(t, sla.StateOnTrack, got.SLAState)
	require.Equal(t, got, f.stored(t, tk.ID))
}

func testTicketsFirstResponse(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	tk := f.create(t, tickets.CreateInput{Title: "Resposta"})
	f.clock.Advance(10 * time.Minute)
	_, err := f.svc.AddComment(ctx(t), f.agent, tk.ID, "nota", true)
	require.NoError(t, err)
	_, err = f.svc.AddComment(ctx(t), f.req, tk.ID, "alguém?", false)
	require.NoError(t, err)
	require.True(t, f.stored(t, tk.ID).FirstResponseAt.IsZero(), "internal notes and requester replies are no first response")

	f.clock.Advance(10 * time.Minute)
	_, err = f.svc.AddComment(ctx(t), f.agent, tk.ID, "estamos vendo", false)
	require.NoError(t, err)
	got := f.stored(t, tk.ID)
	require.Equal(t, at.Add(20*time.Minute), got.FirstResponseAt)
	f.clock.Advance(10 * time.Minute)
	_, err = f.svc.AddComment(ctx(t), f.agent2, tk.ID, "outra", false)
	require.NoError(t, err)
	require.Equal(t, at.Add(20*time.Minute), f.stored(t, tk.ID).FirstResponseAt, "only the first reply counts")
}

func testTicketsStale(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	tk := f.create(t, tickets.CreateInput{Title: "Versão"})
	got := f.update(t, f.agent, tk.ID, tickets.Patch{Title: ptr("Versão 2"), Version: 1})
	require.EqualValues(t, 2, got.Version)
	_, err := f.svc.Update(ctx(t), f.agent, tk.ID, tickets.Patch{Title: ptr("Versão 3"), Version: 1})
	require.ErrorIs(t, err, storage.ErrStale)
	_, err = f.svc.Assign(ctx(t), f.admin, tk.ID, f.agent.UserID, 1)
	require.ErrorIs(t, err, storage.ErrStale)
	require.Equal(t, got, f.stored(t, tk.ID))

	old := got
	got = f.update(t, f.agent, tk.ID, tickets.Patch{Priority: ptr(sla.PriorityLow)})
	err = b.Tickets().InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error { return tx.UpdateTicket(ctx, &old) })
	require.ErrorIs(t, err, storage.ErrStale)
	require.Equal(t, got, f.stored(t, tk.ID))
}

func testTicketsEvents(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	base := len(eventTypes(t, b, f.co.ID))
	tk := f.create(t, tickets.CreateInput{Title: "Eventos"})
	f.update(t, f.agent, tk.ID, tickets.Patch{Title: ptr("Eventos 2")})
	f.update(t, f.agent, tk.ID, tickets.Patch{Title: ptr("Eventos 2")}) // no change, no event
	f.update(t, f.agent, tk.ID, tickets.Patch{Status: ptr(tickets.StatusInProgress)})
	_, err := f.svc.Assign(ctx(t), f.admin, tk.ID, f.agent.UserID, 0)
	require.NoError(t, err)
	_, err = f.svc.AddComment(ctx(t), f.agent, tk.ID, "segredo", true)
	require.NoError(t, err)
	got := f.stored(t, tk.ID)

	// Refused input writes no event and changes nothing.
	for _, p := range []tickets.Patch{
		{Title: ptr("")},
		{Priority: ptr(sla.Priority("urgentíssimo"))},
		{Status: ptr(tickets.StatusResolved)},
		{Status: ptr(tickets.StatusNew)},
		{Tags: &[]string{"a-tag-that-is-much-too-long-to-be-accepted-by-the-service"}},
	} {
		_, err := f.svc.Update(ctx(t), f.agent, tk.ID, p)
		require.Error(t, err)
	}
	_, err = f.svc.AddComment(ctx(t), f.agent, tk.ID, "", false)
	require.Error(t, err)
	_, err = f.svc.Create(ctx(t), f.agent, tickets.CreateInput{Title: "", RequesterContactID: f.req.ContactID})
	require.Error(t, err)
	_, err = f.svc.Create(ctx(t), tenant.Actor{CompanyID: f.co.ID, Role: tenant.RoleViewer}, tickets.CreateInput{Title: "x"})
	require.ErrorIs(t, err, tenant.ErrForbidden)
	require.Equal(t, got, f.stored(t, tk.ID))

	evs := allEvents(t, b, f.co.ID)[base:]
	types := []string{}
	for _, e := range evs {
		types = append(types, e.Type)
		require.Equal(t, "ticket", e.AggregateType)
		require.Equal(t, fmt.Sprint(tk.ID), e.AggregateID)
		require.Equal(t, f.co.ID, e.CompanyID)
	}
	require.Equal(t, []string{"ticket.created", "ticket.updated", "ticket.status_changed", "ticket.assigned", "ticket.commented"}, types)
	require.NotContains(t, string(evs[4].Data), "segredo", "internal notes' bodies stay out of events")
}

func testTicketsCheckSLA(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	tk := f.create(t, tickets.CreateInput{Title: "Crítico", Priority: sla.PriorityCritical}) // 1h / 4h
	calm := other.create(t, tickets.CreateInput{Title: "Baixa", Priority: sla.PriorityLow})  // 48h / 168h
	require.Equal(t, at.Add(48*time.Minute), tk.NextSLACheckAt)

	slaEvents := func() []string {
		var out []string
		for _, e := range allEvents(t, b, f.co.ID) {
			if e.Type == "ticket.sla_at_risk" || e.Type == "ticket.sla_breached" {
				out = append(out, e.Type)
			}
		}
		return out
	}
	check := func(want int) {
		t.Helper()
		n, err := f.svc.CheckSLA(ctx(t))
		require.NoError(t, err)
		require.Equal(t, want, n)
	}
	due := func() []int64 {
		ts, err := b.Tickets().TicketsDueForSLACheck(ctx(t), f.clock.Now(), 10)
		require.NoError(t, err)
		return ticketIDs(ts)
	}

	require.Empty(t, due())
	check(0)
	f.clock.Advance(50 * time.Minute)
	require.Equal(t, []int64{tk.ID}, due())
	check(1)
	check(0)
	require.Equal(t, sla.StateAtRisk, f.stored(t, tk.ID).SLAState)
	require.Equal(t, []string{"ticket.sla_at_risk"}, slaEvents())

	f.clock.Advance(11 * time.Minute) // 61 min: the first response is late
	check(1)
	check(0)
	require.Equal(t, sla.StateBreached, f.stored(t, tk.ID).SLAState)
	f.clock.Advance(2*time.Hour + 15*time.Minute) // 3h16: resolution at risk
	check(1)
	f.clock.Advance(45 * time.Minute) // 4h01: resolution breached
	check(1)
	check(0)
	f.clock.Advance(40 * time.Hour) // 44h01: the other company's ticket is at risk (38h24 of 48h)
	check(1)
	check(0)
	require.Equal(t, []string{"ticket.sla_at_risk", "ticket.sla_breached", "ticket.sla_at_risk", "ticket.sla_breached"}, slaEvents())
	got := f.stored(t, tk.ID)
	require.Equal(t, tickets.FlagResponseAtRisk|tickets.FlagResponseBreached|tickets.FlagResolutionAtRisk|tickets.FlagResolutionBreached, got.SLAFlags)
	require.True(t, got.NextSLACheckAt.IsZero())
	// The other company's events are its own.
	var otherTypes []string
	for _, e := range allEvents(t, b, other.co.ID) {
		if e.AggregateType == "ticket" && e.AggregateID == fmt.Sprint(calm.ID) {
			otherTypes = append(otherTypes, e.Type)
		}
	}
	require.Equal(t, []string{"ticket.created", "ticket.sla_at_risk"}, otherTypes)

	// The order of due checks and the limit.
	ts, err := b.Tickets().TicketsDueForSLACheck(ctx(t), f.clock.Now().Add(1000*time.Hour), 1)
	require.NoError(t, err)
	require.Equal(t, []int64{calm.ID}, ticketIDs(ts))
}

func testTicketsFilters(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	asset := f.asset(t)
	other.create(t, tickets.CreateInput{Title: "Impressora de outra empresa", Category: "Hardware", Tags: []string{"printer"}})
	mk := func(in tickets.CreateInput) tickets.Ticket {
		f.clock.Advance(time.Hour)
		return f.create(t, in)
	}
	t1 := mk(tickets.CreateInput{Title: "Impressora não imprime", Description: "A impressora HP do financeiro parou",
		Priority: sla.PriorityHigh, Category: "Hardware", Channel: tickets.ChannelEmail, Tags: []string{"printer", "urgent"}, AssetID: asset.ID})
	t2 := mk(tickets.CreateInput{Title: "Notebook lento", Description: "Demora para ligar", Category: "Hardware",
		Tags: []string{"notebook"}, RequesterContactID: f.req2.ContactID})
	t3 := mk(tickets.CreateInput{Title: "VPN caiu", Description: "sem acesso remoto", Priority: sla.PriorityCritical,
		Category: "Rede", Channel: tickets.ChannelWhatsApp, Tags: []string{"vpn", "urgent"}})
	t4 := mk(tickets.CreateInput{Title: "Senha expirada", Priority: sla.PriorityLow, Category: "Acesso", Channel: tickets.ChannelAPI,
		RequesterContactID: f.req2.ContactID})
	t5 := mk(tickets.CreateInput{Title: "Impressão em cores", Description: "toner acabando", Category: "Hardware", Tags: []string{"printer"}})
	_, err := f.svc.Assign(ctx(t), f.admin, t2.ID, f.agent.UserID, 0)
	require.NoError(t, err)
	_, err = f.svc.Assign(ctx(t), f.admin, t3.ID, f.agent.UserID, 0)
	require.NoError(t, err)
	f.update(t, f.agent, t4.ID, tickets.Patch{Status: ptr(tickets.StatusInProgress)})
	f.update(t, f.agent, t4.ID, tickets.Patch{Status: ptr(tickets.StatusPendingCustomer)})
	f.update(t, f.agent, t5.ID, tickets.Patch{Status: ptr(tickets.StatusResolved), ResolutionNote: "ok"})

	ids := func(ts ...tickets.Ticket) []int64 { return ticketIDs(ts) }
	for _, c := range []struct {
		name string
		f    tickets.Filter
		want []int64
	}{
		{"all", tickets.Filter{}, ids(t1, t2, t3, t4, t5)},
		{"status", tickets.Filter{Status: tickets.StatusNew}, ids(t1, t2, t3)},
		{"status resolved", tickets.Filter{Status: tickets.StatusResolved}, ids(t5)},
		{"priority", tickets.Filter{Priority: sla.PriorityMedium}, ids(t2, t5)},
		{"assignee", tickets.Filter{AssigneeUserID: f.agent.UserID}, ids(t2, t3)},
		{"unassigned", tickets.Filter{Unassigned: true}, ids(t1, t4, t5)},
		{"requester", tickets.Filter{RequesterContactID: f.req.ContactID}, ids(t1, t3, t5)},
		{"asset", tickets.Filter{AssetID: asset.ID}, ids(t1)},
		{"category", tickets.Filter{Category: "Hardware"}, ids(t1, t2, t5)},
		{"tag", tickets.Filter{Tag: "urgent"}, ids(t1, t3)},
		{"tag is a whole element", tickets.Filter{Tag: "print"}, nil},
		{"channel", tickets.Filter{Channel: tickets.ChannelWeb}, ids(t2, t5)},
		{"sla_state", tickets.Filter{SLAState: sla.StatePaused}, ids(t4)},
		{"created range", tickets.Filter{CreatedFrom: t2.CreatedAt, CreatedTo: t4.CreatedAt}, ids(t2, t3)},
		{"created from", tickets.Filter{CreatedFrom: t4.CreatedAt.Add(-time.Microsecond)}, ids(t4, t5)},
		{"search prefix", tickets.Filter{Search: "IMPR"}, ids(t1, t5)},
		{"search two terms", tickets.Filter{Search: "impressora hp"}, ids(t1)},
		{"search description", tickets.Filter{Search: "toner"}, ids(t5)},
		{"search mid-word", tickets.Filter{Search: "mpress"}, nil},
		{"search punctuation", tickets.Filter{Search: "VPN-caiu!"}, ids(t3)},
		{"search across fields", tickets.Filter{Search: "sem acesso"}, ids(t3)},
		{"search nothing", tickets.Filter{Search: "zzz"}, nil},
		{"search only punctuation", tickets.Filter{Search: "--"}, ids(t1, t2, t3, t4, t5)},
		{"combined", tickets.Filter{Category: "Hardware", Tag: "printer", Search: "impr"}, ids(t1, t5)},
		{"combined none", tickets.Filter{Status: tickets.StatusNew, Channel: tickets.ChannelAPI}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, limit := range []int{2, 50} {
				got := walkTickets(t, b.Tickets(), f.co.ID, c.f, limit)
				require.Equal(t, c.want, nilIfEmpty(ticketIDs(got)), "limit %d", limit)
			}
		})
	}
	// Every sla_state filter agrees with the states read back.
	all := walkTickets(t, b.Tickets(), f.co.ID, tickets.Filter{}, 50)
	for _, st := range []sla.State{sla.StateOnTrack, sla.StateAtRisk, sla.StateBreached, sla.StatePaused, sla.StateMet} {
		var want []int64
		for _, tk := range all {
			if tk.SLAState == st {
				want = append(want, tk.ID)
			}
		}
		require.Equal(t, want, nilIfEmpty(ticketIDs(walkTickets(t, b.Tickets(), f.co.ID, tickets.Filter{SLAState: st}, 2))), st)
	}

	// Newest first, in pages of two, filters applying as ever.
	for _, c := range []struct {
		f    tickets.Filter
		want []int64
	}{
		{tickets.Filter{Sort: tickets.SortNewest}, ids(t5, t4, t3, t2, t1)},
		{tickets.Filter{Sort: tickets.SortNewest, Category: "Hardware"}, ids(t5, t2, t1)},
		{tickets.Filter{Sort: tickets.SortNewest, Search: "zzz"}, nil},
	} {
		var got []int64
		req := storage.PageRequest{Limit: 2}
		for {
			page, err := b.Tickets().ListTickets(ctx(t), f.co.ID, c.f, req)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Items), 2)
			got = append(got, ticketIDs(page.Items)...)
			if page.NextCursor == "" {
				break
			}
			req.Cursor = page.NextCursor
		}
		require.Equal(t, c.want, nilIfEmpty(got), "%+v", c.f)
	}

	// Pages of two.
	p1, err := f.svc.List(ctx(t), f.agent, tickets.Filter{}, storage.PageRequest{Limit: 2})
	require.NoError(t, err)
	require.Equal(t, ids(t1, t2), ticketIDs(p1.Items))
	p2, err := f.svc.List(ctx(t), f.agent, tickets.Filter{}, storage.PageRequest{Limit: 2, Cursor: p1.NextCursor})
	require.NoError(t, err)
	require.Equal(t, ids(t3, t4), ticketIDs(p2.Items))
	p3, err := f.svc.List(ctx(t), f.agent, tickets.Filter{}, storage.PageRequest{Limit: 2, Cursor: p2.NextCursor})
	require.NoError(t, err)
	require.Equal(t, ids(t5), ticketIDs(p3.Items))
	require.Empty(t, p3.NextCursor)
	_, err = f.svc.List(ctx(t), f.agent, tickets.Filter{}, storage.PageRequest{Cursor: "not a cursor"})
	require.ErrorIs(t, err, storage.ErrBadCursor)
	_, err = f.svc.List(ctx(t), f.agent, tickets.Filter{Status: "weird"}, storage.PageRequest{})
	requireField(t, err, "status")

	// Text search follows edits of the title.
	f.update(t, f.agent, t2.ID, tickets.Patch{Title: ptr("Impressora nova")})
	require.Equal(t, ids(t1, t2, t5), ticketIDs(walkTickets(t, b.Tickets(), f.co.ID, tickets.Filter{Search: "impr"}, 2)))
	require.Empty(t, walkTickets(t, b.Tickets(), f.co.ID, tickets.Filter{Search: "notebook"}, 2))
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// testTicketsAnalytics checks every figure of the analytics on a fixed data
// set written straight through the store, in a timezone that changes to
// daylight saving time inside the window (America/New_York, 8 March 2026).
func testTicketsAnalytics(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	d := func(day, hour, minute int) time.Time { return time.Date(2026, 3, day, hour, minute, 0, 0, time.UTC) }
	type row struct {
		created       time.Time
		priority      sla.Priority
		status        tickets.Status
		firstResponse time.Time
		resolved, due time.Time
		slaState      sla.State
		assignee      tenant.UserID
		updated       time.Time
		reopens       int
		company       *tkFixture
	}
	a1, a2 := f.agent.UserID, f.agent2.UserID
	rows := []row{
		// created in the window [6 Mar 05:00Z, 11 Mar 04:00Z)
		{created: d(6, 10, 0), priority: sla.PriorityHigh, status: tickets.StatusResolved, firstResponse: d(6, 10, 30),
			resolved: d(6, 14, 0), due: d(7, 10, 0), slaState: sla.StateMet}, // T1
		{created: d(7, 12, 0), priority: sla.PriorityMedium, status: tickets.StatusClosed, firstResponse: d(7, 13, 0),
			resolved: d(9, 3, 30), due: d(8, 12, 0), slaState: sla.StateBreached}, // T2: late; resolved 8 Mar 23:30 EDT
		{created: d(9, 3, 30), priority: sla.PriorityCritical, status: tickets.StatusOpen, slaState: sla.StateBreached,
			updated: d(9, 3, 30)}, // T3: 8 Mar 23:30 EDT
		{created: d(9, 4, 30), priority: sla.PriorityLow, status: tickets.StatusInProgress, firstResponse: d(9, 6, 30),
			slaState: sla.StateAtRisk, assignee: a1, updated: d(12, 11, 0), reopens: 2}, // T4: 9 Mar 00:30 EDT
		{created: d(10, 20, 0), priority: sla.PriorityMedium, status: tickets.StatusPendingCustomer, firstResponse: d(10, 20, 10),
			slaState: sla.StatePaused, assignee: a1, updated: d(12, 10, 0)}, // T5
		// outside the window
		{created: d(11, 5, 0), priority: sla.PriorityHigh, status: tickets.StatusNew, slaState: sla.StateOnTrack,
			assignee: a2, updated: d(12, 11, 30)}, // T6
		{created: d(1, 10, 0), priority: sla.PriorityMedium, status: tickets.StatusInProgress, slaState: sla.StateOnTrack,
			assignee: a1, updated: d(12, 9, 0)}, // T7
		{created: d(5, 12, 0), priority: sla.PriorityMedium, status: tickets.StatusResolved, firstResponse: d(5, 13, 0),
			resolved: d(7, 12, 0), due: d(8, 12, 0), slaState: sla.StateMet}, // T8: resolved in the window
		// in the window again
		{created: d(10, 10, 0), priority: sla.PriorityMedium, status: tickets.StatusCancelled, slaState: sla.StateOnTrack}, // T9
		{created: d(12, 8, 0), priority: sla.PriorityMedium, status: tickets.StatusNew, slaState: sla.StateOnTrack,
			updated: d(12, 8, 0)}, // T10
		// another company: counts nowhere
		{created: d(7, 12, 0), priority: sla.PriorityCritical, status: tickets.StatusOpen, slaState: sla.StateBreached,
			updated: d(7, 12, 0), reopens: 5, company: &other},
	}
	var ts []tickets.Ticket
	require.NoError(t, b.Tickets().InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error {
		for i, r := range rows {
			co := f
			if r.company != nil {
				co = *r.company
			}
			n, err := tx.NextTicketNumber(ctx, co.co.ID)
			if err != nil {
				return err
			}
			updated := r.updated
			if updated.IsZero() {
				updated = r.created.Add(time.Minute)
			}
			due := r.due
			if due.IsZero() {
				due = r.created.Add(72 * time.Hour)
			}
			assignee := r.assignee
			if r.company != nil {
				assignee = 0
			}
			tk := tickets.Ticket{CompanyID: co.co.ID, Number: n, Title: fmt.Sprintf("T%d", i+1), Priority: r.priority,
				Channel: tickets.ChannelWeb, RequesterContactID: co.req.ContactID, AssigneeUserID: assignee, Status: r.status,
				ReopenCount: r.reopens, SLAState: r.slaState, ResponseDueAt: r.created.Add(8 * time.Hour), ResolutionDueAt: due,
				FirstResponseAt: r.firstResponse, ResolvedAt: r.resolved, CreatedAt: r.created, UpdatedAt: updated}
			if err := tx.InsertTicket(ctx, &tk); err != nil {
				return err
			}
			ts = append(ts, tk)
		}
		return nil
	}))
	T := func(i int) tickets.Ticket { return ts[i-1] }

	q := tickets.AnalyticsQuery{From: d(6, 5, 0), To: d(11, 4, 0), Now: d(12, 12, 0), Location: ny,
		StaleBefore: d(12, 8, 30), AgentCapacity: 2}
	got, err := b.Tickets().Analytics(ctx(t), f.co.ID, q)
	require.NoError(t, err)
	want := tickets.Analytics{
		From: q.From, To: q.To,
		ByStatusPriority: []tickets.Count{
			{Status: tickets.StatusOpen, Priority: "critical", N: 1},
			{Status: tickets.StatusInProgress, Priority: "low", N: 1},
			{Status: tickets.StatusPendingCustomer, Priority: "medium", N: 1},
			{Status: tickets.StatusResolved, Priority: "high", N: 1},
			{Status: tickets.StatusClosed, Priority: "medium", N: 1},
			{Status: tickets.StatusCancelled, Priority: "medium", N: 1},
		},
		PerDay: []tickets.DayCount{
			{Day: "2026-03-06", Created: 1, Resolved: 1},
			{Day: "2026-03-07", Created: 1, Resolved: 1},
			{Day: "2026-03-08", Created: 1, Resolved: 1},
			{Day: "2026-03-09", Created: 1},
			{Day: "2026-03-10", Created: 2},
		},
		FirstResponse: tickets.DurationStats{N: 4, Mean: 55 * time.Minute, P90: 2 * time.Hour},
		Resolution:    tickets.DurationStats{N: 2, Mean: 21*time.Hour + 45*time.Minute, P90: 39*time.Hour + 30*time.Minute},
		SLACompliance: 100 * 2.0 / 3.0,
		Backlog:       []tickets.AgeBucket{{Bucket: "<1d", N: 1}, {Bucket: "1-3d", N: 2}, {Bucket: "3-7d", N: 2}, {Bucket: ">7d", N: 1}},
		Load:          []tickets.AgentLoad{{UserID: a1, Active: 3}, {UserID: a2, Active: 1}},
		Escalations: []tickets.Escalation{
			{TicketID: T(3).ID, Number: T(3).Number, Reason: "sla breached"},
			{TicketID: T(4).ID, Number: T(4).Number, Reason: "sla at risk"},
			{TicketID: T(3).ID, Number: T(3).Number, Reason: "critical and unassigned"},
			{TicketID: T(3).ID, Number: T(3).Number, Reason: "no update since 2026-03-12T08:30:00Z"},
			{TicketID: T(10).ID, Number: T(10).Number, Reason: "no update since 2026-03-12T08:30:00Z"},
			{TicketID: T(4).ID, Number: T(4).Number, Reason: "reopened 2 times"},
			{AgentUserID: a1, Reason: "agent over capacity: 3 active tickets"},
		},
	}
	require.Equal(t, want, got)

	// Odd sizes: the mean to the millisecond, P90 the nearest rank.
	require.NoError(t, b.Tickets().InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error {
		for i, secs := range []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024} {
			n, err := tx.NextTicketNumber(ctx, other.co.ID)
			if err != nil {
				return err
			}
			created := d(20, 0, i)
			tk := tickets.Ticket{CompanyID: other.co.ID, Number: n, Title: "x", Priority: sla.PriorityLow, Channel: tickets.ChannelWeb,
				RequesterContactID: other.req.ContactID, Status: tickets.StatusResolved, SLAState: sla.StateMet,
				FirstResponseAt: created.Add(time.Duration(secs) * time.Second), ResolvedAt: created.Add(time.Duration(secs)*time.Second + 333*time.Microsecond),
				ResolutionDueAt: created.Add(time.Duration(secs) * time.Second), CreatedAt: created, UpdatedAt: created}
			if err := tx.InsertTicket(ctx, &tk); err != nil {
				return err
			}
		}
		return nil
	}))
	odd, err := b.Tickets().Analytics(ctx(t), other.co.ID, tickets.AnalyticsQuery{From: d(20, 0, 0), To: d(21, 0, 0), Now: d(21, 0, 0),
		Location: time.UTC})
	require.NoError(t, err)
	// 2047 s / 11 = 186.0909 s; the 333 µs of the resolutions vanish in the
	// rounding to the millisecond.
	require.Equal(t, tickets.DurationStats{N: 11, Mean: 186091 * time.Millisecond, P90: 512 * time.Second}, odd.FirstResponse)
	require.Equal(t, tickets.DurationStats{N: 11, Mean: 186091 * time.Millisecond, P90: 512 * time.Second}, odd.Resolution)
	require.Equal(t, 0.0, odd.SLACompliance, "resolved after the due time")
	require.Equal(t, []tickets.DayCount{{Day: "2026-03-20", Created: 11, Resolved: 11}}, odd.PerDay)
	T11 := ts[10]
	require.Equal(t, []tickets.Escalation{{TicketID: T11.ID, Number: T11.Number, Reason: "sla breached"},
		{TicketID: T11.ID, Number: T11.Number, Reason: "critical and unassigned"},
		{TicketID: T11.ID, Number: T11.Number, Reason: "reopened 5 times"}}, odd.Escalations)

	// An empty window.
	empty, err := b.Tickets().Analytics(ctx(t), f.co.ID, tickets.AnalyticsQuery{From: d(25, 0, 0), To: d(26, 0, 0), Now: d(1, 0, 0), Location: ny})
	require.NoError(t, err)
	require.Equal(t, tickets.Analytics{From: d(25, 0, 0), To: d(26, 0, 0), ByStatusPriority: []tickets.Count{}, PerDay: []tickets.DayCount{},
		SLACompliance: -1, Backlog: []tickets.AgeBucket{{Bucket: "<1d", N: 6}, {Bucket: "1-3d"}, {Bucket: "3-7d"}, {Bucket: ">7d"}},
		Load: []tickets.AgentLoad{{UserID: a1, Active: 3}, {UserID: a2, Active: 1}},
		Escalations: []tickets.Escalation{{TicketID: T(3).ID, Number: T(3).Number, Reason: "sla breached"},
			{TicketID: T(4).ID, Number: T(4).Number, Reason: "sla at risk"},
			{TicketID: T(3).ID, Number: T(3).Number, Reason: "critical and unassigned"},
			{TicketID: T(4).ID, Number: T(4).Number, Reason: "reopened 2 times"}}}, empty)

	// Through the service: permissions, validation and the same figures.
	_, err = f.svc.Analytics(ctx(t), f.req, q.From, q.To)
	require.ErrorIs(t, err, tenant.ErrForbidden)
	_, err = f.svc.Analytics(ctx(t), f.admin, q.To, q.From)
	requireField(t, err, "to")
	f.clock.Set(q.Now)
	viaService, err := f.svc.Analytics(ctx(t), f.admin, q.From, q.To)
	require.NoError(t, err)
	require.Equal(t, want.ByStatusPriority, viaService.ByStatusPriority)
	require.Equal(t, want.FirstResponse, viaService.FirstResponse)
	require.Equal(t, want.Backlog, viaService.Backlog)
}

// testTicketsSort lists a fixed set of tickets, written straight through
// the store with equal keys and sub-second times, in every order, in pages
// of every size; a ticket inserted between two pages never makes another
// one repeat or go missing.
func testTicketsSort(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return base.Add(time.Duration(n * float64(time.Hour))) }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	type row struct {
		priority sla.Priority
		updated  time.Time
		due      time.Time
		status   tickets.Status
	}
	rows := []row{
		{sla.PriorityHigh, h(1), h(10), tickets.StatusNew},                           // T0
		{sla.PriorityCritical, h(2), time.Time{}, tickets.StatusOpen},                // T1
		{sla.PriorityLow, h(1), h(10), tickets.StatusNew},                            // T2: same update and due as T0
		{sla.PriorityHigh, h(1).Add(ms(500)), h(10).Add(ms(50)), tickets.StatusOpen}, // T3
		{sla.PriorityCritical, h(1).Add(ms(50)), h(5), tickets.StatusNew},            // T4
		{sla.PriorityMedium, h(3), time.Time{}, tickets.StatusResolved},              // T5
		{sla.PriorityHigh, h(1), h(10).Add(ms(500)), tickets.StatusNew},              // T6
		{sla.PriorityLow, h(1).Add(ms(500)), h(5), tickets.StatusNew},                // T7: same update as T3, due as T4
	}
	insert := func(co tkFixture, r row) tickets.Ticket {
		t.Helper()
		var tk tickets.Ticket
		require.NoError(t, b.Tickets().InTx(ctx(t), func(ctx context.Context, tx tickets.Tx) error {
			tk = tickets.Ticket{CompanyID: co.co.ID, Title: "sorted", Priority: r.priority, Channel: tickets.ChannelWeb,
				RequesterContactID: co.req.ContactID, Status: r.status, SLAState: sla.StateOnTrack,
				ResolutionDueAt: r.due, CreatedAt: base, UpdatedAt: r.updated}
			return tx.InsertTicket(ctx, &tk)
		}))
		return tk
	}
	var ts []tickets.Ticket
	for i, r := range rows {
		ts = append(ts, insert(f, r))
		if i%3 == 0 { // another company's tickets, interleaved, sort among them and never show
			insert(other, row{sla.PriorityCritical, h(9), h(0.5), tickets.StatusNew})
		}
	}
	ids := func(idx ...int) []int64 {
		out := make([]int64, len(idx))
		for i, n := range idx {
			out[i] = ts[n].ID
		}
		return out
	}
	list := func(f0 tickets.Filter, limit int, between func()) []int64 {
		t.Helper()
		var got []int64
		req := storage.PageRequest{Limit: limit}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 100, "paging must terminate")
			page, err := b.Tickets().ListTickets(ctx(t), f.co.ID, f0, req)
			require.NoError(t, err)
			for _, tk := range page.Items {
				require.Equal(t, f.co.ID, tk.CompanyID)
				require.NotContains(t, got, tk.ID, "a ticket comes once")
				got = append(got, tk.ID)
			}
			if page.NextCursor == "" {
				return got
			}
			require.Len(t, page.Items, limit, "a page with a next cursor is full")
			if pages == 0 && between != nil {
				between()
			}
			req.Cursor = page.NextCursor
		}
	}
	cases := []struct {
		name string
		f    tickets.Filter
		want []int64
	}{
		{"default", tickets.Filter{}, ids(0, 1, 2, 3, 4, 5, 6, 7)},
		{"oldest", tickets.Filter{Sort: tickets.SortOldest}, ids(0, 1, 2, 3, 4, 5, 6, 7)},
		{"newest", tickets.Filter{Sort: tickets.SortNewest}, ids(7, 6, 5, 4, 3, 2, 1, 0)},
		{"priority", tickets.Filter{Sort: tickets.SortPriority}, ids(1, 4, 0, 3, 6, 5, 2, 7)},
		{"updated", tickets.Filter{Sort: tickets.SortUpdated}, ids(5, 1, 7, 3, 4, 6, 2, 0)},
		{"due", tickets.Filter{Sort: tickets.SortDue}, ids(4, 7, 0, 2, 3, 6, 1, 5)},
		{"priority of one priority", tickets.Filter{Sort: tickets.SortPriority, Priority: sla.PriorityHigh}, ids(0, 3, 6)},
		{"priority of new tickets", tickets.Filter{Sort: tickets.SortPriority, Status: tickets.StatusNew}, ids(4, 0, 6, 2, 7)},
		{"updated of open tickets", tickets.Filter{Sort: tickets.SortUpdated, Status: tickets.StatusOpen}, ids(1, 3)},
		{"due of low tickets", tickets.Filter{Sort: tickets.SortDue, Priority: sla.PriorityLow}, ids(7, 2)},
		{"due of tickets without one", tickets.Filter{Sort: tickets.SortDue, Status: tickets.StatusOpen}, ids(3, 1)},
		{"no match", tickets.Filter{Sort: tickets.SortDue, Search: "zzz"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, limit := range []int{1, 2, 3, 50} {
				require.Equal(t, c.want, nilIfEmpty(list(c.f, limit, nil)), "limit %d", limit)
			}
		})
	}

	// Tickets inserted between the first and the second page, one at the
	// head of every order but the oldest first and one at its tail: the
	// others come once each, in order.
	var added []int64
	for _, c := range cases[:6] {
		t.Run("insert between pages/"+c.name, func(t *testing.T) {
			got := list(c.f, 3, func() {
				front := insert(f, row{sla.PriorityCritical, h(50), h(0.25), tickets.StatusNew})
				back := insert(f, row{sla.PriorityLow, base, time.Time{}, tickets.StatusNew})
				added = append(added, front.ID, back.ID)
			})
			var kept []int64
			for _, id := range got {
				if !slices.Contains(added, id) {
					kept = append(kept, id)
				}
			}
			require.Equal(t, c.want, kept)
		})
	}

	// A cursor resumes only the order that made it.
	page, err := b.Tickets().ListTickets(ctx(t), f.co.ID, tickets.Filter{Sort: tickets.SortPriority}, storage.PageRequest{Limit: 1})
	require.NoError(t, err)
	for _, s := range []tickets.Sort{tickets.SortOldest, tickets.SortNewest, tickets.SortUpdated, tickets.SortDue} {
		_, err := b.Tickets().ListTickets(ctx(t), f.co.ID, tickets.Filter{Sort: s}, storage.PageRequest{Limit: 1, Cursor: page.NextCursor})
		require.ErrorIs(t, err, storage.ErrBadCursor, s)
	}
	_, err = f.svc.List(ctx(t), f.agent, tickets.Filter{Sort: "sideways"}, storage.PageRequest{})
	requireField(t, err, "sort")
}
