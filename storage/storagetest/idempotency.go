package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/idempotency"
	"github.com/sistemaboladao/boladao/storage"
)

func idemRecord(key idempotency.Key, hash string, created time.Time) idempotency.Record {
	return idempotency.Record{Key: key, RequestHash: hash, CreatedAt: created, ExpiresAt: created.Add(idempotency.TTL)}
}

func claim(t *testing.T, s idempotency.Store, rec idempotency.Record) (idempotency.Record, bool) {
	t.Helper()
	existing, claimed, err := s.ClaimIdempotencyKey(ctx(t), rec)
	require.NoError(t, err)
	return existing, claimed
}

func testIdempotencyClaimCompleteReplay(t *testing.T, b Backend) {
	s := b.Idempotency()
	key := idempotency.Key{CompanyID: 1, Principal: "user:42", Key: "create-ticket-1"}
	_, claimed := claim(t, s, idemRecord(key, "hash-1", at))
	require.True(t, claimed)

	existing, claimed := claim(t, s, idemRecord(key, "hash-1", at.Add(time.Minute)))
	require.False(t, claimed, "a live key is claimed once")
	require.Equal(t, idempotency.Record{Key: key, RequestHash: "hash-1", CreatedAt: at, ExpiresAt: at.Add(idempotency.TTL)}, existing,
		"the in-flight record is returned as stored")

	_, err := idempotency.Begin(ctx(t), s, key, "hash-1", at.Add(time.Minute))
	require.ErrorIs(t, err, idempotency.ErrInFlight)

	body := []byte(`{"id":7,"title":"Impressora não imprime"}` + "\x00\xff")
	require.NoError(t, s.CompleteIdempotencyKey(ctx(t), key, 201, "application/json", body))
	body[0] = 'X' // the store keeps its own copy

	existing, claimed = claim(t, s, idemRecord(key, "hash-1", at.Add(2*time.Minute)))
	require.False(t, claimed)
	require.True(t, existing.Completed)
	require.Equal(t, 201, existing.Status)
	require.Equal(t, "application/json", existing.ContentType)
	require.Equal(t, []byte(`{"id":7,"title":"Impressora não imprime"}`+"\x00\xff"), existing.Body)
	require.Equal(t, key, existing.Key)
	require.True(t, existing.CreatedAt.Equal(at))
	require.Equal(t, time.UTC, existing.CreatedAt.Location())
	require.True(t, existing.ExpiresAt.Equal(at.Add(idempotency.TTL)))

	replay, err := idempotency.Begin(ctx(t), s, key, "hash-1", at.Add(3*time.Minute))
	require.NoError(t, err)
	require.NotNil(t, replay)
	require.Equal(t, existing, *replay)
	_, err = idempotency.Begin(ctx(t), s, key, "hash-2", at.Add(3*time.Minute))
	require.ErrorIs(t, err, idempotency.ErrKeyReused)

	// An empty body is stored as completed too.
	empty := idempotency.Key{CompanyID: 1, Principal: "user:42", Key: "no-content"}
	_, claimed = claim(t, s, idemRecord(empty, "hash-3", at))
	require.True(t, claimed)
	require.NoError(t, s.CompleteIdempotencyKey(ctx(t), empty, 204, "", nil))
	existing, claimed = claim(t, s, idemRecord(empty, "hash-3", at))
	require.False(t, claimed)
	require.True(t, existing.Completed)
	require.Equal(t, 204, existing.Status)
	require.Empty(t, existing.Body)

	missing := idempotency.Key{CompanyID: 1, Principal: "user:42", Key: "never-claimed"}
	require.ErrorIs(t, s.CompleteIdempotencyKey(ctx(t), missing, 201, "application/json", body), storage.ErrNotFound)
}

