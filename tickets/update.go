package tickets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/helpdesk/workflow"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// Patch holds the ticket fields to change; nil fields are kept. A Status
// change goes through the workflow with ResolutionNote (resolving) or
// Reason (cancelling). Version, when non-zero, must equal the current
// version (If-Match).
type Patch struct {
	Title       *string
	Description *string
	Priority    *sla.Priority
	Category    *string
	Tags        *[]string
	AssetID     *int64
	Status      *Status
	// ResolutionNote is required to resolve; Reason to cancel.
	ResolutionNote string
	Reason         string
	Version        int64
}

func (p Patch) editsFields() bool {
	return p.Title != nil || p.Description != nil || p.Priority != nil || p.Category != nil || p.Tags != nil || p.AssetID != nil
}

// Update changes a ticket of the actor's company. Field edits need
// tenant.PermTicketsManage; status changes follow the workflow (requesters
// may cancel, close and reopen their own tickets). It emits ticket.updated
// and ticket.status_changed. A priority change re-targets the SLA from the
// ticket's creation.
func (s *Service) Update(ctx context.Context, actor tenant.Actor, id int64, p Patch) (Details, error) {
	var out Ticket
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, err = s.UpdateTx(ctx, tx, actor, id, p)
		return err
	})
	if err != nil {
		return Details{}, fmt.Errorf("updating ticket %d: %w", id, err)
	}
	return s.details(ctx, actor, out)
}

