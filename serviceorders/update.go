package serviceorders

import (
	"context"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// Patch holds the order fields to change; nil fields are kept (a pointer
// to the zero value clears). Field edits apply before a Status change, so
// one call can, say, name the technician and schedule. Version, when
// non-zero, must equal the current version (If-Match).
type Patch struct {
	Type             *Type
	TechnicianUserID *tenant.UserID
	ScheduledStart   *time.Time
	ScheduledEnd     *time.Time
	Address          *string
	APRNumber        *string
	Description      *string
	SignOff          *SignOff
	Status           *Status
	// Reason is required to cancel.
	Reason string
	// ResolveTicket, when completing, also resolves the order's ticket
	// with ResolutionNote (default: the order's number and description).
	ResolveTicket  bool
	ResolutionNote string
	Version        int64
}

func (p Patch) editsFields() bool {
	return p.Type != nil || p.TechnicianUserID != nil || p.ScheduledStart != nil || p.ScheduledEnd != nil ||
		p.Address != nil || p.APRNumber != nil || p.Description != nil || p.SignOff != nil
}

// Update changes an order of the actor's company: field edits need
// tenant.PermOrdersManage and are refused once the order is approved,
// invoiced or cancelled; a Status change follows the workflow. It emits
// service_order.updated for field edits, service_order.status_changed for
// every move, and service_order.scheduled or service_order.completed for
// those moves; completing with ResolveTicket resolves the ticket in the
// same unit of work (ticket.status_changed).
func (s *Service) Update(ctx context.Context, actor tenant.Actor, id int64, p Patch) (Details, error) {
	if err := actor.RequireIn(tenant.PermOrdersRead); err != nil {
		return Details{}, err
	}
	if p.editsFields() {
		if err := actor.RequireIn(tenant.PermOrdersManage); err != nil {
			return Details{}, err
		}
	}
	var d Details
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		o, err := tx.ServiceOrderByID(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if p.Version != 0 && p.Version != o.Version {
			return fmt.Errorf("expected version %d, current is %d: %w", p.Version, o.Version, storage.ErrStale)
		}
		now := s.clock()
		var evs []string
		if p.editsFields() {
			changed, err := s.applyFields(ctx, tx, &o, p, now)
			if err != nil {
				return err
			}
			if changed {
				evs = append(evs, "service_order.updated")
			}
		}
		from := o.Status
		if p.Status != nil && *p.Status != o.Status {
			if err := s.transition(ctx, tx, &o, actor, *p.Status, p, now); err != nil {
				return err
			}
			evs = append(evs, "service_order.status_changed")
			switch o.Status {
			case StatusScheduled:
				evs = append(evs, "service_order.scheduled")
			case StatusCompleted:
				evs = append(evs, "service_order.completed")
			}
		}
		if len(evs) > 0 {
			o.UpdatedAt = now
			if err := tx.UpdateServiceOrder(ctx, &o); err != nil {
				return err
			}
			for _, typ := range evs {
				data := orderData(o)
				if typ != "service_order.updated" {
					data["from"] = from
				}
				if err := emit(ctx, tx, actor, typ, o, now, data); err != nil {
					return err
				}
			}
		}
		if p.ResolveTicket && o.Status == StatusCompleted && from != StatusCompleted {
			if err := s.resolveTicket(ctx, tx, actor, o, p.ResolutionNote); err != nil {
				return err
			}
		}
		d, err = s.details(ctx, tx, actor, o)
		return err
	})
	if err != nil {
		return Details{}, fmt.Errorf("updating service order %d: %w", id, err)
	}
	return d, nil
}

