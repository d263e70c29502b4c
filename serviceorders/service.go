package serviceorders

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// Service manages service orders for an actor. It is safe for concurrent
// use.
type Service struct {
	store     Store
	tickets   *tickets.Service
	inventory *inventory.Service
	now       func() time.Time
	machine   *workflow.Machine[Status]
	zones     sync.Map // timezone name → *time.Location
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default time.Now). The year of an order's
// number is the clock's year in the company's timezone.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// NewService returns a service order service over store. Tickets are opened
// and resolved through tk, and parts consumed through inv, inside the
// orders' units of work.
func NewService(store Store, tk *tickets.Service, inv *inventory.Service, opts ...Option) (*Service, error) {
	if store == nil || tk == nil || inv == nil {
		return nil, errors.New("serviceorders: NewService needs a store, the tickets service and the inventory service")
	}
	m, err := newMachine()
	if err != nil {
		return nil, fmt.Errorf("serviceorders: %w", err)
	}
	s := &Service{store: store, tickets: tk, inventory: inv, now: time.Now, machine: m}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Machine returns the service order lifecycle.
func (s *Service) Machine() *workflow.Machine[Status] { return s.machine }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// location returns the company's timezone (UTC when unknown).
func (s *Service) location(c directory.Company) *time.Location {
	if l, ok := s.zones.Load(c.Timezone); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "" {
		loc = time.UTC
	}
	s.zones.Store(c.Timezone, loc)
	return loc
}

func emit(ctx context.Context, tx Tx, actor tenant.Actor, typ string, o Order, at time.Time, data map[string]any) error {
	if data == nil {
		data = orderData(o)
	}
	ev, err := events.New(typ, o.CompanyID, "service_order", strconv.FormatInt(o.ID, 10), actor, at, data)
	if err != nil {
		return err
	}
	return tx.AppendEvents(ctx, ev)
}

func orderData(o Order) map[string]any {
	return map[string]any{"id": o.ID, "number": o.Number, "type": o.Type, "status": o.Status, "ticket_id": o.TicketID,
		"asset_id": o.AssetID, "technician_user_id": o.TechnicianUserID, "apr_number": o.APRNumber, "version": o.Version}
}

// CreateInput holds the fields of a new order.
type CreateInput struct {
	// TicketID links the order to a ticket of the company, whose asset the
	// order takes when AssetID is zero. With AssetID alone, Create opens a
	// ticket for the asset (see EnsureTicket).
	TicketID int64
	AssetID  int64
	// Type defaults to corrective.
	Type             Type
	TechnicianUserID tenant.UserID
	ScheduledStart   time.Time
	ScheduledEnd     time.Time
	Address          string
	APRNumber        string
	Description      string
	// RequesterContactID is the requester of a ticket opened for the order
	// (default: the actor's contact, then the asset's assignee).
	RequesterContactID tenant.ContactID
}

// validateFields checks the order's own fields (not its references).
func validateFields(b *validation.Builder, o *Order) {
	o.Address = b.Text("address", o.Address, 0, MaxAddressLength)
	o.APRNumber = b.Text(fieldAPR, o.APRNumber, 0, MaxAPRLength)
	o.Description = b.Text("description", o.Description, 0, MaxDescriptionLength)
	if !o.Type.Valid() {
		b.Add("type", "must be one of corrective, preventive, installation, inspection, remote")
	}
	if o.ScheduledStart.IsZero() != o.ScheduledEnd.IsZero() {
		b.Add(fieldScheduledEnd, "give both scheduled_start and scheduled_end, or neither")
	} else if !o.ScheduledStart.IsZero() && !o.ScheduledEnd.After(o.ScheduledStart) {
		b.Add(fieldScheduledEnd, "must be after scheduled_start")
	}
}

// Create opens a service order in draft. It needs tenant.PermOrdersManage;
// its number is allocated in the same unit of work as the order and its
// service_order.created event. With a ticket it is CreateFromTicket; with
// an asset and no ticket it also opens the ticket (ticket.created).
func (s *Service) Create(ctx context.Context, actor tenant.Actor, in CreateInput) (Order, error) {
	var o Order
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		o, err = s.CreateTx(ctx, tx, actor, in)
		return err
	})
	if err != nil {
		return Order{}, fmt.Errorf("creating service order: %w", err)
	}
	return o, nil
}

