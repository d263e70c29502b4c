package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// serviceOrderCases are the service order conformance cases; Run runs them
// with the others.
var serviceOrderCases = []struct {
	name string
	fn   func(t *testing.T, b Backend)
}{
	{"ServiceOrdersStoreRoundTrip", testSOStoreRoundTrip},
	{"ServiceOrdersNumbering", testSONumbering},
	{"ServiceOrdersYearRollsOverAtLocalMidnight", testSOYearRollover},
	{"ServiceOrdersConcurrentCreationsAreGapless", testSOConcurrentNumbers},
	{"ServiceOrdersBadInputWritesNothing", testSOBadInput},
	{"ServiceOrdersFromTickets", testSOFromTickets},
	{"ServiceOrdersWorkflow", testSOWorkflow},
	{"ServiceOrdersActivities", testSOActivities},
	{"ServiceOrdersConcurrentOverlaps", testSOConcurrentOverlaps},
	{"ServiceOrdersConcurrentMovesKeepTotals", testSOConcurrentMoves},
	{"ServiceOrdersParts", testSOParts},
	{"ServiceOrdersTenantIsolation", testSOTenantIsolation},
	{"ServiceOrdersFiltersAndPaging", testSOFilters},
	{"ServiceOrdersAnalytics", testSOAnalytics},
}

// soFixture is a tickets fixture with the service order service on the
// same clock.
type soFixture struct {
	tkFixture
	so *serviceorders.Service
}

func newSOFixture(t *testing.T, b Backend, name string) soFixture {
	t.Helper()
	tk := newTkFixture(t, b, name)
	so, err := serviceorders.NewService(b.ServiceOrders(), tk.svc, tk.inv, serviceorders.WithClock(tk.clock.Now))
	require.NoError(t, err)
	return soFixture{tkFixture: tk, so: so}
}

func (f soFixture) sibling(t *testing.T, name string) soFixture {
	t.Helper()
	return soFixture{tkFixture: f.tkFixture.sibling(t, name), so: f.so}
}

func (f soFixture) order(t *testing.T, in serviceorders.CreateInput) serviceorders.Order {
	t.Helper()
	o, err := f.so.Create(ctx(t), f.agent, in)
	require.NoError(t, err)
	return o
}

// scheduled creates an on-site order with a technician, a window and an APR.
func (f soFixture) scheduled(t *testing.T) serviceorders.Order {
	t.Helper()
	o := f.order(t, serviceorders.CreateInput{Type: serviceorders.TypeCorrective, TechnicianUserID: f.agent.UserID,
		ScheduledStart: at.Add(time.Hour), ScheduledEnd: at.Add(3 * time.Hour), APRNumber: "APR-1", Address: "Rua A, 1"})
	return f.move(t, f.agent, o.ID, serviceorders.StatusScheduled, serviceorders.Patch{})
}

func (f soFixture) move(t *testing.T, actor tenant.Actor, id int64, to serviceorders.Status, p serviceorders.Patch) serviceorders.Order {
	t.Helper()
	p.Status = &to
	d, err := f.so.Update(ctx(t), actor, id, p)
	require.NoError(t, err)
	require.Equal(t, to, d.Order.Status)
	return d.Order
}

func (f soFixture) storedOrder(t *testing.T, id int64) serviceorders.Order {
	t.Helper()
	o, err := f.b.ServiceOrders().ServiceOrderByID(ctx(t), f.co.ID, id)
	require.NoError(t, err)
	return o
}

func orderNumbers(os []serviceorders.Order) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.Number
	}
	return out
}

// walkOrders pages through a list to its end (see walk).
func walkOrders(t *testing.T, q serviceorders.Queries, company tenant.CompanyID, f serviceorders.Filter, limit int) []serviceorders.Order {
	t.Helper()
	return walk(t, limit, func(p storage.PageRequest) (storage.Page[serviceorders.Order], error) {
		return q.ListServiceOrders(ctx(t), company, f, p)
	}, func(o serviceorders.Order) (int64, tenant.CompanyID) { return o.ID, o.CompanyID }, company)
}

// requireSOTransition checks a workflow refusal of the given reason.
func requireSOTransition(t *testing.T, err error, reason workflow.Reason) {
	t.Helper()
	te, ok := errors.AsType[*workflow.TransitionError](err)
	require.True(t, ok, "want a transition error, got %v", err)
	require.Equal(t, reason, te.Reason)
}

// ---- cases ----