// testIdempotencyConcurrentClaims races 8 claims of one key: exactly one
// claims it, the others see its record.
func testIdempotencyConcurrentClaims(t *testing.T, b Backend) {
	s := b.Idempotency()
	for round := range 3 {
		key := idempotency.Key{CompanyID: 1, Principal: "token:7", Key: fmt.Sprintf("race-%d", round)}
		// The second round races over an expired record, which every
		// claim tries to replace.
		if round == 1 {
			_, claimed := claim(t, s, idemRecord(key, "old", at.Add(-2*idempotency.TTL)))
			require.True(t, claimed)
		}
		const workers = 8
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			claimed int
			start   = make(chan struct{})
		)
		for w := range workers {
			wg.Go(func() {
				<-start
				existing, ok, err := s.ClaimIdempotencyKey(ctx(t), idemRecord(key, "hash", at.Add(time.Duration(w)*time.Millisecond)))
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				if !ok && existing.RequestHash != "hash" {
					t.Errorf("worker %d: lost to a record with hash %q", w, existing.RequestHash)
				}
				if ok {
					mu.Lock()
					claimed++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		require.Equal(t, 1, claimed, "round %d: exactly one concurrent claim wins", round)
	}
}

func testIdempotencyExpiryAndRelease(t *testing.T, b Backend) {
	s := b.Idempotency()
	key := idempotency.Key{CompanyID: 3, Principal: "user:1", Key: "k"}
	_, claimed := claim(t, s, idemRecord(key, "first", at))
	require.True(t, claimed)
	require.NoError(t, s.CompleteIdempotencyKey(ctx(t), key, 201, "application/json", []byte(`{}`)))

	existing, claimed := claim(t, s, idemRecord(key, "second", at.Add(idempotency.TTL-time.Microsecond)))
	require.False(t, claimed, "a key is live until its expiry")
	require.Equal(t, "first", existing.RequestHash)

	_, claimed = claim(t, s, idemRecord(key, "second", at.Add(idempotency.TTL)))
	require.True(t, claimed, "a key is claimable again at its expiry")
	existing, claimed = claim(t, s, idemRecord(key, "third", at.Add(idempotency.TTL+time.Second)))
	require.False(t, claimed)
	require.Equal(t, "second", existing.RequestHash, "the expired record was replaced")
	require.False(t, existing.Completed, "the replacement is in flight")
	require.Empty(t, existing.Body)
	require.True(t, existing.ExpiresAt.Equal(at.Add(2*idempotency.TTL)))

	require.NoError(t, s.ReleaseIdempotencyKey(ctx(t), key))
	_, claimed = claim(t, s, idemRecord(key, "fourth", at.Add(idempotency.TTL+2*time.Second)))
	require.True(t, claimed, "a released key can be claimed again")
	require.NoError(t, s.ReleaseIdempotencyKey(ctx(t), key))
	require.NoError(t, s.ReleaseIdempotencyKey(ctx(t), key), "releasing a missing key is no error")
}

func testIdempotencyPurge(t *testing.T, b Backend) {
	s := b.Idempotency()
	for i := range 5 {
		key := idempotency.Key{CompanyID: 1, Principal: "user:1", Key: fmt.Sprintf("k%d", i)}
		_, claimed := claim(t, s, idemRecord(key, "h", at.Add(time.Duration(i)*time.Hour)))
		require.True(t, claimed)
	}
	n, err := s.PurgeIdempotencyKeys(ctx(t), at.Add(idempotency.TTL))
	require.NoError(t, err)
	require.Zero(t, n, "nothing expired strictly before the first expiry")
	n, err = s.PurgeIdempotencyKeys(ctx(t), at.Add(idempotency.TTL+2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, n, "records that expired before t are deleted; the one expiring at t stays")
	for i := range 5 {
		key := idempotency.Key{CompanyID: 1, Principal: "user:1", Key: fmt.Sprintf("k%d", i)}
		// A claim made before every expiry tells whether the record is still there.
		_, claimed := claim(t, s, idemRecord(key, "probe", at.Add(-time.Hour)))
		require.Equal(t, i < 2, claimed, "key k%d", i)
	}
	n, err = s.PurgeIdempotencyKeys(ctx(t), at.Add(10*idempotency.TTL))
	require.NoError(t, err)
	require.Equal(t, 5, n)
}

func testIdempotencyScopes(t *testing.T, b Backend) {
	s := b.Idempotency()
	base := idempotency.Key{CompanyID: 1, Principal: "user:1", Key: "same-key"}
	otherCompany := base
	otherCompany.CompanyID = 2
	otherPrincipal := base
	otherPrincipal.Principal = "token:1"
	for i, k := range []idempotency.Key{base, otherCompany, otherPrincipal} {
		_, claimed := claim(t, s, idemRecord(k, fmt.Sprintf("hash-%d", i), at))
		require.True(t, claimed, "keys are scoped by company and principal: %+v", k)
	}
	require.NoError(t, s.CompleteIdempotencyKey(ctx(t), otherCompany, 201, "text/plain", []byte("b")))
	existing, claimed := claim(t, s, idemRecord(base, "x", at))
	require.False(t, claimed)
	require.Equal(t, "hash-0", existing.RequestHash)
	require.False(t, existing.Completed, "completing another company's key leaves this one in flight")

	require.NoError(t, s.ReleaseIdempotencyKey(ctx(t), otherPrincipal))
	existing, claimed = claim(t, s, idemRecord(otherCompany, "x", at))
	require.False(t, claimed, "releasing another principal's key leaves this one")
	require.Equal(t, "hash-1", existing.RequestHash)
	require.True(t, existing.Completed)
	existing, claimed = claim(t, s, idemRecord(base, "x", at))
	require.False(t, claimed)
	require.Equal(t, "hash-0", existing.RequestHash)
}