// CreateFromTicket opens an order for the ticket ticketID of the actor's
// company, taking the ticket's asset when in names none: it is Create with
// in.TicketID set to ticketID. A missing ticket, or another company's, is
// a validation error on ticket_id.
func (s *Service) CreateFromTicket(ctx context.Context, actor tenant.Actor, ticketID int64, in CreateInput) (Order, error) {
	if ticketID <= 0 {
		return Order{}, validation.Field("ticket_id", "must be a positive ticket ID")
	}
	in.TicketID = ticketID
	return s.Create(ctx, actor, in)
}

// CreateTx is Create inside the caller's unit of work.
func (s *Service) CreateTx(ctx context.Context, tx Tx, actor tenant.Actor, in CreateInput) (Order, error) {
	if err := actor.RequireIn(tenant.PermOrdersManage); err != nil {
		return Order{}, err
	}
	now := s.clock()
	o := Order{CompanyID: actor.CompanyID, Type: in.Type, Status: StatusDraft, TicketID: in.TicketID, AssetID: in.AssetID,
		TechnicianUserID: in.TechnicianUserID, ScheduledStart: in.ScheduledStart.UTC(), ScheduledEnd: in.ScheduledEnd.UTC(),
		Address: in.Address, APRNumber: in.APRNumber, Description: in.Description, CreatedBy: actor.UserID,
		CreatedAt: now, UpdatedAt: now}
	if o.Type == "" {
		o.Type = TypeCorrective
	}
	if o.ScheduledStart.Equal(time.Time{}.UTC()) {
		o.ScheduledStart = time.Time{}
	}
	if o.ScheduledEnd.Equal(time.Time{}.UTC()) {
		o.ScheduledEnd = time.Time{}
	}
	var b validation.Builder
	validateFields(&b, &o)
	if in.TicketID < 0 {
		b.Add("ticket_id", "must be a positive ticket ID")
	}
	if in.AssetID < 0 {
		b.Add("asset_id", "must be a positive asset ID")
	}
	if err := b.Err(); err != nil {
		return Order{}, err
	}
	c, err := tx.CompanyByID(ctx, actor.CompanyID)
	if err != nil {
		return Order{}, err
	}
	if !c.Active {
		return Order{}, fmt.Errorf("company %d is deactivated: %w", c.ID, storage.ErrConflict)
	}
	if err := s.checkReferences(ctx, tx, &o); err != nil {
		return Order{}, err
	}
	var ticket tickets.Ticket
	if o.TicketID == 0 && o.AssetID != 0 {
		if ticket, err = s.openTicket(ctx, tx, actor, o, in.RequesterContactID); err != nil {
			return Order{}, err
		}
		o.TicketID = ticket.ID
	}
	o.Year = now.In(s.location(c)).Year()
	if o.Seq, err = tx.NextServiceOrderSeq(ctx, o.CompanyID, o.Year); err != nil {
		return Order{}, err
	}
	o.Number = FormatNumber(o.CompanyID, o.Year, o.Seq)
	if err := tx.InsertServiceOrder(ctx, &o); err != nil {
		return Order{}, err
	}
	return o, emit(ctx, tx, actor, "service_order.created", o, now, nil)
}