func testSOStoreRoundTrip(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	a := f.asset(t)
	tk := f.create(t, tickets.CreateInput{Title: "Impressora"})
	s := b.ServiceOrders()
	o := serviceorders.Order{CompanyID: f.co.ID, Year: 2026, Seq: 1, Number: serviceorders.FormatNumber(f.co.ID, 2026, 1),
		Type: serviceorders.TypeInstallation, Status: serviceorders.StatusCompleted, TicketID: tk.ID, AssetID: a.ID,
		TechnicianUserID: f.agent.UserID, ScheduledStart: at, ScheduledEnd: at.Add(2 * time.Hour), Address: "Av. Paulista, 1000 — 5º andar",
		APRNumber: "APR-2026-7", Description: "Instalação\nde rede", SignOff: serviceorders.SignOff{Name: "João", At: at.Add(3 * time.Hour), Note: "ok"},
		StartedAt: at.Add(time.Minute), CompletedAt: at.Add(time.Hour), CreatedBy: f.agent.UserID, CreatedAt: at, UpdatedAt: at.Add(time.Hour)}
	require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx serviceorders.Tx) error {
		seq, err := tx.NextServiceOrderSeq(ctx, f.co.ID, 2026)
		if err != nil {
			return err
		}
		require.EqualValues(t, 1, seq)
		return tx.InsertServiceOrder(ctx, &o)
	}))
	require.NotZero(t, o.ID)
	require.EqualValues(t, 1, o.Version)
	require.Equal(t, o, f.storedOrder(t, o.ID))

	bare := serviceorders.Order{CompanyID: f.co.ID, Year: 2026, Seq: 2, Number: "OS-x-2", Type: serviceorders.TypeRemote,
		Status: serviceorders.StatusDraft, CreatedAt: at, UpdatedAt: at}
	require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx serviceorders.Tx) error { return tx.InsertServiceOrder(ctx, &bare) }))
	require.Equal(t, bare, f.storedOrder(t, bare.ID))
	dup := bare
	err := s.InTx(ctx(t), func(ctx context.Context, tx serviceorders.Tx) error { return tx.InsertServiceOrder(ctx, &dup) })
	require.ErrorIs(t, err, storage.ErrConflict, "(company, year, seq) is unique")

	up := o
	up.TicketID, up.AssetID, up.TechnicianUserID, up.SignOff = 0, 0, 0, serviceorders.SignOff{}
	up.Status, up.CancelReason, up.CancelledAt = serviceorders.StatusCancelled, "desistiu", at.Add(4*time.Hour)
	require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx serviceorders.Tx) error { return tx.UpdateServiceOrder(ctx, &up) }))
	require.EqualValues(t, 2, up.Version)
	require.Equal(t, up, f.storedOrder(t, o.ID))
	stale := o
	err = s.InTx(ctx(t), func(ctx context.Context, tx serviceorders.Tx) error { return tx.UpdateServiceOrder(ctx, &stale) })
	require.ErrorIs(t, err, storage.ErrStale)
	foreign := up
	foreign.CompanyID = other.co.ID
	err = s.InTx(ctx(t), func(ctx context.Context, tx serviceorders.Tx) error { return tx.UpdateServiceOrder(ctx, &foreign) })
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = s.ServiceOrderByID(ctx(t), other.co.ID, o.ID)
	require.ErrorIs(t, err, storage.ErrNotFound)

	// Activities and parts round trip.
	st, _, err := f.inv.Intake(ctx(t), f.admin, notebooks(2))
	require.NoError(t, err)
	act := serviceorders.Activity{CompanyID: f.co.ID, OrderID: bare.ID, Kind: serviceorders.ActivityKindLabour, Description: "troca",
		TechnicianUserID: f.agent.UserID, StartedAt: at, EndedAt: at.Add(90 * time.Minute), Minutes: 90, Billable: true,
		Month: "2026-07", CreatedBy: f.agent.UserID, CreatedAt: at, UpdatedAt: at}
	note := serviceorders.Activity{CompanyID: f.co.ID, OrderID: bare.ID, Kind: serviceorders.ActivityKindNote, TechnicianUserID: f.agent2.UserID,
		Month: "2026-07", CreatedAt: at, UpdatedAt: at}
	part := serviceorders.Part{CompanyID: f.co.ID, OrderID: bare.ID, StockItemID: st.ID, Name: st.Name, Quantity: 2,
		UnitCostCents: 450_000, CreatedBy: f.agent.UserID, CreatedAt: at}
	require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx serviceorders.Tx) error {
		return errors.Join(tx.InsertActivity(ctx, &act), tx.InsertActivity(ctx, &note), tx.InsertPart(ctx, &part))
	}))
	acts, err := s.ServiceOrderActivities(ctx(t), f.co.ID, bare.ID)
	require.NoError(t, err)
	require.Equal(t, []serviceorders.Activity{act, note}, acts)
	parts, err := s.ServiceOrderParts(ctx(t), f.co.ID, bare.ID)
	require.NoError(t, err)
	require.Equal(t, []serviceorders.Part{part}, parts)
	act.DeletedAt, act.Description = at.Add(time.Hour), "apagada"
	require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx serviceorders.Tx) error { return tx.UpdateActivity(ctx, &act) }))
	require.EqualValues(t, 2, act.Version)
	acts, err = s.ServiceOrderActivities(ctx(t), f.co.ID, bare.ID)
	require.NoError(t, err)
	require.Equal(t, act, acts[0])
	for _, q := range []func() (int, error){
		func() (int, error) {
			a, err := s.ServiceOrderActivities(ctx(t), other.co.ID, bare.ID)
			return len(a), err
		},
		func() (int, error) { p, err := s.ServiceOrderParts(ctx(t), other.co.ID, bare.ID); return len(p), err },
	} {
		n, err := q()
		require.NoError(t, err)
		require.Zero(t, n, "another company's order has no activity or part")
	}
}

func testSONumbering(t *testing.T, b Backend) {
	a := newSOFixture(t, b, "A")
	bf := a.sibling(t, "B")
	var got []string
	for range 3 {
		got = append(got, a.order(t, serviceorders.CreateInput{}).Number)
	}
	got = append(got, bf.order(t, serviceorders.CreateInput{}).Number)
	a.clock.Set(time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC))
	got = append(got, a.order(t, serviceorders.CreateInput{}).Number, bf.order(t, serviceorders.CreateInput{}).Number)
	a.clock.Set(at)
	got = append(got, a.order(t, serviceorders.CreateInput{}).Number) // back in 2026: that year's sequence goes on
	ca, cb := int64(a.co.ID), int64(bf.co.ID)
	require.Equal(t, []string{
		fmt.Sprintf("OS-%d-2026-000001", ca), fmt.Sprintf("OS-%d-2026-000002", ca), fmt.Sprintf("OS-%d-2026-000003", ca),
		fmt.Sprintf("OS-%d-2026-000001", cb), fmt.Sprintf("OS-%d-2027-000001", ca), fmt.Sprintf("OS-%d-2027-000001", cb),
		fmt.Sprintf("OS-%d-2026-000004", ca),
	}, got)
	o := walkOrders(t, b.ServiceOrders(), a.co.ID, serviceorders.Filter{}, 2)[0]
	require.Equal(t, serviceorders.StatusDraft, o.Status)
	require.Equal(t, serviceorders.TypeCorrective, o.Type)
	require.Equal(t, 2026, o.Year)
	require.EqualValues(t, 1, o.Seq)
	require.Equal(t, a.agent.UserID, o.CreatedBy)
	require.Equal(t, at, o.CreatedAt)
	require.EqualValues(t, 1, o.Version)
}