// UpdateTx is Update inside the caller's unit of work (a completed service
// order resolves its ticket this way); it returns the ticket as written.
func (s *Service) UpdateTx(ctx context.Context, tx Tx, actor tenant.Actor, id int64, p Patch) (Ticket, error) {
	if err := requireRead(actor); err != nil {
		return Ticket{}, err
	}
	if p.editsFields() {
		if err := actor.RequireIn(tenant.PermTicketsManage); err != nil {
			return Ticket{}, err
		}
	}
	var out Ticket
	err := func() error {
		t, err := tx.TicketByID(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if err := visible(t, actor); err != nil {
			return err
		}
		if p.Version != 0 && p.Version != t.Version {
			return fmt.Errorf("expected version %d, current is %d: %w", p.Version, t.Version, storage.ErrStale)
		}
		now := s.clock()
		var (
			evs     []string
			entries []HistoryEntry
		)
		if p.editsFields() {
			before := t
			if err := s.applyFields(ctx, tx, &t, p); err != nil {
				return err
			}
			if entries = fieldChanges(before, t, actor, now); len(entries) > 0 {
				evs = append(evs, "ticket.updated")
			}
		}
		from := t.Status
		if p.Status != nil && *p.Status != t.Status {
			if err := s.transition(&t, actor, *p.Status, p, now); err != nil {
				return err
			}
			evs = append(evs, "ticket.status_changed")
			note := t.ResolutionNote
			if t.Status == StatusCancelled {
				note = t.CancelReason
			} else if t.Status != StatusResolved {
				note = ""
			}
			entries = append(entries, entry(t, actor, now, HistoryStatusChanged, "status", string(from), string(t.Status), note))
		}
		if len(evs) == 0 {
			out = t
			return nil
		}
		c, err := tx.CompanyByID(ctx, t.CompanyID)
		if err != nil {
			return err
		}
		t.UpdatedAt = now
		s.refreshSLA(&t, c, now)
		if err := tx.UpdateTicket(ctx, &t); err != nil {
			return err
		}
		if err := tx.AppendTicketHistory(ctx, entries...); err != nil {
			return err
		}
		for _, typ := range evs {
			data := ticketData(t)
			if typ == "ticket.status_changed" {
				data["from"] = from
			}
			if err := emit(ctx, tx, actor, typ, t, now, data); err != nil {
				return err
			}
		}
		out = t
		return nil
	}()
	if err != nil {
		return Ticket{}, err
	}
	return out, nil
}

// applyFields validates and applies the field edits of p.
func (s *Service) applyFields(ctx context.Context, tx Tx, t *Ticket, p Patch) error {
	var b validation.Builder
	if p.Title != nil {
		t.Title = b.Text("title", *p.Title, 1, MaxTitleLength)
	}
	if p.Description != nil {
		t.Description = b.Text("description", *p.Description, 0, MaxDescriptionLength)
	}
	if p.Category != nil {
		t.Category = b.Text("category", *p.Category, 0, MaxCategoryLength)
	}
	if p.Priority != nil {
		if !p.Priority.Valid() {
			b.Add("priority", "must be one of low, medium, high, critical")
		}
		t.Priority = *p.Priority
	}
	if p.Tags != nil {
		t.Tags = cleanTags(&b, *p.Tags)
	}
	if err := b.Err(); err != nil {
		return err
	}
	if p.AssetID != nil && *p.AssetID != t.AssetID {
		if *p.AssetID != 0 {
			if _, err := tx.AssetByID(ctx, t.CompanyID, *p.AssetID); errors.Is(err, storage.ErrNotFound) {
				return validation.Field("asset_id", "no asset %d in this company", *p.AssetID)
			} else if err != nil {
				return err
			}
		}
		t.AssetID = *p.AssetID
	}
	return nil
}

// transition moves t to status to, with the side effects on timestamps and
// SLA pauses.
func (s *Service) transition(t *Ticket, actor tenant.Actor, to Status, p Patch, now time.Time) error {
	fields := map[string]any{"resolution_note": p.ResolutionNote, "reason": p.Reason}
	if err := s.machine.Check(workflow.Attempt[Status]{Actor: actor, From: t.Status, To: to, Fields: fields}); err != nil {
		return err
	}
	if err := s.mayTransition(actor, *t, to); err != nil {
		return err
	}
	var b validation.Builder
	note := b.Text("resolution_note", p.ResolutionNote, 0, MaxDescriptionLength)
	reason := b.Text("reason", p.Reason, 0, MaxTitleLength)
	if err := b.Err(); err != nil {
		return err
	}
	if t.Status.Paused() && len(t.Pauses) > 0 && t.Pauses[len(t.Pauses)-1].To.IsZero() {
		t.Pauses[len(t.Pauses)-1].To = now
	}
	switch to {
	case StatusPendingCustomer, StatusPendingThirdParty:
		t.Pauses = append(t.Pauses, sla.Pause{From: now})
	case StatusResolved:
		t.ResolvedAt, t.ResolutionNote = now, note
	case StatusClosed:
		t.ClosedAt = now
	case StatusCancelled:
		t.CancelReason = reason
	case StatusOpen:
		if t.Status == StatusResolved { // reopen: the clock resumes where it stopped
			if t.FirstResponseAt.IsZero() {
				t.FirstResponseAt = t.ResolvedAt
			}
			t.Pauses = append(t.Pauses, sla.Pause{From: t.ResolvedAt, To: now})
			t.ResolvedAt, t.ResolutionNote = time.Time{}, ""
			t.ReopenCount++
		}
	}
	t.Status = to
	return nil
}

// Assign gives a ticket to an agent or admin of the same company (zero
// unassigns). It needs tenant.PermTicketsManage and emits ticket.assigned.
func (s *Service) Assign(ctx context.Context, actor tenant.Actor, id int64, user tenant.UserID, version int64) (Details, error) {
	if err := actor.RequireIn(tenant.PermTicketsManage); err != nil {
		return Details{}, err
	}
	var out Ticket
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		t, err := tx.TicketByID(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if version != 0 && version != t.Version {
			return fmt.Errorf("expected version %d, current is %d: %w", version, t.Version, storage.ErrStale)
		}
		if user != 0 {
			u, err := tx.UserByID(ctx, actor.CompanyID, user)
			if errors.Is(err, storage.ErrNotFound) {
				return validation.Field("assignee_user_id", "no user %d in this company", user)
			} else if err != nil {
				return err
			}
			if !u.Active || (u.Role != tenant.RoleAgent && u.Role != tenant.RoleAdmin) {
				return validation.Field("assignee_user_id", "user %d is not an active agent or admin", user)
			}
		}
		if !t.Status.Active() {
			return fmt.Errorf("ticket %d is %s: %w", id, t.Status, storage.ErrConflict)
		}
		out = t
		if t.AssigneeUserID == user {
			return nil
		}
		now := s.clock()
		data := ticketData(t)
		data["previous_assignee_user_id"] = t.AssigneeUserID
		action := HistoryAssigned
		if user == 0 {
			action = HistoryUnassigned
		}
		e := entry(t, actor, now, action, "assignee_user_id", idText(t.AssigneeUserID), idText(user), "")
		t.AssigneeUserID, t.UpdatedAt = user, now
		data["assignee_user_id"] = user
		if err := tx.UpdateTicket(ctx, &t); err != nil {
			return err
		}
		if err := tx.AppendTicketHistory(ctx, e); err != nil {
			return err
		}
		out = t
		return emit(ctx, tx, actor, "ticket.assigned", t, now, data)
	})
	if err != nil {
		return Details{}, fmt.Errorf("assigning ticket %d: %w", id, err)
	}
	return s.details(ctx, actor, out)
}