// checkReferences checks that the order's ticket, asset and technician
// belong to its company (another company's look missing), that the
// technician is an active agent or admin, and takes the ticket's asset when
// the order has none.
func (s *Service) checkReferences(ctx context.Context, q Queries, o *Order) error {
	if o.TicketID != 0 {
		t, err := q.TicketByID(ctx, o.CompanyID, o.TicketID)
		if errors.Is(err, storage.ErrNotFound) {
			return validation.Field("ticket_id", "no ticket %d in this company", o.TicketID)
		} else if err != nil {
			return err
		}
		switch {
		case o.AssetID == 0:
			o.AssetID = t.AssetID
		case t.AssetID != 0 && t.AssetID != o.AssetID:
			return validation.Field("asset_id", "ticket %d concerns asset %d, not %d", t.ID, t.AssetID, o.AssetID)
		}
	}
	if o.AssetID != 0 {
		if _, err := q.AssetByID(ctx, o.CompanyID, o.AssetID); errors.Is(err, storage.ErrNotFound) {
			return validation.Field("asset_id", "no asset %d in this company", o.AssetID)
		} else if err != nil {
			return err
		}
	}
	if o.TechnicianUserID != 0 {
		return checkTechnician(ctx, q, o.CompanyID, o.TechnicianUserID, fieldTechnician)
	}
	return nil
}

func checkTechnician(ctx context.Context, q Queries, company tenant.CompanyID, id tenant.UserID, field string) error {
	u, err := q.UserByID(ctx, company, id)
	if errors.Is(err, storage.ErrNotFound) {
		return validation.Field(field, "no user %d in this company", id)
	} else if err != nil {
		return err
	}
	if !u.Active || (u.Role != tenant.RoleAgent && u.Role != tenant.RoleAdmin) {
		return validation.Field(field, "user %d is not an active agent or admin", id)
	}
	return nil
}

// openTicket opens the ticket of an order that has an asset and no ticket.
func (s *Service) openTicket(ctx context.Context, tx Tx, actor tenant.Actor, o Order, requester tenant.ContactID) (tickets.Ticket, error) {
	a, err := tx.AssetByID(ctx, o.CompanyID, o.AssetID)
	if err != nil {
		return tickets.Ticket{}, err
	}
	if requester == 0 {
		requester = actor.ContactID
	}
	if requester == 0 {
		requester = a.AssigneeContactID
	}
	if requester == 0 {
		return tickets.Ticket{}, validation.Field("requester_contact_id",
			"a ticket must be opened for asset %d: name its requester contact", a.ID)
	}
	title := fmt.Sprintf("Service order for %s (%s)", a.Name, a.Serial)
	return s.tickets.CreateTx(ctx, tx, actor, tickets.CreateInput{Title: title, Description: o.Description,
		Channel: tickets.ChannelAPI, AssetID: a.ID, RequesterContactID: requester})
}

// EnsureTicket gives an order opened without a ticket the ticket it lacks:
// one for assetID (or the order's asset when zero), with the order's
// description, linked to the order. It emits ticket.created and
// service_order.updated in one unit of work. An order that has a ticket is
// returned unchanged with it.
func (s *Service) EnsureTicket(ctx context.Context, actor tenant.Actor, orderID, assetID int64) (Order, tickets.Ticket, error) {
	if err := actor.RequireIn(tenant.PermOrdersManage); err != nil {
		return Order{}, tickets.Ticket{}, err
	}
	var (
		o Order
		t tickets.Ticket
	)
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		if o, err = tx.ServiceOrderByID(ctx, actor.CompanyID, orderID); err != nil {
			return err
		}
		if o.TicketID != 0 {
			t, err = tx.TicketByID(ctx, o.CompanyID, o.TicketID)
			return err
		}
		if assetID != 0 && o.AssetID != 0 && assetID != o.AssetID {
			return validation.Field("asset_id", "order %d concerns asset %d, not %d", o.ID, o.AssetID, assetID)
		}
		if assetID != 0 {
			o.AssetID = assetID
		}
		if o.AssetID == 0 {
			return validation.Field("asset_id", "name the asset the ticket is about")
		}
		if err := s.checkReferences(ctx, tx, &o); err != nil {
			return err
		}
		if t, err = s.openTicket(ctx, tx, actor, o, 0); err != nil {
			return err
		}
		now := s.clock()
		o.TicketID, o.UpdatedAt = t.ID, now
		if err := tx.UpdateServiceOrder(ctx, &o); err != nil {
			return err
		}
		return emit(ctx, tx, actor, "service_order.updated", o, now, nil)
	})
	if err != nil {
		return Order{}, tickets.Ticket{}, fmt.Errorf("ensuring the ticket of service order %d: %w", orderID, err)
	}
	return o, t, nil
}

