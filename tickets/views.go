package tickets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
	"github.com/sistemaboladao/boladao/storage"
)

// Limits of saved views.
const (
	// MaxSavedViews is how many views one user keeps.
	MaxSavedViews = 20
	// MaxViewNameLength bounds a view's name, in characters.
	MaxViewNameLength = 60
	// MaxViewQueryLength bounds a view's query string, in characters.
	MaxViewQueryLength = 2000
)

// SavedView is a named filter of the ticket queue a user keeps for
// themselves: the queue's query string under a name unique per user.
// Another user's view, like another company's, does not exist.
type SavedView struct {
	ID        int64
	CompanyID tenant.CompanyID
	UserID    tenant.UserID
	Name      string
	// Query is the queue's query string ("priority=critical&assignee=me");
	// the service stores it as given, the console reads only the filters
	// it knows from it.
	Query string
	// Position orders a user's views (ascending).
	Position  int
	CreatedAt time.Time
}

// viewOwner refuses actors that are no user of a company: saved views
// belong to a person.
func viewOwner(actor tenant.Actor) error {
	if err := requireRead(actor); err != nil {
		return err
	}
	if actor.UserID == 0 {
		return fmt.Errorf("saved views belong to a signed-in user: %w", tenant.ErrForbidden)
	}
	return nil
}

// Views lists the actor's saved views in their order.
func (s *Service) Views(ctx context.Context, actor tenant.Actor) ([]SavedView, error) {
	if err := viewOwner(actor); err != nil {
		return nil, err
	}
	vs, err := s.store.ListViews(ctx, actor.CompanyID, actor.UserID)
	if err != nil {
		return nil, fmt.Errorf("listing saved views: %w", err)
	}
	return vs, nil
}

// SaveView keeps query under name for the actor: a view of the same name
// takes the new query and keeps its place, a new one goes last. A user
// keeps at most MaxSavedViews views; the name has 1 to MaxViewNameLength
// characters.
func (s *Service) SaveView(ctx context.Context, actor tenant.Actor, name, query string) (SavedView, error) {
	if err := viewOwner(actor); err != nil {
		return SavedView{}, err
	}
	var b validation.Builder
	name = b.Text("name", name, 1, MaxViewNameLength)
	query = b.Text("query", query, 0, MaxViewQueryLength)
	if err := b.Err(); err != nil {
		return SavedView{}, err
	}
	var out SavedView
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		vs, err := tx.ListViews(ctx, actor.CompanyID, actor.UserID)
		if err != nil {
			return err
		}
		last := 0
		for _, v := range vs {
			if v.Name == name {
				v.Query = query
				out = v
				return tx.UpdateView(ctx, v)
			}
			last = max(last, v.Position)
		}
		if len(vs) >= MaxSavedViews {
			return validation.Field("name", "you may keep at most %d views: delete one first", MaxSavedViews)
		}
		out = SavedView{CompanyID: actor.CompanyID, UserID: actor.UserID, Name: name, Query: query,
			Position: last + 1, CreatedAt: s.clock()}
		return tx.InsertView(ctx, &out)
	})
	if err != nil {
		return SavedView{}, fmt.Errorf("saving view %q: %w", name, err)
	}
	return out, nil
}

// RenameView renames one of the actor's views; a name another of their
// views has is refused.
func (s *Service) RenameView(ctx context.Context, actor tenant.Actor, id int64, name string) (SavedView, error) {
	if err := viewOwner(actor); err != nil {
		return SavedView{}, err
	}
	var b validation.Builder
	name = b.Text("name", name, 1, MaxViewNameLength)
	if err := b.Err(); err != nil {
		return SavedView{}, err
	}
	var out SavedView
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		vs, err := tx.ListViews(ctx, actor.CompanyID, actor.UserID)
		if err != nil {
			return err
		}
		found := false
		for _, v := range vs {
			switch {
			case v.ID == id:
				out, found = v, true
			case v.Name == name:
				return validation.Field("name", "you already have a view named %q", name)
			}
		}
		if !found {
			return fmt.Errorf("view %d: %w", id, storage.ErrNotFound)
		}
		out.Name = name
		return tx.UpdateView(ctx, out)
	})
	if errors.Is(err, storage.ErrConflict) {
		err = validation.Field("name", "you already have a view named %q", name)
	}
	if err != nil {
		return SavedView{}, fmt.Errorf("renaming view %d: %w", id, err)
	}
	return out, nil
}

// DeleteView forgets one of the actor's views.
func (s *Service) DeleteView(ctx context.Context, actor tenant.Actor, id int64) error {
	if err := viewOwner(actor); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		return tx.DeleteView(ctx, actor.CompanyID, actor.UserID, id)
	})
	if err != nil {
		return fmt.Errorf("deleting view %d: %w", id, err)
	}
	return nil
}
