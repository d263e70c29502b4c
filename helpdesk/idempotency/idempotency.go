package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

// TTL is how long a key is remembered.
const TTL = 24 * time.Hour

// MaxKeyLength is the longest Idempotency-Key accepted.
const MaxKeyLength = 255

// Errors returned by Begin.
var (
	// ErrKeyReused means the key was used before with a different request.
	ErrKeyReused = errors.New("idempotency key reused with a different request")
	// ErrInFlight means the first request with this key has not finished.
	ErrInFlight = errors.New("a request with this idempotency key is still in progress")
	// ErrBadKey means the key is empty, too long or not printable ASCII.
	ErrBadKey = errors.New("idempotency key must be 1 to 255 printable ASCII characters")
)

// Key identifies one idempotent request.
type Key struct {
	CompanyID tenant.CompanyID
	// Principal is who sent it: "user:42" or "token:7".
	Principal string
	Key       string
}

// Record is the stored state of a key.
type Record struct {
	Key
	// RequestHash is the hex SHA-256 of the method, path and body.
	RequestHash string
	// Completed is false while the first request is in flight.
	Completed   bool
	Status      int
	ContentType string
	Body        []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Store keeps records. Backends implement it with single statements; it
// takes part in no unit of work.
type Store interface {
	// ClaimIdempotencyKey stores rec as in flight unless a live (unexpired)
	// record with the same Key exists, in which case it returns that record
	// and false. An expired record is replaced.
	ClaimIdempotencyKey(ctx context.Context, rec Record) (existing Record, claimed bool, err error)
	// CompleteIdempotencyKey stores the response of a claimed key.
	CompleteIdempotencyKey(ctx context.Context, key Key, status int, contentType string, body []byte) error
	// ReleaseIdempotencyKey forgets a key (used when the first request failed
	// in a way worth retrying).
	ReleaseIdempotencyKey(ctx context.Context, key Key) error
	// PurgeIdempotencyKeys deletes records that expired before t.
	PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int, error)
}

// Hash returns the request hash Begin compares: method, path and body.
func Hash(method, path string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", method, path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// ValidKey reports whether k is an acceptable Idempotency-Key value.
func ValidKey(k string) bool {
	if k == "" || len(k) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Begin claims key for a request with the given hash. It returns (nil, nil)
// when the caller should run the request and then call Store.Complete or
// Store.Release; a stored *Record to replay; or ErrKeyReused / ErrInFlight.
func Begin(ctx context.Context, s Store, key Key, requestHash string, now time.Time) (*Record, error) {
	if !ValidKey(key.Key) {
		return nil, ErrBadKey
	}
	rec := Record{Key: key, RequestHash: requestHash, CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(TTL)}
	existing, claimed, err := s.ClaimIdempotencyKey(ctx, rec)
	switch {
	case err != nil:
		return nil, fmt.Errorf("idempotency: claiming key: %w", err)
	case claimed:
		return nil, nil
	case existing.RequestHash != requestHash:
		return nil, ErrKeyReused
	case !existing.Completed:
		return nil, ErrInFlight
	}
	return &existing, nil
}
