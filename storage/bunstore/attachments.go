package bunstore

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/tickets"
)

// Compile-time proof that the store serves the attachments contract.
var (
	_ attachments.Store = attachmentsStore{}
	_ attachments.Tx    = (*Tx)(nil)
)

type attachmentsStore struct{ *Store }

// Attachments returns the store as the attachments package sees it.
func (s *Store) Attachments() attachments.Store { return attachmentsStore{s} }

func (s attachmentsStore) InTx(ctx context.Context, fn func(ctx context.Context, tx attachments.Tx) error) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Tx) error { return fn(ctx, tx) })
}

// attachmentRow is an attachments row; optional IDs and times are NULL
// when zero.
type attachmentRow struct {
	bun.BaseModel `bun:"table:attachments"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	OwnerKind     string    `bun:"owner_kind"`
	OwnerID       int64     `bun:"owner_id"`
	TicketID      int64     `bun:"ticket_id,nullzero"`
	Internal      bool      `bun:"internal"`
	Name          string    `bun:"name"`
	Size          int64     `bun:"size"`
	SHA256        string    `bun:"sha256"`
	ContentType   string    `bun:"content_type"`
	UploadedBy    int64     `bun:"uploaded_by,nullzero"`
	CreatedAt     time.Time `bun:"created_at"`
	DeletedAt     time.Time `bun:"deleted_at,nullzero"`
	DeletedBy     int64     `bun:"deleted_by,nullzero"`
}

func (r attachmentRow) model() attachments.Attachment {
	a := attachments.Attachment{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), OwnerKind: attachments.OwnerKind(r.OwnerKind),
		OwnerID: r.OwnerID, TicketID: r.TicketID, Internal: r.Internal, Name: r.Name, Size: r.Size, SHA256: r.SHA256,
		ContentType: r.ContentType, UploadedBy: tenant.UserID(r.UploadedBy), CreatedAt: r.CreatedAt.UTC(),
		DeletedBy: tenant.UserID(r.DeletedBy)}
	if !r.DeletedAt.IsZero() {
		a.DeletedAt = r.DeletedAt.UTC()
	}
	return a
}

// AttachmentByID implements attachments.Queries.
func (q queries) AttachmentByID(ctx context.Context, company tenant.CompanyID, id int64) (attachments.Attachment, error) {
	var r attachmentRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ? AND id = ?", int64(company), id).Scan(ctx)
	return r.model(), translate(err, fmt.Sprintf("attachment %d", id))
}

// ListAttachments implements attachments.Queries.
func (q queries) ListAttachments(ctx context.Context, company tenant.CompanyID, owner attachments.Owner, includeInternal bool) ([]attachments.Attachment, error) {
	var rows []attachmentRow
	sq := q.db.NewSelect().Model(&rows).Where("company_id = ? AND deleted_at IS NULL", int64(company))
	if owner.Kind == attachments.OwnerTicket {
		sq = sq.Where("ticket_id = ?", owner.ID)
	} else {
		sq = sq.Where("owner_kind = ? AND owner_id = ?", string(owner.Kind), owner.ID)
	}
	if !includeInternal {
		sq = sq.Where("internal = ?", false)
	}
	if err := sq.OrderExpr("id ASC").Scan(ctx); err != nil {
		return nil, translate(err, fmt.Sprintf("listing the attachments of %s", owner))
	}
	out := make([]attachments.Attachment, len(rows))
	for i, r := range rows {
		out[i] = r.model()
	}
	return out, nil
}

// AttachmentUsage implements attachments.Queries.
func (q queries) AttachmentUsage(ctx context.Context, company tenant.CompanyID) (int64, error) {
	var n int64
	err := q.db.NewSelect().Table("attachments").ColumnExpr("COALESCE(SUM(size), 0)").
		Where("company_id = ? AND deleted_at IS NULL", int64(company)).Scan(ctx, &n)
	return n, translate(err, fmt.Sprintf("summing the attachments of company %d", company))
}

// TicketComment implements attachments.Queries.
func (q queries) TicketComment(ctx context.Context, company tenant.CompanyID, ticketID, commentID int64) (tickets.Comment, error) {
	var r commentRow
	err := q.db.NewSelect().Model(&r).Where("company_id = ? AND ticket_id = ? AND id = ?", int64(company), ticketID, commentID).Scan(ctx)
	return r.model(), translate(err, fmt.Sprintf("comment %d of ticket %d", commentID, ticketID))
}

// BlobReferenced implements attachments.Store.
func (s attachmentsStore) BlobReferenced(ctx context.Context, sha256 string) (bool, error) {
	ok, err := s.read.NewSelect().Table("attachments").Where("sha256 = ?", sha256).Exists(ctx)
	return ok, translate(err, "looking for a blob's rows")
}

// InsertAttachment implements attachments.Tx.
func (t *Tx) InsertAttachment(ctx context.Context, a *attachments.Attachment) error {
	r := attachmentRow{CompanyID: int64(a.CompanyID), OwnerKind: string(a.OwnerKind), OwnerID: a.OwnerID, TicketID: a.TicketID,
		Internal: a.Internal, Name: a.Name, Size: a.Size, SHA256: a.SHA256, ContentType: a.ContentType,
		UploadedBy: int64(a.UploadedBy), CreatedAt: a.CreatedAt.UTC()}
	if err := insert(ctx, t.db, &r, fmt.Sprintf("attachment %q", a.Name)); err != nil {
		return err
	}
	a.ID = r.ID
	return nil
}

// MarkAttachmentDeleted implements attachments.Tx.
func (t *Tx) MarkAttachmentDeleted(ctx context.Context, company tenant.CompanyID, id int64, by tenant.UserID, at time.Time) error {
	res, err := t.db.NewUpdate().Table("attachments").Set("deleted_at = ?", at.UTC()).Set("deleted_by = ?", nullID(int64(by))).
		Where("company_id = ? AND id = ? AND deleted_at IS NULL", int64(company), id).Exec(ctx)
	return affectedOne(res, err, fmt.Sprintf("deleting attachment %d", id))
}

// nullID is NULL for a zero ID.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
