package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/sistemaboladao/boladao/helpdesk/idempotency"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage"
)

var _ idempotency.Store = (*Store)(nil)

// Idempotency returns the store as the idempotency package's storage
// contract. Its methods run on the writer, outside any unit of work.
func (s *Store) Idempotency() idempotency.Store { return s }

type idempotencyRow struct {
	bun.BaseModel `bun:"table:idempotency_keys"`
	CompanyID     int64     `bun:"company_id,pk"`
	Principal     string    `bun:"principal,pk"`
	Key           string    `bun:"key,pk"`
	RequestHash   string    `bun:"request_hash"`
	Completed     bool      `bun:"completed"`
	Status        int       `bun:"status"`
	ContentType   string    `bun:"content_type"`
	Body          []byte    `bun:"body,type:bytea"`
	CreatedAt     time.Time `bun:"created_at"`
	ExpiresAt     time.Time `bun:"expires_at"`
}

func (r idempotencyRow) record() idempotency.Record {
	return idempotency.Record{
		Key:         idempotency.Key{CompanyID: tenant.CompanyID(r.CompanyID), Principal: r.Principal, Key: r.Key},
		RequestHash: r.RequestHash, Completed: r.Completed, Status: r.Status, ContentType: r.ContentType,
		Body: r.Body, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
	}
}

// whereKey restricts a query to one key (the primary key).
func whereKey[Q interface {
	Where(string, ...any) Q
}](q Q, k idempotency.Key) Q {
	return q.Where("company_id = ? AND principal = ? AND ? = ?", int64(k.CompanyID), k.Principal, bun.Ident("key"), k.Key)
}

// ClaimIdempotencyKey implements idempotency.Store. In one short
// transaction it deletes the key's record if it has expired, inserts rec
// with ON CONFLICT DO NOTHING and, when another record won, reads that one:
// of concurrent claims of one key exactly one inserts.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, rec idempotency.Record) (idempotency.Record, bool, error) {
	row := idempotencyRow{CompanyID: int64(rec.CompanyID), Principal: rec.Principal, Key: rec.Key.Key,
		RequestHash: rec.RequestHash, CreatedAt: rec.CreatedAt.UTC(), ExpiresAt: rec.ExpiresAt.UTC()}
	// The winner of a conflict can be released between our INSERT and our
	// SELECT; then the claim is simply tried again.
	for range 3 {
		var (
			existing idempotencyRow
			claimed  bool
		)
		err := s.write.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := whereKey(tx.NewDelete().Model((*idempotencyRow)(nil)), rec.Key).
				Where("expires_at <= ?", row.CreatedAt).Exec(ctx); err != nil {
				return err
			}
			res, err := tx.NewInsert().Model(&row).On("CONFLICT DO NOTHING").Exec(ctx)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 1 {
				claimed = true
				return nil
			}
			return whereKey(tx.NewSelect().Model(&existing), rec.Key).Scan(ctx)
		})
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return idempotency.Record{}, false, translate(err, "claiming idempotency key")
		case claimed:
			return idempotency.Record{}, true, nil
		}
		return existing.record(), false, nil
	}
	return idempotency.Record{}, false, fmt.Errorf("claiming idempotency key: the key kept changing under concurrent requests, retry: %w", storage.ErrConflict)
}

// CompleteIdempotencyKey implements idempotency.Store; a key that is not
// stored is storage.ErrNotFound.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, key idempotency.Key, status int, contentType string, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	res, err := whereKey(s.write.NewUpdate().Model((*idempotencyRow)(nil)), key).
		Set("completed = ?", true).Set("status = ?", status).Set("content_type = ?", contentType).Set("body = ?", body).
		Exec(ctx)
	if err != nil {
		return translate(err, "completing idempotency key")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "completing idempotency key")
	}
	if n == 0 {
		return fmt.Errorf("completing idempotency key: %w", storage.ErrNotFound)
	}
	return nil
}

// ReleaseIdempotencyKey implements idempotency.Store; releasing a key that
// is not stored does nothing.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, key idempotency.Key) error {
	_, err := whereKey(s.write.NewDelete().Model((*idempotencyRow)(nil)), key).Exec(ctx)
	return translate(err, "releasing idempotency key")
}

// PurgeIdempotencyKeys implements idempotency.Store: it deletes the records
// whose expiry is strictly before the given time.
func (s *Store) PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int, error) {
	res, err := s.write.NewDelete().Model((*idempotencyRow)(nil)).Where("expires_at < ?", before.UTC()).Exec(ctx)
	if err != nil {
		return 0, translate(err, "purging idempotency keys")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(err, "purging idempotency keys")
	}
	return int(n), nil
}