func testSOYearRollover(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme") // America/Sao_Paulo, UTC-3
	sp, err := time.LoadLocation("America/Sao_Paulo")
	require.NoError(t, err)
	require.Equal(t, "America/Sao_Paulo", f.co.Timezone)
	f.clock.Set(time.Date(2026, 12, 31, 23, 59, 59, 0, sp)) // 2027-01-01 02:59:59 UTC
	last := f.order(t, serviceorders.CreateInput{})
	f.clock.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, sp))
	first := f.order(t, serviceorders.CreateInput{})
	require.Equal(t, fmt.Sprintf("OS-%d-2026-000001", f.co.ID), last.Number, "still 2026 in São Paulo")
	require.Equal(t, fmt.Sprintf("OS-%d-2027-000001", f.co.ID), first.Number, "2027 from local midnight")
}

func testSOConcurrentNumbers(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme")
	const n = 100
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seqs []int64
		errs []error
	)
	for i := range n {
		wg.Go(func() {
			o, err := f.so.Create(ctx(t), f.agent, serviceorders.CreateInput{Description: fmt.Sprintf("OS %d", i)})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			seqs = append(seqs, o.Seq)
		})
	}
	wg.Wait()
	require.Empty(t, errs)
	slices.Sort(seqs)
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	require.Equal(t, want, seqs, "numbers 1..100 without gaps or duplicates")
	listed := walkOrders(t, b.ServiceOrders(), f.co.ID, serviceorders.Filter{}, 13)
	require.Len(t, listed, n)
	numbers := orderNumbers(listed)
	slices.Sort(numbers)
	require.Equal(t, fmt.Sprintf("OS-%d-2026-000100", f.co.ID), numbers[n-1])
	require.Len(t, slices.Compact(numbers), n)
	created := 0
	for _, typ := range eventTypes(t, b, f.co.ID) {
		if typ == "service_order.created" {
			created++
		}
	}
	require.Equal(t, n, created, "one service_order.created per order")
}

