package idempotency_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/helpdesk/idempotency"
	"github.com/sistemaboladao/boladao/storage/memory"
)

func TestValidKey(t *testing.T) {
	t.Parallel()
	for k, want := range map[string]bool{
		"abc-123": true, "9f1c0f7e-7b7e-4c43-9a49-1d2f3b4c5d6e": true,
		"": false, "has space": false, "tab\t": false, "é": false, strings.Repeat("k", 256): false, strings.Repeat("k", 255): true,
	} {
		require.Equal(t, want, idempotency.ValidKey(k), "%q", k)
	}
}

func TestHashCoversMethodPathAndBody(t *testing.T) {
	t.Parallel()
	base := idempotency.Hash("POST", "/x", []byte(`{"a":1}`))
	require.Len(t, base, 64)
	require.Equal(t, base, idempotency.Hash("POST", "/x", []byte(`{"a":1}`)))
	require.NotEqual(t, base, idempotency.Hash("PUT", "/x", []byte(`{"a":1}`)))
	require.NotEqual(t, base, idempotency.Hash("POST", "/y", []byte(`{"a":1}`)))
	require.NotEqual(t, base, idempotency.Hash("POST", "/x", []byte(`{"a":2}`)))
}

func TestBegin(t *testing.T) {
	t.Parallel()
	store := memory.New().Idempotency()
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	key := idempotency.Key{CompanyID: 1, Principal: "user:1", Key: "k1"}
	ctx := t.Context()

	rec, err := idempotency.Begin(ctx, store, key, "h1", now)
	require.NoError(t, err)
	require.Nil(t, rec, "the first request runs")

	_, err = idempotency.Begin(ctx, store, key, "h1", now)
	require.ErrorIs(t, err, idempotency.ErrInFlight)
	_, err = idempotency.Begin(ctx, store, key, "h2", now)
	require.ErrorIs(t, err, idempotency.ErrKeyReused)

	require.NoError(t, store.CompleteIdempotencyKey(ctx, key, 201, "application/json", []byte(`{"id":1}`)))
	rec, err = idempotency.Begin(ctx, store, key, "h1", now.Add(time.Hour))
	require.NoError(t, err)
	require.NotNil(t, rec)
	require.Equal(t, 201, rec.Status)
	require.JSONEq(t, `{"id":1}`, string(rec.Body))

	// Keys are scoped: another principal may use the same key.
	other := key
	other.Principal = "user:2"
	rec, err = idempotency.Begin(ctx, store, other, "h9", now)
	require.NoError(t, err)
	require.Nil(t, rec)

	// After 24 hours the key is forgotten.
	rec, err = idempotency.Begin(ctx, store, key, "h2", now.Add(idempotency.TTL+time.Second))
	require.NoError(t, err)
	require.Nil(t, rec)

	_, err = idempotency.Begin(ctx, store, idempotency.Key{Key: "bad key"}, "h", now)
	require.ErrorIs(t, err, idempotency.ErrBadKey)
}
