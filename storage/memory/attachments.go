package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

// Compile-time proof that the store serves the attachments contract.
var (
	_ attachments.Store = attachmentsStore{}
	_ attachments.Tx    = (*tx)(nil)
)

type attachmentsStore struct {
	reader
	s *Store
}

// Attachments returns the store as the attachments package's storage
// contract.
func (s *Store) Attachments() attachments.Store { return attachmentsStore{reader: reader{s: s}, s: s} }

func (a attachmentsStore) InTx(ctx context.Context, fn func(ctx context.Context, tx attachments.Tx) error) error {
	return a.s.inTx(ctx, func(ctx context.Context, x *tx) error { return fn(ctx, x) })
}

// BlobReferenced reports whether any attachment row refers to the contents.
func (a attachmentsStore) BlobReferenced(ctx context.Context, sha256 string) (bool, error) {
	release, err := a.enter(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	for _, row := range a.s.t.attachments.rows {
		if row.SHA256 == sha256 {
			return true, nil
		}
	}
	return false, nil
}

// AttachmentByID reads an attachment of the company, deleted or not.
func (r reader) AttachmentByID(ctx context.Context, company tenant.CompanyID, id int64) (attachments.Attachment, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return attachments.Attachment{}, err
	}
	defer release()
	a, ok := r.s.t.attachments.get(id)
	if !ok || a.CompanyID != company {
		return attachments.Attachment{}, fmt.Errorf("memory: attachment %d of company %d: %w", id, company, storage.ErrNotFound)
	}
	return a, nil
}

// ListAttachments lists the live attachments of owner by ascending ID.
func (r reader) ListAttachments(ctx context.Context, company tenant.CompanyID, owner attachments.Owner, includeInternal bool) ([]attachments.Attachment, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	out := []attachments.Attachment{}
	r.s.t.attachments.scan(0, func(a attachments.Attachment) bool {
		if a.CompanyID != company || a.Deleted() || (a.Internal && !includeInternal) {
			return true
		}
		if owner.Kind == attachments.OwnerTicket && a.TicketID == owner.ID ||
			owner.Kind != attachments.OwnerTicket && a.OwnerKind == owner.Kind && a.OwnerID == owner.ID {
			out = append(out, a)
		}
		return true
	})
	return out, nil
}

// AttachmentUsage sums the sizes of the company's live attachments.
func (r reader) AttachmentUsage(ctx context.Context, company tenant.CompanyID) (int64, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	var n int64
	for _, a := range r.s.t.attachments.rows {
		if a.CompanyID == company && !a.Deleted() {
			n += a.Size
		}
	}
	return n, nil
}

// TicketComment reads a comment of a ticket of the company.
func (r reader) TicketComment(ctx context.Context, company tenant.CompanyID, ticketID, commentID int64) (tickets.Comment, error) {
	release, err := r.enter(ctx)
	if err != nil {
		return tickets.Comment{}, err
	}
	defer release()
	c, ok := r.s.t.tickets.comments.get(commentID)
	if !ok || c.CompanyID != company || c.TicketID != ticketID {
		return tickets.Comment{}, fmt.Errorf("memory: comment %d of ticket %d: %w", commentID, ticketID, storage.ErrNotFound)
	}
	return cloneComment(c), nil
}

// InsertAttachment assigns the attachment's ID.
func (x *tx) InsertAttachment(ctx context.Context, a *attachments.Attachment) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t.attachments
	row := *a
	row.ID = t.allocate()
	t.put(row.ID, row)
	x.onRollback(func() { t.remove(row.ID) })
	a.ID = row.ID
	return nil
}

// MarkAttachmentDeleted soft-deletes a live attachment of the company.
func (x *tx) MarkAttachmentDeleted(ctx context.Context, company tenant.CompanyID, id int64, by tenant.UserID, at time.Time) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t.attachments
	a, ok := t.get(id)
	if !ok || a.CompanyID != company || a.Deleted() {
		return fmt.Errorf("memory: deleting attachment %d: %w", id, storage.ErrNotFound)
	}
	prev := a
	a.DeletedAt, a.DeletedBy = at.UTC(), by
	t.put(id, a)
	x.onRollback(func() { t.put(id, prev) })
	return nil
}