// AddComment adds a public reply or an internal note. Agents and admins
// comment on every ticket; requesters reply publicly on their own. The
// first public reply by an agent or admin records the first response. It
// emits ticket.commented (without the body of internal notes).
func (s *Service) AddComment(ctx context.Context, actor tenant.Actor, id int64, body string, internal bool) (Comment, error) {
	var c Comment
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		c, err = s.AddCommentTx(ctx, tx, actor, id, CommentInput{Body: body, Internal: internal})
		return err
	})
	return c, err
}

// CommentInput is a comment for AddCommentTx.
type CommentInput struct {
	Body     string
	Internal bool
	// Attach, when set, runs in the unit of work right after the comment
	// is written (the attachments package writes the comment's files
	// there); what it returns is listed as "attachments" in the
	// ticket.commented event. A comment with Attach may have an empty
	// body.
	Attach func(ctx context.Context, c Comment) (any, error)
}

// AddCommentTx is AddComment inside the caller's unit of work.
func (s *Service) AddCommentTx(ctx context.Context, tx Tx, actor tenant.Actor, id int64, in CommentInput) (Comment, error) {
	staff := actor.Can(tenant.PermTicketsManage)
	if !staff {
		if err := actor.RequireIn(tenant.PermTicketsCreate); err != nil {
			return Comment{}, err
		}
	} else if err := actor.RequireIn(tenant.PermTicketsManage); err != nil {
		return Comment{}, err
	}
	var b validation.Builder
	minBody := 1
	if in.Attach != nil {
		minBody = 0
	}
	text := b.Text("body", in.Body, minBody, MaxCommentLength)
	internal := in.Internal
	if internal && !staff {
		b.Add("internal", "only agents and admins write internal notes")
	}
	if err := b.Err(); err != nil {
		return Comment{}, err
	}
	c, err := s.addComment(ctx, tx, actor, id, text, internal, staff, in.Attach)
	if err != nil {
		return Comment{}, fmt.Errorf("commenting on ticket %d: %w", id, err)
	}
	return c, nil
}

func (s *Service) addComment(ctx context.Context, tx Tx, actor tenant.Actor, id int64, text string, internal, staff bool,
	attach func(ctx context.Context, c Comment) (any, error)) (Comment, error) {
	t, err := tx.TicketByID(ctx, actor.CompanyID, id)
	if err != nil {
		return Comment{}, err
	}
	if err := visible(t, actor); err != nil {
		return Comment{}, err
	}
	if t.Status == StatusClosed || t.Status == StatusCancelled {
		return Comment{}, fmt.Errorf("ticket %d is %s and takes no more comments: %w", id, t.Status, storage.ErrConflict)
	}
	now := s.clock()
	c := Comment{CompanyID: t.CompanyID, TicketID: t.ID, AuthorUserID: actor.UserID, Body: text, Internal: internal, CreatedAt: now}
	if err := tx.InsertComment(ctx, &c); err != nil {
		return Comment{}, err
	}
	var files any
	if attach != nil {
		if files, err = attach(ctx, c); err != nil {
			return Comment{}, err
		}
	}
	if staff && !internal && t.FirstResponseAt.IsZero() {
		co, err := tx.CompanyByID(ctx, t.CompanyID)
		if err != nil {
			return Comment{}, err
		}
		t.FirstResponseAt, t.UpdatedAt = now, now
		s.refreshSLA(&t, co, now)
		if err := tx.UpdateTicket(ctx, &t); err != nil {
			return Comment{}, err
		}
	}
	e := entry(t, actor, now, HistoryCommented, "comment", "", idText(c.ID), "")
	e.Internal = internal
	if err := tx.AppendTicketHistory(ctx, e); err != nil {
		return Comment{}, err
	}
	data := map[string]any{"ticket_id": t.ID, "number": t.Number, "comment_id": c.ID, "internal": internal,
		"author_user_id": actor.UserID}
	if !internal {
		data["body"] = text
	}
	if files != nil {
		data["attachments"] = files
	}
	return c, emit(ctx, tx, actor, "ticket.commented", t, now, data)
}

// Comments lists a ticket's comments, oldest first; requesters never see
// internal notes.
func (s *Service) Comments(ctx context.Context, actor tenant.Actor, id int64, p storage.PageRequest) (storage.Page[Comment], error) {
	d, err := s.Get(ctx, actor, id)
	if err != nil {
		return storage.Page[Comment]{}, err
	}
	return s.store.ListComments(ctx, actor.CompanyID, d.Ticket.ID, actor.Can(tenant.PermTicketsRead), p.Normalize())
}

func fieldErr(field, msg string) error { return validation.Field(field, "%s", msg) }