// testSOBadInput refuses every kind of bad creation with a typed error,
// writing nothing, emitting nothing and consuming no number.
func testSOBadInput(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	foreignAsset := other.asset(t)
	foreignTicket := other.create(t, tickets.CreateInput{Title: "de outra"})
	asset, second := f.asset(t), f.asset(t)
	tk := f.create(t, tickets.CreateInput{Title: "com ativo", AssetID: asset.ID})
	viewer := f.person(t, "viewer", tenant.RoleViewer)
	first := f.order(t, serviceorders.CreateInput{})
	before := eventTypes(t, b, f.co.ID)

	cases := []struct {
		in    serviceorders.CreateInput
		field string
	}{
		{serviceorders.CreateInput{TicketID: foreignTicket.ID}, "ticket_id"},
		{serviceorders.CreateInput{TicketID: 1 << 40}, "ticket_id"},
		{serviceorders.CreateInput{AssetID: foreignAsset.ID}, "asset_id"},
		{serviceorders.CreateInput{TechnicianUserID: other.agent.UserID}, "technician_user_id"},
		{serviceorders.CreateInput{TechnicianUserID: f.req.UserID}, "technician_user_id"},
		{serviceorders.CreateInput{TechnicianUserID: viewer.UserID}, "technician_user_id"},
		{serviceorders.CreateInput{ScheduledStart: at.Add(2 * time.Hour), ScheduledEnd: at.Add(time.Hour)}, "scheduled_end"},
		{serviceorders.CreateInput{ScheduledStart: at}, "scheduled_end"},
		{serviceorders.CreateInput{Type: "magic"}, "type"},
		{serviceorders.CreateInput{Description: strings.Repeat("x", serviceorders.MaxDescriptionLength+1)}, "description"},
	}
	for _, c := range cases {
		_, err := f.so.Create(ctx(t), f.agent, c.in)
		requireField(t, err, c.field)
	}
	// A ticket's asset must match the order's.
	_, err := f.so.Create(ctx(t), f.agent, serviceorders.CreateInput{TicketID: tk.ID, AssetID: second.ID})
	requireField(t, err, "asset_id")
	// Roles: requesters and viewers create nothing.
	for _, actor := range []tenant.Actor{f.req, viewer} {
		_, err = f.so.Create(ctx(t), actor, serviceorders.CreateInput{})
		require.ErrorIs(t, err, tenant.ErrForbidden)
	}
	// A unit of work that allocates a number and then fails gives it back.
	boom := errors.New("boom")
	err = b.ServiceOrders().InTx(ctx(t), func(ctx context.Context, tx serviceorders.Tx) error {
		seq, err := tx.NextServiceOrderSeq(ctx, f.co.ID, 2026)
		require.NoError(t, err)
		require.EqualValues(t, 2, seq)
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, before, eventTypes(t, b, f.co.ID), "failed creations emit nothing")
	next := f.order(t, serviceorders.CreateInput{})
	require.EqualValues(t, 2, next.Seq, "failed creations burn no number")
	require.Equal(t, []int64{first.ID, next.ID}, orderIDs(walkOrders(t, b.ServiceOrders(), f.co.ID, serviceorders.Filter{}, 50)))
}

func orderIDs(os []serviceorders.Order) []int64 {
	out := make([]int64, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

func testSOFromTickets(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	asset := f.asset(t)
	tk := f.create(t, tickets.CreateInput{Title: "Servidor fora", AssetID: asset.ID})

	// CreateFromTicket copies company and asset.
	o, err := f.so.CreateFromTicket(ctx(t), f.agent, tk.ID, serviceorders.CreateInput{Description: "visita"})
	require.NoError(t, err)
	require.Equal(t, tk.ID, o.TicketID)
	require.Equal(t, asset.ID, o.AssetID)
	otherEvents := len(eventTypes(t, b, other.co.ID))
	// Another company's ticket is a missing one: a field error, as in Create.
	_, err = other.so.CreateFromTicket(ctx(t), other.agent, tk.ID, serviceorders.CreateInput{})
	require.ErrorIs(t, err, validation.ErrInvalid)
	require.ErrorContains(t, err, "ticket_id: no ticket")
	_, err = f.so.CreateFromTicket(ctx(t), f.agent, 0, serviceorders.CreateInput{})
	require.ErrorIs(t, err, validation.ErrInvalid)
	require.Len(t, eventTypes(t, b, other.co.ID), otherEvents, "a refused order writes nothing")

	// An asset alone opens the ticket in the same unit of work.
	before := len(eventTypes(t, b, f.co.ID))
	withAsset, err := f.so.Create(ctx(t), f.agent, serviceorders.CreateInput{AssetID: asset.ID, Description: "troca de disco"})
	require.NoError(t, err)
	require.NotZero(t, withAsset.TicketID)
	opened := f.stored(t, withAsset.TicketID)
	require.Equal(t, asset.ID, opened.AssetID)
	require.Equal(t, f.agent.ContactID, opened.RequesterContactID)
	require.Equal(t, []string{"ticket.created", "service_order.created"}, eventTypes(t, b, f.co.ID)[before:])

	// EnsureTicket gives an order without a ticket its ticket, once.
	bare := f.order(t, serviceorders.CreateInput{Description: "sem chamado"})
	require.Zero(t, bare.TicketID)
	_, _, err = f.so.EnsureTicket(ctx(t), f.agent, bare.ID, 0)
	requireField(t, err, "asset_id")
	_, _, err = f.so.EnsureTicket(ctx(t), f.agent, bare.ID, other.asset(t).ID)
	requireField(t, err, "asset_id")
	before = len(eventTypes(t, b, f.co.ID))
	ensured, ticket, err := f.so.EnsureTicket(ctx(t), f.agent, bare.ID, asset.ID)
	require.NoError(t, err)
	require.Equal(t, ticket.ID, ensured.TicketID)
	require.Equal(t, asset.ID, ensured.AssetID)
	require.EqualValues(t, 2, ensured.Version)
	require.Equal(t, ensured, f.storedOrder(t, bare.ID))
	require.Equal(t, []string{"ticket.created", "service_order.updated"}, eventTypes(t, b, f.co.ID)[before:])
	again, same, err := f.so.EnsureTicket(ctx(t), f.agent, bare.ID, 0)
	require.NoError(t, err)
	require.Equal(t, ticket.ID, same.ID)
	require.Equal(t, ensured, again)
	_, _, err = other.so.EnsureTicket(ctx(t), other.agent, bare.ID, 0)
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func testSOWorkflow(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme")
	asset := f.asset(t)
	tk := f.create(t, tickets.CreateInput{Title: "Rede caiu", AssetID: asset.ID})
	o := f.order(t, serviceorders.CreateInput{TicketID: tk.ID})
	d, err := f.so.Get(ctx(t), f.agent, o.ID)
	require.NoError(t, err)
	require.Equal(t, []serviceorders.NextAction{
		{Name: "schedule", Status: serviceorders.StatusScheduled, Required: []string{"technician_user_id", "scheduled_start", "scheduled_end"}},
		{Name: "cancel", Status: serviceorders.StatusCancelled, Required: []string{"reason"}},
	}, d.NextActions)
	start := 0
	mark := func() { start = len(eventTypes(t, b, f.co.ID)) }
	nothingEmitted := func() {
		t.Helper()
		require.Len(t, eventTypes(t, b, f.co.ID), start, "refusals emit nothing")
	}
	mark()
	status := func(s serviceorders.Status) *serviceorders.Status { return &s }

	// Scheduling needs a technician and a window.
	_, err = f.so.Update(ctx(t), f.agent, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusScheduled)})
	requireField(t, err, "technician_user_id")
	requireField(t, err, "scheduled_start")
	// Forbidden moves.
	_, err = f.so.Update(ctx(t), f.agent, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusCompleted)})
	requireSOTransition(t, err, workflow.ReasonNotDeclared)
	_, err = f.so.Update(ctx(t), f.req, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusCancelled), Reason: "x"})
	require.ErrorIs(t, err, tenant.ErrForbidden)
	nothingEmitted()
	require.Equal(t, o, f.storedOrder(t, o.ID))

	// One call names the technician, the window and schedules.
	tech, from, to := f.agent.UserID, at.Add(time.Hour), at.Add(3*time.Hour)
	d, err = f.so.Update(ctx(t), f.agent, o.ID, serviceorders.Patch{TechnicianUserID: &tech, ScheduledStart: &from, ScheduledEnd: &to,
		Status: status(serviceorders.StatusScheduled), Version: o.Version})
	require.NoError(t, err)
	o = d.Order
	require.Equal(t, serviceorders.StatusScheduled, o.Status)
	require.EqualValues(t, 2, o.Version)
	require.Equal(t, []string{"service_order.updated", "service_order.status_changed", "service_order.scheduled"}, eventTypes(t, b, f.co.ID)[start:])

	// Stale version.
	mark()
	_, err = f.so.Update(ctx(t), f.agent, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusInProgress), Version: 1})
	require.ErrorIs(t, err, storage.ErrStale)
	// An on-site start needs the APR.
	_, err = f.so.Update(ctx(t), f.agent, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusInProgress)})
	requireField(t, err, "apr_number")
	nothingEmitted()
	// A remote order starts without one.
	remote := f.order(t, serviceorders.CreateInput{Type: serviceorders.TypeRemote, TechnicianUserID: tech, ScheduledStart: from, ScheduledEnd: to})
	f.move(t, f.agent, remote.ID, serviceorders.StatusScheduled, serviceorders.Patch{})
	f.move(t, f.agent, remote.ID, serviceorders.StatusInProgress, serviceorders.Patch{})

	apr := "APR-2026-001"
	f.clock.Advance(time.Hour)
	o = f.move(t, f.agent, o.ID, serviceorders.StatusInProgress, serviceorders.Patch{APRNumber: &apr})
	require.Equal(t, f.clock.Now(), o.StartedAt)
	o = f.move(t, f.agent, o.ID, serviceorders.StatusOnHold, serviceorders.Patch{})
	o = f.move(t, f.agent, o.ID, serviceorders.StatusInProgress, serviceorders.Patch{})

	// Completing needs an activity.
	mark()
	_, err = f.so.Update(ctx(t), f.agent, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusCompleted)})
	requireField(t, err, "activities")
	nothingEmitted()
	_, err = f.so.AddActivity(ctx(t), f.agent, o.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, Minutes: 45, Billable: true})
	require.NoError(t, err)
	f.clock.Advance(30 * time.Minute)
	mark()
	o = f.move(t, f.agent, o.ID, serviceorders.StatusCompleted, serviceorders.Patch{ResolveTicket: true, ResolutionNote: "cabo trocado"})
	require.Equal(t, f.clock.Now(), o.CompletedAt)
	require.Equal(t, []string{"service_order.status_changed", "service_order.completed", "ticket.status_changed"}, eventTypes(t, b, f.co.ID)[start:])
	resolved := f.stored(t, tk.ID)
	require.Equal(t, tickets.StatusResolved, resolved.Status)
	require.Equal(t, "cabo trocado", resolved.ResolutionNote)
	// Completed orders take no more work.
	_, err = f.so.AddActivity(ctx(t), f.agent, o.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindNote})
	require.ErrorIs(t, err, storage.ErrConflict)

	// Approving needs the customer's sign-off.
	_, err = f.so.Update(ctx(t), f.agent, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusApproved)})
	requireField(t, err, "sign_off_name")
	o = f.move(t, f.agent, o.ID, serviceorders.StatusApproved, serviceorders.Patch{SignOff: &serviceorders.SignOff{Name: "Maria Cliente", Note: "tudo certo"}})
	require.Equal(t, serviceorders.SignOff{Name: "Maria Cliente", At: f.clock.Now(), Note: "tudo certo"}, o.SignOff)
	// Invoicing is admin-only; approved orders are no longer edited.
	_, err = f.so.Update(ctx(t), f.agent, o.ID, serviceorders.Patch{Status: status(serviceorders.StatusInvoiced)})
	requireSOTransition(t, err, workflow.ReasonRole)
	require.ErrorIs(t, err, tenant.ErrForbidden)
	_, err = f.so.Update(ctx(t), f.agent, o.ID, serviceorders.Patch{Description: &apr})
	require.ErrorIs(t, err, storage.ErrConflict)
	d, err = f.so.Get(ctx(t), f.admin, o.ID)
	require.NoError(t, err)
	require.Equal(t, []serviceorders.NextAction{{Name: "invoice", Status: serviceorders.StatusInvoiced}}, d.NextActions)
	o = f.move(t, f.admin, o.ID, serviceorders.StatusInvoiced, serviceorders.Patch{})
	require.True(t, f.so.Machine().Final(serviceorders.StatusInvoiced))

	// Cancelling needs a reason.
	c := f.order(t, serviceorders.CreateInput{})
	_, err = f.so.Update(ctx(t), f.agent, c.ID, serviceorders.Patch{Status: status(serviceorders.StatusCancelled)})
	requireField(t, err, "reason")
	c = f.move(t, f.agent, c.ID, serviceorders.StatusCancelled, serviceorders.Patch{Reason: "cliente desistiu"})
	require.Equal(t, "cliente desistiu", c.CancelReason)
	require.Equal(t, f.clock.Now(), c.CancelledAt)
	require.Equal(t, c, f.storedOrder(t, c.ID))
}

