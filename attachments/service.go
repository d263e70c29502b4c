package attachments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// Service stores and serves attachments for an actor. It is safe for
// concurrent use.
type Service struct {
	store  Store
	blobs  *Blobs
	policy Policy
	now    func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithPolicy sets the limits and accepted types (default: 25 MiB per file,
// 5 GiB per company, every type but executables).
func WithPolicy(p Policy) Option { return func(s *Service) { s.policy = p } }

// NewService returns an attachments service over store, keeping bytes in
// blobs. With nil blobs the service lists and reads metadata, and uploads
// and downloads fail with ErrNoBlobStore.
func NewService(store Store, blobs *Blobs, opts ...Option) *Service {
	s := &Service{store: store, blobs: blobs, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Enabled reports whether the service has a blob store, so that uploads
// and downloads can work.
func (s *Service) Enabled() bool { return s.blobs != nil }

// Policy returns the service's policy, its defaults filled in.
func (s *Service) Policy() Policy {
	p := s.policy
	p.MaxFileBytes, p.QuotaBytes = p.maxFile(), p.quota()
	return p
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// mayUpload reports whether the actor may attach files to anything at all.
func mayUpload(actor tenant.Actor) error {
	for _, p := range []tenant.Permission{tenant.PermTicketsManage, tenant.PermTicketsCreate, tenant.PermOrdersManage, tenant.PermAssetsManage} {
		if actor.Can(p) {
			return actor.RequireIn(p)
		}
	}
	return actor.RequireIn(tenant.PermTicketsCreate)
}

// Stage streams a file into the bucket and describes it: the first step of
// an upload (see the package documentation). name is the client's file
// name, sanitized here. The file is refused, with nothing stored, when it
// is empty, larger than the policy's limit (*LimitError), an executable or
// of a type the policy does not accept (*TypeError). What Stage wrote is
// garbage until AttachTx refers to it.
func (s *Service) Stage(ctx context.Context, actor tenant.Actor, name string, r io.Reader) (Staged, error) {
	if err := mayUpload(actor); err != nil {
		return Staged{}, err
	}
	if s.blobs == nil {
		return Staged{}, ErrNoBlobStore
	}
	return s.blobs.put(ctx, SanitizeName(name), r, s.policy)
}

// CheckAttach reports whether the actor may attach files to owner now
// (the checks of AttachTx, without the quota): callers check it before
// streaming an upload, so that bytes meant for a missing or foreign owner
// are never stored.
func (s *Service) CheckAttach(ctx context.Context, actor tenant.Actor, owner Owner) error {
	if err := mayUpload(actor); err != nil {
		return err
	}
	_, err := s.writable(ctx, s.store, actor, owner)
	return err
}

// Attach writes the attachments of staged files to owner in a unit of work
// of its own.
func (s *Service) Attach(ctx context.Context, actor tenant.Actor, owner Owner, files []Staged) ([]Attachment, error) {
	var out []Attachment
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, err = s.AttachTx(ctx, tx, actor, owner, files)
		return err
	})
	return out, err
}

// AttachTx writes the attachments of staged files to owner inside the
// caller's unit of work, with an attachment.added event each: the second
// step of an upload. The owner must exist in the actor's company and be
// visible to the actor; agents and admins attach to everything they
// manage, requesters to their own tickets and their own comments. The
// company's quota is checked against its live files.
func (s *Service) AttachTx(ctx context.Context, tx Tx, actor tenant.Actor, owner Owner, files []Staged) ([]Attachment, error) {
	if err := mayUpload(actor); err != nil {
		return nil, err
	}
	target, err := s.writable(ctx, tx, actor, owner)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, f := range files {
		if len(f.SHA256) != 64 || f.Size <= 0 {
			return nil, fmt.Errorf("attachments: %q was not staged: call Stage first", f.Name)
		}
		total += f.Size
	}
	if q := s.policy.quota(); q > 0 && total > 0 {
		used, err := tx.AttachmentUsage(ctx, actor.CompanyID)
		if err != nil {
			return nil, err
		}
		if used+total > q {
			return nil, &LimitError{Err: ErrQuotaExceeded, Limit: q, Used: used}
		}
	}
	now := s.clock()
	out := make([]Attachment, 0, len(files))
	for _, f := range files {
		a := Attachment{CompanyID: actor.CompanyID, OwnerKind: owner.Kind, OwnerID: owner.ID, TicketID: target.ticketID,
			Internal: target.internal, Name: SanitizeName(f.Name), Size: f.Size, SHA256: f.SHA256,
			ContentType: f.ContentType, UploadedBy: actor.UserID, CreatedAt: now}
		if err := tx.InsertAttachment(ctx, &a); err != nil {
			return nil, err
		}
		if err := emit(ctx, tx, actor, "attachment.added", a, now); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func emit(ctx context.Context, tx Tx, actor tenant.Actor, typ string, a Attachment, at time.Time) error {
	// Events of a ticket's and its comments' files are the ticket's, so
	// that they keep their order with the ticket's other events.
	aggregate, id := string(a.OwnerKind), a.OwnerID
	if a.TicketID != 0 {
		aggregate, id = "ticket", a.TicketID
	}
	data := a.eventData()
	if typ == "attachment.deleted" {
		data["deleted_by"] = a.DeletedBy
	}
	ev, err := events.New(typ, a.CompanyID, aggregate, strconv.FormatInt(id, 10), actor, at, data)
	if err != nil {
		return err
	}
	return tx.AppendEvents(ctx, ev)
}

// target is what the rows of an owner's files copy from it.
type target struct {
	ticketID int64
	internal bool
	// uploader is the user who may also delete (requesters' own files).
	staff bool
}

// readable checks that owner exists in the actor's company and is visible
// to the actor, exactly as the owner's own reads do.
func (s *Service) readable(ctx context.Context, q Queries, actor tenant.Actor, owner Owner) (target, error) {
	notFound := fmt.Errorf("%s: %w", owner, storage.ErrNotFound)
	switch owner.Kind {
	case OwnerTicket, OwnerComment:
		staff := actor.Can(tenant.PermTicketsRead)
		if !staff {
			if err := actor.RequireIn(tenant.PermTicketsReadOwn); err != nil {
				return target{}, err
			}
		} else if err := actor.RequireIn(tenant.PermTicketsRead); err != nil {
			return target{}, err
		}
		ticketID := owner.ID
		if owner.Kind == OwnerComment {
			ticketID = owner.TicketID
		}
		t, err := q.TicketByID(ctx, actor.CompanyID, ticketID)
		if err != nil {
			return target{}, fmt.Errorf("ticket %d: %w", ticketID, err)
		}
		if !staff && (actor.ContactID == 0 || t.RequesterContactID != actor.ContactID) {
			return target{}, notFound
		}
		tg := target{ticketID: t.ID, staff: staff}
		if owner.Kind == OwnerComment {
			c, err := q.TicketComment(ctx, actor.CompanyID, t.ID, owner.ID)
			if err != nil {
				return target{}, fmt.Errorf("comment %d of ticket %d: %w", owner.ID, t.ID, err)
			}
			if c.Internal && !staff {
				return target{}, notFound
			}
			tg.internal = c.Internal
		}
		return tg, nil
	case OwnerServiceOrder:
		if err := actor.RequireIn(tenant.PermOrdersRead); err != nil {
			return target{}, err
		}
		if _, err := q.ServiceOrderByID(ctx, actor.CompanyID, owner.ID); err != nil {
			return target{}, fmt.Errorf("service order %d: %w", owner.ID, err)
		}
		return target{staff: actor.Can(tenant.PermOrdersManage)}, nil
	case OwnerAsset:
		own := !actor.Can(tenant.PermAssetsRead)
		perm := tenant.PermAssetsRead
		if own {
			perm = tenant.PermAssetsReadOwn
		}
		if err := actor.RequireIn(perm); err != nil {
			return target{}, err
		}
		a, err := q.AssetByID(ctx, actor.CompanyID, owner.ID)
		if err != nil {
			return target{}, fmt.Errorf("asset %d: %w", owner.ID, err)
		}
		if own && (actor.ContactID == 0 || a.AssigneeContactID != actor.ContactID) {
			return target{}, notFound
		}
		return target{staff: actor.Can(tenant.PermAssetsManage)}, nil
	}
	return target{}, fmt.Errorf("%w: unknown owner kind %q: use ticket, comment, service_order or asset", storage.ErrNotFound, owner.Kind)
}

// writable checks that the actor may attach files to owner.
func (s *Service) writable(ctx context.Context, q Queries, actor tenant.Actor, owner Owner) (target, error) {
	tg, err := s.readable(ctx, q, actor, owner)
	if err != nil {
		return target{}, err
	}
	switch owner.Kind {
	case OwnerTicket, OwnerComment:
		if actor.Can(tenant.PermTicketsManage) {
			return tg, actor.RequireIn(tenant.PermTicketsManage)
		}
		if err := actor.RequireIn(tenant.PermTicketsCreate); err != nil {
			return target{}, err
		}
		if owner.Kind == OwnerComment {
			c, err := q.TicketComment(ctx, actor.CompanyID, tg.ticketID, owner.ID)
			if err != nil {
				return target{}, err
			}
			if c.AuthorUserID != actor.UserID {
				return target{}, fmt.Errorf("%w: only the author of comment %d or an agent adds files to it", tenant.ErrForbidden, owner.ID)
			}
		}
		return tg, nil
	case OwnerServiceOrder:
		return tg, actor.RequireIn(tenant.PermOrdersManage)
	default:
		return tg, actor.RequireIn(tenant.PermAssetsManage)
	}
}

// List lists the live attachments of owner that the actor may see, by
// ascending ID; a ticket's list includes its comments' files, without
// those of internal notes for requesters.
func (s *Service) List(ctx context.Context, actor tenant.Actor, owner Owner) ([]Attachment, error) {
	if _, err := s.readable(ctx, s.store, actor, owner); err != nil {
		return nil, err
	}
	return s.store.ListAttachments(ctx, actor.CompanyID, owner, actor.Can(tenant.PermTicketsRead))
}

// Get reads a live attachment the actor may see: another company's, a
// deleted one, or one of an owner the actor cannot see (a requester and an
// internal note) is storage.ErrNotFound.
func (s *Service) Get(ctx context.Context, actor tenant.Actor, id int64) (Attachment, error) {
	return s.get(ctx, s.store, actor, id)
}

func (s *Service) get(ctx context.Context, q Queries, actor tenant.Actor, id int64) (Attachment, error) {
	if actor.CompanyID == 0 {
		return Attachment{}, actor.RequireIn(tenant.PermTicketsReadOwn)
	}
	a, err := q.AttachmentByID(ctx, actor.CompanyID, id)
	if err != nil {
		return Attachment{}, fmt.Errorf("attachment %d: %w", id, err)
	}
	if a.Deleted() {
		return Attachment{}, fmt.Errorf("attachment %d: %w", id, storage.ErrNotFound)
	}
	if _, err := s.readable(ctx, q, actor, a.Owner()); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return Attachment{}, fmt.Errorf("attachment %d: %w", id, storage.ErrNotFound)
		}
		return Attachment{}, err
	}
	if a.Internal && !actor.Can(tenant.PermTicketsRead) {
		return Attachment{}, fmt.Errorf("attachment %d: %w", id, storage.ErrNotFound)
	}
	return a, nil
}

// Open reads a live attachment the actor may see (as Get) and opens its
// contents. The reader supports Seek (for http.ServeContent and range
// requests); the caller closes it.
func (s *Service) Open(ctx context.Context, actor tenant.Actor, id int64) (Attachment, *blob.Reader, error) {
	a, err := s.Get(ctx, actor, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	if s.blobs == nil {
		return Attachment{}, nil, ErrNoBlobStore
	}
	r, err := s.blobs.open(ctx, a.SHA256)
	if err != nil {
		return Attachment{}, nil, fmt.Errorf("attachment %d: %w", id, err)
	}
	return a, r, nil
}

// Delete deletes an attachment softly: the row keeps who deleted it and
// when, and an attachment.deleted event is written with it. Those who
// manage the owner delete any of its files; others, their own uploads on
// what they may attach to.
func (s *Service) Delete(ctx context.Context, actor tenant.Actor, id int64) (Attachment, error) {
	var out Attachment
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, err = s.DeleteTx(ctx, tx, actor, id)
		return err
	})
	return out, err
}

// DeleteTx is Delete inside the caller's unit of work.
func (s *Service) DeleteTx(ctx context.Context, tx Tx, actor tenant.Actor, id int64) (Attachment, error) {
	a, err := s.get(ctx, tx, actor, id)
	if err != nil {
		return Attachment{}, err
	}
	tg, err := s.writable(ctx, tx, actor, a.Owner())
	if err != nil {
		return Attachment{}, err
	}
	if !tg.staff && a.UploadedBy != actor.UserID {
		return Attachment{}, fmt.Errorf("%w: only who uploaded attachment %d or an agent deletes it", tenant.ErrForbidden, id)
	}
	now := s.clock()
	if err := tx.MarkAttachmentDeleted(ctx, a.CompanyID, a.ID, actor.UserID, now); err != nil {
		return Attachment{}, err
	}
	a.DeletedAt, a.DeletedBy = now, actor.UserID
	return a, emit(ctx, tx, actor, "attachment.deleted", a, now)
}

// GCReport says what CollectGarbage did.
type GCReport struct {
	// Deleted counts the blobs deleted: orphans and abandoned staging.
	Deleted int
	// Kept counts the blobs rows refer to, and those younger than the
	// grace period.
	Kept int
}

// DefaultGCGrace is the grace period of CollectGarbage: a blob younger
// than this may belong to an upload still in flight.
const DefaultGCGrace = time.Hour

// CollectGarbage deletes the blobs no attachment row refers to (the
// leftovers of units of work that failed) and abandoned staging blobs
// (uploads cut by a crash), when they are older than grace (DefaultGCGrace
// when zero or less).
func (s *Service) CollectGarbage(ctx context.Context, grace time.Duration) (GCReport, error) {
	var rep GCReport
	if s.blobs == nil {
		return rep, ErrNoBlobStore
	}
	if grace <= 0 {
		grace = DefaultGCGrace
	}
	cutoff := s.now().Add(-grace)
	for _, prefix := range []string{stagingPrefix, contentPrefix} {
		it := s.blobs.bucket.List(&blob.ListOptions{Prefix: prefix})
		for {
			obj, err := it.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return rep, fmt.Errorf("attachments: listing blobs: %w", err)
			}
			if obj.IsDir || !obj.ModTime.Before(cutoff) {
				rep.Kept++
				continue
			}
			if prefix == contentPrefix {
				sum := obj.Key[strings.LastIndexByte(obj.Key, '/')+1:]
				used, err := s.store.BlobReferenced(ctx, sum)
				if err != nil {
					return rep, err
				}
				if used {
					rep.Kept++
					continue
				}
				// An upload may have refreshed it since the listing.
				if attrs, err := s.blobs.bucket.Attributes(ctx, obj.Key); err != nil || !attrs.ModTime.Before(cutoff) {
					rep.Kept++
					continue
				}
			}
			if err := s.blobs.bucket.Delete(ctx, obj.Key); err != nil && !gcerrorsNotFound(err) {
				return rep, fmt.Errorf("attachments: deleting blob %s: %w", obj.Key, err)
			}
			rep.Deleted++
		}
	}
	return rep, nil
}
