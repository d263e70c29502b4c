package attachments

import (
	"context"
	"time"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/serviceorders"
	"github.com/sistemaboladao/boladao/tickets"
)

// Queries are the reads attachments need. Methods taking a company read
// only that company's rows: another company's row is storage.ErrNotFound.
type Queries interface {
	// AttachmentByID reads an attachment, deleted or not.
	AttachmentByID(ctx context.Context, company tenant.CompanyID, id int64) (Attachment, error)
	// ListAttachments lists the live (not deleted) attachments of owner by
	// ascending ID. For a ticket owner it lists the ticket's files and its
	// comments' files (every row whose TicketID is the ticket), leaving out
	// internal ones unless includeInternal; for the other kinds, the rows
	// of that owner.
	ListAttachments(ctx context.Context, company tenant.CompanyID, owner Owner, includeInternal bool) ([]Attachment, error)
	// AttachmentUsage sums the sizes of the company's live attachments.
	AttachmentUsage(ctx context.Context, company tenant.CompanyID) (int64, error)

	// TicketComment reads a comment of a ticket of the company
	// (storage.ErrNotFound when the ticket has no such comment).
	TicketComment(ctx context.Context, company tenant.CompanyID, ticketID, commentID int64) (tickets.Comment, error)
	TicketByID(ctx context.Context, company tenant.CompanyID, id int64) (tickets.Ticket, error)
	ServiceOrderByID(ctx context.Context, company tenant.CompanyID, id int64) (serviceorders.Order, error)
	AssetByID(ctx context.Context, company tenant.CompanyID, id int64) (inventory.Asset, error)
}

// Tx is the transaction-scoped view of the store inside a unit of work.
type Tx interface {
	Queries
	events.Appender

	// InsertAttachment assigns the attachment's ID.
	InsertAttachment(ctx context.Context, a *Attachment) error
	// MarkAttachmentDeleted sets DeletedAt and DeletedBy of a live
	// attachment of the company (storage.ErrNotFound when there is none, or
	// when it is already deleted).
	MarkAttachmentDeleted(ctx context.Context, company tenant.CompanyID, id int64, by tenant.UserID, at time.Time) error
}

// Store is what attachments need from a storage backend.
type Store interface {
	Queries
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// BlobReferenced reports whether any row, of any company, deleted or
	// not, refers to the contents with this SHA-256 (hex).
	BlobReferenced(ctx context.Context, sha256 string) (bool, error)
}
