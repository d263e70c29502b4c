package httpapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTimeJSON checks that response timestamps marshal as time.Time does,
// in UTC, and that omitzero drops the zero time.
func TestTimeJSON(t *testing.T) {
	t.Parallel()
	sp := time.FixedZone("BRT", -3*3600)
	for _, at := range []time.Time{
		time.Date(2026, 7, 1, 9, 30, 0, 0, sp),
		time.Date(2026, 7, 1, 12, 30, 0, 123456000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		got, err := json.Marshal(adminTime(at))
		require.NoError(t, err)
		want, err := json.Marshal(at.UTC())
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(got))
	}
	type doc struct {
		At  timeJSON `json:"at,omitzero"`
		Set timeJSON `json:"set,omitzero"`
	}
	got, err := json.Marshal(doc{At: adminTime(time.Time{}), Set: adminTime(time.Date(2026, 1, 2, 3, 4, 5, 0, sp))})
	require.NoError(t, err)
	require.JSONEq(t, `{"set":"2026-01-02T06:04:05Z"}`, string(got))
}