// NextAction is a transition the actor may take now.
type NextAction struct {
	Name     string
	Status   Status
	Required []string
}

// Details is an order with its activities, parts, totals and the actor's
// next actions.
type Details struct {
	Order Order
	// Activities are the live entries (deleted ones are left out).
	Activities  []Activity
	Parts       []Part
	Totals      Totals
	NextActions []NextAction
}

// Get reads an order with its details.
func (s *Service) Get(ctx context.Context, actor tenant.Actor, id int64) (Details, error) {
	if err := actor.RequireIn(tenant.PermOrdersRead); err != nil {
		return Details{}, err
	}
	o, err := s.store.ServiceOrderByID(ctx, actor.CompanyID, id)
	if err != nil {
		return Details{}, fmt.Errorf("service order %d: %w", id, err)
	}
	return s.details(ctx, s.store, actor, o)
}

func (s *Service) details(ctx context.Context, q Queries, actor tenant.Actor, o Order) (Details, error) {
	acts, err := q.ServiceOrderActivities(ctx, o.CompanyID, o.ID)
	if err != nil {
		return Details{}, err
	}
	parts, err := q.ServiceOrderParts(ctx, o.CompanyID, o.ID)
	if err != nil {
		return Details{}, err
	}
	live := make([]Activity, 0, len(acts))
	for _, a := range acts {
		if a.DeletedAt.IsZero() {
			live = append(live, a)
		}
	}
	d := Details{Order: o, Activities: live, Parts: parts, Totals: TotalsOf(live, parts), NextActions: []NextAction{}}
	for _, tr := range s.machine.AllowedTransitions(actor, o.Status) {
		d.NextActions = append(d.NextActions, NextAction{Name: tr.Name, Status: tr.To, Required: tr.Required})
	}
	return d, nil
}

// List lists the orders of the actor's company.
func (s *Service) List(ctx context.Context, actor tenant.Actor, f Filter, p storage.PageRequest) (storage.Page[Order], error) {
	if err := actor.RequireIn(tenant.PermOrdersRead); err != nil {
		return storage.Page[Order]{}, err
	}
	var b validation.Builder
	if f.Status != "" && !s.machine.Valid(f.Status) {
		b.Add("status", "must be a service order status")
	}
	if f.Type != "" && !f.Type.Valid() {
		b.Add("type", "must be one of corrective, preventive, installation, inspection, remote")
	}
	if !f.ScheduledFrom.IsZero() && !f.ScheduledTo.IsZero() && !f.ScheduledTo.After(f.ScheduledFrom) {
		b.Add("scheduled_to", "must be after scheduled_from")
	}
	b.Filter("apr_number", f.APRNumber)
	b.Search("q", f.Search)
	if err := b.Err(); err != nil {
		return storage.Page[Order]{}, err
	}
	f.APRNumber = strings.TrimSpace(f.APRNumber)
	return s.store.ListServiceOrders(ctx, actor.CompanyID, f, p.Normalize())
}

// orderInWork loads an order that still accepts activities and parts.
func orderInWork(ctx context.Context, tx Tx, company tenant.CompanyID, id int64) (Order, error) {
	o, err := tx.ServiceOrderByID(ctx, company, id)
	if err != nil {
		return Order{}, err
	}
	if !o.Status.AcceptsWork() {
		return Order{}, fmt.Errorf("service order %d is %s and takes no more work: %w", id, o.Status, storage.ErrConflict)
	}
	return o, nil
}
