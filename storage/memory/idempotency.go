package memory

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/idempotency"
	"github.com/sistemaboladao/boladao/storage"
)

// Idempotency returns the store as the idempotency package's storage
// contract. Its methods take the store's write lock for one short step and
// take part in no unit of work: do not call them from inside InTx.
func (s *Store) Idempotency() idempotency.Store { return s }

// lock checks ctx and takes the store's write lock for one operation
// outside any unit of work.
func (s *Store) lock(ctx context.Context, what string) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory: %s: %w", what, err)
	}
	s.mu.Lock()
	return s.mu.Unlock, nil
}

func cloneRecord(r idempotency.Record) idempotency.Record {
	r.Body = bytes.Clone(r.Body)
	return r
}

// ClaimIdempotencyKey stores rec as in flight unless a live record with the
// same key exists, which it returns instead. A record whose expiry is at or
// before rec.CreatedAt is replaced.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, rec idempotency.Record) (idempotency.Record, bool, error) {
	unlock, err := s.lock(ctx, "claiming idempotency key")
	if err != nil {
		return idempotency.Record{}, false, err
	}
	defer unlock()
	if old, ok := s.t.idempotency[rec.Key]; ok && old.ExpiresAt.After(rec.CreatedAt) {
		return cloneRecord(old), false, nil
	}
	s.t.idempotency[rec.Key] = idempotency.Record{Key: rec.Key, RequestHash: rec.RequestHash,
		CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt}
	return idempotency.Record{}, true, nil
}

// CompleteIdempotencyKey stores the response of a claimed key; a key that is
// not stored is storage.ErrNotFound.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, key idempotency.Key, status int, contentType string, body []byte) error {
	unlock, err := s.lock(ctx, "completing idempotency key")
	if err != nil {
		return err
	}
	defer unlock()
	r, ok := s.t.idempotency[key]
	if !ok {
		return fmt.Errorf("memory: completing idempotency key: %w", storage.ErrNotFound)
	}
	r.Completed, r.Status, r.ContentType, r.Body = true, status, contentType, bytes.Clone(body)
	s.t.idempotency[key] = r
	return nil
}

// ReleaseIdempotencyKey forgets key; a key that is not stored is no error.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, key idempotency.Key) error {
	unlock, err := s.lock(ctx, "releasing idempotency key")
	if err != nil {
		return err
	}
	defer unlock()
	delete(s.t.idempotency, key)
	return nil
}

// PurgeIdempotencyKeys deletes the records whose expiry is strictly before
// the given time and returns how many it deleted.
func (s *Store) PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int, error) {
	unlock, err := s.lock(ctx, "purging idempotency keys")
	if err != nil {
		return 0, err
	}
	defer unlock()
	n := 0
	for k, r := range s.t.idempotency {
		if r.ExpiresAt.Before(before) {
			delete(s.t.idempotency, k)
			n++
		}
	}
	return n, nil
}
