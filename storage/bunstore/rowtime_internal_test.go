package bunstore

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun/dialect/sqlitedialect"
)

// TestRowTimeReadsWhatBunWrites round-trips random times through the text
// bun's SQLite dialect writes, and checks the other layouts and the
// malformed ones.
func TestRowTimeReadsWhatBunWrites(t *testing.T) {
	t.Parallel()
	d := sqlitedialect.New()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		want := time.Unix(rng.Int64N(4_000_000_000), rng.Int64N(1e9)).UTC().Truncate(time.Microsecond)
		if rng.IntN(4) == 0 {
			want = want.Truncate(time.Second) // no fraction at all
		}
		quoted := string(d.AppendTime(nil, want))
		text := quoted[1 : len(quoted)-1]
		var got rowTime
		require.NoError(t, got.Scan(text), text)
		require.True(t, want.Equal(got.time()), "%s read as %s", text, got.time())
		fast, ok := parseUTCTimestamp(text)
		require.True(t, ok, "the fast path takes %s", text)
		require.True(t, want.Equal(fast))
		require.Equal(t, time.UTC, got.time().Location())
	}

	at := time.Date(2026, 7, 1, 12, 30, 45, 123456789, time.UTC)
	tests := []struct {
		name string
		src  any
		want time.Time
		bad  bool
	}{
		{name: "null", src: nil},
		{name: "driver time", src: at.In(time.FixedZone("BRT", -3*3600)), want: at},
		{name: "bytes", src: []byte("2026-07-01 12:30:45.123456789+00:00"), want: at},
		{name: "nanoseconds", src: "2026-07-01 12:30:45.123456789+00:00", want: at},
		{name: "other zone", src: "2026-07-01 09:30:45.123456789-03:00", want: at},
		{name: "hour zone", src: "2026-07-01 09:30:45.123456789-03", want: at},
		{name: "RFC 3339", src: "2026-07-01T12:30:45.123456789Z", want: at},
		{name: "no zone is UTC", src: "2026-07-01 12:30:45.123456789", want: at},
		{name: "date", src: "2026-07-01", want: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)},
		{name: "February 30th", src: "2026-02-30 00:00:00+00:00", bad: true},
		{name: "hour 24", src: "2026-07-01 24:00:00+00:00", bad: true},
		{name: "letters", src: "2026-07-0x 12:30:45+00:00", bad: true},
		{name: "empty fraction", src: "2026-07-01 12:30:45.+00:00", bad: true},
		{name: "not a time", src: "tomorrow", bad: true},
		{name: "a number", src: int64(3), bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got rowTime
			err := got.Scan(tt.src)
			if tt.bad {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.True(t, tt.want.Equal(got.time()), "got %s", got.time())
			require.Equal(t, tt.want.IsZero(), got.IsZero())
		})
	}
}

func BenchmarkRowTimeScan(b *testing.B) {
	var t rowTime
	for b.Loop() {
		if err := t.Scan("2026-07-01 12:30:45.123456+00:00"); err != nil {
			b.Fatal(err)
		}
	}
}
