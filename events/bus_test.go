package events_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/events/eventstest"
)

func TestLocalBusConformance(t *testing.T) {
	t.Parallel()
	eventstest.Run(t, func(t *testing.T) events.Bus {
		b, err := events.NewLocalBus(events.LocalBusConfig{Attempts: eventstest.Attempts, Backoff: 10 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		return b
	})
}

func TestMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, typ string
		want         bool
	}{
		{"ticket.created", "ticket.created", true},
		{"ticket.created", "ticket.updated", false},
		{"ticket.*", "ticket.created", true},
		{"ticket.*", "ticket.sla.breached", false},
		{"ticket.>", "ticket.sla.breached", true},
		{"ticket.>", "ticket", false},
		{"*", "anything.at.all", true},
		{">", "x", true},
		{"*.created", "asset.created", true},
		{"*.created", "asset.updated", false},
		{"ticket", "ticket.created", false},
		{"ticket.created.x", "ticket.created", false},
		{"ticket.*", "", false},
	}
	for _, c := range cases {
		require.Equal(t, c.want, events.Match(c.pattern, c.typ), "%q ~ %q", c.pattern, c.typ)
	}
	require.True(t, events.MatchAny([]string{"a.b", "ticket.*"}, "ticket.x"))
	require.False(t, events.MatchAny(nil, "ticket.x"))
}

func FuzzMatch(f *testing.F) {
	f.Add("ticket.*", "ticket.created")
	f.Add(">", "a.b")
	f.Fuzz(func(t *testing.T, pattern, typ string) {
		if events.ValidatePattern(pattern) != nil {
			return
		}
		if events.Match(pattern, typ) && typ == "" {
			t.Fatalf("%q matched the empty type", pattern)
		}
		if events.ValidatePattern(typ) == nil && !containsWildcard(typ) {
			require.True(t, events.Match(typ, typ), "a type matches itself")
		}
	})
}

func containsWildcard(s string) bool {
	for _, r := range s {
		if r == '*' || r == '>' {
			return true
		}
	}
	return false
}