// applyFields validates and applies the field edits of p, reporting whether
// anything changed.
func (s *Service) applyFields(ctx context.Context, tx Tx, o *Order, p Patch, now time.Time) (bool, error) {
	if o.Status == StatusApproved || o.Status == StatusInvoiced || o.Status == StatusCancelled {
		return false, fmt.Errorf("service order %d is %s and can no longer be edited: %w", o.ID, o.Status, storage.ErrConflict)
	}
	before := *o
	if p.Type != nil {
		o.Type = *p.Type
	}
	if p.TechnicianUserID != nil {
		o.TechnicianUserID = *p.TechnicianUserID
	}
	if p.ScheduledStart != nil {
		o.ScheduledStart = utc(*p.ScheduledStart)
	}
	if p.ScheduledEnd != nil {
		o.ScheduledEnd = utc(*p.ScheduledEnd)
	}
	if p.Address != nil {
		o.Address = *p.Address
	}
	if p.APRNumber != nil {
		o.APRNumber = *p.APRNumber
	}
	if p.Description != nil {
		o.Description = *p.Description
	}
	var b validation.Builder
	if p.SignOff != nil {
		o.SignOff = SignOff{Name: b.Text("sign_off.name", p.SignOff.Name, 0, MaxNameLength), At: utc(p.SignOff.At),
			Note: b.Text("sign_off.note", p.SignOff.Note, 0, MaxNoteLength)}
		if o.SignOff.Name != "" && o.SignOff.At.IsZero() {
			o.SignOff.At = now
		}
		if o.SignOff.Name == "" {
			o.SignOff = SignOff{}
		}
	}
	validateFields(&b, o)
	if err := b.Err(); err != nil {
		return false, err
	}
	if o.TechnicianUserID != before.TechnicianUserID && o.TechnicianUserID != 0 {
		if err := checkTechnician(ctx, tx, o.CompanyID, o.TechnicianUserID, fieldTechnician); err != nil {
			return false, err
		}
	}
	return *o != before, nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// transition moves o to status to through the workflow, with the
// timestamps of the move.
func (s *Service) transition(ctx context.Context, tx Tx, o *Order, actor tenant.Actor, to Status, p Patch, now time.Time) error {
	fields := map[string]any{fieldTechnician: int64(o.TechnicianUserID), fieldScheduledStart: o.ScheduledStart,
		fieldScheduledEnd: o.ScheduledEnd, fieldAPR: o.APRNumber, fieldOnSite: o.Type.OnSite(),
		fieldSignOff: o.SignOff.Name, fieldReason: p.Reason}
	if to == StatusCompleted {
		acts, err := tx.ServiceOrderActivities(ctx, o.CompanyID, o.ID)
		if err != nil {
			return err
		}
		live := 0
		for _, a := range acts {
			if a.DeletedAt.IsZero() {
				live++
			}
		}
		fields[fieldActivities] = live
	}
	if err := s.machine.Check(workflow.Attempt[Status]{Actor: actor, From: o.Status, To: to, Fields: fields}); err != nil {
		return err
	}
	var b validation.Builder
	reason := b.Text(fieldReason, p.Reason, 0, MaxNoteLength)
	if err := b.Err(); err != nil {
		return err
	}
	switch to {
	case StatusInProgress:
		if o.StartedAt.IsZero() {
			o.StartedAt = now
		}
		o.CompletedAt = time.Time{}
	case StatusCompleted:
		o.CompletedAt = now
	case StatusApproved:
		o.ApprovedAt = now
	case StatusInvoiced:
		o.InvoicedAt = now
	case StatusCancelled:
		o.CancelledAt, o.CancelReason = now, reason
	}
	o.Status = to
	return nil
}

// resolveTicket resolves the order's ticket, unless it has none or is no
// longer active.
func (s *Service) resolveTicket(ctx context.Context, tx Tx, actor tenant.Actor, o Order, note string) error {
	if o.TicketID == 0 {
		return validation.Field("resolve_ticket", "service order %d has no ticket to resolve", o.ID)
	}
	t, err := tx.TicketByID(ctx, o.CompanyID, o.TicketID)
	if err != nil {
		return err
	}
	if !t.Status.Active() {
		return nil
	}
	if note == "" {
		note = fmt.Sprintf("Resolved by service order %s.", o.Number)
	}
	st := tickets.StatusResolved
	_, err = s.tickets.UpdateTx(ctx, tx, actor, t.ID, tickets.Patch{Status: &st, ResolutionNote: note})
	return err
}
