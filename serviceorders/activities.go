package serviceorders

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// ErrOverlap is returned (it matches storage.ErrConflict) when a timed
// entry overlaps another live entry of the same technician.
var ErrOverlap = fmt.Errorf("the technician already has a time entry in that interval: %w", storage.ErrConflict)

// ActivityInput holds a new activity, or an activity's new content.
type ActivityInput struct {
	Kind        ActivityKind
	Description string
	// TechnicianUserID defaults to the order's technician, then the actor.
	TechnicianUserID tenant.UserID
	// Either StartedAt and EndedAt (EndedAt after StartedAt), or Minutes
	// (zero or more).
	StartedAt time.Time
	EndedAt   time.Time
	Minutes   int
	Billable  bool
}

// build validates in against order o and returns the entry (without IDs).
func (s *Service) buildActivity(ctx context.Context, tx Tx, actor tenant.Actor, o Order, in ActivityInput, now time.Time) (Activity, error) {
	a := Activity{CompanyID: o.CompanyID, OrderID: o.ID, Kind: in.Kind, TechnicianUserID: in.TechnicianUserID,
		StartedAt: utc(in.StartedAt), EndedAt: utc(in.EndedAt), Minutes: in.Minutes, Billable: in.Billable,
		CreatedBy: actor.UserID, CreatedAt: now, UpdatedAt: now}
	var b validation.Builder
	a.Description = b.Text("description", in.Description, 0, MaxDescriptionLength)
	if !slices.Contains(ActivityKinds(), a.Kind) {
		b.Add("kind", "must be one of note, travel, labour, part")
	}
	switch {
	case a.StartedAt.IsZero() != a.EndedAt.IsZero():
		b.Add("ended_at", "give both started_at and ended_at, or minutes alone")
	case !a.StartedAt.IsZero():
		if !a.EndedAt.After(a.StartedAt) {
			b.Add("ended_at", "must be after started_at")
			break
		}
		d := int(a.EndedAt.Sub(a.StartedAt).Round(time.Minute) / time.Minute)
		if in.Minutes != 0 && in.Minutes != d {
			b.Add("minutes", "leave minutes out of a timed entry, or give its length (%d)", d)
		}
		a.Minutes = d
	}
	if a.Minutes < 0 {
		b.Add("minutes", "must not be negative")
	} else if a.Minutes > MaxMinutes {
		b.Add("minutes", "must be at most %d (a week) per entry", MaxMinutes)
	}
	if err := b.Err(); err != nil {
		return Activity{}, err
	}
	if a.TechnicianUserID == 0 {
		a.TechnicianUserID = o.TechnicianUserID
	}
	if a.TechnicianUserID == 0 {
		a.TechnicianUserID = actor.UserID
	}
	if a.TechnicianUserID == 0 {
		return Activity{}, validation.Field("technician_user_id", "name the technician who did the work")
	}
	if err := checkTechnician(ctx, tx, o.CompanyID, a.TechnicianUserID, "technician_user_id"); err != nil {
		return Activity{}, err
	}
	c, err := tx.CompanyByID(ctx, o.CompanyID)
	if err != nil {
		return Activity{}, err
	}
	day := now
	if a.Timed() {
		day = a.StartedAt
	}
	a.Month = day.In(s.location(c)).Format("2006-01")
	return a, nil
}

// checkOverlap refuses a timed entry that overlaps another live timed
// entry of the same technician, on any order of the company.
func checkOverlap(ctx context.Context, tx Tx, a Activity) error {
	if !a.Timed() {
		return nil
	}
	other, err := tx.OverlappingActivity(ctx, a.CompanyID, a.TechnicianUserID, a.StartedAt, a.EndedAt, a.ID)
	if err != nil {
		return err
	}
	if other != 0 {
		return fmt.Errorf("entry %s–%s overlaps time entry %d of technician %d: %w", a.StartedAt.Format(time.RFC3339),
			a.EndedAt.Format(time.RFC3339), other, a.TechnicianUserID, ErrOverlap)
	}
	return nil
}

