package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// DefaultReopenWindow is how long after resolution a ticket may be
// reopened.
const DefaultReopenWindow = 7 * 24 * time.Hour

// SLAConfig returns the business calendar and the policy of a company.
type SLAConfig func(c directory.Company) (sla.Calendar, sla.Policy)

// DefaultSLAConfig returns the SLA configuration every company gets unless
// configured: its timezone, Monday to Friday 08:00–18:00, Brazil's national
// holidays from 2000 to 2100, and sla.DefaultPolicy (first response / resolution:
// critical 1h / 4h, high 4h / 24h, medium 8h / 72h, low 48h / 168h).
// Calendars are built once per timezone and shared.
func DefaultSLAConfig() SLAConfig {
	holidays := sla.BrazilHolidaysBetween(2000, 2100)
	hours := sla.Weekdays(sla.Interval{Start: sla.At(8, 0), End: sla.At(18, 0)})
	var calendars sync.Map // timezone name → sla.Calendar
	return func(c directory.Company) (sla.Calendar, sla.Policy) {
		if cal, ok := calendars.Load(c.Timezone); ok {
			return cal.(sla.Calendar), sla.DefaultPolicy()
		}
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			loc = time.UTC
		}
		cal, err := sla.NewCalendar(loc, hours, holidays...)
		if err != nil {
			cal = sla.AlwaysOpen()
		}
		calendars.Store(c.Timezone, cal)
		return cal, sla.DefaultPolicy()
	}
}

// Service manages tickets for an actor. It is safe for concurrent use.
type Service struct {
	store        Store
	now          func() time.Time
	machine      *workflow.Machine[Status]
	slaConfig    SLAConfig
	reopenWindow time.Duration
	// staleHours and capacity feed the escalation recommendations.
	staleHours time.Duration
	capacity   int
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithSLAConfig sets how a company's calendar and policy are found
// (default DefaultSLAConfig()).
func WithSLAConfig(f SLAConfig) Option { return func(s *Service) { s.slaConfig = f } }

// WithReopenWindow sets how long a resolved ticket may be reopened.
func WithReopenWindow(d time.Duration) Option { return func(s *Service) { s.reopenWindow = d } }

// WithEscalation sets the escalation thresholds: business hours without an
// update (default 8) and active tickets per agent (default 20).
func WithEscalation(staleBusinessHours time.Duration, agentCapacity int) Option {
	return func(s *Service) { s.staleHours, s.capacity = staleBusinessHours, agentCapacity }
}

// NewService returns a ticket service over store.
func NewService(store Store, opts ...Option) (*Service, error) {
	m, err := newMachine()
	if err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	s := &Service{store: store, now: time.Now, machine: m, slaConfig: DefaultSLAConfig(),
		reopenWindow: DefaultReopenWindow, staleHours: 8 * time.Hour, capacity: 20}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Machine returns the ticket lifecycle.
func (s *Service) Machine() *workflow.Machine[Status] { return s.machine }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func emit(ctx context.Context, tx Tx, actor tenant.Actor, typ string, t Ticket, at time.Time, data map[string]any) error {
	if data == nil {
		data = ticketData(t)
	}
	ev, err := events.New(typ, t.CompanyID, "ticket", strconv.FormatInt(t.ID, 10), actor, at, data)
	if err != nil {
		return err
	}
	return tx.AppendEvents(ctx, ev)
}

// CreateInput holds the fields of a new ticket.
type CreateInput struct {
	Title       string
	Description string
	// Priority defaults to medium.
	Priority sla.Priority
	Category string
	// Channel defaults to web.
	Channel Channel
	Tags    []string
	// AssetID is optional; the asset must belong to the company.
	AssetID int64
	// RequesterContactID defaults to the actor's contact; requesters always
	// open tickets for themselves.
	RequesterContactID tenant.ContactID
}

// cleanTags trims, lower-cases and de-duplicates tags.
func cleanTags(b *validation.Builder, tags []string) []string {
	out := []string{}
	for _, t := range tags {
		plain := validation.PlainText(strings.TrimSpace(t)) // before ToLower, which replaces invalid UTF-8
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "":
		case len([]rune(t)) > MaxTagLength:
			b.Add("tags", "each tag must have at most %d characters", MaxTagLength)
		case !plain:
			b.Add("tags", "each tag must be valid UTF-8 without control characters (a NUL byte included)")
		case !slices.Contains(out, t):
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		b.Add("tags", "must have at most %d tags", MaxTags)
	}
	return out
}

// Create opens a ticket. It needs tenant.PermTicketsCreate and emits
// ticket.created. Like Get, it returns the ticket with its SLA state and
// the actor's next actions, from what the unit of work read; an actor who
// may open tickets but not read them (an intake token) gets the ticket
// alone, with nil NextActions.
func (s *Service) Create(ctx context.Context, actor tenant.Actor, in CreateInput) (Details, error) {
	// The permission and the fields are checked before the unit of work,
	// so that a refusal never waits for (or holds) the writer.
	t, err := s.newTicket(actor, in)
	if err != nil {
		return Details{}, fmt.Errorf("creating ticket: %w", err)
	}
	var (
		out Ticket
		c   directory.Company
	)
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		out = t // a unit of work run again starts from the unnumbered ticket
		var err error
		c, err = s.insertTicket(ctx, tx, actor, &out)
		return err
	})
	if err != nil {
		return Details{}, fmt.Errorf("creating ticket: %w", err)
	}
	if requireRead(actor) != nil {
		return Details{Ticket: out}, nil
	}
	return s.describe(actor, out, c), nil
}

