package tickets

import (
	"context"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/helpdesk/validation"
)

// Presence: who has a ticket open.
//
// A viewer is one open page of a ticket (one live stream of the console),
// named by a session key its server chose, recorded in the store with an
// expiry. The server that holds the page refreshes the record while the
// page is open (Viewing) and removes it when the page closes
// (StopViewing); a server that stops without removing its records leaves
// them until they expire. Every server reads the same records (Viewers),
// so several servers on one database see each other's viewers.

// MaxViewerSessionLength bounds a viewer's session key.
const MaxViewerSessionLength = 100

// Viewer is one open page of a ticket.
type Viewer struct {
	CompanyID tenant.CompanyID
	TicketID  int64
	// Session names the page among the ticket's viewers.
	Session string
	UserID  tenant.UserID
	// Name is how the others see the viewer.
	Name string
	// ExpiresAt is when the record lapses, to the millisecond.
	ExpiresAt time.Time
}

// Viewing records that actor has ticket id open in the page session,
// shown to the others as name, until ttl from now; call it again before
// then to stay present. The actor must be able to read the ticket.
func (s *Service) Viewing(ctx context.Context, actor tenant.Actor, id int64, session, name string, ttl time.Duration) error {
	if err := requireRead(actor); err != nil {
		return err
	}
	var b validation.Builder
	session = b.Text("session", session, 1, MaxViewerSessionLength)
	name = b.Text("name", name, 0, MaxTitleLength)
	if ttl <= 0 {
		b.Add("ttl", "must be positive")
	}
	if err := b.Err(); err != nil {
		return err
	}
	t, err := s.store.TicketByID(ctx, actor.CompanyID, id)
	if err != nil {
		return fmt.Errorf("ticket %d: %w", id, err)
	}
	if err := visible(t, actor); err != nil {
		return err
	}
	now := s.clock()
	v := Viewer{CompanyID: actor.CompanyID, TicketID: id, Session: session, UserID: actor.UserID, Name: name,
		ExpiresAt: now.Add(ttl).Truncate(time.Millisecond)}
	if err := s.store.TouchViewer(ctx, v, now); err != nil {
		return fmt.Errorf("recording a viewer of ticket %d: %w", id, err)
	}
	return nil
}

// StopViewing removes the page session from the viewers of ticket id.
func (s *Service) StopViewing(ctx context.Context, actor tenant.Actor, id int64, session string) error {
	if err := requireRead(actor); err != nil {
		return err
	}
	if err := s.store.RemoveViewer(ctx, actor.CompanyID, id, session); err != nil {
		return fmt.Errorf("removing a viewer of ticket %d: %w", id, err)
	}
	return nil
}

// Viewers lists who has ticket id open now, by name. It needs
// tenant.PermTicketsRead: requesters see no one.
func (s *Service) Viewers(ctx context.Context, actor tenant.Actor, id int64) ([]Viewer, error) {
	if err := actor.RequireIn(tenant.PermTicketsRead); err != nil {
		return nil, err
	}
	vs, err := s.store.TicketViewers(ctx, actor.CompanyID, id, s.clock())
	if err != nil {
		return nil, fmt.Errorf("listing the viewers of ticket %d: %w", id, err)
	}
	return vs, nil
}
