package events_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
)

func TestNewIDIsUniqueAndTimeOrdered(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		id := events.NewID(base.Add(time.Duration(i) * time.Millisecond))
		require.Len(t, id, 4+32)
		require.False(t, seen[id])
		seen[id] = true
		require.Greater(t, id, prev, "IDs sort by time")
		require.Equal(t, byte('7'), id[4+12], "version nibble")
		prev = id
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 7, 1, 9, 0, 0, 0, time.FixedZone("BRT", -3*3600))
	actor := tenant.Actor{CompanyID: 7, UserID: 3, Role: tenant.RoleAdmin}
	ev, err := events.New("user.created", 7, "user", int64(42), actor, at, map[string]any{"email": "a@b.co"})
	require.NoError(t, err)
	require.Equal(t, "user.created", ev.Type)
	require.Equal(t, "42", ev.AggregateID)
	require.Equal(t, time.UTC, ev.OccurredAt.Location())
	require.Equal(t, tenant.UserID(3), ev.ActorUserID)
	var data map[string]string
	require.NoError(t, json.Unmarshal(ev.Data, &data))
	require.Equal(t, "a@b.co", data["email"])

	_, err = events.New("x.y", 7, "x", 1, actor, at, []int{1})
	require.Error(t, err, "data must be an object")
	_, err = events.New("x.y", 7, "x", 1, actor, at, func() {})
	require.Error(t, err)
}