func testSOActivities(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme")
	o := f.scheduled(t)
	o2 := f.scheduled(t)
	add := func(order int64, in serviceorders.ActivityInput) (serviceorders.Activity, error) {
		return f.so.AddActivity(ctx(t), f.agent, order, in)
	}
	h := func(n int) time.Time { return at.Add(time.Duration(n) * time.Hour) }
	labour, err := add(o.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, Description: "diagnóstico",
		StartedAt: h(1), EndedAt: h(1).Add(90 * time.Minute), Billable: true})
	require.NoError(t, err)
	require.Equal(t, 90, labour.Minutes)
	require.Equal(t, f.agent.UserID, labour.TechnicianUserID, "the order's technician by default")
	require.Equal(t, "2026-07", labour.Month)
	travel, err := add(o.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindTravel, Minutes: 30})
	require.NoError(t, err)
	before := eventTypes(t, b, f.co.ID)

	// Bad entries: typed errors, nothing written.
	bad := []struct {
		in    serviceorders.ActivityInput
		field string
	}{
		{serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, Minutes: -5}, "minutes"},
		{serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, StartedAt: h(5), EndedAt: h(4)}, "ended_at"},
		{serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, StartedAt: h(5)}, "ended_at"},
		{serviceorders.ActivityInput{Kind: "sleep", Minutes: 5}, "kind"},
		{serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, Minutes: 5, TechnicianUserID: f.req.UserID}, "technician_user_id"},
	}
	for _, c := range bad {
		_, err := add(o.ID, c.in)
		requireField(t, err, c.field)
	}
	// Overlapping entries of one technician are refused, on any order.
	for _, iv := range [][2]time.Time{{h(1).Add(30 * time.Minute), h(2)}, {h(0), h(1).Add(time.Minute)}, {h(0), h(3)}} {
		_, err := add(o2.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, StartedAt: iv[0], EndedAt: iv[1]})
		require.ErrorIs(t, err, serviceorders.ErrOverlap)
		require.ErrorIs(t, err, storage.ErrConflict)
	}
	require.Equal(t, before, eventTypes(t, b, f.co.ID), "refused entries emit nothing")
	// Adjacent entries and other technicians are fine.
	adjacent, err := add(o2.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, StartedAt: h(1).Add(90 * time.Minute), EndedAt: h(3)})
	require.NoError(t, err)
	_, err = add(o2.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, StartedAt: h(1), EndedAt: h(2), TechnicianUserID: f.agent2.UserID})
	require.NoError(t, err)

	d, err := f.so.Get(ctx(t), f.agent, o.ID)
	require.NoError(t, err)
	require.Equal(t, []serviceorders.Activity{labour, travel}, d.Activities)
	require.Equal(t, serviceorders.Totals{BillableMinutes: 90, NonBillableMinutes: 30}, d.Totals)

	// Edits and deletions are audited by events and keep the entry.
	start := len(eventTypes(t, b, f.co.ID))
	_, err = f.so.UpdateActivity(ctx(t), f.agent, o.ID, travel.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindTravel, Minutes: 40}, 99)
	require.ErrorIs(t, err, storage.ErrStale)
	_, err = f.so.UpdateActivity(ctx(t), f.agent, o.ID, travel.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour,
		StartedAt: h(2), EndedAt: h(4)}, travel.Version)
	require.ErrorIs(t, err, serviceorders.ErrOverlap, "an edit is checked for overlaps too")
	edited, err := f.so.UpdateActivity(ctx(t), f.agent, o.ID, travel.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindTravel,
		Minutes: 40, Billable: true}, travel.Version)
	require.NoError(t, err)
	require.EqualValues(t, 2, edited.Version)
	deleted, err := f.so.DeleteActivity(ctx(t), f.agent, o.ID, labour.ID, 0)
	require.NoError(t, err)
	require.False(t, deleted.DeletedAt.IsZero())
	_, err = f.so.DeleteActivity(ctx(t), f.agent, o.ID, labour.ID, 0)
	require.ErrorIs(t, err, storage.ErrNotFound, "deleted once")
	require.Equal(t, []string{"service_order.activity_updated", "service_order.activity_deleted"}, eventTypes(t, b, f.co.ID)[start:])
	evs := allEvents(t, b, f.co.ID)
	var audited struct {
		Minutes int `json:"minutes"`
		Before  struct {
			Minutes int `json:"minutes"`
		} `json:"before"`
	}
	require.NoError(t, json.Unmarshal(evs[len(evs)-2].Data, &audited))
	require.Equal(t, 40, audited.Minutes)
	require.Equal(t, 30, audited.Before.Minutes, "the edit event carries the entry before")
	d, err = f.so.Get(ctx(t), f.agent, o.ID)
	require.NoError(t, err)
	require.Equal(t, []serviceorders.Activity{edited}, d.Activities)
	require.Equal(t, serviceorders.Totals{BillableMinutes: 40}, d.Totals)
	stored, err := b.ServiceOrders().ServiceOrderActivities(ctx(t), f.co.ID, o.ID)
	require.NoError(t, err)
	require.Len(t, stored, 2, "the deleted entry is kept")
	// Its interval is free again.
	_, err = add(o2.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, StartedAt: h(1), EndedAt: h(1).Add(30 * time.Minute)})
	require.NoError(t, err)
	_ = adjacent
}