// CreateTx is Create inside the caller's unit of work (service orders open
// the tickets they need this way): the ticket, its number and its event
// commit or roll back with the rest of tx.
func (s *Service) CreateTx(ctx context.Context, tx Tx, actor tenant.Actor, in CreateInput) (Ticket, error) {
	t, err := s.newTicket(actor, in)
	if err != nil {
		return Ticket{}, err
	}
	if _, err := s.insertTicket(ctx, tx, actor, &t); err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// newTicket checks actor's permission and the fields of in, and returns the
// new ticket they describe: the checks that need no storage.
func (s *Service) newTicket(actor tenant.Actor, in CreateInput) (Ticket, error) {
	if err := actor.RequireIn(tenant.PermTicketsCreate); err != nil {
		return Ticket{}, err
	}
	var b validation.Builder
	now := s.clock()
	t := Ticket{CompanyID: actor.CompanyID, Status: StatusNew, Priority: in.Priority, Channel: in.Channel,
		AssetID: in.AssetID, CreatedAt: now, UpdatedAt: now, Pauses: []sla.Pause{}}
	t.Title = b.Text("title", in.Title, 1, MaxTitleLength)
	t.Description = b.Text("description", in.Description, 0, MaxDescriptionLength)
	t.Category = b.Text("category", in.Category, 0, MaxCategoryLength)
	t.Tags = cleanTags(&b, in.Tags)
	if t.Priority == "" {
		t.Priority = sla.PriorityMedium
	} else if !t.Priority.Valid() {
		b.Add("priority", "must be one of low, medium, high, critical")
	}
	if t.Channel == "" {
		t.Channel = ChannelWeb
	} else if !slices.Contains(Channels(), t.Channel) {
		b.Add("channel", "must be one of web, api, whatsapp, email")
	}
	if in.AssetID < 0 {
		b.Add("asset_id", "must be a positive asset ID")
	}
	t.RequesterContactID = in.RequesterContactID
	switch {
	case actor.Role == tenant.RoleRequester && in.RequesterContactID != 0 && in.RequesterContactID != actor.ContactID:
		b.Add("requester_contact_id", "requesters open tickets for themselves")
	case actor.Role == tenant.RoleRequester, t.RequesterContactID == 0:
		t.RequesterContactID = actor.ContactID
	}
	if t.RequesterContactID == 0 {
		b.Add("requester_contact_id", "is required")
	}
	return t, b.Err()
}

// insertTicket checks t's company, requester and asset in tx, sets its SLA
// clocks, numbers and inserts it and emits ticket.created. It returns the
// company it read.
func (s *Service) insertTicket(ctx context.Context, tx Tx, actor tenant.Actor, t *Ticket) (directory.Company, error) {
	c, requester, err := tx.CompanyAndContact(ctx, actor.CompanyID, t.RequesterContactID)
	if err != nil {
		return c, err
	}
	if !c.Active {
		return c, fmt.Errorf("company %d is deactivated: %w", c.ID, storage.ErrConflict)
	}
	if err := usableContact(requester, t.RequesterContactID, "requester_contact_id"); err != nil {
		return c, err
	}
	if t.AssetID != 0 {
		if _, err := tx.AssetByID(ctx, actor.CompanyID, t.AssetID); errors.Is(err, storage.ErrNotFound) {
			return c, validation.Field("asset_id", "no asset %d in this company", t.AssetID)
		} else if err != nil {
			return c, err
		}
	}
	s.refreshSLA(t, c, t.CreatedAt)
	// Number 0: InsertTicket takes the company's next number.
	if err := tx.InsertTicket(ctx, t); err != nil {
		return c, err
	}
	if err := tx.AppendTicketHistory(ctx, entry(*t, actor, t.CreatedAt, HistoryCreated, "status", "", string(t.Status), "")); err != nil {
		return c, err
	}
	return c, emit(ctx, tx, actor, "ticket.created", *t, t.CreatedAt, nil)
}

// usableContact refuses, as a field error, a contact c read for id that is
// not the company's (zero) or is deactivated.
func usableContact(c directory.Contact, id tenant.ContactID, field string) error {
	switch {
	case c.ID == 0:
		return validation.Field(field, "no contact %d in this company", id)
	case !c.Active:
		return validation.Field(field, "contact %d is deactivated", id)
	}
	return nil
}

// slaInput describes t to the SLA engine at now.
func slaInput(t Ticket, cal sla.Calendar, pol sla.Policy, now time.Time) sla.Input {
	return sla.Input{Calendar: cal, Policy: pol, Priority: t.Priority, CreatedAt: t.CreatedAt,
		FirstResponseAt: t.FirstResponseAt, ResolvedAt: t.ResolvedAt, Pauses: t.Pauses, Now: now}
}

// refreshSLA recomputes t's SLA summary, due times and next check at now.
func (s *Service) refreshSLA(t *Ticket, c directory.Company, now time.Time) sla.Result {
	cal, pol := s.slaConfig(c)
	in := slaInput(*t, cal, pol, now)
	r := sla.Evaluate(in)
	t.SLAState = r.Worst()
	t.ResponseDueAt = r.FirstResponse.Due.UTC()
	t.ResolutionDueAt = r.Resolution.Due.UTC()
	t.NextSLACheckAt = time.Time{}
	if t.Status != StatusClosed && t.Status != StatusCancelled {
		if at, _, ok := sla.NextTransition(in); ok {
			t.NextSLACheckAt = at.UTC()
		}
	}
	return r
}

// visible hides a ticket from a requester who did not open it, exactly as
// if it did not exist.
func visible(t Ticket, actor tenant.Actor) error {
	if actor.Can(tenant.PermTicketsRead) {
		return nil
	}
	if actor.Can(tenant.PermTicketsReadOwn) && actor.ContactID != 0 && t.RequesterContactID == actor.ContactID {
		return nil
	}
	return fmt.Errorf("ticket %d: %w", t.ID, storage.ErrNotFound)
}

func requireRead(actor tenant.Actor) error {
	if err := actor.RequireIn(tenant.PermTicketsRead); err == nil || errors.Is(err, tenant.ErrNoCompany) {
		return err
	}
	return actor.RequireIn(tenant.PermTicketsReadOwn)
}

// NextAction is a transition the actor may take now.
type NextAction struct {
	Name     string
	Status   Status
	Required []string
}

// Details is a ticket with its SLA state and the caller's next actions.
type Details struct {
	Ticket      Ticket
	SLA         sla.Result
	NextActions []NextAction
}

// Get reads a ticket with its SLA state at now and the actor's next
// actions.
func (s *Service) Get(ctx context.Context, actor tenant.Actor, id int64) (Details, error) {
	if err := requireRead(actor); err != nil {
		return Details{}, err
	}
	t, err := s.store.TicketByID(ctx, actor.CompanyID, id)
	if err != nil {
		return Details{}, fmt.Errorf("ticket %d: %w", id, err)
	}
	if err := visible(t, actor); err != nil {
		return Details{}, err
	}
	return s.details(ctx, actor, t)
}

func (s *Service) details(ctx context.Context, actor tenant.Actor, t Ticket) (Details, error) {
	c, err := s.store.CompanyByID(ctx, t.CompanyID)
	if err != nil {
		return Details{}, err
	}
	return s.describe(actor, t, c), nil
}

// describe is t with its SLA state now, under the calendar and policy of
// its company c, and actor's next actions.
func (s *Service) describe(actor tenant.Actor, t Ticket, c directory.Company) Details {
	cal, pol := s.slaConfig(c)
	d := Details{Ticket: t, SLA: sla.Evaluate(slaInput(t, cal, pol, s.clock())), NextActions: []NextAction{}}
	for _, tr := range s.machine.AllowedTransitions(actor, t.Status) {
		if s.mayTransition(actor, t, tr.To) == nil {
			d.NextActions = append(d.NextActions, NextAction{Name: tr.Name, Status: tr.To, Required: tr.Required})
		}
	}
	return d
}

// mayTransition applies the rules a table cannot express: requesters act
// only on their own tickets, and a reopen must come within the window.
func (s *Service) mayTransition(actor tenant.Actor, t Ticket, to Status) error {
	if actor.Role == tenant.RoleRequester && t.RequesterContactID != actor.ContactID {
		return &tenant.ForbiddenError{Role: actor.Role, Permission: tenant.PermTicketsManage}
	}
	if t.Status == StatusResolved && to == StatusOpen && s.clock().Sub(t.ResolvedAt) > s.reopenWindow {
		return &workflow.TransitionError{Machine: "ticket", From: string(t.Status), To: string(to),
			Reason: workflow.ReasonNotDeclared, Allowed: []string{string(StatusClosed)}, Err: ErrReopenWindowPassed}
	}
	return nil
}

// List lists the tickets of the actor's company; requesters see only their
// own.
func (s *Service) List(ctx context.Context, actor tenant.Actor, f Filter, p storage.PageRequest) (storage.Page[Ticket], error) {
	if err := requireRead(actor); err != nil {
		return storage.Page[Ticket]{}, err
	}
	var b validation.Builder
	if f.Status != "" && !s.machine.Valid(f.Status) {
		b.Add("status", "must be a ticket status")
	}
	if f.Priority != "" && !f.Priority.Valid() {
		b.Add("priority", "must be one of low, medium, high, critical")
	}
	b.Filter("category", f.Category)
	b.Filter("tag", f.Tag)
	b.Search("q", f.Search)
	if f.Channel != "" && !slices.Contains(Channels(), f.Channel) {
		b.Add("channel", "must be one of web, api, whatsapp, email")
	}
	if f.Unassigned && f.AssigneeUserID != 0 {
		b.Add("assignee_user_id", "a ticket cannot be both unassigned and assigned")
	}
	switch f.SLAState {
	case "", sla.StateOnTrack, sla.StateAtRisk, sla.StateBreached, sla.StatePaused, sla.StateMet:
	default:
		b.Add("sla_state", "must be one of on_track, at_risk, breached, paused, met")
	}
	if !f.Sort.Valid() {
		b.Add("sort", "must be one of oldest, newest, priority, updated, due")
	}
	if err := b.Err(); err != nil {
		return storage.Page[Ticket]{}, err
	}
	if !actor.Can(tenant.PermTicketsRead) {
		if actor.ContactID == 0 {
			return storage.Page[Ticket]{Items: []Ticket{}}, nil
		}
		f.RequesterContactID = actor.ContactID
	}
	return s.store.ListTickets(ctx, actor.CompanyID, f, p.Normalize())
}

func ticketData(t Ticket) map[string]any {
	return map[string]any{"id": t.ID, "number": t.Number, "title": t.Title, "status": t.Status, "priority": t.Priority,
		"category": t.Category, "channel": t.Channel, "requester_contact_id": t.RequesterContactID,
		"assignee_user_id": t.AssigneeUserID, "asset_id": t.AssetID, "sla_state": t.SLAState, "version": t.Version}
}
