package storagetest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/inventory"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

var attachmentCases = []struct {
	name string
	fn   func(t *testing.T, b Backend)
}{
	{"AttachmentsRoundTrip", testAttachmentsRoundTrip},
	{"AttachmentsRollbackLeavesNoRow", testAttachmentsRollback},
	{"AttachmentsQuotaAndBadInput", testAttachmentsQuota},
}

// staged describes a file as Stage would (the conformance suite checks
// the rows; the bytes are the blob store's business).
func staged(name string, size int64, fill byte) attachments.Staged {
	return attachments.Staged{Name: name, Size: size, SHA256: strings.Repeat(string([]byte{fill}), 64),
		ContentType: "image/png"}
}

func newAttachmentsService(b Backend, p attachments.Policy) *attachments.Service {
	return attachments.NewService(b.Attachments(), nil, attachments.WithPolicy(p), attachments.WithClock(func() time.Time { return at }))
}

// testAttachmentsRoundTrip writes files on a ticket, a public comment, an
// internal note and an asset, lists them by owner, keeps internal files
// from requesters, hides another company's, deletes softly.
func testAttachmentsRoundTrip(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	other := f.sibling(t, "Other")
	svc := newAttachmentsService(b, attachments.Policy{})
	tk := f.create(t, tickets.CreateInput{Title: "Printer jam", Priority: "high"})
	pub, err := f.svc.AddComment(ctx(t), f.req, tk.ID, "photo attached", false)
	require.NoError(t, err)
	note, err := f.svc.AddComment(ctx(t), f.agent, tk.ID, "vendor invoice", true)
	require.NoError(t, err)
	_, assets, err := f.inv.Intake(ctx(t), f.admin, inventory.IntakeInput{Name: "Notebook", Category: "Notebook", Quantity: 1, ReceivedAt: at})
	require.NoError(t, err)

	onTicket, err := svc.Attach(ctx(t), f.req, attachments.TicketOwner(tk.ID), []attachments.Staged{staged("../../etc/passwd", 10, 'a')})
	require.NoError(t, err)
	require.Equal(t, attachments.Attachment{ID: onTicket[0].ID, CompanyID: f.co.ID, OwnerKind: attachments.OwnerTicket,
		OwnerID: tk.ID, TicketID: tk.ID, Name: "passwd", Size: 10, SHA256: strings.Repeat("a", 64), ContentType: "image/png",
		UploadedBy: f.req.UserID, CreatedAt: at}, onTicket[0])
	onPub, err := svc.Attach(ctx(t), f.req, attachments.CommentOwner(tk.ID, pub.ID), []attachments.Staged{staged("a.png", 20, 'b'), staged("b.png", 30, 'c')})
	require.NoError(t, err)
	onNote, err := svc.Attach(ctx(t), f.agent, attachments.CommentOwner(tk.ID, note.ID), []attachments.Staged{staged("nf.pdf", 40, 'd')})
	require.NoError(t, err)
	require.True(t, onNote[0].Internal)
	onAsset, err := svc.Attach(ctx(t), f.admin, attachments.AssetOwner(assets[0].ID), []attachments.Staged{staged("foto.jpg", 50, 'e')})
	require.NoError(t, err)

	got, err := b.Attachments().AttachmentByID(ctx(t), f.co.ID, onNote[0].ID)
	require.NoError(t, err)
	require.Equal(t, onNote[0], got)

	names := func(as []attachments.Attachment) []string {
		out := []string{}
		for _, a := range as {
			out = append(out, a.Name)
		}
		return out
	}
	list, err := svc.List(ctx(t), f.agent, attachments.TicketOwner(tk.ID))
	require.NoError(t, err)
	require.Equal(t, []string{"passwd", "a.png", "b.png", "nf.pdf"}, names(list))
	list, err = svc.List(ctx(t), f.req, attachments.TicketOwner(tk.ID))
	require.NoError(t, err)
	require.Equal(t, []string{"passwd", "a.png", "b.png"}, names(list), "requesters never see internal notes' files")
	list, err = svc.List(ctx(t), f.agent, attachments.CommentOwner(tk.ID, pub.ID))
	require.NoError(t, err)
	require.Equal(t, []string{"a.png", "b.png"}, names(list))
	list, err = svc.List(ctx(t), f.agent, attachments.AssetOwner(assets[0].ID))
	require.NoError(t, err)
	require.Equal(t, []string{"foto.jpg"}, names(list))

	// The requester cannot read the internal note's file, nor list the note.
	_, err = svc.Get(ctx(t), f.req, onNote[0].ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = svc.List(ctx(t), f.req, attachments.CommentOwner(tk.ID, note.ID))
	require.ErrorIs(t, err, storage.ErrNotFound)
	// Another requester sees nothing of this ticket.
	_, err = svc.Get(ctx(t), f.req2, onTicket[0].ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	// Another company's attachment and owner do not exist.
	_, err = svc.Get(ctx(t), other.agent, onTicket[0].ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = b.Attachments().AttachmentByID(ctx(t), other.co.ID, onTicket[0].ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = svc.Attach(ctx(t), other.agent, attachments.TicketOwner(tk.ID), []attachments.Staged{staged("x.png", 1, 'f')})
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = svc.Attach(ctx(t), f.agent, attachments.CommentOwner(tk.ID+1000, pub.ID), []attachments.Staged{staged("x.png", 1, 'f')})
	require.ErrorIs(t, err, storage.ErrNotFound)
	// A requester attaches nothing to a note, to an asset or to another's comment.
	_, err = svc.Attach(ctx(t), f.req, attachments.CommentOwner(tk.ID, note.ID), []attachments.Staged{staged("x.png", 1, 'f')})
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = svc.Attach(ctx(t), f.req, attachments.AssetOwner(assets[0].ID), []attachments.Staged{staged("x.png", 1, 'f')})
	require.Error(t, err)

	usage, err := b.Attachments().AttachmentUsage(ctx(t), f.co.ID)
	require.NoError(t, err)
	require.EqualValues(t, 10+20+30+40+50, usage)
	usage, err = b.Attachments().AttachmentUsage(ctx(t), other.co.ID)
	require.NoError(t, err)
	require.Zero(t, usage)

	// Soft delete: gone from lists and reads, the row remembers who and
	// when, the blob stays referenced, and a second delete is not found.
	_, err = svc.Delete(ctx(t), f.req2, onPub[0].ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	del, err := svc.Delete(ctx(t), f.req, onPub[0].ID)
	require.NoError(t, err)
	require.Equal(t, f.req.UserID, del.DeletedBy)
	row, err := b.Attachments().AttachmentByID(ctx(t), f.co.ID, onPub[0].ID)
	require.NoError(t, err)
	require.Equal(t, at, row.DeletedAt)
	require.Equal(t, f.req.UserID, row.DeletedBy)
	_, err = svc.Delete(ctx(t), f.agent, onPub[0].ID)
	require.ErrorIs(t, err, storage.ErrNotFound)
	list, err = svc.List(ctx(t), f.agent, attachments.CommentOwner(tk.ID, pub.ID))
	require.NoError(t, err)
	require.Equal(t, []string{"b.png"}, names(list))
	usage, err = b.Attachments().AttachmentUsage(ctx(t), f.co.ID)
	require.NoError(t, err)
	require.EqualValues(t, 10+30+40+50, usage)
	for _, c := range []struct {
		sum  string
		want bool
	}{{onPub[0].SHA256, true}, {onAsset[0].SHA256, true}, {strings.Repeat("0", 64), false}} {
		used, err := b.Attachments().BlobReferenced(ctx(t), c.sum)
		require.NoError(t, err)
		require.Equal(t, c.want, used, c.sum)
	}

	// Events carry metadata, in the owner's aggregate.
	evs, err := b.OutboxEvents(ctx(t), events.OutboxQuery{CompanyID: f.co.ID, Type: "attachment.added"})
	require.NoError(t, err)
	require.Len(t, evs, 5)
	require.Equal(t, "ticket", evs[0].AggregateType)
	require.JSONEq(t, `{"attachment_id":`+itoa(onTicket[0].ID)+`,"owner_kind":"ticket","owner_id":`+itoa(tk.ID)+
		`,"ticket_id":`+itoa(tk.ID)+`,"name":"passwd","size":10,"content_type":"image/png","sha256":"`+strings.Repeat("a", 64)+
		`","internal":false}`, string(evs[0].Data))
	evs, err = b.OutboxEvents(ctx(t), events.OutboxQuery{CompanyID: f.co.ID, Type: "attachment.deleted"})
	require.NoError(t, err)
	require.Len(t, evs, 1)
}

// testAttachmentsRollback: a unit of work that fails after writing
// attachments leaves neither row nor event, and the blob unreferenced.
func testAttachmentsRollback(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	svc := newAttachmentsService(b, attachments.Policy{})
	tk := f.create(t, tickets.CreateInput{Title: "Printer jam", Priority: "high"})
	boom := errors.New("boom")
	var id int64
	err := b.Attachments().InTx(ctx(t), func(ctx context.Context, tx attachments.Tx) error {
		as, err := svc.AttachTx(ctx, tx, f.agent, attachments.TicketOwner(tk.ID), []attachments.Staged{staged("a.png", 5, '9')})
		require.NoError(t, err)
		id = as[0].ID
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = b.Attachments().AttachmentByID(ctx(t), f.co.ID, id)
	require.ErrorIs(t, err, storage.ErrNotFound)
	used, err := b.Attachments().BlobReferenced(ctx(t), strings.Repeat("9", 64))
	require.NoError(t, err)
	require.False(t, used)
	evs, err := b.OutboxEvents(ctx(t), events.OutboxQuery{CompanyID: f.co.ID, Type: "attachment.added"})
	require.NoError(t, err)
	require.Empty(t, evs)
}

// testAttachmentsQuota refuses what would exceed the company's quota,
// writing nothing, and refuses files that were not staged.
func testAttachmentsQuota(t *testing.T, b Backend) {
	f := newTkFixture(t, b, "Acme")
	svc := newAttachmentsService(b, attachments.Policy{QuotaBytes: 100})
	tk := f.create(t, tickets.CreateInput{Title: "Printer jam", Priority: "high"})
	_, err := svc.Attach(ctx(t), f.agent, attachments.TicketOwner(tk.ID), []attachments.Staged{staged("a.png", 60, '1')})
	require.NoError(t, err)
	_, err = svc.Attach(ctx(t), f.agent, attachments.TicketOwner(tk.ID), []attachments.Staged{staged("b.png", 30, '2'), staged("c.png", 30, '3')})
	var le *attachments.LimitError
	require.ErrorAs(t, err, &le)
	require.ErrorIs(t, err, attachments.ErrQuotaExceeded)
	require.EqualValues(t, 60, le.Used)
	_, err = svc.Attach(ctx(t), f.agent, attachments.TicketOwner(tk.ID), []attachments.Staged{{Name: "forged.png", Size: 1, SHA256: "../x"}})
	require.Error(t, err)
	list, err := svc.List(ctx(t), f.agent, attachments.TicketOwner(tk.ID))
	require.NoError(t, err)
	require.Len(t, list, 1)
	// A viewer reads but attaches nothing.
	viewer := f.person(t, "viewer", tenant.RoleViewer)
	_, err = svc.List(ctx(t), viewer, attachments.TicketOwner(tk.ID))
	require.NoError(t, err)
	_, err = svc.Attach(ctx(t), viewer, attachments.TicketOwner(tk.ID), []attachments.Staged{staged("v.png", 1, '4')})
	require.ErrorIs(t, err, tenant.ErrForbidden)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
