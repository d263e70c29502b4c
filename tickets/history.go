package tickets

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

// The actions of history entries.
const (
	// HistoryCreated records the ticket's creation (To is its status).
	HistoryCreated = "created"
	// HistoryStatusChanged records a workflow transition (Field "status",
	// From and To the statuses, Note the resolution note or the reason).
	HistoryStatusChanged = "status_changed"
	// HistoryAssigned and HistoryUnassigned record assignee changes (Field
	// "assignee_user_id", From and To the user IDs, empty for none).
	HistoryAssigned   = "assigned"
	HistoryUnassigned = "unassigned"
	// HistoryUpdated records one field edit (Field title, description,
	// priority, category, tags or asset_id, From and To the values; tags
	// as a comma-separated list, asset IDs empty for none).
	HistoryUpdated = "updated"
	// HistoryCommented records a comment (Field "comment", To its ID);
	// Internal is set for internal notes.
	HistoryCommented = "commented"
	// HistorySLABreached records a target the SLA check found breached
	// (Field first_response or resolution, To the due time in RFC 3339),
	// with no actor.
	HistorySLABreached = "sla_breached"
)

// HistoryEntry is one recorded change of a ticket, written in the unit of
// work of the change. The history is append-only.
type HistoryEntry struct {
	ID        int64
	CompanyID tenant.CompanyID
	TicketID  int64
	At        time.Time
	// ActorUserID is who made the change; zero for the system (the SLA
	// check) and for tokens that are no user.
	ActorUserID tenant.UserID
	// Action is one of the History* constants.
	Action string
	Field  string
	From   string
	To     string
	Note   string
	// Internal entries (internal notes) are shown to staff only.
	Internal bool
}

// History lists a ticket's recorded changes, oldest first. It needs the
// right to read the ticket: a requester sees the history of their own
// tickets only, without the entries of internal notes.
func (s *Service) History(ctx context.Context, actor tenant.Actor, id int64, p storage.PageRequest) (storage.Page[HistoryEntry], error) {
	if err := requireRead(actor); err != nil {
		return storage.Page[HistoryEntry]{}, err
	}
	t, err := s.store.TicketByID(ctx, actor.CompanyID, id)
	if err != nil {
		return storage.Page[HistoryEntry]{}, fmt.Errorf("ticket %d: %w", id, err)
	}
	if err := visible(t, actor); err != nil {
		return storage.Page[HistoryEntry]{}, err
	}
	return s.store.TicketHistory(ctx, actor.CompanyID, t.ID, actor.Can(tenant.PermTicketsRead), p.Normalize())
}

// entry is a history entry of t at now by actor.
func entry(t Ticket, actor tenant.Actor, now time.Time, action, field, from, to, note string) HistoryEntry {
	return HistoryEntry{CompanyID: t.CompanyID, TicketID: t.ID, At: now, ActorUserID: actor.UserID,
		Action: action, Field: field, From: from, To: to, Note: note}
}

// idText is an ID as history text: empty for none.
func idText[T ~int64](id T) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(int64(id), 10)
}

// fieldChanges are the history entries of the field edits from before to
// after.
func fieldChanges(before, after Ticket, actor tenant.Actor, now time.Time) []HistoryEntry {
	var out []HistoryEntry
	add := func(field, from, to string) {
		if from != to {
			out = append(out, entry(after, actor, now, HistoryUpdated, field, from, to, ""))
		}
	}
	add("title", before.Title, after.Title)
	add("description", before.Description, after.Description)
	add("priority", string(before.Priority), string(after.Priority))
	add("category", before.Category, after.Category)
	add("tags", strings.Join(before.Tags, ", "), strings.Join(after.Tags, ", "))
	add("asset_id", idText(before.AssetID), idText(after.AssetID))
	return out
}
