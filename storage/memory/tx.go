package memory

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/storage"
)

// tx is the one transaction type of the backend: it implements every
// domain's Tx interface with flat methods (InsertCompany, ContactByID, ...),
// so one unit of work can span domains. It reads through the embedded
// reader and records an undo closure for every write.
type tx struct {
	reader
	mu   sync.Mutex // serialises calls, in case fn shares tx across goroutines
	done bool       // set when InTx returns; later calls fail
	// appended is set when the unit of work wrote events: the commit wakes
	// the outbox listeners.
	appended bool
	undo     []func()
}

// inTx runs fn as one unit of work holding the store's write lock. When fn
// returns nil the writes stay; when it returns an error, panics or exits the
// goroutine, the undo log runs in reverse and the writes disappear.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, x *tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: starting transaction: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil { // cancelled while waiting for the lock
		return fmt.Errorf("memory: starting transaction: %w", err)
	}
	x := &tx{}
	x.reader = reader{s: s, x: x}
	committed := false
	defer func() {
		// Runs on return, on panic (which keeps unwinding afterwards) and on
		// runtime.Goexit, before the write lock is released.
		x.mu.Lock()
		defer x.mu.Unlock()
		x.done = true
		if !committed {
			for i := len(x.undo) - 1; i >= 0; i-- {
				x.undo[i]()
			}
		}
		x.undo = nil
	}()
	if err := fn(ctx, x); err != nil {
		return err
	}
	committed = true
	if x.appended {
		s.notifyOutbox()
	}
	return nil
}

// onRollback records how to undo a write that just happened.
func (x *tx) onRollback(f func()) { x.undo = append(x.undo, f) }

// AppendEvents writes events into the outbox, in order. An event ID already
// in the outbox is storage.ErrConflict, and then none of evs is written.
func (x *tx) AppendEvents(ctx context.Context, evs ...events.Event) error {
	release, err := x.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	t := x.s.t
	seen := make(map[string]struct{}, len(evs))
	for _, ev := range evs {
		_, dup := t.outboxIDs[ev.ID]
		if _, again := seen[ev.ID]; dup || again {
			return fmt.Errorf("memory: append event %s: ID already in the outbox: %w", ev.ID, storage.ErrConflict)
		}
		seen[ev.ID] = struct{}{}
	}
	n := len(t.outbox)
	x.appended = true
	for _, ev := range evs {
		t.outbox = append(t.outbox, cloneEvent(ev))
		t.outboxIDs[ev.ID] = struct{}{}
	}
	x.onRollback(func() {
		for _, ev := range t.outbox[n:] {
			delete(t.outboxIDs, ev.ID)
		}
		clear(t.outbox[n:]) // drop references held by the backing array
		t.outbox = t.outbox[:n]
	})
	return nil
}

// reader is the one read type of the backend. At the root (x nil) each call
// takes the store's read lock; inside a transaction it reads under the
// transaction's write lock and sees the transaction's own writes.
type reader struct {
	s *Store
	x *tx
}

// errTxDone is returned by a transaction used after its InTx returned.
func errTxDone() error {
	return errors.New("memory: transaction used after InTx returned: use the Tx only inside the callback")
}

// enter checks ctx and takes the lock appropriate for the call; release
// gives it back.
func (r reader) enter(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if r.x == nil {
		r.s.mu.RLock()
		return r.s.mu.RUnlock, nil
	}
	r.x.mu.Lock()
	if r.x.done {
		r.x.mu.Unlock()
		return nil, errTxDone()
	}
	return r.x.mu.Unlock, nil
}
