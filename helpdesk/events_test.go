package helpdesk_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sistemaboladao/boladao/events"
	"github.com/sistemaboladao/boladao/helpdesk"
	"github.com/sistemaboladao/boladao/helpdesk/directory"
	"github.com/sistemaboladao/boladao/helpdesk/tenant"
	"github.com/sistemaboladao/boladao/storage/memory"
)

func TestOnEventReceivesCommittedEvents(t *testing.T) {
	t.Parallel()
	desk, err := helpdesk.New(memory.New(), helpdesk.WithBcryptCost(4),
		helpdesk.WithLocalBusConfig(events.LocalBusConfig{Attempts: 2, Backoff: time.Millisecond}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close() })

	var (
		mu    sync.Mutex
		got   []string
		fails = 0
	)
	require.NoError(t, desk.OnEvent("company.*", func(_ context.Context, ev events.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev.Type)
		return nil
	}))
	require.NoError(t, desk.OnEvent("contact.created", func(context.Context, events.Event) error {
		mu.Lock()
		defer mu.Unlock()
		fails++
		return errors.New("mail server down")
	}))
	require.Error(t, desk.OnEvent("bad..pattern", func(context.Context, events.Event) error { return nil }))

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- desk.Run(ctx) }()

	co, err := desk.Directory.CreateCompany(t.Context(), tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	admin, err := tenant.System().InCompany(co.ID)
	require.NoError(t, err)
	_, err = desk.Directory.CreateContact(t.Context(), admin, directory.ContactInput{Name: "Ana"})
	require.NoError(t, err)

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(c, []string{"company.created"}, got)
		assert.Equal(c, 2, fails)
		pending, err := desk.PendingEvents(t.Context(), events.OutboxQuery{CompanyID: co.ID})
		assert.NoError(c, err)
		if assert.Len(c, pending, 1, "the failing handler's event is a visible dead letter") {
			assert.Equal(c, "contact.created", pending[0].Type)
			assert.False(c, pending[0].DeadAt.IsZero())
			assert.Contains(c, pending[0].LastError, "mail server down")
		}
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

// busOnly hides every method of a bus but those of events.Bus.
type busOnly struct{ events.Bus }

func TestWatchSeesCommittedEvents(t *testing.T) {
	t.Parallel()
	desk, err := helpdesk.New(memory.New(), helpdesk.WithBcryptCost(4))
	require.NoError(t, err)
	t.Cleanup(func() { _ = desk.Close() })

	seen := make(chan events.Event, 10)
	require.NoError(t, desk.Watch(t.Context(), "company.*", func(ev events.Event) { seen <- ev }))
	require.Error(t, desk.Watch(t.Context(), "bad..pattern", func(events.Event) {}))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- desk.Run(ctx) }()

	co, err := desk.Directory.CreateCompany(t.Context(), tenant.System(), directory.CompanyInput{Name: "Acme"})
	require.NoError(t, err)
	select {
	case ev := <-seen:
		require.Equal(t, "company.created", ev.Type)
		require.Equal(t, co.ID, ev.CompanyID)
	case <-time.After(5 * time.Second):
		t.Fatal("the watcher never saw company.created")
	}
	cancel()
	require.NoError(t, <-done)

	local, err := events.NewLocalBus(events.LocalBusConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = local.Close() })
	plain, err := helpdesk.New(memory.New(), helpdesk.WithBcryptCost(4), helpdesk.WithBus(busOnly{local}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = plain.Close() })
	require.ErrorIs(t, plain.Watch(t.Context(), ">", func(events.Event) {}), errors.ErrUnsupported)
}
