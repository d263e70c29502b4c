package events

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sistemaboladao/boladao/storage"
)

// Handler receives one event. Returning an error asks the bus to deliver
// the event again later, with backoff; after the bus's last attempt the
// event goes to the dead-letter state. An error for which IsUnavailable
// holds (the database is unreachable) is retried with backoff as long as it
// lasts, without counting an attempt: an outage of the infrastructure does
// not dead-letter events. Handlers must be idempotent: an event may arrive
// more than once (use Event.ID to notice).
type Handler func(ctx context.Context, ev Event) error

// IsUnavailable reports whether a handler's error is an infrastructure
// failure rather than the handler's: it wraps storage.ErrUnavailable (the
// storage backends return it when the database cannot be reached).
// Buses retry such failures without counting them as delivery attempts.
func IsUnavailable(err error) bool { return errors.Is(err, storage.ErrUnavailable) }

// Subscription names a subscriber and the events it wants.
type Subscription struct {
	// Name identifies the subscriber. Buses that keep durable state (NATS
	// JetStream consumers) resume a subscriber by its name, and instances
	// subscribing under the same name share the events between them.
	Name string
	// Pattern selects event types (see Match): "ticket.created",
	// "ticket.*", "ticket.>", "*" or ">" for everything.
	Pattern string
}

// Validate reports whether the subscription can be registered.
func (s Subscription) Validate() error {
	if s.Name == "" || strings.ContainsAny(s.Name, " .*>\t\r\n") {
		return fmt.Errorf("events: subscription name %q: use letters, digits, '-' or '_'", s.Name)
	}
	return ValidatePattern(s.Pattern)
}

// Bus carries events from publishers to subscribers.
//
// Publish returns once the bus has taken responsibility for the event: the
// in-process bus after every matching handler accepted it (or reached the
// dead-letter state), a durable bus once the event is stored. Subscribe
// registers h until ctx is done or the bus is closed.
type Bus interface {
	Publish(ctx context.Context, ev Event) error
	Subscribe(ctx context.Context, sub Subscription, h Handler) error
	Close() error
}

// Watcher is implemented by buses that can deliver every event to every
// instance, non-durably. Both buses in this module implement it (LocalBus
// and natsbus.Bus); live views such as the web console use it, not
// Subscribe, because a durable subscription shares its events between the
// instances that use its name.
type Watcher interface {
	// Watch calls fn for every event whose type matches pattern (ValidatePattern syntax) published on the bus
	// from now on, on this instance — with NATS on every instance, each instance seeing every event —
	// without durability, retries or acknowledgement; fn must not block (hand off to a channel).
	// Watch registers fn and returns at once; the registration ends when ctx is done or the bus is closed.
	Watch(ctx context.Context, pattern string, fn func(Event)) error
}

// DeadLetter is an event a subscriber failed to handle on every attempt.
type DeadLetter struct {
	Subscriber string
	Event      Event
	Attempts   int
	Err        string
	At         time.Time
}

// DeadLetterError is returned by Publish when some subscribers gave up on
// the event: it was delivered to the others and will not be retried by the
// bus. The relay records it as the event's dead-letter state.
type DeadLetterError struct {
	Letters []DeadLetter
}

// Error lists the subscribers that gave up, with their last errors.
func (e *DeadLetterError) Error() string {
	parts := make([]string, len(e.Letters))
	for i, l := range e.Letters {
		parts[i] = fmt.Sprintf("%s after %d attempts: %s", l.Subscriber, l.Attempts, l.Err)
	}
	return "events: dead letter: " + strings.Join(parts, "; ")
}

// ErrBusClosed is returned by a bus after Close.
var ErrBusClosed = errors.New("events: bus closed")

// ValidatePattern checks an event-type pattern: dot-separated tokens of
// letters, digits and '_', where a token may be "*" (exactly one token) and
// the last token may be ">" (one or more tokens).
func ValidatePattern(p string) error {
	if p == "" {
		return errors.New("events: empty event pattern: use a type (ticket.created) or a wildcard (ticket.*, >)")
	}
	toks := strings.Split(p, ".")
	for i, t := range toks {
		switch {
		case t == "*":
		case t == ">":
			if i != len(toks)-1 {
				return fmt.Errorf("events: pattern %q: '>' may only be the last token", p)
			}
		case t == "":
			return fmt.Errorf("events: pattern %q has an empty token", p)
		default:
			for _, r := range t {
				if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
					return fmt.Errorf("events: pattern %q: token %q may hold letters, digits, '_' and '-' only", p, t)
				}
			}
		}
	}
	return nil
}

// Match reports whether the event type typ matches pattern. A lone "*"
// matches every type, as does ">"; otherwise "*" matches one dot-separated
// token and a final ">" matches the rest (one or more tokens).
func Match(pattern, typ string) bool {
	if pattern == "*" || pattern == ">" {
		return typ != ""
	}
	for {
		pt, prest, pmore := strings.Cut(pattern, ".")
		tt, trest, tmore := strings.Cut(typ, ".")
		switch {
		case pt == ">":
			return tt != ""
		case pt != "*" && pt != tt, tt == "":
			return false
		}
		if !pmore || !tmore {
			return pmore == tmore
		}
		pattern, typ = prest, trest
	}
}

// MatchAny reports whether typ matches at least one of patterns.
func MatchAny(patterns []string, typ string) bool {
	for _, p := range patterns {
		if Match(p, typ) {
			return true
		}
	}
	return false
}