// testSOConcurrentOverlaps logs the same interval for one technician from
// many goroutines: exactly one entry is accepted.
func testSOConcurrentOverlaps(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme")
	orders := []serviceorders.Order{f.scheduled(t), f.scheduled(t)}
	const n = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, errs int
	)
	for i := range n {
		wg.Go(func() {
			_, err := f.so.AddActivity(ctx(t), f.agent, orders[i%2].ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour,
				StartedAt: at.Add(time.Duration(i) * time.Minute), EndedAt: at.Add(time.Hour)})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if errors.Is(err, serviceorders.ErrOverlap) {
				errs++
			} else {
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, ok)
	require.Equal(t, n-1, errs)
}

// testSOConcurrentMoves moves orders created on one day between the same
// statuses in both directions at once: no unit of work fails (no deadlock
// on the daily totals), and the analytics agree with the orders.
func testSOConcurrentMoves(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme")
	const n, rounds = 8, 4
	orders := make([]serviceorders.Order, n)
	for i := range orders {
		orders[i] = f.scheduled(t)
		if i%2 == 1 {
			orders[i] = f.move(t, f.agent, orders[i].ID, serviceorders.StatusDraft, serviceorders.Patch{})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, n*rounds)
	for i := range orders {
		wg.Go(func() {
			st := orders[i].Status
			for range rounds {
				next := serviceorders.StatusDraft
				if st == serviceorders.StatusDraft {
					next = serviceorders.StatusScheduled
				}
				d, err := f.so.Update(ctx(t), f.agent, orders[i].ID, serviceorders.Patch{Status: &next})
				if err != nil {
					errs <- err
					return
				}
				st = d.Order.Status
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	a, err := f.so.Analytics(ctx(t), f.admin, at.Add(-48*time.Hour), at.Add(48*time.Hour))
	require.NoError(t, err)
	require.Equal(t, []serviceorders.StatusCount{{Status: serviceorders.StatusDraft, N: n / 2}, {Status: serviceorders.StatusScheduled, N: n / 2}},
		a.ByStatus, "rounds are even: every order is back where it started")
}

func testSOParts(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	in := notebooks(3)
	in.Name, in.UnitCostCents = "SSD 1TB", 65_000
	st, _, err := f.inv.Intake(ctx(t), f.admin, in)
	require.NoError(t, err)
	foreign, _, err := other.inv.Intake(ctx(t), other.admin, in)
	require.NoError(t, err)
	o := f.scheduled(t)
	p, err := f.so.AddPart(ctx(t), f.agent, o.ID, st.ID, 2)
	require.NoError(t, err)
	require.Equal(t, serviceorders.Part{ID: p.ID, CompanyID: f.co.ID, OrderID: o.ID, StockItemID: st.ID, Name: "SSD 1TB", Quantity: 2,
		UnitCostCents: 65_000, CreatedBy: f.agent.UserID, CreatedAt: at}, p)
	got, err := f.inv.GetStockItem(ctx(t), f.agent, st.ID)
	require.NoError(t, err)
	require.Equal(t, 1, got.Available)
	before := eventTypes(t, b, f.co.ID)
	require.Equal(t, []string{"inventory.stock_consumed", "service_order.part_added"}, before[len(before)-2:])

	_, err = f.so.AddPart(ctx(t), f.agent, o.ID, st.ID, 2)
	require.ErrorIs(t, err, inventory.ErrInsufficientStock)
	require.ErrorIs(t, err, storage.ErrConflict)
	_, err = f.so.AddPart(ctx(t), f.agent, o.ID, foreign.ID, 1)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = f.so.AddPart(ctx(t), f.agent, o.ID, st.ID, 0)
	requireField(t, err, "quantity")
	_, err = f.so.AddPart(ctx(t), f.req, o.ID, st.ID, 1)
	require.ErrorIs(t, err, tenant.ErrForbidden)
	require.Equal(t, before, eventTypes(t, b, f.co.ID), "refusals emit nothing")
	got, err = f.inv.GetStockItem(ctx(t), f.agent, st.ID)
	require.NoError(t, err)
	require.Equal(t, 1, got.Available, "refusals consume nothing")
	d, err := f.so.Get(ctx(t), f.agent, o.ID)
	require.NoError(t, err)
	require.Equal(t, []serviceorders.Part{p}, d.Parts)
	require.EqualValues(t, 130_000, d.Totals.PartsCostCents)
	// A cancelled order takes no parts.
	f.move(t, f.agent, o.ID, serviceorders.StatusCancelled, serviceorders.Patch{Reason: "x"})
	_, err = f.so.AddPart(ctx(t), f.agent, o.ID, st.ID, 1)
	require.ErrorIs(t, err, storage.ErrConflict)
}

func testSOTenantIsolation(t *testing.T, b Backend) {
	a := newSOFixture(t, b, "A")
	bf := a.sibling(t, "B")
	o := a.scheduled(t)
	_, err := a.so.AddActivity(ctx(t), a.agent, o.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindNote})
	require.NoError(t, err)
	st, _, err := bf.inv.Intake(ctx(t), bf.admin, notebooks(1))
	require.NoError(t, err)
	before := eventTypes(t, b, a.co.ID)
	for _, actor := range []tenant.Actor{bf.admin, bf.agent} {
		_, err := bf.so.Get(ctx(t), actor, o.ID)
		require.ErrorIs(t, err, storage.ErrNotFound)
		_, err = bf.so.Update(ctx(t), actor, o.ID, serviceorders.Patch{Status: ptr(serviceorders.StatusCancelled), Reason: "x"})
		require.ErrorIs(t, err, storage.ErrNotFound)
		_, err = bf.so.AddActivity(ctx(t), actor, o.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindNote})
		require.ErrorIs(t, err, storage.ErrNotFound)
		_, err = bf.so.AddPart(ctx(t), actor, o.ID, st.ID, 1)
		require.ErrorIs(t, err, storage.ErrNotFound)
		page, err := bf.so.List(ctx(t), actor, serviceorders.Filter{}, storage.PageRequest{})
		require.NoError(t, err)
		require.Empty(t, page.Items)
	}
	require.Equal(t, before, eventTypes(t, b, a.co.ID))
	stock, err := bf.inv.GetStockItem(ctx(t), bf.admin, st.ID)
	require.NoError(t, err)
	require.Equal(t, 1, stock.Available)
}

func testSOFilters(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme")
	asset := f.asset(t)
	tk := f.create(t, tickets.CreateInput{Title: "x", AssetID: asset.ID})
	mk := func(in serviceorders.CreateInput) serviceorders.Order { return f.order(t, in) }
	o1 := mk(serviceorders.CreateInput{Type: serviceorders.TypePreventive, Description: "Manutenção preventiva do nobreak",
		TechnicianUserID: f.agent.UserID, ScheduledStart: at.Add(24 * time.Hour), ScheduledEnd: at.Add(26 * time.Hour), APRNumber: "APR-77"})
	o2 := mk(serviceorders.CreateInput{TicketID: tk.ID, Description: "Troca de switch", Address: "Rua das Flores, 12",
		TechnicianUserID: f.agent2.UserID, ScheduledStart: at.Add(48 * time.Hour), ScheduledEnd: at.Add(50 * time.Hour)})
	o3 := mk(serviceorders.CreateInput{Type: serviceorders.TypeRemote, Description: "Acesso remoto ao servidor"})
	f.move(t, f.agent, o1.ID, serviceorders.StatusScheduled, serviceorders.Patch{})
	for range 7 {
		mk(serviceorders.CreateInput{Description: "filler"})
	}
	ids := func(fl serviceorders.Filter) []int64 {
		return orderIDs(walkOrders(t, b.ServiceOrders(), f.co.ID, fl, 2))
	}
	require.Equal(t, []int64{o1.ID}, ids(serviceorders.Filter{Status: serviceorders.StatusScheduled}))
	require.Equal(t, []int64{o1.ID}, ids(serviceorders.Filter{Type: serviceorders.TypePreventive}))
	require.Equal(t, []int64{o3.ID}, ids(serviceorders.Filter{Type: serviceorders.TypeRemote}))
	require.Equal(t, []int64{o2.ID}, ids(serviceorders.Filter{TechnicianUserID: f.agent2.UserID}))
	require.Equal(t, []int64{o2.ID}, ids(serviceorders.Filter{TicketID: tk.ID}))
	require.Equal(t, []int64{o2.ID}, ids(serviceorders.Filter{AssetID: asset.ID}))
	require.Equal(t, []int64{o1.ID}, ids(serviceorders.Filter{APRNumber: "APR-77"}))
	require.Equal(t, []int64{o1.ID, o2.ID}, ids(serviceorders.Filter{ScheduledFrom: at}))
	require.Equal(t, []int64{o2.ID}, ids(serviceorders.Filter{ScheduledFrom: at.Add(25 * time.Hour), ScheduledTo: at.Add(49 * time.Hour)}))
	require.Equal(t, []int64{o1.ID}, ids(serviceorders.Filter{Search: "NOBREAK preventiva"}))
	require.Equal(t, []int64{o2.ID}, ids(serviceorders.Filter{Search: "flores"}))
	require.Equal(t, []int64{o3.ID}, ids(serviceorders.Filter{Search: o3.Number}))
	require.Empty(t, ids(serviceorders.Filter{Search: "nobreak switch"}))
	require.Equal(t, []int64{o1.ID}, ids(serviceorders.Filter{Search: "nob apr-77"}), "word prefixes")
	require.Empty(t, ids(serviceorders.Filter{Search: "break"}), "words match from their start")
	require.Len(t, ids(serviceorders.Filter{}), 10)
	_, err := f.so.List(ctx(t), f.agent, serviceorders.Filter{Status: "nope"}, storage.PageRequest{})
	requireField(t, err, "status")
	page, err := f.so.List(ctx(t), f.agent, serviceorders.Filter{Search: "filler"}, storage.PageRequest{Limit: 5})
	require.NoError(t, err)
	require.Len(t, page.Items, 5)
	require.NotEmpty(t, page.NextCursor)
}

func testSOAnalytics(t *testing.T, b Backend) {
	f := newSOFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	other.scheduled(t)
	h := func(n int) time.Time { return at.Add(time.Duration(n) * time.Hour) }
	// o1: completed on time; o2: completed late; o3: cancelled; o4: draft.
	o1, o2 := f.scheduled(t), f.scheduled(t)
	o3, o4 := f.order(t, serviceorders.CreateInput{}), f.order(t, serviceorders.CreateInput{})
	_ = o4
	_, err := f.so.AddActivity(ctx(t), f.agent, o1.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour,
		StartedAt: h(1), EndedAt: h(2), Billable: true})
	require.NoError(t, err)
	_, err = f.so.AddActivity(ctx(t), f.agent2, o1.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindTravel, Minutes: 30,
		TechnicianUserID: f.agent2.UserID})
	require.NoError(t, err)
	_, err = f.so.AddActivity(ctx(t), f.agent, o2.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour,
		StartedAt: h(-30 * 24), EndedAt: h(-30 * 24).Add(20 * time.Minute), Billable: true}) // June
	require.NoError(t, err)
	deleted, err := f.so.AddActivity(ctx(t), f.agent, o2.ID, serviceorders.ActivityInput{Kind: serviceorders.ActivityKindLabour, Minutes: 500, Billable: true})
	require.NoError(t, err)
	_, err = f.so.DeleteActivity(ctx(t), f.agent, o2.ID, deleted.ID, 0)
	require.NoError(t, err)
	f.move(t, f.agent, o3.ID, serviceorders.StatusCancelled, serviceorders.Patch{Reason: "x"})
	for _, o := range []serviceorders.Order{o1, o2} {
		f.move(t, f.agent, o.ID, serviceorders.StatusInProgress, serviceorders.Patch{})
	}
	f.clock.Set(h(2)) // o1 completes an hour after its scheduled start, within its window
	f.move(t, f.agent, o1.ID, serviceorders.StatusCompleted, serviceorders.Patch{})
	f.clock.Set(h(5)) // o2 four hours after, past its window's end
	f.move(t, f.agent, o2.ID, serviceorders.StatusCompleted, serviceorders.Patch{})

	a, err := f.so.Analytics(ctx(t), f.admin, at.Add(-40*24*time.Hour), h(24))
	require.NoError(t, err)
	require.Equal(t, 4, a.Total)
	require.Equal(t, []serviceorders.StatusCount{{Status: serviceorders.StatusDraft, N: 1}, {Status: serviceorders.StatusCompleted, N: 2},
		{Status: serviceorders.StatusCancelled, N: 1}}, a.ByStatus)
	require.InDelta(t, 100*2.0/3, a.CompletionRate, 1e-9)
	require.Equal(t, 2, a.CompletedWithSchedule)
	require.Equal(t, (150 * time.Minute), a.ScheduledToCompleted, "mean of 1h and 4h from the scheduled start")
	require.InDelta(t, 50, a.OnTimeRate, 1e-9)
	require.Equal(t, serviceorders.Hours{BillableMinutes: 80, NonBillableMinutes: 30}, a.Hours)
	require.Equal(t, []serviceorders.TechnicianHours{
		{UserID: f.agent.UserID, Hours: serviceorders.Hours{BillableMinutes: 80}},
		{UserID: f.agent2.UserID, Hours: serviceorders.Hours{NonBillableMinutes: 30}},
	}, a.ByTechnician)
	require.Equal(t, []serviceorders.MonthHours{{Month: "2026-06", Hours: serviceorders.Hours{BillableMinutes: 20}},
		{Month: "2026-07", Hours: serviceorders.Hours{BillableMinutes: 60, NonBillableMinutes: 30}}}, a.ByMonth)

	// Windows cut anywhere in a day count the same orders.
	for _, w := range [][2]time.Time{{at.Add(-time.Minute), at.Add(time.Minute)}, {at.Add(-36 * time.Hour), at.Add(time.Minute)},
		{at.Add(-time.Minute), at.Add(50 * time.Hour)}, {at.Truncate(24 * time.Hour), at.Truncate(24 * time.Hour).Add(24 * time.Hour)}} {
		cut, err := f.so.Analytics(ctx(t), f.admin, w[0], w[1])
		require.NoError(t, err)
		require.Equal(t, a.ByStatus, cut.ByStatus, "window %v", w)
		require.Equal(t, a.ScheduledToCompleted, cut.ScheduledToCompleted, "window %v", w)
		require.Equal(t, a.OnTimeRate, cut.OnTimeRate, "window %v", w)
	}
	cut, err := f.so.Analytics(ctx(t), f.admin, at.Add(time.Minute), h(24))
	require.NoError(t, err)
	require.Zero(t, cut.Total, "created before the window")

	empty, err := f.so.Analytics(ctx(t), f.admin, h(1000), h(2000))
	require.NoError(t, err)
	require.Zero(t, empty.Total)
	require.EqualValues(t, -1, empty.CompletionRate)
	require.EqualValues(t, -1, empty.OnTimeRate)
	require.Equal(t, []serviceorders.StatusCount{}, empty.ByStatus)
	_, err = f.so.Analytics(ctx(t), f.admin, h(2), h(1))
	requireField(t, err, "to")

	lines, err := f.so.BillableHours(ctx(t), f.admin, "2026-07")
	require.NoError(t, err)
	require.Equal(t, []serviceorders.BillableLine{{OrderID: o1.ID, Number: o1.Number, TechnicianUserID: f.agent.UserID, BillableMinutes: 60}}, lines)
	csv, err := f.so.BillableHoursCSV(ctx(t), f.admin, "2026-06")
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("company_id,month,service_order,ticket_id,technician_user_id,billable_minutes,billable_hours\n"+
		"%[1]d,2026-06,%[2]s,,%[3]d,20,0.33\n%[1]d,2026-06,total,,,20,0.33\n", f.co.ID, o2.Number, f.agent.UserID), string(csv))
	_, err = f.so.BillableHours(ctx(t), f.admin, "2026-13")
	requireField(t, err, "month")
	_, err = f.so.Analytics(ctx(t), f.req, time.Time{}, time.Time{})
	require.ErrorIs(t, err, tenant.ErrForbidden)
}
