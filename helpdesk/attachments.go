package helpdesk

import (
	"context"
	"time"

	"github.com/sistemaboladao/boladao/attachments"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/tickets"
)

// attachmentsConfig is what WithAttachments sets.
type attachmentsConfig struct {
	blobs  *attachments.Blobs
	policy attachments.Policy
	grace  time.Duration
}

// WithAttachments gives the desk a bucket for the files attached to
// tickets, comments, service orders and assets, and the policy uploads
// follow (limits, accepted types). Without it the desk stores no files:
// uploads and downloads fail with attachments.ErrNoBlobStore.
func WithAttachments(blobs *attachments.Blobs, policy attachments.Policy) Option {
	return func(c *config) { c.attachments.blobs, c.attachments.policy = blobs, policy }
}

// WithFilesGCGrace sets how old a blob no row refers to must be before
// Run's maintenance deletes it (default attachments.DefaultGCGrace): longer
// than any upload takes.
func WithFilesGCGrace(d time.Duration) Option { return func(c *config) { c.attachments.grace = d } }

func newAttachments(store Store, cfg config) *attachments.Service {
	return attachments.NewService(store.Attachments(), cfg.attachments.blobs,
		attachments.WithClock(cfg.now), attachments.WithPolicy(cfg.attachments.policy))
}

// CommentWithFiles adds a comment with staged files (see
// attachments.Service.Stage) in one unit of work: the comment, its
// attachments, their attachment.added events and the ticket.commented
// event, which lists the files, commit together. The body may be empty
// when files are given.
func (d *Desk) CommentWithFiles(ctx context.Context, actor tenant.Actor, ticketID int64, body string, internal bool,
	files []attachments.Staged) (tickets.Comment, []attachments.Attachment, error) {
	var (
		c     tickets.Comment
		added []attachments.Attachment
	)
	err := d.InTx(ctx, func(ctx context.Context, tx Tx) error {
		in := tickets.CommentInput{Body: body, Internal: internal}
		if len(files) > 0 {
			in.Attach = func(ctx context.Context, c tickets.Comment) (any, error) {
				var err error
				added, err = d.Attachments.AttachTx(ctx, tx, actor, attachments.CommentOwner(c.TicketID, c.ID), files)
				return attachments.Summarize(added), err
			}
		}
		var err error
		c, err = d.Tickets.AddCommentTx(ctx, tx, actor, ticketID, in)
		return err
	})
	if err != nil {
		return tickets.Comment{}, nil, err
	}
	return c, added, nil
}

// collectFiles deletes the blobs no row refers to, older than the grace
// period; a failure counts as one of the purge loop's and is retried on
// the next tick.
func (d *Desk) collectFiles(ctx context.Context) {
	if d.filesGrace < 0 {
		return
	}
	_, err := d.Attachments.CollectGarbage(ctx, d.filesGrace)
	if err == attachments.ErrNoBlobStore {
		return
	}
	d.loopFailed(ctx, LoopPurge, err)
}