func activityData(o Order, a Activity) map[string]any {
	data := map[string]any{"service_order_id": o.ID, "number": o.Number, "activity_id": a.ID, "kind": a.Kind,
		"technician_user_id": a.TechnicianUserID, "minutes": a.Minutes, "billable": a.Billable, "month": a.Month,
		"description": a.Description, "version": a.Version}
	if a.Timed() {
		data["started_at"], data["ended_at"] = a.StartedAt, a.EndedAt
	}
	return data
}

// AddActivity logs an activity or time entry on an order that is not
// completed, invoiced or cancelled. It needs tenant.PermOrdersManage and
// emits service_order.activity_logged.
func (s *Service) AddActivity(ctx context.Context, actor tenant.Actor, orderID int64, in ActivityInput) (Activity, error) {
	if err := actor.RequireIn(tenant.PermOrdersManage); err != nil {
		return Activity{}, err
	}
	var a Activity
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		o, err := orderInWork(ctx, tx, actor.CompanyID, orderID)
		if err != nil {
			return err
		}
		now := s.clock()
		if a, err = s.buildActivity(ctx, tx, actor, o, in, now); err != nil {
			return err
		}
		if err := checkOverlap(ctx, tx, a); err != nil {
			return err
		}
		if err := tx.InsertActivity(ctx, &a); err != nil {
			return err
		}
		return emit(ctx, tx, actor, "service_order.activity_logged", o, now, activityData(o, a))
	})
	if err != nil {
		return Activity{}, fmt.Errorf("logging an activity on service order %d: %w", orderID, err)
	}
	return a, nil
}

// UpdateActivity replaces an activity's content while its order accepts
// work. version, when non-zero, must be the activity's. The event
// service_order.activity_updated carries the entry before and after.
func (s *Service) UpdateActivity(ctx context.Context, actor tenant.Actor, orderID, activityID int64, in ActivityInput, version int64) (Activity, error) {
	return s.changeActivity(ctx, actor, orderID, activityID, version, &in)
}

// DeleteActivity deletes an activity while its order accepts work. The
// entry is kept, marked deleted, for the audit trail, and counts nowhere;
// service_order.activity_deleted carries it.
func (s *Service) DeleteActivity(ctx context.Context, actor tenant.Actor, orderID, activityID, version int64) (Activity, error) {
	return s.changeActivity(ctx, actor, orderID, activityID, version, nil)
}

func (s *Service) changeActivity(ctx context.Context, actor tenant.Actor, orderID, activityID, version int64, in *ActivityInput) (Activity, error) {
	if err := actor.RequireIn(tenant.PermOrdersManage); err != nil {
		return Activity{}, err
	}
	var out Activity
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		o, err := orderInWork(ctx, tx, actor.CompanyID, orderID)
		if err != nil {
			return err
		}
		acts, err := tx.ServiceOrderActivities(ctx, o.CompanyID, o.ID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(acts, func(a Activity) bool { return a.ID == activityID && a.DeletedAt.IsZero() })
		if i < 0 {
			return fmt.Errorf("activity %d of service order %d: %w", activityID, orderID, storage.ErrNotFound)
		}
		old := acts[i]
		if version != 0 && version != old.Version {
			return fmt.Errorf("activity %d: expected version %d, current is %d: %w", activityID, version, old.Version, storage.ErrStale)
		}
		now := s.clock()
		typ := "service_order.activity_deleted"
		a := old
		if in != nil {
			typ = "service_order.activity_updated"
			if a, err = s.buildActivity(ctx, tx, actor, o, *in, now); err != nil {
				return err
			}
			a.ID, a.Version, a.CreatedBy, a.CreatedAt = old.ID, old.Version, old.CreatedBy, old.CreatedAt
			if err := checkOverlap(ctx, tx, a); err != nil {
				return err
			}
		} else {
			a.DeletedAt = now
		}
		a.UpdatedAt = now
		if err := tx.UpdateActivity(ctx, &a); err != nil {
			return err
		}
		data := activityData(o, a)
		data["before"] = activityData(o, old)
		out = a
		return emit(ctx, tx, actor, typ, o, now, data)
	})
	if err != nil {
		return Activity{}, fmt.Errorf("changing activity %d of service order %d: %w", activityID, orderID, err)
	}
	return out, nil
}
