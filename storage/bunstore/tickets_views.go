package bunstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets"
)

type savedViewRow struct {
	bun.BaseModel `bun:"table:saved_views"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CompanyID     int64     `bun:"company_id"`
	UserID        int64     `bun:"user_id"`
	Name          string    `bun:"name"`
	Query         string    `bun:"query"`
	Position      int       `bun:"position"`
	CreatedAt     time.Time `bun:"created_at"`
}

func (r savedViewRow) model() tickets.SavedView {
	return tickets.SavedView{ID: r.ID, CompanyID: tenant.CompanyID(r.CompanyID), UserID: tenant.UserID(r.UserID),
		Name: r.Name, Query: r.Query, Position: r.Position, CreatedAt: r.CreatedAt.UTC()}
}

// ListViews implements tickets.Queries.
func (q queries) ListViews(ctx context.Context, company tenant.CompanyID, user tenant.UserID) ([]tickets.SavedView, error) {
	var rows []savedViewRow
	err := q.db.NewSelect().Model(&rows).Where("company_id = ? AND user_id = ?", int64(company), int64(user)).
		OrderExpr("position ASC, id ASC").Scan(ctx)
	if err != nil {
		return nil, translate(err, "listing saved views")
	}
	out := make([]tickets.SavedView, len(rows))
	for i, r := range rows {
		out[i] = r.model()
	}
	return out, nil
}

// InsertView implements tickets.Tx.
func (t *Tx) InsertView(ctx context.Context, v *tickets.SavedView) error {
	r := savedViewRow{CompanyID: int64(v.CompanyID), UserID: int64(v.UserID), Name: v.Name, Query: v.Query,
		Position: v.Position, CreatedAt: v.CreatedAt.UTC()}
	if err := insert(ctx, t.db, &r, fmt.Sprintf("saved view %q", v.Name)); err != nil {
		return err
	}
	v.ID = r.ID
	return nil
}

// UpdateView implements tickets.Tx.
func (t *Tx) UpdateView(ctx context.Context, v tickets.SavedView) error {
	res, err := t.db.NewUpdate().Table("saved_views").
		Set("name = ?", v.Name).Set("query = ?", v.Query).Set("position = ?", v.Position).
		Where("company_id = ? AND user_id = ? AND id = ?", int64(v.CompanyID), int64(v.UserID), v.ID).Exec(ctx)
	return affectedOne(res, err, fmt.Sprintf("updating saved view %d", v.ID))
}

// DeleteView implements tickets.Tx.
func (t *Tx) DeleteView(ctx context.Context, company tenant.CompanyID, user tenant.UserID, id int64) error {
	res, err := t.db.NewDelete().Table("saved_views").
		Where("company_id = ? AND user_id = ? AND id = ?", int64(company), int64(user), id).Exec(ctx)
	return affectedOne(res, err, fmt.Sprintf("deleting saved view %d", id))
}

// affectedOne translates err, and no affected row into storage.ErrNotFound.
func affectedOne(res interface{ RowsAffected() (int64, error) }, err error, what string) error {
	if err != nil {
		return translate(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, what)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, storage.ErrNotFound)
	}
	return nil
}

type viewerRow struct {
	bun.BaseModel `bun:"table:ticket_viewers"`
	CompanyID     int64  `bun:"company_id,pk"`
	TicketID      int64  `bun:"ticket_id,pk"`
	Session       string `bun:"session,pk"`
	UserID        int64  `bun:"user_id"`
	Name          string `bun:"name"`
	ExpiresAt     int64  `bun:"expires_at"` // Unix milliseconds
}

// TouchViewer implements tickets.PresenceStore: an upsert of v, after
// deleting the ticket's expired records, on the writer.
func (s ticketsStore) TouchViewer(ctx context.Context, v tickets.Viewer, now time.Time) error {
	r := viewerRow{CompanyID: int64(v.CompanyID), TicketID: v.TicketID, Session: v.Session, UserID: int64(v.UserID),
		Name: v.Name, ExpiresAt: v.ExpiresAt.UnixMilli()}
	err := s.write.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Table("ticket_viewers").
			Where("company_id = ? AND ticket_id = ? AND expires_at <= ?", r.CompanyID, r.TicketID, now.UnixMilli()).
			Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(&r).
			On("CONFLICT (company_id, ticket_id, session) DO UPDATE").
			Set("user_id = EXCLUDED.user_id, name = EXCLUDED.name, expires_at = EXCLUDED.expires_at").Exec(ctx)
		return err
	})
	return translate(err, fmt.Sprintf("recording a viewer of ticket %d", v.TicketID))
}

// RemoveViewer implements tickets.PresenceStore.
func (s ticketsStore) RemoveViewer(ctx context.Context, company tenant.CompanyID, ticketID int64, session string) error {
	_, err := s.write.NewDelete().Table("ticket_viewers").
		Where("company_id = ? AND ticket_id = ? AND session = ?", int64(company), ticketID, session).Exec(ctx)
	return translate(err, fmt.Sprintf("removing a viewer of ticket %d", ticketID))
}

// TicketViewers implements tickets.PresenceStore.
func (s ticketsStore) TicketViewers(ctx context.Context, company tenant.CompanyID, ticketID int64, now time.Time) ([]tickets.Viewer, error) {
	var rows []viewerRow
	err := s.read.NewSelect().Model(&rows).
		Where("company_id = ? AND ticket_id = ? AND expires_at > ?", int64(company), ticketID, now.UnixMilli()).
		Scan(ctx)
	if err != nil {
		return nil, translate(err, fmt.Sprintf("listing the viewers of ticket %d", ticketID))
	}
	out := make([]tickets.Viewer, len(rows))
	for i, r := range rows {
		out[i] = tickets.Viewer{CompanyID: tenant.CompanyID(r.CompanyID), TicketID: r.TicketID, Session: r.Session,
			UserID: tenant.UserID(r.UserID), Name: r.Name, ExpiresAt: time.UnixMilli(r.ExpiresAt).UTC()}
	}
	// Sorted here: the databases' collations differ.
	slices.SortFunc(out, func(a, b tickets.Viewer) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Session, b.Session))
	})
	return out, nil
}
