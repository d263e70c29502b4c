package attachments

import (
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// OwnerKind names what an attachment belongs to.
type OwnerKind string

// The kinds of owners.
const (
	OwnerTicket       OwnerKind = "ticket"
	OwnerComment      OwnerKind = "comment"
	OwnerServiceOrder OwnerKind = "service_order"
	OwnerAsset        OwnerKind = "asset"
)

// Valid reports whether k is one of the owner kinds.
func (k OwnerKind) Valid() bool {
	switch k {
	case OwnerTicket, OwnerComment, OwnerServiceOrder, OwnerAsset:
		return true
	}
	return false
}

// Owner is the record an attachment belongs to. A comment owner also names
// its ticket.
type Owner struct {
	Kind OwnerKind
	ID   int64
	// TicketID is the comment's ticket when Kind is OwnerComment; it is
	// ignored otherwise.
	TicketID int64
}

// TicketOwner, CommentOwner, ServiceOrderOwner and AssetOwner build owners.
func TicketOwner(id int64) Owner { return Owner{Kind: OwnerTicket, ID: id} }

// CommentOwner is the comment id of ticket.
func CommentOwner(ticket, id int64) Owner { return Owner{Kind: OwnerComment, ID: id, TicketID: ticket} }

// ServiceOrderOwner is the service order id.
func ServiceOrderOwner(id int64) Owner { return Owner{Kind: OwnerServiceOrder, ID: id} }

// AssetOwner is the asset id.
func AssetOwner(id int64) Owner { return Owner{Kind: OwnerAsset, ID: id} }

// String is "kind id".
func (o Owner) String() string { return fmt.Sprintf("%s %d", o.Kind, o.ID) }

// Attachment is the metadata of one attached file.
type Attachment struct {
	ID        int64
	CompanyID tenant.CompanyID
	OwnerKind OwnerKind
	OwnerID   int64
	// TicketID is the ticket of a ticket's or a comment's attachment, zero
	// for service orders and assets; lists of a ticket include its
	// comments' files through it.
	TicketID int64
	// Internal is set on the files of internal notes, which requesters never
	// see.
	Internal bool
	// Name is the sanitized file name (see SanitizeName).
	Name string
	Size int64
	// SHA256 is the hex digest of the contents; the blob's key and the
	// download's ETag derive from it.
	SHA256 string
	// ContentType is sniffed from the contents, never taken from the client.
	ContentType string
	UploadedBy  tenant.UserID
	CreatedAt   time.Time
	// DeletedAt and DeletedBy are set by a (soft) delete.
	DeletedAt time.Time
	DeletedBy tenant.UserID
}

// Owner returns the attachment's owner.
func (a Attachment) Owner() Owner {
	o := Owner{Kind: a.OwnerKind, ID: a.OwnerID}
	if a.OwnerKind == OwnerComment {
		o.TicketID = a.TicketID
	}
	return o
}

// Deleted reports whether the attachment was deleted.
func (a Attachment) Deleted() bool { return !a.DeletedAt.IsZero() }

// Staged is a file whose bytes are in the bucket but which no row refers
// to yet: what Stage returns and AttachTx takes.
type Staged struct {
	Name        string
	Size        int64
	SHA256      string
	ContentType string
}

// eventData is the metadata events carry: never the contents.
func (a Attachment) eventData() map[string]any {
	d := map[string]any{"attachment_id": a.ID, "owner_kind": a.OwnerKind, "owner_id": a.OwnerID, "name": a.Name,
		"size": a.Size, "content_type": a.ContentType, "sha256": a.SHA256, "internal": a.Internal}
	if a.TicketID != 0 {
		d["ticket_id"] = a.TicketID
	}
	return d
}

// Summary is the metadata of an attachment as other events list it (the
// ticket.commented event lists its comment's files).
type Summary struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	SHA256      string `json:"sha256"`
}

// Summarize lists the summaries of as.
func Summarize(as []Attachment) []Summary {
	out := make([]Summary, len(as))
	for i, a := range as {
		out[i] = Summary{ID: a.ID, Name: a.Name, Size: a.Size, ContentType: a.ContentType, SHA256: a.SHA256}
	}
	return out
}
