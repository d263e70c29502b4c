package tickets

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/storage"
	"github.com/sistemaboladao/boladao/tickets/sla"
)

// Sort orders List. Every order ends with the ticket ID, so that it is
// total and a keyset cursor resumes it exactly; the zero value is
// SortOldest.
type Sort string

// The orders of List.
const (
	// SortOldest lists by ascending ID: by number, the oldest first.
	SortOldest Sort = "oldest"
	// SortNewest lists by descending ID: by number, the newest first.
	SortNewest Sort = "newest"
	// SortPriority lists the most urgent first (critical, high, medium,
	// low), then the oldest first.
	SortPriority Sort = "priority"
	// SortUpdated lists the most recently updated first (then the newest
	// first). A ticket updated while a list is paged moves to its top: the
	// pages still to come neither repeat nor skip any other ticket.
	SortUpdated Sort = "updated"
	// SortDue lists by resolution due time, the soonest first (then the
	// oldest first); tickets without a due time come last, oldest first.
	SortDue Sort = "due"
)

// Sorts lists every order, the default first.
func Sorts() []Sort { return []Sort{SortOldest, SortNewest, SortPriority, SortUpdated, SortDue} }

// Valid reports whether s is one of Sorts or empty (SortOldest).
func (s Sort) Valid() bool {
	switch s {
	case "", SortOldest, SortNewest, SortPriority, SortUpdated, SortDue:
		return true
	}
	return false
}

// orDefault is s, or SortOldest when s is empty.
func (s Sort) orDefault() Sort {
	if s == "" {
		return SortOldest
	}
	return s
}

// PriorityRank is the rank of a priority in SortPriority: 0 for critical up
// to 3 for low, 4 for anything else.
func PriorityRank(p sla.Priority) int {
	switch p {
	case sla.PriorityCritical:
		return 0
	case sla.PriorityHigh:
		return 1
	case sla.PriorityMedium:
		return 2
	case sla.PriorityLow:
		return 3
	}
	return 4
}

// PriorityOfRank is the priority of a rank below 4 (PriorityRank's inverse).
func PriorityOfRank(rank int) sla.Priority {
	return [...]sla.Priority{sla.PriorityCritical, sla.PriorityHigh, sla.PriorityMedium, sla.PriorityLow}[rank]
}

// Position is where a sorted list resumes: after the ticket ID, whose key
// in the order is Rank (SortPriority) or At (SortUpdated, SortDue; zero
// under SortDue for a ticket without a due time). Start is the position
// before the first ticket.
type Position struct {
	Start bool
	ID    int64
	Rank  int
	At    time.Time
}

// PositionOf is the position just after t in order s.
func (s Sort) PositionOf(t Ticket) Position {
	p := Position{ID: t.ID}
	switch s.orDefault() {
	case SortPriority:
		p.Rank = PriorityRank(t.Priority)
	case SortUpdated:
		p.At = t.UpdatedAt
	case SortDue:
		p.At = t.ResolutionDueAt
	}
	return p
}

// Cursor is the cursor that resumes order s after t. It names the order,
// so that a cursor of one order is refused by another.
func (s Sort) Cursor(t Ticket) storage.Cursor {
	p := s.PositionOf(t)
	switch s.orDefault() {
	case SortPriority:
		return storage.CursorAfterKey("priority:"+strconv.Itoa(p.Rank), p.ID)
	case SortUpdated:
		return storage.CursorAfterKey("updated:"+strconv.FormatInt(p.At.UnixNano(), 10), p.ID)
	case SortDue:
		if p.At.IsZero() {
			return storage.CursorAfterKey("due:none", p.ID)
		}
		return storage.CursorAfterKey("due:"+strconv.FormatInt(p.At.UnixNano(), 10), p.ID)
	}
	return storage.CursorAfter(p.ID)
}

// Position decodes a cursor of order s; the empty cursor is the start.
// A cursor that is malformed or made by another order is
// storage.ErrBadCursor.
func (s Sort) Position(c storage.Cursor) (Position, error) {
	if c == "" {
		return Position{Start: true}, nil
	}
	key, id, err := c.AfterKey()
	if err != nil {
		return Position{}, err
	}
	bad := fmt.Errorf("%w: not a cursor of the order %q", storage.ErrBadCursor, s.orDefault())
	p := Position{ID: id}
	name, value, _ := strings.Cut(key, ":")
	switch so := s.orDefault(); {
	case so == SortOldest || so == SortNewest:
		if key != "" {
			return Position{}, bad
		}
	case string(so) != name:
		return Position{}, bad
	case so == SortPriority:
		r, err := strconv.Atoi(value)
		if err != nil || r < 0 || r > 4 {
			return Position{}, bad
		}
		p.Rank = r
	case so == SortDue && value == "none":
	default:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return Position{}, bad
		}
		p.At = time.Unix(0, n).UTC()
	}
	return p, nil
}

// Compare orders two tickets as s lists them: negative when a comes first.
func (s Sort) Compare(a, b Ticket) int {
	switch s.orDefault() {
	case SortNewest:
		return cmp.Compare(b.ID, a.ID)
	case SortPriority:
		return cmp.Or(cmp.Compare(PriorityRank(a.Priority), PriorityRank(b.Priority)), cmp.Compare(a.ID, b.ID))
	case SortUpdated:
		return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(b.ID, a.ID))
	case SortDue:
		return cmp.Or(cmp.Compare(boolRank(a.ResolutionDueAt.IsZero()), boolRank(b.ResolutionDueAt.IsZero())),
			a.ResolutionDueAt.Compare(b.ResolutionDueAt), cmp.Compare(a.ID, b.ID))
	}
	return cmp.Compare(a.ID, b.ID)
}

// After reports whether t comes after position p in order s.
func (s Sort) After(t Ticket, p Position) bool {
	if p.Start {
		return true
	}
	at := Ticket{ID: p.ID, Priority: "", UpdatedAt: p.At, ResolutionDueAt: p.At}
	if s.orDefault() == SortPriority {
		if p.Rank < 4 {
			at.Priority = PriorityOfRank(p.Rank)
		} else {
			at.Priority = "?"
		}
	}
	return s.Compare(t, at) > 0
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Page builds a page of order s from up to limit+1 tickets listed in that
// order: when the extra ticket is present it is dropped and NextCursor
// resumes after the last ticket kept.
func (s Sort) Page(rows []Ticket, limit int) storage.Page[Ticket] {
	if len(rows) <= limit {
		return storage.Page[Ticket]{Items: rows}
	}
	rows = rows[:limit]
	return storage.Page[Ticket]{Items: rows, NextCursor: s.Cursor(rows[len(rows)-1])}
}
